"""archer/JerichoDetective-v0: the checks that need nothing, then the ones that need Jericho and the game.

The game tests run only where the optional `jericho` package is installed and $ARCHER_DETECTIVE_Z5
names a copy of detective.z5 (neither ships with archer-gym).
"""

import importlib.util
import os
import subprocess
import sys
import types
from pathlib import Path

import gymnasium as gym
import pytest
import tomllib
from click.testing import CliRunner

import archer_envs
from archer_envs.jericho_detective import (
    ENV_VAR,
    EXPERT_ROUTE,
    MAX_COMMAND_CHARS,
    MAX_OBSERVATION_CHARS,
    ROUTE,
    ParserDictionaryTagger,
    Token,
    ascii_tail,
    clean_command,
)
from archer_envs.text import CHARSET
from archer_gym.cli import main

ENV_ID = "archer/JerichoDetective-v0"
HAS_JERICHO = importlib.util.find_spec("jericho") is not None
ROM = os.environ.get(ENV_VAR, "")
needs_game = pytest.mark.skipif(
    not (HAS_JERICHO and ROM and os.path.isfile(ROM)),
    reason="needs the optional `jericho` package and detective.z5 at $ARCHER_DETECTIVE_Z5",
)



def test_the_game_tests_run_where_ci_found_the_game():
    """.ci/run sets ARCHER_REQUIRE_DETECTIVE=1 when it found detective.z5: then nothing may skip them."""
    if os.environ.get("ARCHER_REQUIRE_DETECTIVE") == "1":
        assert HAS_JERICHO, "ARCHER_REQUIRE_DETECTIVE=1 but jericho is not installed (ARCHER_EXTRAS=jericho)"
        assert ROM and os.path.isfile(ROM), f"ARCHER_REQUIRE_DETECTIVE=1 but ${ENV_VAR} = {ROM!r} is no file"


# Jericho's walkthrough for detective.z5 (jericho/game_info.py, `detective`; FrotzEnv.get_walkthrough()):
# 51 commands that win with the maximum score. Two of them score nothing ("DROP PAPER", "INVENTORY");
# without them the same route wins in 49, under ArCHer's 50-step cap.
WALKTHROUGH = (
    "TAKE PAPER/READ PAPER/DROP PAPER/INVENTORY/W/TAKE GUN/E/N/W/E/E/TAKE WOOD/W/W/TAKE NOTE/READ NOTE/"
    "E/N/N/W/N/N/W/E/N/E/E/E/S/TAKE HAMBURGER/N/N/E/N/N/N/N/E/W/W/E/N/W/N/W/N/N/w/n/n/up"
).split("/")
ROUTE_49 = [c for c in WALKTHROUGH if c not in ("DROP PAPER", "INVENTORY")]


# --- registration and the optional dependency -------------------------------------------------
def test_registered_and_listed_by_the_cli():
    assert ENV_ID in archer_envs.ENVS and ENV_ID in gym.registry
    out = CliRunner().invoke(main, ["envs"])
    assert out.exit_code == 0, out.output
    assert ENV_ID in out.output
    for env_id in archer_envs.ENVS:
        assert env_id in out.output


