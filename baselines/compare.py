"""The comparison runner: every algorithm, the same budget, the same seeds, the same BC start.

    archer compare --env archer/TwentyQuestions-v0 --algos archer,ppo,filtered_bc,chai --seeds 3 --budget 256

Layout of ``--out`` (a re-run resumes: finished runs are read back, unfinished ones resume from
their checkpoints)::

    bc/, behaviour.jsonl          the one BC start (behaviour data + BC, seed 0) every run begins from
    <algo>/seed-<k>/              one run (agents.training.run_training): checkpoint/, logs/, eval/
    results.json, results.md      the table (schema: baselines/results.schema.json); the JSON also
                                  holds every run's own curve and time split ("runs")
    learning_curves.png           test return vs. trajectories and vs. wall time, mean ± std over seeds

Config per env × algorithm: ``baselines/configs/<env name>/<algo>.toml`` over the ``--preset``;
``--set`` overrides apply to every algorithm (unknown fields of one algorithm are an error).
Each run stops at ``--budget`` trajectories (``max_trajectories``) and is evaluated on the protocol's split
(``--protocol``: ``paper``, the secrets it trains on, or ``generalisation``, the held-out test split)
with the shared harness: the learning curve every ``eval_every`` iterations, and a final evaluation.
Seeds: run ``k`` uses seed ``k`` for its RL phase and its test episode list (the same list for every
algorithm with that seed, so they are compared on the same secrets).

Where the runs run: one after another in this process, or (``ray=True`` / an address) as Ray tasks with
declared resources (``cpus_per_run``, ``gpus_per_run``) on a local Ray instance or a cluster. A task
whose worker dies is re-run up to ``retries`` times and resumes from its checkpoint; a run that
finished before is read back, never re-run, so an interrupted comparison loses no finished run.
"""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from archer_envs import env_name

CONFIG_DIR = Path(__file__).parent / "configs"
SCHEMA_FILE = Path(__file__).parent / "results.schema.json"
RESULTS_JSON, RESULTS_MD, CURVES_PNG = "results.json", "results.md", "learning_curves.png"
SCHEMA_VERSION = 1
# Published thresholds for the sample-efficiency table (ArCHer paper, §5: token-level PPO needed more
# than 100k trajectories to pass −17 on Twenty Questions, ArCHer fewer than 1k).
PAPER_THRESHOLDS = {"archer/TwentyQuestions-v0": -17.0}
# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (standard tables).
_T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
        2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(dof: int) -> float:
    return _T95[dof - 1] if 1 <= dof <= len(_T95) else 1.96


def mean_ci95(values: list[float]) -> tuple[float, float | None]:
    """(mean, half-width of the 95% t-interval over ``values``; None for a single value)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("mean_ci95 needs at least one value")
    if x.size == 1:
        return float(x[0]), None
    return float(x.mean()), float(t95(x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))


def config_file(env_id: str, algo: str, config_dir: str | Path = CONFIG_DIR) -> Path | None:
    path = Path(config_dir) / env_name(env_id) / f"{algo}.toml"
    return path if path.is_file() else None


@dataclass(frozen=True)
class RunSpec:
    """One (algorithm, seed) run of a comparison."""

    algo: str
    seed: int
    env_id: str
    out: str
    preset: str
    budget: int
    config_file: str | None
    overrides: tuple[tuple[str, Any], ...]  # (field, value) pairs, hashable
    threads: int | None = None  # torch threads of the run (None: torch's default)


def make_run_config(spec: RunSpec):
    from archer_gym.agents.algorithms import make_algorithm_config

    return make_algorithm_config(spec.algo, spec.preset, spec.env_id, spec.config_file,
                                 **{**dict(spec.overrides), "seed": spec.seed, "out": spec.out,
                                    "max_trajectories": spec.budget, "max_minutes": None})


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Train (or resume) one run and return its record (read back from its files)."""
    import torch

    from archer_gym.agents.algorithms import train

    if spec.threads:
        torch.set_num_threads(spec.threads)
    from archer_gym.agents.progress import ProgressLog

    cfg = make_run_config(spec)
    if not run_finished(spec):
        cfg.iterations = max(cfg.iterations, math.ceil(spec.budget / cfg.rollouts_per_iteration) + 1)
        # a worker process prints its own progress lines (flushed, so that parallel runs interleave by line)
        echo = lambda line: print(line, flush=True)  # noqa: E731
        train(spec.algo, cfg, log=ProgressLog.for_run(echo, f"{spec.algo} seed {spec.seed}", cfg))
    return read_run(spec)


