"""Leaderboard submissions: a harness result packs into a submission that verifies by replay, and
every kind of tampering is caught with a message naming the episode and turn."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archer_envs.benchmark import evaluate, summarize
from archer_gym.agents.agent_registry import make_agent
from archer_gym.leaderboard.submission import (
    SubmissionError,
    load_submission,
    make_submission,
    replay_kwargs,
    verify_submission,
)

ENV = "archer/TwentyQuestions-v0"
META = {"agent_name": "scripted expert", "algorithm": "scripted", "base_model": "none", "parameters": None,
        "training_trajectories": None, "code_url": "https://example.org/code", "contact": "a@example.org"}


def resummarize(sub):
    """Make the summary agree with tampered records, so that only the replay can catch them."""
    sub["summary"].update(summarize(sub["episodes"]))


@pytest.fixture(scope="module")
def submissions(tmp_path_factory):
    """An expert (all wins) and a noisy-player (wins, losses, turn-limit cut-offs) submission, on the
    leaderboard's list (the test split, each secret once)."""
    out = {}
    for policy in ("expert", "noisy"):
        folder = tmp_path_factory.mktemp(policy)
        evaluate(make_agent(policy, ENV, seed=0), ENV, split="test", out_dir=folder)
        out[policy] = make_submission(folder, {**META, "agent_name": policy})
    return out


def test_honest_submissions_verify_by_replay(submissions):
    for sub in submissions.values():
        verdict = verify_submission(copy.deepcopy(sub))
        assert verdict.status == "verified" and verdict.episodes == 31
        assert verdict.mean_return == pytest.approx(sub["summary"]["mean_return"])
    noisy = submissions["noisy"]["episodes"]
    assert any(r["success"] for r in noisy) and any(not r["success"] for r in noisy)  # both kinds replayed


def test_a_tampered_reward_is_named_by_episode_and_turn(submissions):
    sub = copy.deepcopy(submissions["noisy"])
    record = sub["episodes"][5]
    record["rewards"][2] = 0.0
    record["return"] = sum(record["rewards"])
    resummarize(sub)
    with pytest.raises(SubmissionError, match=r"episode 5 \(.*\), turn 2: the reward is -1.0"):
        verify_submission(sub)


def test_a_tampered_action_is_caught_by_the_oracle_replay(submissions):
    sub = copy.deepcopy(submissions["expert"])
    record = sub["episodes"][7]
    last = record["turns"] - 1
    record["actions"][last] = "Is it a xylophone?"  # the winning guess replaced by a wrong one
    with pytest.raises(SubmissionError,
                       match=rf"episode 7 .*turn {last}: action 'Is it a xylophone\?' gets the answer"):
        verify_submission(sub)


def test_claimed_success_and_turns_after_the_end_are_rejected(submissions):
    sub = copy.deepcopy(submissions["expert"])
    record = sub["episodes"][0]
    for key, value in (("actions", "Is it alive?"), ("answers", "No."), ("rewards", -1.0)):
        record[key].append(value)
    record["turns"] += 1
    record["return"] -= 1.0
    resummarize(sub)
    with pytest.raises(SubmissionError, match="episode 0 .*had already ended"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["noisy"])
    lost = next(r for r in sub["episodes"] if not r["success"])
    lost["success"] = True
    resummarize(sub)
    with pytest.raises(SubmissionError, match=rf"episode {lost['index']} .*success is False"):
        verify_submission(sub)


def test_the_episode_list_must_be_the_harness_list(submissions):
    sub = copy.deepcopy(submissions["expert"])
    del sub["episodes"][-1]
    with pytest.raises(SubmissionError, match="expected 31 episodes for this episode list, the summary says 31 and "
                                              "there are 30 records"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["expert"])
    sub["episodes"][3]["secret"], sub["episodes"][4]["secret"] = (sub["episodes"][4]["secret"],
                                                                  sub["episodes"][3]["secret"])
    with pytest.raises(SubmissionError, match="episode 3: expected index 3 with secret"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["expert"])
    sub["summary"]["episodes_requested"], sub["summary"]["seed"] = 31, 4  # another list than the fingerprint's
    with pytest.raises(SubmissionError, match="episode_list_sha256"):
        verify_submission(sub)


def test_schema_version_and_summary_arithmetic_are_checked(submissions):
    sub = copy.deepcopy(submissions["expert"])
    sub["format_version"] = 2
    with pytest.raises(SubmissionError, match="version 2: expected"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["expert"])
    del sub["metadata"]["contact"]
    with pytest.raises(SubmissionError, match="schema: at metadata: 'contact' is a required property"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["expert"])
    sub["summary"]["mean_return"] += 1.0
    with pytest.raises(SubmissionError, match="summary: mean_return"):
        verify_submission(sub)
    sub = copy.deepcopy(submissions["noisy"])
    sub["summary"]["return_ci95"] /= 2  # a tighter interval than the episodes give
    with pytest.raises(SubmissionError, match="summary: return_ci95"):
        verify_submission(sub)
    with pytest.raises(SubmissionError, match="a submission is a JSON object"):
        verify_submission([1, 2])