def test_importing_the_package_does_not_import_jericho():
    code = (
        "import sys, gymnasium as gym, archer_envs, archer_envs.jericho_detective\n"
        f"assert {ENV_ID!r} in gym.registry\n"
        "assert 'jericho' not in sys.modules, 'jericho was imported'\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_the_jericho_extra_is_declared():
    pyproject = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert pyproject["project"]["optional-dependencies"]["jericho"] == ["jericho>=3.1"]


@pytest.mark.skipif(HAS_JERICHO, reason="jericho is installed")
def test_missing_jericho_says_how_to_install_it(tmp_path):
    rom = tmp_path / "detective.z5"
    rom.write_bytes(b"not a real story file")
    with pytest.raises(ImportError) as err:
        gym.make(ENV_ID, rom_path=str(rom))
    assert isinstance(err.value, ModuleNotFoundError)
    message = str(err.value)
    assert "the optional dependency `jericho` is missing" in message
    assert "pip install 'archer-gym[jericho]'" in message


# --- the game file (checked before jericho is imported) ---------------------------------------
def test_a_missing_rom_path_names_the_path(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(FileNotFoundError, match="/nonexistent/detective.z5"):
        gym.make(ENV_ID, rom_path="/nonexistent/detective.z5")


def test_the_env_var_is_used_when_no_rom_path_is_given(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/nowhere/else/detective.z5")
    with pytest.raises(FileNotFoundError, match="/nowhere/else/detective.z5"):
        gym.make(ENV_ID)


def test_the_rom_path_argument_wins_over_the_env_var(monkeypatch):
    monkeypatch.setenv(ENV_VAR, "/from/the/env/var.z5")
    with pytest.raises(FileNotFoundError, match="/from/the/argument.z5"):
        gym.make(ENV_ID, rom_path="/from/the/argument.z5")


@pytest.mark.parametrize("value", [None, ""])
def test_no_rom_path_and_no_env_var_says_what_to_do(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(ENV_VAR, raising=False)
    else:
        monkeypatch.setenv(ENV_VAR, value)
    with pytest.raises(ValueError, match=ENV_VAR) as err:
        gym.make(ENV_ID)
    message = str(err.value)
    assert "rom_path=" in message and "not shipped" in message and "Jericho" in message


@pytest.mark.parametrize(
    "kwargs, named",
    [({"max_steps": 0}, "max_steps"), ({"max_steps": 2.5}, "max_steps"), ({"max_steps": True}, "max_steps"),
     ({"render_mode": "human"}, "render_mode"), ({"valid_actions": "nltk"}, "valid_actions"),
     ({"cache_size": -1}, "cache_size"), ({"cache_size": 1.5}, "cache_size")],
)
def test_bad_arguments_raise_value_error_naming_the_value(kwargs, named):
    with pytest.raises(ValueError, match=named):
        gym.make(ENV_ID, rom_path="/nonexistent/detective.z5", **kwargs)


# --- text helpers -----------------------------------------------------------------------------
def test_observation_text_keeps_newlines_and_is_ascii():
    space = gym.spaces.Text(MAX_OBSERVATION_CHARS, min_length=0, charset=CHARSET)
    raw = "Chief\u2019s office\r\nYou are carrying:\n  a caf\u00e9 \u2603\n\n['west']"
    text = ascii_tail(raw, MAX_OBSERVATION_CHARS)
    assert text == "Chief's office\nYou are carrying:\n  a cafe ?\n\n['west']"
    assert space.contains(text)


def test_a_long_observation_keeps_its_end():
    text = ascii_tail("x" * 100 + "\n['north', 'take gun']", 40)
    assert len(text) == 40 and text.startswith("...") and text.endswith("\n['north', 'take gun']")
    assert ascii_tail("", 10) == ""


@pytest.mark.parametrize(
    "action, command",
    [("take gun", "take gun"), ("  take\tgun  ", "take gun"), ("north\nthen west", "north"),
     ("\u201cw\u201d", '"w"'), ("", ""), ("\n\nnorth", ""), (42, "42")],
)
def test_commands_are_one_ascii_line(action, command):
    assert clean_command(action) == command


def test_commands_are_capped():
    command = clean_command("x " * 500)
    assert len(command) <= MAX_COMMAND_CHARS and "\n" not in command


def test_the_parser_dictionary_tags_nouns_then_adjectives_by_prefix():
    word = types.SimpleNamespace
    dictionary = [word(word="pistol", is_noun=True, is_adj=False), word(word="white", is_noun=False, is_adj=True),
                  word(word="light", is_noun=True, is_adj=True), word(word="take", is_noun=False, is_adj=False),
                  word(word="hamburger", is_noun=True, is_adj=False)]
    tagger = ParserDictionaryTagger(dictionary)
    tokens = tagger("Take the white Pistol, light HAMBURGERS!")
    assert [(t.text, t.lower_, t.pos_) for t in tokens] == [
        ("Take", "take", "X"), ("the", "the", "X"), ("white", "white", "ADJ"), ("Pistol", "pistol", "NOUN"),
        ("light", "light", "NOUN"), ("HAMBURGERS", "hamburgers", "NOUN")]  # the parser reads 9 letters
    assert ParserDictionaryTagger([])("a b") == [Token("a", "a", "X"), Token("b", "b", "X")]


# --- the real game ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def env():  # shared, so that its cache of game states serves every test (each resets it)
    e = gym.make(ENV_ID, rom_path=ROM)
    yield e
    e.close()


@needs_game
def test_reset_observation_ends_with_the_valid_actions(env):
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["max_score"] == 360  # Jericho's detective_max_score() (frotz/src/games/detective.c)
    assert isinstance(info["score"], int) and isinstance(info["moves"], int)
    assert info["valid_actions"] and all(isinstance(a, str) for a in info["valid_actions"])
    assert obs.endswith(str(info["valid_actions"]))
    assert env.render() is None


@needs_game
def test_look_and_inventory_cost_no_move(env):
    _, info = env.reset()
    moves = [info["moves"]]
    for action in ("take paper", "west"):
        _, _, terminated, truncated, info = env.step(action)
        assert not (terminated or truncated)
        moves.append(info["moves"])
    # One move per command: the look and inventory behind each observation were undone.
    assert [b - a for a, b in zip(moves, moves[1:])] == [1, 1]


@needs_game
def test_rewards_are_score_increments(env):
    _, info = env.reset()
    start = last = info["score"]
    total = 0.0
    for i, action in enumerate(WALKTHROUGH[:12] + ["xyzzy frobnicate", "take the moon"]):
        obs, reward, terminated, truncated, info = env.step(action)
        assert reward == info["score"] - last, (i, action)
        assert env.observation_space.contains(obs) and obs.endswith(str(info["valid_actions"]))
        assert not truncated
        last = info["score"]
        total += reward
        if terminated:
            break
    assert total == info["score"] - start


@needs_game
def test_jerichos_walkthrough_is_the_one_we_test():
    import jericho

    game = jericho.FrotzEnv(ROM)
    assert game.get_walkthrough() == WALKTHROUGH and len(WALKTHROUGH) == 51
    game.close()


@needs_game
def test_the_walkthrough_wins_with_the_maximum_score_in_51_steps_and_a_49_step_route_within_the_cap():
    """Jericho's tools/test_games.py passes a game when its walkthrough ends in victory with
    get_max_score() points. Detective's needs 51 commands, one more than ArCHer's 50-step cap: after 50
    it has all 360 points but the game goes on until "up" (so under the cap it is truncated there); the
    same route without its two pointless commands wins in 49."""
    env = gym.make(ENV_ID, rom_path=ROM, max_steps=51)
    _, info = env.reset()
    start, total = info["score"], 0.0
    for step, action in enumerate(WALKTHROUGH, 1):
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        assert not truncated and terminated == (step == 51), (step, action)
        if step == 50:
            assert info["score"] == 360 and info["valid_actions"]
    assert info["valid_actions"] == [] and obs.endswith("[]") and info["success"]
    assert total == info["score"] - start and info["score"] == info["max_score"] == 360
    with pytest.raises(RuntimeError, match="reset"):
        env.step("look")
    env.close()
    # The 49-command route is a fact about the game; Jericho alone checks it in a fraction of a second.
    import jericho

    game = jericho.FrotzEnv(ROM)
    game.reset()
    ends = [game.step(command)[2] for command in ROUTE_49]
    assert ends == [False] * 48 + [True] and game.victory() and game.get_score() == 360
    game.close()
    assert ROUTE == ROUTE_49


@needs_game
def test_the_experts_route_skips_the_two_detours_that_return_to_the_observation_they_left():
    import jericho

    game = jericho.FrotzEnv(ROM)
    reply, _ = game.reset()
    seen = []  # what a player sees before each command of the route (less the valid actions)
    for command in ROUTE:
        here = game.get_state()
        seen.append(game.step("look")[0] + game.step("inventory")[0] + reply)
        game.set_state(here)
        reply = game.step(command)[0]
    game.close()
    assert [(a, b) for a in range(49) for b in range(a + 1, 49) if seen[a] == seen[b]] == [(20, 22), (37, 39)]
    assert ROUTE[20:22] == ROUTE[37:39] == ["W", "E"] and EXPERT_ROUTE == ROUTE[:20] + ROUTE[22:37] + ROUTE[39:]


def test_the_valid_actions_are_read_back_from_the_observation():
    from archer_envs.jericho_policies import valid_actions_of

    observation = "You see a [brass] lamp.\n['east', \"take o'brien's hat\"]"
    assert valid_actions_of(observation) == ["east", "take o'brien's hat"]
    assert valid_actions_of("The game is over.\n[]") == [] and valid_actions_of("no list here") == []
    assert valid_actions_of("[1, 2]") == []


def test_building_the_scripted_players_needs_no_game(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    d = archer_envs.descriptor(ENV_ID)
    players = [d.scripted_policy(name, seed=0) for name in ("expert", "noisy", "random")]
    assert players[2].act(["Dark.\n['north']"]) == ["north"]  # random needs no route
    with pytest.raises(ValueError, match=f"needs the game file detective.z5: pass rom_path=... or set {ENV_VAR}"):
        players[0].act(["Dark.\n['north']"])


@needs_game
def test_every_split_is_the_one_game(env):
    first, _ = env.reset()
    assert all(env.reset(options={"split": split})[0] == first for split in ("train", "test", "all"))
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        env.reset(options={"split": "dev"})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"case": 3})


@needs_game
def test_the_expert_wins_with_340_points_in_45_and_finds_its_way_after_a_detour(env):
    expert = archer_envs.descriptor(ENV_ID).scripted_policy("expert", seed=0)

    def play(detour=None):
        obs, info = env.reset()
        start, commands = info["score"], []
        while True:
            command = detour if detour and len(commands) == 3 else expert.act([obs])[0]
            commands.append(command)
            obs, _, terminated, truncated, info = env.step(command)
            if terminated or truncated:
                return commands, info["score"] - start, info["success"]

    commands, ret, success = play()
    # Both 10-point detours (the bedroom, the Wall) leave from and come back to one observation: skipped.
    assert success and ret == 330 and commands == EXPERT_ROUTE and len(commands) == 45
    detoured, ret, success = play("xyzzy")  # the parser refuses it: same room, same things carried
    assert success and ret == 330 and detoured == commands[:3] + ["xyzzy"] + commands[3:]


@needs_game
def test_behaviour_data_numbers_the_episodes_of_the_one_game():
    from archer_gym.agents.data import generate_dataset

    data = generate_dataset(ENV_ID, policy="expert", episodes=3, split="all", seed=0)
    secrets = [t.secret for t in data]  # episode numbers, drawn as every env's evaluation list is
    assert len(set(secrets)) == 3 and set(secrets) <= set(range(200)) and {t.ret for t in data} == {330.0}
    assert all(t.success and len(t.turns) == 45 and t.turns[-1].done for t in data)


@needs_game
def test_noisy_and_random_play_valid_actions_reproducibly(env):
    from archer_envs.jericho_policies import valid_actions_of

    obs, info = env.reset()
    for name in ("noisy", "random"):
        runs = [archer_envs.descriptor(ENV_ID).scripted_policy(name, seed=7).act([obs] * 20) for _ in range(2)]
        assert runs[0] == runs[1] and len(set(runs[0])) > 1
        assert set(runs[0]) <= set(info["valid_actions"]) | {ROUTE[0]} and set(info["valid_actions"]) == set(
            valid_actions_of(obs))
    assert ROUTE[0] not in runs[0]  # random plays valid actions only


@needs_game
@pytest.mark.skipif(importlib.util.find_spec("en_core_web_sm") is not None, reason="spaCy's model is installed")
def test_the_spacy_tagger_without_its_model_says_so_and_downloads_nothing():
    with pytest.raises(ValueError, match="en_core_web_sm.*valid_actions='parser'"):
        gym.make(ENV_ID, rom_path=ROM, valid_actions="spacy")


@needs_game
def test_valid_actions_are_sorted_and_take_the_game_forward(env):
    _, info = env.reset()
    assert info["valid_actions"] == sorted(info["valid_actions"])
    assert "take paper" in info["valid_actions"] and "west" in info["valid_actions"]
    _, reward, _, _, info = env.step("take paper")
    assert reward == 10 and "take paper" not in info["valid_actions"]


VALID_ACTIONS_SCRIPT = """
import json, sys, gymnasium as gym, archer_envs
env = gym.make("archer/JerichoDetective-v0", rom_path=sys.argv[1])
_, info = env.reset(seed=0)
lists = [info["valid_actions"]]
for command in sys.argv[2:]:
    lists.append(env.step(command)[-1]["valid_actions"])
print(json.dumps(lists))
"""


@needs_game
def test_valid_actions_need_no_download_after_ctypes_util_was_imported(env):
    """CI's first failure here: after an import of ctypes.util (torch's, in the full suite), `jericho.util`
    is ctypes.util (Jericho's `from ctypes import *` re-exported), and the tagger set there went unseen."""
    code = ("import ctypes.util, gymnasium as gym, archer_envs\n"
            f"env = gym.make({ENV_ID!r}, rom_path={ROM!r})\n"
            "print(env.reset()[1]['valid_actions'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"})
    assert out.returncode == 0 and out.stdout.strip() == str(env.reset()[1]["valid_actions"]), out.stderr[-2000:]


@needs_game
def test_valid_actions_do_not_depend_on_string_hashing():
    """Jericho's own order follows a set of strings, so it changed with PYTHONHASHSEED; ours must not."""
    outputs = []
    for hash_seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-c", VALID_ACTIONS_SCRIPT, ROM, *WALKTHROUGH[:6]], capture_output=True,
                             text=True, timeout=300, env=dict(os.environ, PYTHONHASHSEED=hash_seed))
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1]


