"""Guess My City benchmark: env speed on one CPU core and reference scores of the scripted policies.

    python benchmarks/guess_my_city.py           # full run (about a minute)
    python benchmarks/guess_my_city.py --quick   # smoke run

Prints figures; never asserts on time. Speed: the knowledge oracle with the default matcher, cache
cold (every question new to this process: a parse, a matcher call when no fact value is named) and
warm (the same (city, question) stream again); single env and a 32-env vector env. Scores: mean
return (± 95% CI), success rate and mean turns of the random, noisy and expert policies on the test
cities (and the expert on all 100).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse  # noqa: E402
import itertools  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import cpu_model, fmt_rate, pin_one_core, run_single, run_vector  # noqa: E402

ENV_ID = "archer/GuessMyCity-v0"

_TOPICS = [
    "the weather in {m}", "the food people eat in {m}", "what people do on weekends in {m}", "the traffic in {m}",
    "the biggest festival in {m}", "the markets in {m}", "the parks in {m}", "the schools in {m}",
    "the music people like in {m}", "the nightlife in {m}",
]
_STEMS = ["Tell me about {t}.", "What can you say about {t}?", "How would you describe {t}?",
          "What is special about {t}?"]
_MONTHS = "January February March April May June July August September October November December".split()


def question_stream(n: int) -> list[str]:
    """``n`` distinct natural questions, none of them a bank phrasing (so each needs the matcher)."""
    out = []
    for stem, topic, month in itertools.product(_STEMS, _TOPICS, _MONTHS):
        out.append(stem.format(t=topic.format(m=month)))
    i = 0
    while len(out) < n:
        out.append(f"What is daily life like for a family of {i + 3} in your city?")
        i += 1
    return out[:n]


def speed(n_single: int, n_vector_steps: int, rows: list) -> None:
    import gymnasium as gym

    import archer_envs  # noqa: F401
    from archer_envs.guess_my_city import CityKnowledgeOracle
    from archer_envs.guess_my_city import env as city_env

    t0 = time.perf_counter()
    oracle = CityKnowledgeOracle()
    print(f"  oracle construction: {time.perf_counter() - t0:.2f} s (matcher: {oracle.matcher.name})")
    stream = question_stream(n_single + 32 * n_vector_steps)
    single_qs, vec_qs = stream[:n_single], stream[n_single:]
    city_env.parse_question.cache_clear()
    env = gym.make(ENV_ID, oracle=oracle)
    steps, secs, answers = run_single(env, single_qs, seed=0)
    non = answers.get("Sorry, I can't answer that. Ask me something else about my city.", 0) / max(1, steps)
    print(f"  single env, cache cold: {fmt_rate(steps / secs)} steps/s ({1000 * secs / steps:.2f} ms/step; "
          f"{steps} new questions; {non:.0%} not understood)")
    rows.append(("single env, cache cold", steps / secs))
    steps, secs, _ = run_single(env, single_qs, seed=0, repeats=20, count=False)
    print(f"  single env via gym.make, cache warm: {fmt_rate(steps / secs)} steps/s ({steps} steps) [goal >= 10,000]")
    rows.append(("single env via gym.make, cache warm", steps / secs))
    venv = gym.make_vec(ENV_ID, num_envs=32, vectorization_mode="vector_entry_point", oracle=oracle,
                        autoreset_mode="SameStep")
    batches = [vec_qs[i * 32 : (i + 1) * 32] for i in range(n_vector_steps)]
    _, sub, secs, _ = run_vector(venv, batches, seed=0)
    print(f"  vector env x32, cache cold: {fmt_rate(sub / secs)} sub-env steps/s ({sub} steps, one batch per step)")
    rows.append(("vector env x32, cache cold", sub / secs))
    _, sub, secs, _ = run_vector(venv, batches, seed=0, repeats=20)
    print(f"  vector env x32, cache warm: {fmt_rate(sub / secs)} sub-env steps/s ({sub} steps)")
    rows.append(("vector env x32, cache warm (per sub-env step)", sub / secs))


def scores(repeats: int, table: list) -> None:
    from archer_envs.benchmark import summarize
    from archer_envs.play import play_episodes
    from archer_envs.scripted import scripted_policy, split_secrets

    test, everything = split_secrets(ENV_ID, "test"), split_secrets(ENV_ID, "all")
    for policy, secrets, label in [
        ("random", test * repeats, f"test ({len(test)} cities x {repeats})"),
        ("noisy", test * repeats, f"test ({len(test)} cities x {repeats})"),
        ("expert", test, f"test ({len(test)} cities)"),
        ("expert", everything, f"all ({len(everything)} cities)"),
        ("noisy", everything * 3, f"all ({len(everything)} cities x 3)"),
    ]:
        s = summarize(play_episodes(scripted_policy(ENV_ID, policy, seed=0), ENV_ID, secrets))
        print(f"  {policy:<6} {label:<24} return {s['mean_return']:7.2f} ± {s['return_ci95']:.2f}   "
              f"success {s['success_rate']:.3f}   mean turns {s['mean_turns']:5.2f}")
        table.append((policy, label, s))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and episodes")
    args = parser.parse_args(argv)
    where = pin_one_core()
    import torch

    print("# Guess My City benchmark")
    print(f"machine: Python {platform.python_version()}, torch {torch.__version__}; {cpu_model()}; {where}\n")
    print("## Env steps/s on one core, knowledge oracle")
    rows: list = []
    speed(60 if args.quick else 300, 3 if args.quick else 20, rows)
    print("\n## Scripted policies (knowledge oracle)")
    table: list = []
    scores(3 if args.quick else 10, table)
    print("\n## Markdown\n\n| measurement | steps/s |\n|---|---:|")
    for label, rate in rows:
        print(f"| {label} | {fmt_rate(rate)} |")
    print("\n| policy | cities | mean return ± 95% CI | success | mean turns |\n|---|---|---:|---:|---:|")
    for policy, label, s in table:
        print(f"| {policy} | {label} | {s['mean_return']:.2f} ± {s['return_ci95']:.2f} | "
              f"{s['success_rate']:.3f} | {s['mean_turns']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