def run_finished(spec: RunSpec) -> bool:
    """Whether ``spec.out`` holds a final evaluation of a run that used its whole budget."""
    from archer_gym.agents.checkpoint import is_checkpoint, load_training_state

    ckpt = Path(spec.out) / "checkpoint"
    if not (is_checkpoint(ckpt) and (Path(spec.out) / "eval" / "summary.json").is_file()):
        return False
    state = load_training_state(ckpt)
    return (state.get("trajectories", 0) >= spec.budget
            and (state.get("last_eval") or {}).get("iteration") == state.get("iteration"))


def read_run(spec: RunSpec) -> dict[str, Any]:
    """The run's curve (test evaluations), final evaluation, time split and budget used."""
    from archer_gym.agents.checkpoint import load_training_state
    from archer_gym.agents.plots import read_metrics

    out = Path(spec.out)
    rows = read_metrics(out / "logs" / "metrics.jsonl")
    state = load_training_state(out / "checkpoint")
    final = json.loads((out / "eval" / "summary.json").read_text())
    # Every test evaluation, the final one included (a budget that is not a multiple of eval_every ends
    # after the last periodic one); at most one point per trajectory count (the final evaluation of an
    # iteration that was just evaluated is that evaluation).
    curve: list[dict[str, Any]] = []
    for r in rows:
        if r.get("eval_return") is None:
            continue
        point = {"trajectories": int(r["trajectories"]), "return": float(r["eval_return"]),
                 "success": float(r["eval_success"]), "minutes": float(r.get("elapsed_s") or 0.0) / 60.0}
        if curve and curve[-1]["trajectories"] == point["trajectories"]:
            point["minutes"] = max(point["minutes"], curve[-1]["minutes"])
            curve[-1] = point
        else:
            curve.append(point)
    iters = [r for r in rows if r.get("rollout_s") is not None]
    split = {k: float(np.mean([r.get(f"{k}_s") or 0.0 for r in iters])) if iters else 0.0
             for k in ("rollout", "critic", "actor")}
    split["total"] = split["rollout"] + split["critic"] + split["actor"]
    return {
        "algo": spec.algo, "seed": spec.seed, "trajectories": int(state["trajectories"]),
        "actor_updates": int(state.get("actor_updates", 0)), "trains_policy": bool(state.get("trains_policy", True)),
        "iterations": int(state["iteration"]), "wall_time_s": float(state["seconds"]),
        "eval_s": float(state["timings"].get("eval", 0.0)), "iteration_s": split,
        "final_return": float(final["mean_return"]), "final_success": float(final["success_rate"]),
        "final_episodes": int(final["episodes"]), "curve": curve,
    }


def shared_bc_start(env_id: str, out: Path, preset: str, overrides: dict[str, Any], echo: Callable[[str], None],
                    config_dir: str | Path = CONFIG_DIR) -> Path:
    """Make (or find) the one BC checkpoint of the comparison: ArCHer's BC start fields, seed 0."""
    from archer_gym.agents.algorithms import make_algorithm_config
    from archer_gym.agents.algorithms.bc import bc_start

    cfg = make_algorithm_config("archer", preset, env_id, config_file(env_id, "archer", config_dir),
                                **{**overrides, "out": str(out), "seed": 0})
    echo(f"BC start: {out / 'bc'} (behaviour data {cfg.behaviour_episodes} + {cfg.expert_episodes} expert episodes, "
         f"{cfg.bc_epochs} epochs)")
    return bc_start(cfg)


def _shown_path(path: Path | None) -> str | None:
    """A config's path relative to the repository when it lies inside it (results stay portable)."""
    if path is None:
        return None
    root = Path(__file__).resolve().parents[1]
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)


def _git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def import_ray():
    try:
        import ray
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError("running the comparison on Ray needs Ray: pip install 'archer-gym[ray]'",
                                  name="ray") from err
    return ray


