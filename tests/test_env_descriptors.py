"""Each env declares itself once: its descriptor is the only source of its per-env facts."""

import importlib
import subprocess
import sys

import gymnasium as gym
import pytest

import archer_envs
from archer_envs import ENVS, EnvDescriptor, descriptor
from archer_envs.descriptor import DEFAULT_GAMMA, GENERIC_PROMPT, SCRIPTED
from archer_envs.protocols import protocol_splits
from archer_envs.scripted import has_scripted_policies, scripted_policy, split_secrets

ENV_IDS = list(ENVS)


def test_every_registered_archer_env_has_a_descriptor_and_every_descriptor_is_registered():
    registered = {env_id for env_id in gym.registry if env_id.startswith("archer/")}
    assert registered == set(ENVS)
    assert all(isinstance(d, EnvDescriptor) and d.id == env_id for env_id, d in ENVS.items())


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_the_gymnasium_registration_is_built_from_the_descriptor(env_id):
    d, spec = descriptor(env_id), gym.spec(env_id)
    assert (spec.entry_point, spec.vector_entry_point, spec.kwargs) == (d.entry_point, d.vector_entry_point,
                                                                         dict(d.kwargs))


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_the_descriptor_is_declared_in_the_envs_own_package(env_id):
    d = descriptor(env_id)
    env_module = d.entry_point.split(":")[0]
    declared_in = d.secrets.__module__ if d.secrets is not None else None
    # archer_envs.twenty_questions.env -> archer_envs.twenty_questions (a package) or the env's own module.
    package = env_module.rsplit(".", 1)[0] if env_module.count(".") > 1 else env_module
    assert declared_in is not None and declared_in.startswith(package)
    assert d.description and d.prompt.system and d.prompt.cue and 0 < d.gamma <= 1


def test_an_unknown_id_is_a_value_error_naming_the_registered_ones():
    with pytest.raises(ValueError, match=r"unknown env 'archer/Nope-v0': expected one of archer/TwentyQuestions-v0"):
        descriptor("archer/Nope-v0")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_scripted_players_and_secret_lists_come_from_the_descriptor(env_id):
    d = descriptor(env_id)
    assert has_scripted_policies(env_id) == d.has_scripted_policies == (d.scripted is not None)
    if d.secrets is None:
        with pytest.raises(ValueError, match="no list of secrets"):
            split_secrets(env_id, "test")
    else:
        assert split_secrets(env_id, "test") == d.split_secrets("test") and d.split_secrets("test")
    for name in SCRIPTED:
        if d.has_scripted_policies:
            assert type(scripted_policy(env_id, name, seed=1)) is type(d.scripted_policy(name, seed=1))
        else:
            with pytest.raises(ValueError, match=f"no scripted policies for {env_id!r}"):
                scripted_policy(env_id, name)


def test_the_subset_expert_plays_only_the_ten_words():
    from archer_envs.twenty_questions import PAPER_SUBSET

    d = descriptor("archer/TwentyQuestionsSubset-v0")
    assert d.split_secrets("all") == d.split_secrets("test") == list(PAPER_SUBSET)
    assert sorted(d.scripted_policy("expert").state.secrets) == sorted(PAPER_SUBSET)


def test_webshop_secrets_follow_the_catalogue_kwargs_and_ignore_the_others():
    d = descriptor("archer/WebShop-v0")
    small = d.split_secrets("test", {"num_products": 300, "max_steps": 5})
    assert small != d.split_secrets("test") and d.split_secrets("test", {"max_steps": 5}) == d.split_secrets("test")


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_protocols_read_the_descriptor(env_id):
    d = descriptor(env_id)
    expected = ("all", "all") if d.paper_split_all else ("train", "test")
    assert protocol_splits(env_id, "paper") == expected
    if d.held_out:
        assert protocol_splits(env_id, "generalisation") == ("train", "test")
    else:
        with pytest.raises(ValueError, match=f"protocol 'generalisation' needs held-out secrets, and {env_id} is one"):
            protocol_splits(env_id, "generalisation")


def test_only_jerichos_fixed_game_has_nothing_held_out_and_numbers_its_episodes():
    assert [e for e, d in ENVS.items() if not d.held_out] == ["archer/JerichoDetective-v0"]
    d = descriptor("archer/JerichoDetective-v0")
    assert d.split_secrets("all") == d.split_secrets("test") == d.split_secrets("train") == list(range(200))
    with pytest.raises(ValueError, match="unknown split 'dev': expected one of train, test, all"):
        d.split_secrets("dev")


def test_the_discounts_are_arch_ers_table():
    gammas = {env_id: d.gamma for env_id, d in ENVS.items()}
    assert gammas == {"archer/TwentyQuestions-v0": DEFAULT_GAMMA, "archer/TwentyQuestionsSubset-v0": DEFAULT_GAMMA,
                      "archer/GuessMyCity-v0": DEFAULT_GAMMA, "archer/JerichoDetective-v0": 0.98,
                      "archer/Detective-v0": 0.98, "archer/WebShop-v0": 0.9}
    assert DEFAULT_GAMMA == 0.95


@pytest.mark.parametrize("env_id", ENV_IDS + [None, "archer/Unknown-v0"])
def test_the_chat_agent_prompt_is_the_descriptors(env_id):
    from archer_gym.agents.chat_agent import env_prompt

    assert env_prompt(env_id) == (ENVS[env_id].prompt if env_id in ENVS else GENERIC_PROMPT)


def test_two_role_games_are_the_ones_the_descriptors_name():
    multiagent = pytest.importorskip("archer_envs.multiagent")
    assert {e for e, d in ENVS.items() if d.two_role} == set(multiagent.TWO_ROLE) == {
        "archer/TwentyQuestions-v0", "archer/GuessMyCity-v0"}
    for env_id, module in multiagent.TWO_ROLE.items():
        assert module is importlib.import_module(ENVS[env_id].two_role)


def test_the_envs_package_and_its_descriptors_stay_torch_free():
    code = ("import sys, archer_envs, archer_envs.scripted, archer_envs.protocols, archer_envs.testing\n"
            "for d in archer_envs.ENVS.values(): d.split_secrets('test') if d.has_scripted_policies else None\n"
            "bad = sorted(m for m in ('torch', 'agents', 'baselines', 'leaderboard') if m in sys.modules)\n"
            "assert not bad, bad\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr


def test_envs_is_the_descriptor_registry():
    assert archer_envs.ENVS is ENVS and list(ENVS) == ENV_IDS
