"""Batched play (one oracle call per step), the scripted policies, and the CLI."""

import json

import gymnasium as gym
import pytest
from click.testing import CliRunner

import archer_envs  # noqa: F401
from archer_envs.benchmark import summarize
from archer_envs.play import play_episodes
from archer_envs.twenty_questions import TwentyQuestionsKnowledgeOracle, WordList
from archer_envs.twenty_questions.policies import ExpertPolicy, NoisyPolicy, RandomPolicy, parse_transcript
from archer_gym.cli import main

TEST_WORDS = WordList.default().names("test")


def make_vec(n, **kwargs):
    return gym.make_vec("archer/TwentyQuestions-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs)


def test_vector_env_matches_single_envs_with_one_oracle_call_per_step():
    oracle = TwentyQuestionsKnowledgeOracle(cache=False)
    venv = make_vec(4, oracle=oracle, autoreset_mode="Disabled")
    words = ["cat", "piano", "banana", "truck"]
    questions = [
        ["Is it alive?", "Is it a musical instrument?", "Is it a fruit?", "Is it a vehicle?"],
        ["Is it a cat?", "Is it a piano?", "Is it yellow?", "Does it have wheels?"],
    ]
    obs, _ = venv.reset(seed=0, options={"word": words})
    assert obs == ("Questions:\n",) * 4
    calls = oracle.backend_calls
    obs, rewards, terminated, truncated, info = venv.step(questions[0])
    assert oracle.backend_calls == calls + 1
    obs, rewards, terminated, truncated, info = venv.step(questions[1])
    assert oracle.backend_calls == calls + 2
    assert rewards.tolist() == [0.0, 0.0, -1.0, -1.0]
    assert terminated.tolist() == [True, True, False, False]
    assert info["success"].tolist() == [True, True, False, False]
    assert info["word"][0] == "Cat" and not info["_word"][2]
    for i, word in enumerate(words):  # the same transcript as a single env
        env = gym.make("archer/TwentyQuestions-v0")
        single, _ = env.reset(options={"word": word})
        for step in questions:
            single, *_ = env.step(step[i])
        assert obs[i] == single
    # ended episodes are left alone: no oracle call for them, reward 0
    obs2, rewards, terminated, *_ = venv.step(["x", "x", "Is it a banana?", "Is it a truck?"])
    assert obs2[:2] == obs[:2] and rewards.tolist() == [0.0, 0.0, 0.0, 0.0]
    assert oracle.backend_queries == 4 + 4 + 2


def test_next_step_autoreset_restarts_ended_episodes_without_an_oracle_call():
    oracle = TwentyQuestionsKnowledgeOracle(cache=False)
    venv = make_vec(2, oracle=oracle)
    assert venv.metadata["autoreset_mode"].value == "NextStep"
    venv.reset(seed=3, options={"word": ["dog", "cat"]})
    _, _, terminated, _, _ = venv.step(["Is it a dog?", "Is it a dog?"])
    assert terminated.tolist() == [True, False]
    queries = oracle.backend_queries
    obs, rewards, terminated, truncated, info = venv.step(["ignored", "Is it a cat?"])
    assert obs[0] == "Questions:\n" and rewards[0] == 0.0 and oracle.backend_queries == queries + 1


def test_same_step_autoreset_returns_the_final_observation_in_info():
    venv = make_vec(2, autoreset_mode="SameStep")
    venv.reset(seed=0, options={"word": ["dog", "cat"]})
    obs, rewards, terminated, _, info = venv.step(["Is it a dog?", "Is it alive?"])
    assert terminated.tolist() == [True, False]
    assert obs[0] == "Questions:\n" and info["final_obs"][0] == "Questions:\nIs it a dog? Yes.\n"


def test_vector_env_bad_input():
    with pytest.raises(ValueError, match="num_envs"):
        make_vec(0)
    with pytest.raises(ValueError, match="autoreset_mode 'Sometimes'"):
        make_vec(2, autoreset_mode="Sometimes")
    venv = make_vec(2)
    with pytest.raises(ValueError, match="2 values for 2 envs|3 values for 2 envs"):
        venv.reset(options={"word": ["cat", "dog", "cow"]})
    venv.reset(seed=0)
    with pytest.raises(ValueError, match="1 actions for 2 envs"):
        venv.step(["Is it alive?"])


def test_parse_transcript_round_trips_the_observation():
    env = gym.make("archer/TwentyQuestions-v0")
    env.reset(options={"word": "cat"})
    for q in ["Is it alive?", "What is it?", "Is it not a dog?"]:
        obs, *_ = env.step(q)
    assert parse_transcript(obs) == [("Is it alive?", "Yes."), ("What is it?", "Invalid Question."),
                                     ("Is it not a dog?", "Yes.")]


def test_expert_solves_every_word_near_the_information_floor():
    results = play_episodes(ExpertPolicy(), "archer/TwentyQuestions-v0", WordList.default().names("all"))
    summary = summarize(results)
    assert summary["success_rate"] == 1.0
    # log2(158) = 7.3 binary questions; the final correct guess is free
    assert -8.0 <= summary["mean_return"] <= -6.0


def test_noisy_policy_succeeds_about_a_third_of_the_time():
    results = play_episodes(NoisyPolicy(seed=0), "archer/TwentyQuestions-v0", TEST_WORDS * 5)
    summary = summarize(results)
    assert 0.15 <= summary["success_rate"] <= 0.5
    assert -19.0 <= summary["mean_return"] <= -15.0


def test_random_policy_rarely_succeeds_and_policies_are_ranked():
    rand = summarize(play_episodes(RandomPolicy(seed=0), "archer/TwentyQuestions-v0", TEST_WORDS * 3))
    noisy = summarize(play_episodes(NoisyPolicy(seed=0), "archer/TwentyQuestions-v0", TEST_WORDS * 3))
    expert = summarize(play_episodes(ExpertPolicy(), "archer/TwentyQuestions-v0", TEST_WORDS))
    assert rand["success_rate"] < 0.2
    assert rand["mean_return"] < noisy["mean_return"] < expert["mean_return"]


def test_policies_are_reproducible_for_a_seed():
    a = play_episodes(NoisyPolicy(seed=7), "archer/TwentyQuestions-v0", TEST_WORDS[:5])
    b = play_episodes(NoisyPolicy(seed=7), "archer/TwentyQuestions-v0", TEST_WORDS[:5])
    assert [r.actions for r in a] == [r.actions for r in b]


def test_cli_envs_lists_both_envs():
    out = CliRunner().invoke(main, ["envs"])
    assert out.exit_code == 0
    assert "archer/TwentyQuestions-v0" in out.output and "archer/TwentyQuestionsSubset-v0" in out.output


def test_cli_scripted_prints_return_success_and_turns():
    out = CliRunner().invoke(main, ["scripted", "archer/TwentyQuestions-v0", "--policy", "expert", "--json"])
    assert out.exit_code == 0, out.output

    summary = json.loads(out.output)
    assert summary["episodes"] == len(TEST_WORDS) and summary["success_rate"] == 1.0
    assert summary["mean_return"] == pytest.approx(-summary["mean_turns"] + 1)


def test_cli_play_reads_questions_from_the_terminal():
    out = CliRunner().invoke(
        main, ["play", "archer/TwentyQuestions-v0", "--word", "cat"], input="Is it alive?\nIs it a cat?\n"
    )
    assert out.exit_code == 0, out.output
    assert "Yes." in out.output and "solved: the word was 'Cat'; return -1" in out.output


def test_cli_rejects_unknown_env_and_word():
    out = CliRunner().invoke(main, ["play", "archer/Nope-v0"])
    assert out.exit_code != 0 and "unknown env 'archer/Nope-v0'" in out.output
    out = CliRunner().invoke(main, ["play", "archer/TwentyQuestions-v0", "--word", "unicorn"], input="")
    assert out.exit_code != 0 and "unknown word 'unicorn'" in out.output


def test_cli_play_detective_by_case_seed():
    out = CliRunner().invoke(main, ["play", "archer/Detective-v0", "--secret", "1000000"],
                             input="look\naccuse nobody in particular\n" + "look\n" * 48)
    assert out.exit_code == 0, out.output
    assert "You are the detective." in out.output and "Accuse whom?" in out.output
    assert "over: the culprit was" in out.output and "return 0" in out.output


def test_cli_scripted_and_play_work_for_envs_without_an_oracle():
    out = CliRunner().invoke(main, ["scripted", "archer/WebShop-v0", "--policy", "expert", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["episodes"] == 100
    out = CliRunner().invoke(main, ["play", "archer/WebShop-v0", "--secret", "0"],
                             input="search[chocolate]\n" + "click[x]\n" * 14)
    assert out.exit_code == 0, out.output
    assert out.output.startswith("WebShop [SEP] Instruction:") and "Page 1 (Total results:" in out.output