def run_on_ray(specs: list[RunSpec], done: Callable[[RunSpec, dict[str, Any]], None], address: str | None = None,
               cpus_per_run: float = 1, gpus_per_run: float = 0, retries: int = 2) -> None:
    """Each spec as a Ray task (:func:`run_one`) reserving ``cpus_per_run`` CPUs and ``gpus_per_run`` GPUs;
    ``done(spec, record)`` as each finishes. Connects to ``address`` (None: ``RAY_ADDRESS`` or a new local
    instance) unless this process is connected already. A task whose worker dies is re-run up to
    ``retries`` times (resuming from its checkpoint); an exception in a run is raised here, once the runs
    already in flight have ended."""
    ray = import_ray()
    if not ray.is_initialized():
        ray.init(address=address)
    task = ray.remote(run_one).options(num_cpus=cpus_per_run, num_gpus=gpus_per_run, max_retries=retries)
    pending = {task.remote(spec): spec for spec in specs}
    failure: BaseException | None = None
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        spec = pending.pop(ready[0])
        try:
            done(spec, ray.get(ready[0]))
        except ray.exceptions.RayError as err:
            failure = failure or err
    if failure is not None:
        raise failure


def compare(env_id: str, algos: list[str], seeds: int = 3, budget: int = 256, out: str | Path = "runs/compare",
            preset: str = "cpu", config_dir: str | Path = CONFIG_DIR,
            thresholds: list[float] | None = None, echo: Callable[[str], None] = print,
            command: str | None = None, ray: bool | str = False, cpus_per_run: int | None = None,
            gpus_per_run: float = 0.0, retries: int = 2, **overrides: Any) -> dict[str, Any]:
    """Run (or resume) the comparison and write results.json, results.md and learning_curves.png.
    ``ray``: False runs the runs one after another here; True (or a cluster address) runs them as Ray
    tasks (:func:`run_on_ray`). ``cpus_per_run`` sets each run's torch threads (and its Ray reservation,
    default 1)."""
    from archer_gym.agents.algorithms import get_algorithm

    if not algos:
        raise ValueError("compare needs at least one algorithm")
    for algo in algos:
        get_algorithm(algo)  # unknown names fail before any work
    if len(set(algos)) != len(algos):
        raise ValueError(f"algorithms listed twice: {','.join(algos)}")
    if seeds < 1 or budget < 1:
        raise ValueError(f"seeds and budget must be positive, got seeds={seeds}, budget={budget}")
    if (cpus_per_run is not None and cpus_per_run < 1) or gpus_per_run < 0 or retries < 0:
        raise ValueError(f"cpus_per_run must be >= 1, gpus_per_run and retries >= 0; got {cpus_per_run}, "
                         f"{gpus_per_run}, {retries}")
    if gpus_per_run and not ray:
        raise ValueError("gpus_per_run reserves GPUs for Ray tasks: use it with ray=True (--ray)")
    if ray:
        import_ray()  # a missing extra fails before any work
    out = Path(out)
    code_version = _git_commit()  # the code the runs start with (the checkout may move during a long comparison)
    from archer_gym.agents.training import BC_DIR, BEHAVIOUR_FILE, RunConfig

    shared = {**overrides, "init": str(out / BC_DIR), "behaviour_data": str(out / BEHAVIOUR_FILE)}
    threads = cpus_per_run if cpus_per_run is not None else (1 if ray else None)
    # A --set field applies to the algorithms that have it (critic_steps: ArCHer and CHAI); one that
    # no algorithm has is an error.
    known = {a: {f.name for f in fields(get_algorithm(a).make_config(preset, env_id))} for a in algos}
    unknown = sorted(k for k in overrides if not any(k in names for names in known.values()))
    if unknown:
        raise ValueError(f"no algorithm among {', '.join(algos)} has the field(s) {', '.join(unknown)}")
    specs = []
    for algo in algos:
        cfg_file = config_file(env_id, algo, config_dir)
        mine = tuple(sorted((k, v) for k, v in shared.items() if k in known[algo]))
        for seed in range(seeds):
            spec = RunSpec(algo, seed, env_id, str(out / algo / f"seed-{seed}"), preset, budget,
                           str(cfg_file) if cfg_file else None, mine, threads)
            make_run_config(spec)  # a bad field or value fails now, not after hours of other runs
            specs.append(spec)
    out.mkdir(parents=True, exist_ok=True)
    shared_fields = {f.name for f in fields(RunConfig)}
    shared_bc_start(env_id, out, preset, {k: v for k, v in overrides.items() if k in shared_fields}, echo, config_dir)
    records: list[dict[str, Any]] = []

    def done(spec: RunSpec, record: dict[str, Any]) -> None:
        records.append(record)
        echo(f"{spec.algo} seed {spec.seed}: test return {record['final_return']:.2f} (success "
             f"{record['final_success']:.2f}) after {record['trajectories']} trajectories, "
             f"{record['wall_time_s'] / 60:.1f} min")

    if ray:
        echo(f"running {len(specs)} runs as Ray tasks ({threads} CPU, {gpus_per_run} GPU each)")
        run_on_ray(specs, done, address=None if ray is True else str(ray), cpus_per_run=threads,
                   gpus_per_run=gpus_per_run, retries=retries)  # summarize() puts the records in table order
    else:
        for spec in specs:
            echo(f"running {spec.algo} seed {spec.seed} -> {spec.out}")
            done(spec, run_one(spec))
    results = summarize(env_id, algos, records, budget=budget, seeds=seeds, preset=preset, thresholds=thresholds,
                        protocol=overrides.get("protocol", "paper"))
    results.update(command=command, wall_time_s=float(sum(r["wall_time_s"] for r in records)),
                   code_version=code_version,
                   created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                   configs={a: _shown_path(config_file(env_id, a, config_dir)) for a in algos})
    try:
        validate_results(results)
    except Exception:
        (out / (RESULTS_JSON + ".invalid")).write_text(json.dumps(results, indent=2))  # kept for inspection
        raise
    (out / RESULTS_JSON).write_text(json.dumps(results, indent=2))
    (out / RESULTS_MD).write_text(results_markdown(results))
    plot_comparison(results, out / CURVES_PNG)
    echo("")
    echo(results_markdown(results))
    echo(f"wrote {out / RESULTS_MD}, {out / RESULTS_JSON} and {out / CURVES_PNG}")
    return results


