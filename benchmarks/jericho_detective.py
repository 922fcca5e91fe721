"""Env steps per second of ``archer/JerichoDetective-v0`` (Jericho's detective.z5), by what is played.

    ARCHER_DETECTIVE_Z5=/path/to/detective.z5 python benchmarks/jericho_detective.py
    python benchmarks/jericho_detective.py --rom detective.z5 --episodes 4

Three workloads, one env, in this order (so the cache grows as it would in training):
1. *walkthrough, cold*: Jericho's 51-command walkthrough from a fresh cache: every state is new, so each
   step pays Jericho's valid-action search (every candidate command played on the emulator);
2. *walkthrough, again*: the same episode replayed: every state is in the cache;
3. *random valid actions*: ``--episodes`` episodes of 50 steps, each command drawn from the current
   valid actions (seeded), as an untrained agent that reads the list would play; the cache's hit rate
   is printed.
Also the bare emulator (``jericho.FrotzEnv.step`` alone) for scale, and Jericho's own
``get_valid_actions()`` with its process pool (its default; the adapter passes ``use_parallel=False``).
Pin to one thread (``OMP_NUM_THREADS=1``) beside other jobs. Prints figures; asserts nothing on time.
"""

from __future__ import annotations

import argparse
import os
import random
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rom", default=os.environ.get("ARCHER_DETECTIVE_Z5"), help="detective.z5")
    parser.add_argument("--episodes", type=int, default=4, help="Episodes of random valid actions.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.rom:
        parser.error("pass --rom or set ARCHER_DETECTIVE_Z5")

    import gymnasium as gym
    import jericho

    import archer_envs  # noqa: F401  (registers the ids)
    from archer_envs.jericho_detective import ParserDictionaryTagger

    game = jericho.FrotzEnv(args.rom)
    walkthrough = game.get_walkthrough()
    game.reset()
    start = time.perf_counter()
    for command in walkthrough:
        game.step(command)
    bare_s = time.perf_counter() - start
    game.reset()
    jericho.util.spacy_nlp = ParserDictionaryTagger(game.get_dictionary())  # as the adapter does: no spaCy
    timings = []
    for use_parallel in (False, True, True):  # Jericho's default is a pool of worker processes
        start = time.perf_counter()
        found = game.get_valid_actions(use_parallel=use_parallel)
        timings.append((time.perf_counter() - start, sorted(found)))
    game.close()

    env = gym.make("archer/JerichoDetective-v0", rom_path=args.rom, max_steps=len(walkthrough))
    cache = env.unwrapped._cache
    cache.clear()

    def play(commands) -> tuple[int, float]:
        env.reset()
        start, steps = time.perf_counter(), 0
        for command in commands:
            steps += 1
            if any(env.step(command)[2:4]):
                break
        return steps, time.perf_counter() - start

    rows = [("bare emulator (FrotzEnv.step, no observation)", len(walkthrough), bare_s)]
    steps, seconds = play(walkthrough)
    rows.append(("walkthrough, cold cache", steps, seconds))
    steps, seconds = play(walkthrough)
    rows.append(("walkthrough, every state cached", steps, seconds))

    rng = random.Random(args.seed)
    steps = seconds = 0.0
    states_before = len(cache)
    for _ in range(args.episodes):
        start = time.perf_counter()
        _, info = env.reset()
        for _ in range(50):
            actions = info["valid_actions"] or ["look"]
            _, _, terminated, truncated, info = env.step(rng.choice(actions))
            steps += 1
            if terminated or truncated:
                break
        seconds += time.perf_counter() - start
    new_states = len(cache) - states_before
    observations = int(steps) + args.episodes  # resets included
    hits = observations - new_states  # observations served without a search
    rows.append((f"random valid actions, {args.episodes} episodes", int(steps), seconds))
    env.close()

    print(f"archer/JerichoDetective-v0 ({args.rom}), one process, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"{'workload':<52} {'steps':>6} {'steps/s':>9} {'ms/step':>9}")
    for name, n, secs in rows:
        print(f"{name:<52} {n:>6} {n / secs:>9.1f} {1000 * secs / n:>9.1f}")
    print(f"random play: {new_states} new states searched, {hits} of {observations} observations (resets included) "
          "from the cache")
    (serial, serial_actions), (first, _), (pooled, pooled_actions) = timings
    print(f"valid actions at the start state: {serial:.2f} s in this process (the adapter's way); "
          f"with Jericho's process "
          f"pool {first:.2f} s the first time (pool start-up), then {pooled:.2f} s; same list: "
          f"{serial_actions == pooled_actions}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
