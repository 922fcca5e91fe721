"""Per-iteration wall time of every online algorithm, one at a time on an otherwise idle machine.

    python benchmarks/baselines.py                          # Twenty Questions, cpu preset, 3 iterations each
    python benchmarks/baselines.py --init runs/main/bc --iterations 2 --algos ppo,chai

Each algorithm starts from the same BC checkpoint (``--init``; made in OUT/bc from behaviour data
when not given), collects ``rollouts_per_iteration`` trajectories per iteration and updates, with
no evaluation in between. Prints, per algorithm, the mean seconds of an iteration split into rollout
(acting: CHAI's k samples and critic scoring per turn are here), critic and actor updates, the
trajectories per second, and peak memory of the process so far.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="archer/TwentyQuestions-v0")
    parser.add_argument("--algos", default="archer,ppo,filtered_bc,chai")
    parser.add_argument("--init", default=None, help="BC checkpoint [default: made in OUT/bc]")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--out", default="runs/bench-baselines")
    parser.add_argument("--preset", default="cpu")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    import shutil

    from archer_envs.arguments import parse_key_values
    from archer_gym.agents.algorithms import get_algorithm
    from archer_gym.agents.algorithms.bc import bc_start
    from archer_gym.agents.training import peak_memory_mb

    try:
        overrides = parse_key_values(args.settings)
    except ValueError as err:
        parser.error(str(err))
    out = Path(args.out)
    init = args.init or str(bc_start(get_algorithm("archer").make_config(args.preset, args.env, out=str(out))))
    behaviour = Path(init).parent / "behaviour.jsonl"
    print(f"{'algorithm':<20} {'s/iteration':>11} {'rollout':>8} {'critic':>7} {'actor':>6} {'traj/s':>7} "
          f"{'peak MB':>8}")
    for name in args.algos.split(","):
        algo = get_algorithm(name)
        run_dir = out / name
        shutil.rmtree(run_dir, ignore_errors=True)  # a fresh run every time: no resume
        fields = {"out": str(run_dir), "init": init, "iterations": args.iterations, "eval_every": 0,
                  "max_minutes": None, "eval_episodes": 1, **overrides}
        if behaviour.is_file():
            fields["behaviour_data"] = str(behaviour)
        if name == "archer":
            fields.setdefault("warmup_iterations", 0)  # time the actor step too
        cfg = algo.make_config(args.preset, args.env, **{k: v for k, v in fields.items()
                                                          if k in type(algo.make_config()).__dataclass_fields__})
        rows = []
        algo.train(cfg, log=lambda step, **row: rows.append(row) if "rollout_s" in row else None)  # noqa: B023 (runs now)
        n = len(rows)
        split = {k: sum(r.get(f"{k}_s") or 0.0 for r in rows) / n for k in ("rollout", "critic", "actor")}
        total = sum(split.values())
        print(f"{algo.label:<20} {total:>11.1f} {split['rollout']:>8.1f} {split['critic']:>7.1f} "
              f"{split['actor']:>6.1f} {cfg.rollouts_per_iteration / total:>7.2f} {peak_memory_mb():>8.0f}")


if __name__ == "__main__":
    main()