# --- aggregation ----------------------------------------------------------------------------------
def summarize(env_id: str, algos: list[str], records: list[dict[str, Any]], budget: int, seeds: int, preset: str,
              thresholds: list[float] | None = None, protocol: str = "paper") -> dict[str, Any]:
    """The results object (see baselines/results.schema.json) from per-run records."""
    from archer_gym.agents.algorithms import get_algorithm

    rows = []
    for algo in algos:
        runs = sorted((r for r in records if r["algo"] == algo), key=lambda r: r["seed"])
        if not runs:
            continue
        ret, ret_ci = mean_ci95([r["final_return"] for r in runs])
        succ, succ_ci = mean_ci95([r["final_success"] for r in runs])
        gain, gain_ci = paired_gain(records, runs)
        late, late_ci = paired_gain(records, runs, late_from=second_half(budget))
        label = get_algorithm(algo).label
        untrained = [r["seed"] for r in runs if r.get("trains_policy", True) and r.get("actor_updates") == 0]
        if untrained:  # never report a BC policy as a trained agent
            label += (f" (no actor step in seed{'s' if len(untrained) > 1 else ''} "
                      f"{', '.join(map(str, untrained))}: BC policy)")
        rows.append({
            "algo": algo, "label": label, "seeds": [r["seed"] for r in runs],
            "actor_updates": float(np.mean([r.get("actor_updates", 0) for r in runs])),
            "mean_return": ret, "return_ci95": ret_ci, "success_rate": succ, "success_ci95": succ_ci,
            "per_seed_return": [r["final_return"] for r in runs],
            "gain_over_start": gain, "gain_ci95": gain_ci,
            "late_gain_over_start": late, "late_gain_ci95": late_ci,
            "trajectories": float(np.mean([r["trajectories"] for r in runs])),
            "wall_time_s": float(np.mean([r["wall_time_s"] for r in runs])),
            "eval_episodes": runs[0]["final_episodes"],
            "iteration_s": {k: float(np.mean([r["iteration_s"][k] for r in runs])) for k in runs[0]["iteration_s"]},
            "curve": aggregate_curve([r["curve"] for r in runs]),
        })
    start = start_return(records)
    if thresholds is None:
        thresholds = [] if start is None else [round(start + d, 2) for d in (0.5, 1.0, 2.0)]
        if env_id in PAPER_THRESHOLDS:
            thresholds.append(PAPER_THRESHOLDS[env_id])
    return {
        "schema_version": SCHEMA_VERSION, "env_id": env_id, "protocol": protocol, "preset": preset, "budget": budget,
        "seeds": seeds,
        "start_return": start, "algorithms": rows,
        "sample_efficiency": sample_efficiency(rows, thresholds, budget),
        "runs": sorted(records,
                       key=lambda r: (algos.index(r["algo"]) if r["algo"] in algos else len(algos), r["seed"])),
    }


