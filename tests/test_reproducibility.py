"""Reproducible from a fresh clone: the locked install, the same policy scoring the same through every
path (learning curve, the main job's table, a re-run of a finished job, a comparison's BC start), runs
that report what they did (actor steps) and refuse to resume what is not theirs, curves that keep
their last point."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import tomllib
import torch

from archer_gym.agents.algorithms.archer import make_config, train_archer
from archer_gym.agents.pipeline import run_pipeline
from archer_gym.baselines.compare import compare

ROOT = Path(__file__).resolve().parents[1]
TQ = "archer/TwentyQuestions-v0"
TINY = dict(
    behaviour_episodes=16, expert_episodes=8, bc_epochs=1, bc_batch_size=16, policy_layers=1, policy_width=32,
    policy_heads=2, max_new_tokens=12, critic_pool_size=16, critic_mlp_hidden=32, critic_settled_tol=None,
    rollouts_per_iteration=4, num_envs=4, batch_size=8, critic_steps=2, actor_steps=1,
    warmup_iterations=1, eval_episodes=6, eval_every=1, checkpoint_every=1,
)


@pytest.fixture(scope="module")
def tiny_start(tmp_path_factory) -> dict:
    """One BC start (behaviour data + BC on TINY) shared by the tests that need any: ``init`` and
    ``behaviour_data`` for a config."""
    from archer_gym.agents.algorithms.bc import bc_start

    out = tmp_path_factory.mktemp("tiny-start")
    cfg = make_config("cpu", TQ, out=str(out), **TINY)
    return {"init": str(bc_start(cfg)), "behaviour_data": str(cfg.behaviour_path)}


def metric_rows(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "logs" / "metrics.jsonl").read_text().splitlines()]


# --- the locked install -------------------------------------------------------------------------------
def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_dependency_the_set_up_installs():
    sys.path.insert(0, str(ROOT))
    import bootstrap

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"]]
    assert set(bootstrap.EXTRAS.split(",")) <= set(bootstrap.LOCKED_EXTRAS.split(","))
    for extra in bootstrap.LOCKED_EXTRAS.split(","):  # the defaults and what CI adds (ARCHER_EXTRAS=jericho)
        wanted += project["optional-dependencies"][extra]
    lines = [line for line in bootstrap.CONSTRAINTS.read_text().splitlines() if line and not line.startswith("#")]
    pins = {}
    for line in lines:
        spec, _, marker = line.partition(";")
        assert "==" in spec and marker.strip().startswith("python_version"), line  # exact, per Python
        pins[_name(spec)] = spec.split("==")[1].strip()
    assert {_name(r) for r in wanted} <= set(pins)
    assert pins["torch"] == bootstrap.TORCH_VERSION  # no local build tag: a CUDA build of it satisfies it too
    assert bootstrap.lock_python() is not None


def test_archer_extras_adds_extras_once(monkeypatch):
    sys.path.insert(0, str(ROOT))
    import bootstrap

    monkeypatch.delenv("ARCHER_EXTRAS", raising=False)
    assert bootstrap.extras() == bootstrap.EXTRAS
    monkeypatch.setenv("ARCHER_EXTRAS", " jericho, test,,jericho")
    assert bootstrap.extras() == bootstrap.EXTRAS + ",jericho"


# --- the same policy, the same number everywhere -----------------------------------------------------
def episodes(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "episodes.jsonl").read_text().splitlines()]


def test_the_table_the_curve_and_a_re_run_score_the_same_checkpoint_identically(tmp_path):
    torch.set_num_threads(2)
    out = tmp_path / "main"
    lines: list[str] = []
    first = run_pipeline(TQ, out=str(out), minutes=None, echo=lines.append, iterations=2, **TINY)
    rows = metric_rows(out)
    # The progress a log file shows (no terminal here): every stage, BC's epochs, each iteration with its
    # numbers labelled, one "HH:MM:SS NAME | ..." format.
    log = "\n".join(lines)
    for expected in ("ArCHer | stage: behaviour data: 16 noisy + 8 expert episodes", "ArCHer | BC epoch 1/1: loss ",
                     "ArCHer | iteration 1: 4/8 trajectories | train return ", "| critic loss ",
                     "| rollout ", " s, critic ", " s, actor ", "ArCHer | iteration 2: 8/8 trajectories",
                     "ArCHer | stage: final evaluation: 6 episodes of the all split",
                     "ArCHer | stage: table: evaluating bc-sampled"):
        assert expected in log, f"{expected!r} not in the log:\n{log}"
    assert all(re.match(r"\d\d:\d\d:\d\d ArCHer \| ", line) for line in lines if " | " in line[:30])
    bc, archer = first["rows"][1], first["rows"][2]
    assert first["actor_updates"] == 1 and archer["agent"].startswith("ArCHer")
    assert first["protocol"] == "paper" and json.loads((out / "eval" / "summary.json").read_text())["split"] == "all"
    assert "paper protocol" in (out / "results.md").read_text()
    # The curve's BC point and final point are the table's BC and ArCHer rows (sampled, T = 1) ...
    assert rows[0]["trajectories"] == 0 and rows[0]["eval_return"] == bc["sampled"]["mean_return"]
    assert rows[-1]["final"] and rows[-1]["eval_return"] == archer["sampled"]["mean_return"]
    # ... because both paths sampled the very same utterances (a tiny policy's returns alone could tie).
    curve_path, table_path = episodes(out / "eval"), episodes(out / "eval-all" / "archer-sampled")
    assert [e["actions"] for e in curve_path] == [e["actions"] for e in table_path]
    assert len({a for e in table_path for a in e["actions"]}) > 5  # sampled text, not one repeated line
    # Re-running the finished job trains nothing and reproduces every number and utterance, though its
    # evaluations start from another state of torch's global random stream.
    table = {tag: episodes(out / "eval-all" / tag) for tag in ("bc-sampled", "archer-sampled")}
    torch.manual_seed(12345)
    again = run_pipeline(TQ, out=str(out), minutes=None, echo=lambda _: None, iterations=2, **TINY)
    assert again["rows"] == first["rows"] and again["trajectories"] == first["trajectories"]
    assert metric_rows(out) == rows
    assert {tag: episodes(out / "eval-all" / tag) for tag in table} == table


def test_evaluating_a_policy_does_not_depend_on_the_global_random_stream(tmp_path, tiny_start):
    from archer_gym.agents.checkpoint import load_policy
    from archer_gym.agents.training import evaluate_policy

    cfg = make_config("cpu", TQ, out=str(tmp_path / "run"), **TINY)
    policy = load_policy(tiny_start["init"])
    runs = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        runs.append([r["actions"] for r in evaluate_policy(policy, cfg).records])
    assert runs[0] == runs[1] and len({a for e in runs[0] for a in e}) > 5
    torch.manual_seed(2)
    expected = torch.rand(1)
    torch.manual_seed(2)
    evaluate_policy(policy, cfg)
    assert torch.equal(torch.rand(1), expected)  # evaluating does not shift the caller's random stream


# --- a run that took no actor step says so ------------------------------------------------------------
def test_a_run_without_an_actor_step_is_labelled_as_the_bc_policy(tmp_path, capsys):
    torch.set_num_threads(2)
    lines: list[str] = []
    out = tmp_path / "warm"
    # the budget outlasts the fixed warm-up, but one iteration is too few for the critic to show it settled
    payload = run_pipeline(TQ, out=str(out), minutes=None, echo=lines.append, iterations=1,
                           **{**TINY, "warmup_iterations": 0, "critic_settled_tol": 0.1})
    assert payload["actor_updates"] == 0
    label = payload["rows"][2]["agent"]
    assert label.startswith("BC policy") and "no actor step" in label and not label.startswith("ArCHer")
    assert any(line.startswith("WARNING: ArCHer took no actor step") for line in lines)
    assert "no actor step" in capsys.readouterr().err
    assert json.loads((out / "results.json").read_text())["actor_updates"] == 0
    assert "BC policy: ArCHer took no actor step" in (out / "results.md").read_text()
    assert all(r["actor_updates"] == 0 for r in metric_rows(out))


# --- resume only what is yours ------------------------------------------------------------------------
def test_a_run_directory_of_another_configuration_is_refused(tmp_path, tiny_start):
    out = tmp_path / "run"
    tiny = {**TINY, "warmup_iterations": 0, **tiny_start}
    train_archer(make_config("cpu", TQ, out=str(out), iterations=1, max_minutes=None, **tiny))
    state = (out / "checkpoint" / "training_state.pt").read_bytes()
    with pytest.raises(ValueError, match=r"critic_steps: saved 2, now 3"):
        train_archer(make_config("cpu", TQ, out=str(out), iterations=2, max_minutes=None,
                                 **{**tiny, "critic_steps": 3}))
    assert (out / "checkpoint" / "training_state.pt").read_bytes() == state
    # a larger budget is the same run: it resumes
    assert train_archer(make_config("cpu", TQ, out=str(out), iterations=2, max_minutes=None, **tiny)).iterations == 2


# --- curves keep their last point; the BC start is the runs' own first point ---------------------------
def test_compare_keeps_the_final_evaluation_of_a_budget_between_evaluations(tmp_path):
    torch.set_num_threads(2)
    settings = {k: v for k, v in TINY.items() if not k.startswith("critic") and k not in (
        "batch_size", "actor_steps", "warmup_iterations")}
    results = compare(TQ, ["filtered_bc"], seeds=1, budget=12, out=tmp_path / "cmp", echo=lambda _: None,
                      **{**settings, "eval_every": 2, "batch_size": 8, "bc_steps": 1})
    curve = results["algorithms"][0]["curve"]
    assert [p["trajectories"] for p in curve] == [0, 8, 12]  # 3 iterations of 4; evaluated at 2 and at the end
    run = results["runs"][0]
    assert run["curve"][-1]["return"] == run["final_return"] and run["actor_updates"] == 3
    assert results["start_return"] == curve[0]["mean"]
    assert all(p["minutes"] <= q["minutes"] for p, q in zip(curve, curve[1:]))


# --- protocols ------------------------------------------------------------------------------------------
def test_the_protocol_decides_which_secrets_a_run_trains_and_is_scored_on():
    from archer_envs.protocols import protocol_splits

    paper = make_config("cpu", TQ)
    assert paper.protocol == "paper" and (paper.train_split, paper.eval_split) == ("all", "all")
    general = make_config("cpu", TQ, protocol="generalisation")
    assert (general.train_split, general.eval_split) == ("train", "test")
    assert protocol_splits("archer/TwentyQuestionsSubset-v0", "paper") == ("all", "all")
    # Detective's and WebShop's benchmarks are defined on held-out instances
    assert protocol_splits("archer/WebShop-v0", "paper") == ("train", "test")
    with pytest.raises(ValueError, match="protocol='heldout'"):
        make_config("cpu", TQ, protocol="heldout")
    with pytest.raises(ValueError, match="unknown protocol 'x'"):
        protocol_splits(TQ, "x")