def test_other_oracle_backends_are_accepted_as_unverified(submissions):
    sub = copy.deepcopy(submissions["expert"])
    sub["summary"]["env_kwargs"] = {"oracle": "openai", "oracle_options": {"model": "gpt-4o-mini"}}
    sub["episodes"][2]["answers"][0] = "Maybe."  # cannot be checked without that oracle
    assert verify_submission(sub).status == "unverified"
    sub["episodes"][2]["rewards"][0] = 5.0  # but the arithmetic still is
    with pytest.raises(SubmissionError, match="episode 2 .*return"):
        verify_submission(sub)


def test_load_submission_names_malformed_files(tmp_path, submissions):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": ')
    with pytest.raises(SubmissionError, match="not valid JSON"):
        load_submission(bad)
    with pytest.raises(SubmissionError, match="no submission file"):
        load_submission(tmp_path / "missing.json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(submissions["expert"]))
    assert verify_submission(load_submission(good)).status == "verified"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_single_reward_change_is_caught_even_with_consistent_totals(submissions, data):
    sub = copy.deepcopy(submissions[data.draw(st.sampled_from(["expert", "noisy"]))])
    i = data.draw(st.integers(0, len(sub["episodes"]) - 1))
    record = sub["episodes"][i]
    turn = data.draw(st.integers(0, record["turns"] - 1))
    record["rewards"][turn] += data.draw(st.sampled_from([-2.0, -1.0, -0.5, 0.5, 1.0]))
    record["return"] = sum(record["rewards"])
    resummarize(sub)
    with pytest.raises(SubmissionError, match=rf"episode {i} .*turn {turn}: the reward is"):
        verify_submission(sub)


def test_cli_packs_and_verifies_and_exits_1_on_a_rejection(tmp_path):
    from click.testing import CliRunner

    from archer_gym.cli import main as cli

    evaluate(make_agent("expert", ENV), ENV, split="test", seed=0, out_dir=tmp_path / "eval")
    runner = CliRunner()
    out = tmp_path / "sub.json"
    result = runner.invoke(cli, ["leaderboard", "pack", str(tmp_path / "eval"), "--out", str(out), "--name", "x",
                                 "--algorithm", "scripted", "--base-model", "none", "--parameters", "0"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["leaderboard", "verify", str(out)])
    assert result.exit_code == 0 and result.output.startswith("verified: archer/TwentyQuestions-v0 test, 31 episodes")
    sub = json.loads(out.read_text())
    sub["episodes"][1]["answers"][0] = "Yes." if sub["episodes"][1]["answers"][0] != "Yes." else "No."
    out.write_text(json.dumps(sub))
    result = runner.invoke(cli, ["leaderboard", "verify", str(out)])
    assert result.exit_code == 1 and "rejected: episode 1" in result.output and "turn 0" in result.output


def test_the_leaderboard_needs_the_whole_test_split(tmp_path):
    for split, episodes, seed, why in (("train", None, 0, "split 'train'"),
                                       ("test", 10, 0, "episodes_requested 10 with seed 0"),
                                       ("test", 40, 7, "episodes_requested 40 with seed 7")):  # a searched seed
        folder = tmp_path / f"{split}-{episodes}"
        evaluate(make_agent("expert", ENV), ENV, split=split, episodes=episodes, seed=seed, out_dir=folder)
        sub = make_submission(folder, META)
        with pytest.raises(SubmissionError, match=why):
            verify_submission(sub)
        assert verify_submission(sub, leaderboard=False).status == "verified"  # a sound result all the same


def test_results_made_with_the_lexical_matcher_replay_with_it(tmp_path):
    """`auto` is the embedder where installed, else lexical: the summary records which one answered,
    and the replay uses that one, whatever this machine's default."""
    lexical = {"oracle": "knowledge", "oracle_kwargs": {"matcher": "lexical"}}
    result = evaluate(make_agent("noisy", ENV, seed=1), ENV, out_dir=tmp_path, **lexical)
    assert result.summary["knowledge_matcher"] == "lexical"
    sub = make_submission(tmp_path, META)
    assert verify_submission(sub).status == "verified"
    sub["summary"]["env_kwargs"] = {}  # as if `auto` had meant lexical on the submitter's machine
    assert verify_submission(sub).status == "verified"
    assert replay_kwargs(sub["summary"]) == lexical
    sub["summary"]["env_kwargs"] = {"oracle": "openai", "oracle_kwargs": {"model": "m"}}
    assert replay_kwargs(sub["summary"]) is None and verify_submission(sub).status == "unverified"


def test_an_absurd_episode_count_is_refused_before_any_list_is_built(submissions):
    sub = copy.deepcopy(submissions["expert"])
    sub["summary"]["episodes_requested"] = 10**12  # deriving that list would exhaust memory
    with pytest.raises(SubmissionError, match="episodes_requested is 1000000000000 but there are 31 records"):
        verify_submission(sub)


@pytest.mark.parametrize("env_id", ["archer/GuessMyCity-v0", "archer/Detective-v0", "archer/WebShop-v0"])
def test_every_leaderboard_env_verifies_by_replay_and_catches_a_changed_reward(tmp_path, env_id):
    evaluate(make_agent("noisy", env_id, seed=0), env_id, out_dir=tmp_path)
    sub = make_submission(tmp_path, META)
    assert verify_submission(copy.deepcopy(sub)).status == "verified"
    record = sub["episodes"][3]
    record["rewards"][-1] += 0.5
    record["return"] = sum(record["rewards"])
    resummarize(sub)
    with pytest.raises(SubmissionError, match=rf"episode 3 .*turn {record['turns'] - 1}: the reward is"):
        verify_submission(sub)
