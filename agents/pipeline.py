"""The main job: the whole offline pipeline on one env, ending in a comparison table and a plot.

    behaviour data → behaviour cloning → ArCHer (bounded wall time) → test-split evaluation of the
    behaviour policy, BC, ArCHer and the scripted expert → results.md / results.json / learning_curve.png

    archer pipeline --env archer/TwentyQuestionsSubset-v0 --out runs/main --trajectories 1024

Every LM policy is evaluated twice on the same episode list: sampled at temperature 1 (the policy as
it was trained and as it acts in rollouts) and greedily. Re-running with the same ``--out`` resumes:
finished stages (data, BC, the RL budget) are not redone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Callable

from archer_gym.agents.algorithms.archer import ArcherConfig, make_config, train_archer
from archer_gym.agents.progress import ProgressLog
from archer_gym.agents.training import Sampler, evaluate_agent

RESULTS_JSON, RESULTS_MD, CURVE_PNG = "results.json", "results.md", "learning_curve.png"


def _scores(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("mean_return", "return_ci95", "success_rate", "mean_turns", "episodes")
    return {k: summary.get(k) for k in keys}


def _fmt(s: dict[str, Any] | None) -> str:
    if s is None:
        return "–"
    ci = "" if s.get("return_ci95") is None else f" ± {s['return_ci95']:.2f}"
    return f"{s['mean_return']:.2f}{ci} ({s['success_rate']:.2f})"


def results_table(rows: list[dict[str, Any]], env_id: str, protocol: str = "paper") -> str:
    """Markdown: one row per agent; mean return ± 95% CI (success rate) sampled and greedy."""
    from archer_envs.protocols import describe

    lines = [
        f"{env_id}, {describe(env_id, protocol)}: mean return ± 95% CI (success rate)",
        "",
        "| agent | sampled, T = 1 | greedy | mean turns |",
        "|---|---|---|---|",
    ]
    for r in rows:
        turns = r["sampled"]["mean_turns"] if r.get("sampled") else r["greedy"]["mean_turns"]
        lines.append(f"| {r['agent']} | {_fmt(r.get('sampled'))} | {_fmt(r.get('greedy'))} | {turns:.2f} |")
    return "\n".join(lines) + "\n"


def run_pipeline(env_id: str = "archer/TwentyQuestions-v0", out: str = "runs/main", preset: str = "cpu",
                 minutes: float | None = None, config_file: str | None = None,
                 echo: Callable[[str], None] = print, trajectories: int | None = None,
                 **overrides: Any) -> dict[str, Any]:
    """Run (or resume) the pipeline; returns what ``results.json`` holds."""
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.agents.checkpoint import load_policy
    from archer_gym.agents.plots import plot_learning_curve

    if trajectories is not None:
        overrides["max_trajectories"] = trajectories
    cfg: ArcherConfig = make_config(preset, env_id, config_file=config_file, out=out, max_minutes=minutes, **overrides)
    out_dir = Path(cfg.out)

    progress = ProgressLog.for_run(echo, "ArCHer", cfg)

    budget = [f"{cfg.max_trajectories} trajectories" if cfg.max_trajectories else "",
              f"{minutes} min" if minutes else "", f"{cfg.iterations} iterations"]
    echo(f"ArCHer ({cfg.preset} preset, {cfg.protocol} protocol) on {env_id}, budget: "
         f"{' / '.join(b for b in budget if b)} (whichever first); run directory {out_dir}")
    bars = sys.stderr.isatty()  # progress bars for each phase on a terminal
    result = train_archer(cfg, log=progress, progress=bars)

    def score(agent, tag: str) -> dict[str, Any]:
        progress.stage(f"table: evaluating {tag}")
        return _scores(evaluate_agent(agent, cfg, out_dir=out_dir / "eval-all" / tag, progress=bars).summary)

    bc_policy = load_policy(result.bc_checkpoint, device=cfg.device)
    archer_policy = load_policy(result.checkpoint, device=cfg.device)
    run = f"{result.trajectories} trajectories, {result.actor_updates} actor steps, {result.seconds / 60:.1f} min"
    if result.policy_is_bc_start:
        archer_label = f"BC policy: ArCHer took no actor step ({run})"
        echo(f"WARNING: ArCHer took no actor step in {result.iterations} iterations (warm-up "
             f"{cfg.warmup_iterations}); the 'ArCHer' row below is the BC policy. Give the run a larger budget.")
    else:
        archer_label = f"ArCHer ({run})"
    rows = [
        {"agent": f"behaviour policy ({cfg.behaviour_policy})",
         "sampled": score(make_agent(cfg.behaviour_policy, env_id, seed=cfg.seed), "behaviour"), "greedy": None},
        {"agent": "BC", "sampled": score(Sampler(bc_policy, 1.0, "bc"), "bc-sampled"),
         "greedy": score(Sampler(bc_policy, 0.0, "bc-greedy"), "bc-greedy")},
        {"agent": archer_label,
         "sampled": score(Sampler(archer_policy, 1.0, "archer"), "archer-sampled"),
         "greedy": score(Sampler(archer_policy, 0.0, "archer-greedy"), "archer-greedy")},
        {"agent": "expert (scripted)", "sampled": None, "greedy": score(make_agent("expert", env_id), "expert")},
    ]
    table = results_table(rows, env_id, cfg.protocol)
    references = {"BC (sampled)": rows[1]["sampled"]["mean_return"], "expert": rows[3]["greedy"]["mean_return"]}
    curve = plot_learning_curve(out_dir / "logs" / "metrics.jsonl", out_dir / CURVE_PNG, references=references,
                                title=f"ArCHer ({cfg.preset} preset) on {env_id}, {cfg.protocol} protocol")
    payload = {
        "env_id": env_id, "protocol": cfg.protocol, "preset": cfg.preset, "rows": rows, "iterations": result.iterations,
        "trajectories": result.trajectories, "actor_updates": result.actor_updates, "rl_minutes": result.seconds / 60,
        "timings_s": result.timings,
        "peak_memory_mb": result.peak_memory_mb, "config": cfg.__dict__,
    }
    (out_dir / RESULTS_JSON).write_text(json.dumps(payload, indent=2, default=str))
    (out_dir / RESULTS_MD).write_text(table)
    t = result.timings
    echo("")
    echo(table)
    echo(f"RL time split: rollout {t['rollout']:.0f} s, critic {t['critic']:.0f} s, actor {t['actor']:.0f} s, "
         f"eval {t['eval']:.0f} s; peak memory {result.peak_memory_mb:.0f} MB")
    echo(f"wrote {out_dir / RESULTS_MD}, {out_dir / RESULTS_JSON} and the learning curve {curve}")
    return payload