@needs_game
def test_restart_gives_the_points_back_and_quit_is_refused(env):
    _, info = env.reset()
    start = info["score"]
    env.step("take paper")
    _, reward, terminated, _, info = env.step("restart")  # the game asks first
    assert (reward, terminated, info["score"]) == (0.0, False, start + 10)
    obs, reward, terminated, _, info = env.step("yes")
    assert (reward, info["score"], terminated) == (-10.0, start, False)  # a restart gives the points back
    assert "Chief's office" in obs
    env.step("take paper")
    _, _, _, _, info = env.step("quit")
    assert "quit" in info["command"] and info["valid_actions"] == []  # at the game's question, none
    obs, reward, terminated, truncated, info = env.step("yes")  # Jericho's emulator does not stop
    assert (reward, terminated, truncated, info["score"]) == (0.0, False, False, start + 10)
    assert "halted" not in info and "take paper" not in info["valid_actions"]
    env.reset()
    _, reward, _, _, info = env.step("take paper")
    assert reward == 10.0 and info["score"] == start + 10


@needs_game
def test_the_cache_changes_no_observation():
    """Observations without the cache equal the cached ones (hits included: the states of the walkthrough
    played by other tests, and of this test's own earlier episodes)."""
    cached, uncached = gym.make(ENV_ID, rom_path=ROM), gym.make(ENV_ID, rom_path=ROM, cache_size=0)
    for commands in (WALKTHROUGH[:3], ["xyzzy", "take paper"], WALKTHROUGH[:2]):
        assert cached.reset() == uncached.reset()
        for command in commands:
            assert cached.step(command) == uncached.step(command), command
    assert len(cached.unwrapped._cache) > 1
    cached.close()
    uncached.close()


@needs_game
def test_truncated_after_max_steps():
    env = gym.make(ENV_ID, rom_path=ROM, max_steps=3)
    env.reset()
    for step in range(1, 4):
        _, reward, terminated, truncated, info = env.step("wait")
        assert not terminated and truncated == (step == 3)
        assert info["command"] == "wait"
    with pytest.raises(RuntimeError, match="reset"):
        env.step("wait")
    env.reset()  # a new episode after truncation
    env.close()
    env.close()  # closing twice is allowed
