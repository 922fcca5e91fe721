"""Detective benchmark: env speed on one CPU core and reference scores of the scripted policies.

    python benchmarks/detective.py           # full run
    python benchmarks/detective.py --quick   # smoke run

Prints figures; never asserts on time. Speed: steps/s of `archer/Detective-v0` with the knowledge
oracle under the expert's and the random policy's command mixes (the random mix asks suspects many
questions, so it exercises the question matcher), case generation per second, and the same again
with every answer cached. Scores: return (± 95% CI), solve rate and mean steps of the random, noisy
and expert policies on the first 200 test cases (seeds 1,000,000–1,000,199).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import cpu_model, fmt_rate, pin_one_core  # noqa: E402

ENV_ID = "archer/Detective-v0"


def steps_per_second(env, policy, seeds: list[int]) -> tuple[float, int]:
    """Env steps/s (agent time excluded) over one episode per seed."""
    steps, env_time = 0, 0.0
    for seed in seeds:
        obs, _ = env.reset(options={"case": seed})
        done = False
        while not done:
            action = policy.act([obs])[0]
            t0 = time.perf_counter()
            obs, _, terminated, truncated, _ = env.step(action)
            env_time += time.perf_counter() - t0
            steps += 1
            done = terminated or truncated
    return steps / env_time, steps


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    where = pin_one_core()
    import torch

    import archer_envs  # noqa: F401
    from archer_envs.benchmark import summarize
    from archer_envs.detective import generate_case
    from archer_envs.detective.policies import ExpertPolicy, NoisyPolicy, RandomPolicy
    from archer_envs.detective.suspects import cached_case
    from archer_envs.play import play_episodes
    from archer_envs.scripted import split_secrets

    print("# Detective benchmark")
    print(f"machine: Python {platform.python_version()}, torch {torch.__version__}; {cpu_model()}; {where}\n")
    n = 20 if args.quick else 200
    t0 = time.perf_counter()
    for seed in range(5_000_000, 5_000_000 + 10 * n):
        generate_case(seed)
    print(f"case generation (with the deduction check): {10 * n / (time.perf_counter() - t0):,.0f} cases/s")
    rows = []
    seeds = list(range(2_000_000, 2_000_000 + n))
    import gymnasium as gym

    for label, make in [("expert commands", ExpertPolicy), ("random commands", lambda: RandomPolicy(seed=0))]:
        cached_case.cache_clear()
        env = gym.make(ENV_ID)  # one oracle: the second pass finds every answer in its cache
        rate, steps = steps_per_second(env, make(), seeds)
        print(f"  {label}, cold (new cases, new questions): {fmt_rate(rate)} steps/s ({steps} steps)")
        rows.append((f"{label}, cold", rate))
        rate, steps = steps_per_second(env, make(), seeds)
        print(f"  {label}, warm (cases and answers cached): {fmt_rate(rate)} steps/s ({steps} steps)")
        rows.append((f"{label}, warm", rate))
    print("\n## Scripted policies (knowledge oracle), first 200 test cases")
    test = split_secrets(ENV_ID, "test")[:n]
    table = []
    for name, policy in [("random", RandomPolicy(seed=0)), ("noisy", NoisyPolicy(seed=0)), ("expert", ExpertPolicy())]:
        results = play_episodes(policy, ENV_ID, test)
        s = summarize(results)
        solved = [r.turns for r in results if r.success]
        steps_to_solve = sum(solved) / len(solved) if solved else float("nan")
        print(f"  {name:<6} return {s['mean_return']:6.3f} ± {s['return_ci95']:.3f}   solved {s['success_rate']:.3f}   "
              f"mean steps {s['mean_turns']:5.2f}   steps to solve {steps_to_solve:5.2f}")
        table.append((name, s, steps_to_solve))
    print("\n## Markdown\n\n| measurement | steps/s |\n|---|---:|")
    for label, rate in rows:
        print(f"| {label} | {fmt_rate(rate)} |")
    print("\n| policy | cases | mean return ± 95% CI | solved | mean steps | steps to solve |"
          "\n|---|---:|---:|---:|---:|---:|")
    for name, s, sts in table:
        print(f"| {name} | {s['episodes']} | {s['mean_return']:.3f} ± {s['return_ci95']:.3f} "
              f"| {s['success_rate']:.3f} | {s['mean_turns']:.2f} | {sts:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
