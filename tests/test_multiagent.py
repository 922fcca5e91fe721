"""Two-role (PettingZoo) question games: PettingZoo's own API and seed tests, the single-agent env
reproduced exactly when the knowledge oracle answers, the answerer's reward rule, fuzzing with any
strings, and the turn protocol's errors."""

from __future__ import annotations

import warnings

import gymnasium as gym
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

import archer_envs  # noqa: F401
from archer_envs.guess_my_city.knowledge import CityKnowledgeOracle
from archer_envs.multiagent import ANSWERER, ASKER, OracleAnswerer, guess_my_city_v0, play_match, twenty_questions_v0
from archer_envs.twenty_questions.knowledge import NO, YES, TwentyQuestionsKnowledgeOracle
from archer_gym.agents.agent_registry import make_agent

GAMES = {
    "archer/TwentyQuestions-v0": (twenty_questions_v0, TwentyQuestionsKnowledgeOracle),
    "archer/GuessMyCity-v0": (guess_my_city_v0, CityKnowledgeOracle),
}
MODULES = [twenty_questions_v0, guess_my_city_v0]


class Constant:
    def __init__(self, reply):
        self.reply = reply

    def act(self, observations):
        return [self.reply for _ in observations]


@pytest.fixture(autouse=True)
def quiet_pettingzoo_advice():
    """PettingZoo's tests warn that text spaces are not Box/Discrete and that agent names lack a
    number; those are advice for numeric envs, not failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.split(".")[-1])
def test_pettingzoo_api_parallel_api_and_seed_tests_pass(module):
    api_test(module.env(), num_cycles=60)
    parallel_api_test(module.parallel_env(), num_cycles=60)
    seed_test(module.env, num_cycles=30)
    parallel_seed_test(module.parallel_env, num_cycles=30)
    env = module.env()
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)


@pytest.mark.parametrize("env_id", GAMES)
@pytest.mark.parametrize("split", ["test", "train"])
def test_knowledge_answerer_and_expert_asker_reproduce_the_single_agent_env(env_id, split):
    module, oracle = GAMES[env_id]
    single, expert = gym.make(env_id), make_agent("expert", env_id)
    two_role, answerer = module.env(), OracleAnswerer(oracle())
    for seed in range(8):
        obs, _ = single.reset(seed=seed, options={"split": split})
        rewards, done = [], False
        while not done:
            obs, reward, terminated, truncated, info = single.step(expert.act([obs])[0])
            rewards.append(reward)
            done = terminated or truncated
        match = play_match(two_role, expert, answerer, seed=seed, options={"split": split})
        assert match.secret == info[single.unwrapped.game.secret_option]
        assert match.asker_rewards == rewards and match.success == info["success"]
        assert single.unwrapped.game.header + "".join(f"{q} {a}\n" for q, a in match.transcript) == obs
        assert match.answerer_return == 0.0  # the knowledge oracle agrees with itself


def test_a_lying_answerer_is_penalised_per_inconsistent_answer_and_the_asker_cannot_win():
    env = twenty_questions_v0.env()
    match = play_match(env, make_agent("expert", "archer/TwentyQuestions-v0"), Constant("nope, not at all"),
                       seed=1, options={"word": "Elephant"})
    assert match.turns == 20 and match.truncated and not match.success and match.asker_return == -20.0
    assert {a for _, a in match.transcript} == {NO}  # free text normalised as an LLM oracle's reply
    oracle = TwentyQuestionsKnowledgeOracle()
    truthful = oracle.answer(["Elephant"] * 20, [q for q, _ in match.transcript])
    assert match.answerer_rewards == [0.0 if t == NO else -1.0 for t in truthful]
    assert any(t == YES for t in truthful)


def test_the_answerer_decides_whether_a_correct_guess_wins():
    env = twenty_questions_v0.parallel_env()
    env.reset(options={"word": "Elephant"})
    env.step({ASKER: "Is it an elephant?"})
    obs, rewards, terms, _, infos = env.step({ANSWERER: "No."})  # a lie: the game goes on
    assert not terms[ASKER] and rewards == {ASKER: -1.0, ANSWERER: -1.0} and infos[ASKER]["reference"] == YES
    env.step({ASKER: "Is it an elephant?"})
    obs, rewards, terms, _, infos = env.step({ANSWERER: "Yes, it is!"})
    assert terms == {ASKER: True, ANSWERER: True} and rewards == {ASKER: 0.0, ANSWERER: 0.0}
    assert obs[ASKER].endswith("Is it an elephant? No.\nIs it an elephant? Yes.\n") and env.agents == []


def test_guess_my_city_answers_are_filtered_and_a_leak_scores_zero():
    env = guess_my_city_v0.parallel_env()
    env.reset(options={"city": "Tokyo"})
    env.step({ASKER: "What is your city famous for?"})
    _, rewards, _, _, infos = env.step({ANSWERER: "Tokyo is famous for sushi, and Japan for much more."})
    assert "Tokyo" not in infos[ASKER]["answer"] and "Japan" not in infos[ASKER]["answer"]
    assert infos[ASKER]["consistency"] == 0.0 and rewards[ANSWERER] == -1.0
    env.step({ASKER: "What is your city famous for?"})
    reference = infos[ASKER]["reference"]
    _, rewards, _, _, infos = env.step({ANSWERER: reference})  # the knowledge answer itself
    assert infos[ASKER]["consistency"] == 1.0 and rewards[ANSWERER] == 0.0
    assert 0.0 < guess_my_city_v0.content_f1(reference + " Lovely place.", reference) < 1.0


def test_the_turn_protocol_raises_what_pettingzoo_prescribes():
    env = twenty_questions_v0.env()
    with pytest.raises(AssertionError, match="reset\\(\\) needs to be called before step"):
        env.step("Is it alive?")
    env.reset(seed=0)
    match = play_match(env, Constant("Is it alive?"), Constant("No."), seed=0)
    assert match.truncated
    raw = twenty_questions_v0.raw_env()
    raw.reset(options={"word": "Kite"})
    raw.step("Is it a kite?")
    raw.step("Yes.")
    assert raw.terminations[raw.agent_selection]
    with pytest.raises(ValueError, match="when an agent is dead, the only valid action is None"):
        raw.step("Is it a kite again?")
    par = twenty_questions_v0.parallel_env()
    par.reset(seed=0)
    with pytest.raises(ValueError, match="it is 'asker''s turn"):
        par.step({ANSWERER: "Yes."})
    with pytest.raises(ValueError, match="not live agents"):
        par.step({ASKER: "Is it alive?", "referee": "stop"})
    obs, *_ = par.step({ASKER: "Is it alive?", ANSWERER: "ignored: not the answerer's turn"})
    assert obs[ANSWERER].endswith("Question: Is it alive?\n") and obs[ASKER] == "Questions:\n"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(module=st.sampled_from(MODULES), seed=st.integers(0, 2**31 - 1),
       moves=st.lists(st.one_of(st.text(max_size=600), st.binary(max_size=40), st.integers(), st.none()),
                      min_size=1, max_size=45))
def test_fuzz_any_input_from_either_agent_never_crashes(module, seed, moves):
    env = module.parallel_env()
    obs, infos = env.reset(seed=seed)
    asker_return = 0.0
    for move in moves:
        if not env.agents:
            break
        acting = infos[ASKER]["acting"]  # whose turn it is, told to both agents
        obs, rewards, terms, truncs, infos = env.step({acting: move})
        for agent, o in obs.items():
            assert env.observation_space(agent).contains(o)
        assert rewards[ASKER] in (0.0, -1.0) and -1.0 <= rewards[ANSWERER] <= 0.0
        asker_return += rewards[ASKER]
    turns = len(env.aec.episode.turns)
    assert turns <= 20 and asker_return >= -turns


def test_cli_match_plays_the_fixed_secret_list_and_writes_the_games(tmp_path):
    import json

    from click.testing import CliRunner

    from archer_envs.benchmark import episode_secrets
    from archer_gym.cli import main as cli

    out = tmp_path / "games.jsonl"
    result = CliRunner().invoke(cli, ["match", "--env", "archer/GuessMyCity-v0", "--asker", "expert", "--games", "4",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "success rate          1.000" in result.output and "answerer mean return  0.00" in result.output
    games = [json.loads(line) for line in out.read_text().splitlines()]
    assert [g["secret"] for g in games] == episode_secrets("archer/GuessMyCity-v0", "test", 4, 0)
    assert all(g["success"] and len(g["transcript"]) == len(g["asker_rewards"]) for g in games)
    bad = CliRunner().invoke(cli, ["match", "--answerer-option", "oops"])
    assert bad.exit_code == 2 and "not key=value" in bad.output