def seed_starts(records: list[dict[str, Any]]) -> dict[int, float]:
    """The BC start's test return per seed: the first evaluation (0 trajectories) of a run of that seed
    that samples its policy (every such run evaluates the same BC policy on the seed's episode list
    with the seed's sampling noise, so they agree; CHAI's first point is its best-of-k agent)."""
    per_seed: dict[int, float] = {}
    for r in records:
        if not r.get("trains_policy", True) or r["seed"] in per_seed:
            continue
        first = next((c["return"] for c in r["curve"] if c["trajectories"] == 0), None)
        if first is not None:
            per_seed[r["seed"]] = first
    return per_seed


def start_return(records: list[dict[str, Any]]) -> float | None:
    """The BC start's test return, mean over seeds (:func:`seed_starts`)."""
    per_seed = seed_starts(records)
    return float(np.mean(list(per_seed.values()))) if per_seed else None


def second_half(budget: int) -> int:
    """The first trajectory count of a budget's second half (its evaluations are averaged for the late gain)."""
    return (budget + 1) // 2


def late_return(run: dict[str, Any], late_from: float) -> float | None:
    """Mean of a run's test evaluations at ``late_from`` trajectories or later (None: none there)."""
    late = [p["return"] for p in run["curve"] if p["trajectories"] >= late_from]
    return float(np.mean(late)) if late else None


def paired_gain(records: list[dict[str, Any]], runs: list[dict[str, Any]],
                late_from: float | None = None) -> tuple[float | None, float | None]:
    """The improvement on the BC start, paired by seed so that a seed's episode list and sampling noise
    cancel: per run, its final return (or, with ``late_from``, the mean of its evaluations from
    ``late_from`` trajectories on: many evaluations instead of one) minus its seed's start; the mean
    over ``runs`` ± 95% CI (t over seeds). (None, None) when no run has both."""
    starts = seed_starts(records)
    gains = []
    for r in runs:
        value = r["final_return"] if late_from is None else late_return(r, late_from)
        if r["seed"] in starts and value is not None:
            gains.append(value - starts[r["seed"]])
    return mean_ci95(gains) if gains else (None, None)


