"""Every registered env passes the public conformance check (archer_envs.testing), and the check catches
what it promises to catch. Env-specific rules under fuzzing (reward tables, answer sets) stay in each env's
own test file."""

import importlib.util
import os

import gymnasium as gym
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archer_envs import ENVS
from archer_envs.jericho_detective import ENV_VAR
from archer_envs.testing import ConformanceError, check, check_action, fuzz_strings

JERICHO = "archer/JerichoDetective-v0"
ROM = os.environ.get(ENV_VAR, "")
HAS_GAME = importlib.util.find_spec("jericho") is not None and bool(ROM) and os.path.isfile(ROM)
# The kwargs each env needs to be made at all (Jericho: the game file, which does not ship).
ENV_KWARGS = {JERICHO: {"rom_path": ROM}}


def _env_ids():
    for env_id in ENVS:
        needs_game = pytest.mark.skipif(env_id == JERICHO and not HAS_GAME, reason=(
            "needs the optional `jericho` package and detective.z5 at $ARCHER_DETECTIVE_Z5"))
        yield pytest.param(env_id, marks=needs_game, id=env_id.split("/")[-1])


ENV_IDS = list(_env_ids())


# Jericho's search for valid actions plays every candidate command (about 0.5 s per new game state),
# so the real game gets fewer fuzz strings and examples; the strategies are the same.
FUZZ_ACTIONS = {JERICHO: 30}
MAX_EXAMPLES = {JERICHO: 12}


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_passes_the_conformance_check(env_id):
    check(env_id, env_kwargs=ENV_KWARGS.get(env_id), fuzz_actions=FUZZ_ACTIONS.get(env_id, 200))


# The strings the per-env fuzz tests drew, for every env: any text, raw bytes as latin-1, very long text,
# and the command shapes of each game (bracketed WebShop actions, Detective commands).
ANY_ACTION = st.one_of(
    st.text(max_size=400),
    st.binary(max_size=200).map(lambda b: b.decode("latin-1")),
    st.text(alphabet=st.characters(), min_size=5000, max_size=10000),
    st.builds(lambda s: f"search[{s}]", st.text(max_size=60)),
    st.builds(lambda s: f"click[{s}]", st.text(max_size=40)),
    st.sampled_from(["go to the moon", "ask", "accuse", "examine", "accuse everyone", "ask the butler"]),
)


@pytest.fixture(scope="module")
def envs():
    made = {}

    def get(env_id):
        if env_id not in made:
            made[env_id] = gym.make(env_id, **ENV_KWARGS.get(env_id, {}))
        return made[env_id]

    yield get
    for env in made.values():
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_any_text_is_an_action_that_never_crashes(envs, env_id):
    env = envs(env_id)

    @settings(max_examples=MAX_EXAMPLES.get(env_id, 60), deadline=None)
    @given(action=ANY_ACTION, seed=st.integers(min_value=0, max_value=2**31 - 1))
    def step_once(action, seed):
        env.reset(seed=seed)
        check_action(env, action, env_id)

    step_once()


# --- the check catches what it promises to catch -------------------------------------------------------
class EchoEnv(gym.Env):
    """A toy text env: echoes the action; ``flaw`` breaks one promise."""

    metadata = {"render_modes": []}
    secret_option = "word"
    steps_ever = 0

    def __init__(self, flaw=None):
        self.flaw = flaw
        self.observation_space = gym.spaces.Text(200, min_length=0, charset="abcdefghijklmnopqrstuvwxyz ")
        self.action_space = gym.spaces.Text(200, min_length=0, charset="abcdefghijklmnopqrstuvwxyz ")
        self.turn = 0

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.turn = 0
        return "", {}

    def step(self, action):
        self.turn += 1
        if self.flaw == "crash" and "\x00" in action:
            raise UnicodeError("NUL")
        shown = "".join(c for c in action.lower() if c in "abcdefghijklmnopqrstuvwxyz ")[:200]
        if self.flaw == "leak" and len(action) > 1000:
            shown = action  # outside the space: too long, other characters
        reward = 0.0
        if self.flaw == "nondeterministic" and self.turn > 1:  # after the one step gymnasium's checker compares
            EchoEnv.steps_ever += 1
            reward = float(EchoEnv.steps_ever)  # depends on what ran before, not on the seed
        info = {} if self.flaw == "no_success" else {"success": False}
        return shown, reward, False, self.turn >= (10**6 if self.flaw == "endless" else 20), info


def test_a_conforming_toy_env_passes():
    check(EchoEnv(), skip_render_check=True)


@pytest.mark.parametrize("flaw, message", [
    ("crash", r"step\('.*'\.\.\.\) raised UnicodeError"),
    ("leak", "outside the observation space"),
    ("nondeterministic", "different transcripts"),
    ("no_success", r"lacks \['success'\]"),
    ("endless", "did not end within 100 steps"),
])
def test_the_check_names_the_broken_promise(flaw, message):
    with pytest.raises(ConformanceError, match=f"EchoEnv: .*{message}"):
        check(EchoEnv(flaw), skip_render_check=True, max_episode_steps=100)


def test_fuzz_strings_are_fixed_by_the_seed_and_cover_the_edge_cases():
    import random

    a, b = fuzz_strings(random.Random(3), 100), fuzz_strings(random.Random(3), 100)
    assert a == b and len(a) == 100
    assert "" in a and any(len(s) >= 5000 for s in a) and any("\x00" in s for s in a)
    assert any(ord(c) > 127 for s in a for c in s) and any("\ud800" in s for s in a)
