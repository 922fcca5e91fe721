"""Behaviour cloning learns from a dataset, checkpoints atomically, resumes, and reports bad input."""

import json

import pytest
import torch

from archer_envs.play import play_episodes
from archer_gym.agents import BCConfig, generate_dataset, load_checkpoint, train_bc

ENV_ID = "archer/TwentyQuestions-v0"
TINY = dict(vocab_size=600, n_layer=2, n_embd=64, n_head=2, batch_size=16, lr=3e-3, max_new_tokens=24)


@pytest.fixture(scope="module")
def expert_data(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "expert.jsonl"
    generate_dataset(ENV_ID, "expert", episodes=40, out=path, split="train", seed=0)
    return path


def valid_share(policy, words):
    results = play_episodes(policy, ENV_ID, words, max_turns=4)
    answers = [a for r in results for a in r.answers]
    return sum(a != "Invalid Question." for a in answers) / len(answers)


def test_bc_loss_falls_and_the_policy_asks_valid_questions(expert_data, tmp_path):
    torch.set_num_threads(2)
    result = train_bc(BCConfig(str(expert_data), str(tmp_path / "bc"), epochs=4, **TINY))
    losses = result.epoch_losses
    assert len(losses) == 4 and losses[-1] < 0.6 * losses[0]
    policy, config, state = load_checkpoint(result.checkpoint)
    assert state["epoch"] == 4 and config["epochs"] == 4
    policy.temperature = 0.0
    untrained, _, _ = load_checkpoint(result.checkpoint)
    for p in untrained.parameters():  # same architecture, fresh weights
        torch.nn.init.normal_(p, std=0.02)
    untrained.temperature = 0.0
    words = ["Cat", "Piano", "Banana", "Truck"]
    assert valid_share(policy, words) > 0.8 > valid_share(untrained, words)


def test_filtered_bc_keeps_the_top_fraction(tmp_path):
    path = tmp_path / "noisy.jsonl"
    generate_dataset(ENV_ID, "noisy", episodes=30, out=path, seed=1)
    result = train_bc(BCConfig(str(path), str(tmp_path / "fbc"), epochs=1, top_fraction=0.2, **TINY))
    assert 6 <= result.trajectories_kept <= 12  # ties at the threshold are kept


def test_resume_continues_from_the_checkpoint(expert_data, tmp_path):
    out = tmp_path / "resume"
    first = train_bc(BCConfig(str(expert_data), str(out), epochs=1, **TINY))
    second = train_bc(BCConfig(str(expert_data), str(out), epochs=2, **TINY))
    assert second.epoch_losses[0] == first.epoch_losses[0] and len(second.epoch_losses) == 2
    assert not any(p.name.startswith(".") for p in tmp_path.iterdir())  # no temporary directories left


def test_a_checkpoint_of_another_run_is_refused_not_resumed(expert_data, tmp_path):
    out = tmp_path / "bc"
    train_bc(BCConfig(str(expert_data), str(out), epochs=1, **TINY))
    weights = [p.detach().clone() for p in load_checkpoint(out)[0].parameters()]
    with pytest.raises(ValueError, match=r"n_layer: saved 2, now 1"):
        train_bc(BCConfig(str(expert_data), str(out), epochs=1, **{**TINY, "n_layer": 1}))
    other = tmp_path / "other.jsonl"
    generate_dataset(ENV_ID, "noisy", episodes=10, out=other, split="train", seed=3)
    with pytest.raises(ValueError, match="other data"):
        train_bc(BCConfig(str(other), str(out), epochs=1, **TINY))
    # the refused runs left the checkpoint as it was; the same data under another path resumes
    moved = tmp_path / "moved.jsonl"
    moved.write_bytes(expert_data.read_bytes())
    assert train_bc(BCConfig(str(moved), str(out), epochs=1, **TINY)).epoch_losses
    assert all(torch.equal(a, b) for a, b in zip(weights, load_checkpoint(out)[0].parameters()))


def test_bad_input_names_the_problem(expert_data, tmp_path):
    with pytest.raises(ValueError, match="top_fraction"):
        train_bc(BCConfig(str(expert_data), str(tmp_path / "x"), top_fraction=0.0, **TINY))
    with pytest.raises(FileNotFoundError, match="missing.jsonl"):
        train_bc(BCConfig(str(tmp_path / "missing.jsonl"), str(tmp_path / "y"), **TINY))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_checkpoint(tmp_path / "nowhere")
    out = tmp_path / "broken"
    train_bc(BCConfig(str(expert_data), str(out), epochs=1, **TINY))
    (out / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json is corrupt"):
        load_checkpoint(out)
    json.loads((out / "policy" / "lm_policy.json").read_text())  # the policy itself is intact


def test_cli_bc_logs_inside_the_run_directory_and_a_failed_run_leaves_no_log_folder(expert_data, tmp_path):
    from click.testing import CliRunner

    from archer_gym.cli import main

    out = tmp_path / "bc"
    args = ["train", "bc", "--data", str(expert_data), "--out", str(out), "--n-layer", "1", "--n-embd", "32"]
    first = CliRunner().invoke(main, [*args, "--epochs", "1"])
    assert first.exit_code == 0, first.output
    resumed = CliRunner().invoke(main, [*args, "--epochs", "2"])  # a later checkpoint save keeps logs/
    assert resumed.exit_code == 0, resumed.output
    rows = (out / "logs" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(r)["step"] for r in rows] == [1, 2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc"]  # no sibling bc-logs/

    failed = CliRunner().invoke(main, ["train", "bc", "--data", str(tmp_path / "nowhere.jsonl"), "--out",
                                       str(tmp_path / "failed")])
    assert failed.exit_code == 2 and "nowhere.jsonl" in failed.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc"]  # neither failed/ nor failed/logs/ nor failed-logs/
