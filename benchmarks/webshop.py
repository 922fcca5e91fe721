"""WebShop benchmark: env speed (search included) at 1k and 100k products, memory, policy scores.

    python benchmarks/webshop.py           # full run (about a minute)
    python benchmarks/webshop.py --quick   # 1k products only

Prints figures; never asserts on time. Speed: env steps/s (agent time excluded) while the expert
plays the test goals (a search, a click on a result, option clicks, Buy Now: about one step in five
is a BM25 search over the whole catalogue), and searches/s alone. Memory: the process's peak
resident set after building the 100k catalogue and its index (``ru_maxrss``), minus the peak before.
Scores: mean score (± 95% CI), success rate and steps of the random, noisy and expert policies on
the 100 test goals of the default 1k catalogue.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import cpu_model, fmt_rate, pin_one_core  # noqa: E402

ENV_ID = "archer/WebShop-v0"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def env_speed(num_products: int, goals: int, rows: list) -> None:
    import gymnasium as gym

    from archer_envs.webshop.env import shop
    from archer_envs.webshop.policies import ExpertPolicy

    before = peak_rss_mb()
    t0 = time.perf_counter()
    catalogue, engine = shop(num_products)
    built = time.perf_counter() - t0
    added = peak_rss_mb() - before
    print(f"  {num_products:,} products: catalogue + BM25 index built in {built:.1f} s; "
          f"peak memory +{added:,.0f} MB (total peak {peak_rss_mb():,.0f} MB)")
    env = gym.make(ENV_ID, num_products=num_products)
    policy = ExpertPolicy()
    steps, searches, env_time = 0, 0, 0.0
    for goal in catalogue.goal_indices("test")[:goals]:
        obs, _ = env.reset(options={"goal": goal})
        done = False
        while not done:
            action = policy.act([obs])[0]
            t0 = time.perf_counter()
            obs, _, terminated, truncated, _ = env.step(action)
            env_time += time.perf_counter() - t0
            steps += 1
            searches += action.startswith("search[")
            done = terminated or truncated
    queries = [catalogue.goals[i].instruction for i in catalogue.goal_indices("test")[:goals]]
    t0 = time.perf_counter()
    for q in queries:
        engine.search(q)
    search_rate = len(queries) / (time.perf_counter() - t0)
    print(f"    env steps/s (expert mix, {searches} searches in {steps} steps): {fmt_rate(steps / env_time)}; "
          f"searches/s alone: {fmt_rate(search_rate)}")
    rows.append((f"{num_products:,} products", steps / env_time, search_rate, built, added))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    where = pin_one_core()
    import archer_envs  # noqa: F401
    from archer_envs.benchmark import summarize
    from archer_envs.play import play_episodes
    from archer_envs.webshop.env import shop
    from archer_envs.webshop.policies import ExpertPolicy, NoisyPolicy, RandomPolicy

    print("# WebShop benchmark")
    print(f"machine: Python {platform.python_version()}; {cpu_model()}; {where}\n")
    rows: list = []
    print("## Speed and memory")
    env_speed(1000, 100, rows)
    if not args.quick:
        env_speed(100_000, 200, rows)
    print("\n## Scripted policies on the 100 test goals (1k catalogue)")
    goals = shop(1000)[0].goal_indices("test")
    table = []
    for name, policy in [("random", RandomPolicy(seed=0)), ("noisy", NoisyPolicy(seed=0)), ("expert", ExpertPolicy())]:
        s = summarize(play_episodes(policy, ENV_ID, goals))
        print(f"  {name:<6} score {s['mean_return']:.3f} ± {s['return_ci95']:.3f}   success {s['success_rate']:.3f}   "
              f"steps {s['mean_turns']:.2f}")
        table.append((name, s))
    print("\n## Markdown\n\n| catalogue | env steps/s (expert mix) | searches/s | build (s) | peak memory added (MB) |")
    print("|---|---:|---:|---:|---:|")
    for label, rate, search_rate, built, mem in rows:
        print(f"| {label} | {fmt_rate(rate)} | {fmt_rate(search_rate)} | {built:.1f} | {mem:,.0f} |")
    print("\n| policy | goals | mean score ± 95% CI | success | mean steps |\n|---|---:|---:|---:|---:|")
    for name, s in table:
        print(f"| {name} | {s['episodes']} | {s['mean_return']:.3f} ± {s['return_ci95']:.3f} | "
              f"{s['success_rate']:.3f} | {s['mean_turns']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