def aggregate_curve(curves: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Mean and std over seeds at each trajectory count every seed evaluated at."""
    counts = sorted(set.intersection(*(set(p["trajectories"] for p in c) for c in curves))) if curves else []
    out = []
    for n in counts:
        points = [next(p for p in c if p["trajectories"] == n) for c in curves]
        values = [p["return"] for p in points]
        out.append({"trajectories": n, "mean": float(np.mean(values)), "std": float(np.std(values)),
                    "success": float(np.mean([p["success"] for p in points])),
                    "minutes": float(np.mean([p["minutes"] for p in points])), "n": len(values)})
    return out


def first_reaching(curve: list[dict[str, Any]], threshold: float) -> int | None:
    """Trajectories at the first evaluation whose seed-mean return is ≥ ``threshold`` (None: never)."""
    return next((p["trajectories"] for p in curve if p["mean"] >= threshold), None)


def sample_efficiency(rows: list[dict[str, Any]], thresholds: list[float], budget: int) -> dict[str, Any]:
    """Per threshold: trajectories each algorithm needed (None: not within the budget), and the
    PPO / ArCHer ratio when both reached it (or a bound when only ArCHer did)."""
    table = []
    for threshold in thresholds:
        needed = {r["algo"]: first_reaching(r["curve"], threshold) for r in rows}
        entry: dict[str, Any] = {"threshold": threshold, "trajectories": needed, "ppo_over_archer": None,
                                 "ratio_note": "not measured: ArCHer or PPO not in the comparison"}
        if "archer" in needed and "ppo" in needed:
            a, p = needed["archer"], needed["ppo"]
            if a is None:
                entry["ratio_note"] = "ArCHer did not reach it within the budget"
            elif a == 0:
                entry["ratio_note"] = "the BC start already reaches it"
            elif p is None:
                entry["ratio_note"] = f"PPO did not reach it within {budget} trajectories: ratio > {budget / a:.2f}"
            else:
                entry["ppo_over_archer"] = p / a
                entry["ratio_note"] = f"PPO {p} / ArCHer {a}"
        table.append(entry)
    return {"budget": budget, "thresholds": table}


def validate_results(results: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``results`` does not match results.schema.json."""
    import jsonschema

    jsonschema.validate(results, json.loads(SCHEMA_FILE.read_text()))


# --- reports --------------------------------------------------------------------------------------
def _pm(value: float | None, ci: float | None, digits: int = 2, sign: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:{'+' if sign else ''}.{digits}f}" + ("" if ci is None else f" ± {ci:.{digits}f}")


def results_markdown(results: dict[str, Any]) -> str:
    """The results table, the per-iteration time split and the sample-efficiency table (Markdown)."""
    from archer_envs.protocols import describe

    n = results["seeds"]
    # results recorded before protocols were named were all on the held-out test split
    protocol = describe(results["env_id"], results.get("protocol", "generalisation"))
    lines = [
        f"{results['env_id']}, {results['preset']} preset, budget {results['budget']} trajectories per run, "
        f"{n} seed{'s' if n != 1 else ''}; {protocol}; mean over seeds ± 95% CI (t over seeds). "
        f"BC start: {_pm(results['start_return'], None)}. Gains are paired by seed (a run minus its seed's "
        f"BC evaluation): of the final evaluation, and of the mean of the evaluations from "
        f"{second_half(results['budget'])} trajectories on.",
        "",
        "| algorithm | test return | gain over BC start | gain, 2nd-half evaluations | success rate | trajectories "
        "| wall time (min) | s / iteration (rollout + critic + actor) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["algorithms"]:
        s = r["iteration_s"]
        # from the runs, as summarize() computes them (results recorded before the gains were stored too)
        runs = [x for x in results["runs"] if x["algo"] == r["algo"]]
        gain = paired_gain(results["runs"], runs)
        late = paired_gain(results["runs"], runs, late_from=second_half(results["budget"]))
        lines.append(
            f"| {r['label']} | {_pm(r['mean_return'], r['return_ci95'])} | {_pm(*gain, sign=True)} "
            f"| {_pm(*late, sign=True)} "
            f"| {_pm(r['success_rate'], r['success_ci95'])} "
            f"| {r['trajectories']:.0f} | {r['wall_time_s'] / 60:.1f} | {s['total']:.1f} "
            f"({s['rollout']:.1f} + {s['critic']:.1f} + {s['actor']:.1f}) |"
        )
    algos = [r["algo"] for r in results["algorithms"]]
    labels = {r["algo"]: r["label"] for r in results["algorithms"]}
    lines += ["", "Trajectories until the seed-mean test return first reaches a threshold "
              f"(– = not within {results['budget']}):", "",
              "| threshold | " + " | ".join(labels[a] for a in algos) + " | PPO / ArCHer |",
              "|---|" + "---|" * (len(algos) + 1)]
    for entry in results["sample_efficiency"]["thresholds"]:
        cells = ["–" if entry["trajectories"][a] is None else str(entry["trajectories"][a]) for a in algos]
        ratio = f"{entry['ppo_over_archer']:.2f}" if entry["ppo_over_archer"] is not None else entry["ratio_note"]
        lines.append(f"| {entry['threshold']:.2f} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines) + "\n"


def plot_comparison(results: dict[str, Any], path: str | Path) -> Path:
    """Test return vs. trajectories and vs. wall time, the seed mean with a ±1 std band."""
    from archer_gym.agents.plots import pyplot, save_figure

    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120, sharey=True)
    for r in results["algorithms"]:
        c = r["curve"]
        if not c:
            continue
        mean = np.array([p["mean"] for p in c])
        std = np.array([p["std"] for p in c])
        for ax, xs in ((axes[0], [p["trajectories"] for p in c]), (axes[1], [p["minutes"] for p in c])):
            (line,) = ax.plot(xs, mean, "o-", markersize=3, label=r["label"])
            ax.fill_between(xs, mean - std, mean + std, color=line.get_color(), alpha=0.2)
    if results.get("start_return") is not None:
        for ax in axes:
            ax.axhline(results["start_return"], color="gray", linestyle="--", linewidth=1, label="BC start")
    axes[0].set_xlabel("trajectories collected")
    axes[1].set_xlabel("wall time of the run (minutes, evaluations included)")
    axes[0].set_ylabel("test return (mean over seeds ± 1 std)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8, loc="best")
    fig.suptitle(f"{results['env_id']}: {results['seeds']} seeds, {results['preset']} preset, "
                 f"{results.get('protocol', 'generalisation')} protocol")
    fig.tight_layout()
    return save_figure(fig, path)


__all__ = ["CONFIG_DIR", "RunSpec", "compare", "mean_ci95", "plot_comparison", "results_markdown", "run_one",
           "summarize", "validate_results"]
