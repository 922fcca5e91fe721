"""Offline datasets: generation, validated loading, transitions and the `archer data` command."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from archer_envs.benchmark import episode_secrets
from archer_gym.agents.data import Trajectory, Transition, generate_dataset, load_dataset, transitions
from archer_gym.cli import main

ENV_ID = "archer/TwentyQuestions-v0"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "20q-noisy.jsonl"
    generated = generate_dataset(ENV_ID, policy="noisy", episodes=5, out=path, seed=0)
    return path, generated


def test_generate_and_load_back(dataset):
    path, generated = dataset
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    lines = path.read_text().splitlines()
    assert len(lines) == 5
    raw = json.loads(lines[0])
    assert raw["format"] == "archer-gym/trajectories" and raw["format_version"] == 1
    assert set(raw) == {"format", "format_version", "env_id", "secret", "policy", "return", "success", "turns"}
    assert set(raw["turns"][0]) == {"observation", "action", "reward", "next_observation", "done", "truncated"}
    loaded = load_dataset(path)
    assert loaded == generated
    assert [t.secret for t in loaded] == episode_secrets(ENV_ID, "train", 5, seed=0)
    for traj in loaded:
        assert isinstance(traj, Trajectory)
        assert traj.env_id == ENV_ID and traj.policy == "noisy"
        assert isinstance(traj.secret, str) and isinstance(traj.success, bool) and isinstance(traj.ret, float)
        assert 1 <= len(traj.turns) <= 20
        for turn in traj.turns:
            assert isinstance(turn, Transition)
            assert isinstance(turn.observation, str) and isinstance(turn.action, str)
            assert isinstance(turn.reward, float) and isinstance(turn.next_observation, str)
            assert isinstance(turn.done, bool) and isinstance(turn.truncated, bool)


def test_observations_chain_and_returns_add_up(dataset):
    _, trajectories = dataset
    for traj in trajectories:
        turns = traj.turns
        assert turns[0].observation == "Questions:\n"
        for a, b in zip(turns, turns[1:]):
            assert a.next_observation == b.observation
            assert not a.done and not a.truncated
        last = turns[-1]
        assert last.done != last.truncated  # terminated (a guess won) or cut off at 20 turns
        assert last.done == traj.success and last.truncated == (len(turns) == 20 and not traj.success)
        for turn in turns:  # Twenty Questions appends "<question> <answer>" each turn
            assert turn.next_observation.startswith(turn.observation)
            assert turn.action in turn.next_observation[len(turn.observation) :]
        assert traj.ret == sum(t.reward for t in turns)
        assert traj.success == (turns[-1].reward == 0.0)


def test_transitions_are_utterance_level_tuples(dataset):
    _, trajectories = dataset
    flat = list(transitions(trajectories))
    assert len(flat) == sum(len(t.turns) for t in trajectories)
    first = flat[0]
    assert first == trajectories[0].turns[0]
    assert (first.observation, first.action) == (trajectories[0].turns[0].observation, trajectories[0].turns[0].action)


def test_generation_is_deterministic(tmp_path):
    a = generate_dataset(ENV_ID, "noisy", episodes=4, out=tmp_path / "a.jsonl", seed=3)
    b = generate_dataset(ENV_ID, "noisy", episodes=4, out=tmp_path / "b.jsonl", seed=3)
    assert a == b and (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()


def test_side_by_side_envs_record_observations(tmp_path):
    for env_id in ("archer/Detective-v0", "archer/WebShop-v0"):
        trajectories = generate_dataset(env_id, "expert", episodes=2, out=tmp_path / "d.jsonl", split="test")
        assert load_dataset(tmp_path / "d.jsonl") == trajectories
        assert all(isinstance(t.secret, int) for t in trajectories)


def test_cli_data_generate(tmp_path):
    out = tmp_path / "sub" / "expert.jsonl"
    res = CliRunner().invoke(
        main, ["data", "generate", "--env", ENV_ID, "--policy", "expert", "--episodes", "3", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "wrote 3 episodes" in res.output
    loaded = load_dataset(out)
    assert len(loaded) == 3 and all(t.policy == "expert" and t.success for t in loaded)


def test_cli_data_generate_rejects_unknown_policy(tmp_path):
    res = CliRunner().invoke(main, ["data", "generate", "--env", ENV_ID, "--policy", "oracle",
                                    "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "oracle" in res.output


# --- validation ---------------------------------------------------------------------------------


def _corrupt(dataset, tmp_path, lineno, edit):
    path, _ = dataset
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = edit(lines[lineno - 1])
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(lines))
    return bad


def test_truncated_line_names_the_file_and_line(dataset, tmp_path):
    bad = _corrupt(dataset, tmp_path, 3, lambda line: line[: len(line) // 2] + "\n")
    with pytest.raises(ValueError, match=r"bad\.jsonl, line 3: invalid JSON") as err:
        load_dataset(bad)
    assert str(bad) in str(err.value)


def _edit_json(change):
    def edit(line):
        obj = json.loads(line)
        change(obj)
        return json.dumps(obj) + "\n"

    return edit


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda o: o.pop("turns"), "missing field"),
        (lambda o: o.update(format="something/else"), "format is 'something/else'"),
        (lambda o: o.update(format_version=2), "format_version is 2"),
        (lambda o: o.update(success="yes"), "success must be"),
        (lambda o: o.update({"return": o["return"] - 1}), "not the sum of the turns' rewards"),
        (lambda o: o["turns"][0].pop("action"), r"turns\[0\] has no 'action'"),
        (lambda o: o["turns"][0].update(reward="-1"), r"turns\[0\]\.reward must be float"),
        (lambda o: o["turns"][1].update(observation="elsewhere"), r"turns\[1\]\.observation differs"),
        (lambda o: o["turns"][0].update(done=True), r"turns\[0\]: exactly the last turn ends the episode"),
        (lambda o: o.update(turns=[]), "non-empty list"),
    ],
)
def test_invalid_records_are_named(dataset, tmp_path, change, match):
    bad = _corrupt(dataset, tmp_path, 2, _edit_json(change))
    with pytest.raises(ValueError, match=r"line 2: .*" + match):
        load_dataset(bad)


def test_not_an_object_and_blank_lines(dataset, tmp_path):
    path, generated = dataset
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text(path.read_text().replace("\n", "\n\n"))
    assert load_dataset(spaced) == generated
    bad = tmp_path / "list.jsonl"
    bad.write_text("[1, 2]\n")
    with pytest.raises(ValueError, match="line 1: expected a JSON object"):
        load_dataset(bad)


def test_a_non_utf8_dataset_names_the_file_and_line(dataset, tmp_path):
    path, _ = dataset
    lines = path.read_bytes().splitlines(keepends=True)
    lines[1] = lines[1].replace(b"Questions", "Qu\u00e9stions".encode("latin-1"), 1)  # a Latin-1 byte 0xe9
    bad = tmp_path / "latin1.jsonl"
    bad.write_bytes(b"".join(lines))
    with pytest.raises(ValueError, match=r"latin1\.jsonl, line 2: not UTF-8 text \(byte 0xe9") as err:
        load_dataset(bad)
    assert str(bad) in str(err.value)
    out = CliRunner().invoke(main, ["train", "bc", "--data", str(bad), "--out", str(tmp_path / "bc")])
    assert out.exit_code == 2 and "latin1.jsonl, line 2: not UTF-8" in out.output, out.output


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.jsonl"):
        load_dataset(tmp_path / "nowhere.jsonl")
