"""ArCHer on a CPU: the main pipeline with a wall-time budget, then the figures docs/figures.md reports.

    python benchmarks/archer.py                      # Twenty Questions, cpu preset, 30 min of RL
    python benchmarks/archer.py --minutes 10 --out runs/bench-archer --set critic_steps=20

Prints the comparison table (behaviour policy, BC, ArCHer, expert on the test words), the learning
curve (test-split evaluations against trajectories collected), the time split of an iteration
(rollout / critic / actor / eval) and peak memory. A re-run with the same --out resumes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="archer/TwentyQuestions-v0")
    parser.add_argument("--out", default="runs/bench-archer")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    from archer_envs.arguments import parse_key_values
    from archer_gym.agents.pipeline import run_pipeline
    from archer_gym.agents.plots import read_metrics

    try:
        overrides = parse_key_values(args.settings)
    except ValueError as err:
        parser.error(str(err))
    payload = run_pipeline(args.env, out=args.out, preset=args.preset, minutes=args.minutes, **overrides)
    rows = read_metrics(Path(args.out) / "logs" / "metrics.jsonl")
    print("\nlearning curve (test split, sampled at T = 1):")
    print(f"{'iteration':>9} {'trajectories':>12} {'minutes':>8} {'test return':>11} {'success':>8}")
    for r in rows:
        if r.get("eval_return") is not None:
            minutes = (r.get("elapsed_s") or 0.0) / 60
            print(f"{r['step']:>9} {r['trajectories']:>12} {minutes:>8.1f} {r['eval_return']:>11.2f} "
                  f"{r['eval_success']:>8.3f}")
    it = [r for r in rows if r.get("critic_s") is not None]
    if it:
        n = len(it)
        mean = {k: sum((r.get(k) or 0.0) for r in it) / n for k in ("rollout_s", "critic_s", "actor_s", "eval_s")}
        actor_iters = [r for r in it if r.get("actor_s") is not None]
        print(f"\nper iteration (mean of {n}): rollout {mean['rollout_s']:.1f} s, critic {mean['critic_s']:.1f} s, "
              f"actor {sum(r['actor_s'] for r in actor_iters) / max(len(actor_iters), 1):.1f} s (after warm-up), "
              f"eval {mean['eval_s']:.1f} s; peak memory {payload['peak_memory_mb']:.0f} MB")


if __name__ == "__main__":
    main()
