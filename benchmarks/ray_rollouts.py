"""Rollout throughput with the envs in Ray actors against the in-process collector, side by side in one run.

    python benchmarks/ray_rollouts.py                           # 20Q, 32 envs, 1/2/4 workers, both agents
    python benchmarks/ray_rollouts.py --workers 1,2 --episodes 64 --agents noisy

For each setting: a RolloutCollector with the cpu preset's 32 sub-envs (default oracle, embedding
matcher), in this process (``ray_workers=0``) or sharded over W Ray actors on a local Ray instance;
one warm-up collect, then ``--episodes`` trajectories timed. Two agents, acting here on all
observations in one batched call as in training:
- ``noisy``: the scripted behaviour player (costs nothing): what the env side costs;
- ``policy``: the cpu preset's policy shape (GPT-2 from config, 2 layers, width 128, 32 new tokens),
  untrained, sampling at temperature 1: what a learner's rollout costs.
Figures: trajectories/s, ms per vector step, and the overhead per step of Ray against in-process
(same agent, same seeds, so the same trajectories). Actor start-up (each actor loads its oracle) is
reported apart. Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def agent_factory(name: str, env_id: str):
    """A function making the agent afresh (same seeds, so every setting plays the same trajectories)."""
    if name == "noisy":
        from archer_envs.scripted import scripted_policy

        return lambda: scripted_policy(env_id, "noisy", seed=0)
    from archer_gym.agents.data import generate_dataset
    from archer_gym.agents.lm_policy import LMPolicy

    # the tokenizer is trained on a few behaviour episodes, as BC trains it on the behaviour data
    texts = [turn.action for t in generate_dataset(env_id, "noisy", episodes=20,
                                                   split="train", seed=1) for turn in t.turns]
    policy = LMPolicy.offline_default(texts, n_layer=2, n_embd=128, n_head=4, max_new_tokens=32, temperature=1.0,
                                      vocab_size=500)

    def fresh():
        import torch

        torch.manual_seed(0)  # the sampling stream starts over
        return policy

    return fresh


def measure(env_id: str, make_agent, workers: int, num_envs: int, episodes: int) -> dict:
    from archer_gym.agents.rollout import RolloutCollector

    agent = make_agent()
    start = time.perf_counter()
    collector = RolloutCollector(env_id, num_envs=num_envs, seed=0, ray_workers=workers)
    startup = time.perf_counter() - start
    try:
        collector.collect(agent, num_steps=2)  # warm-up: first calls of every actor and of the agent
        rollout = collector.collect(agent, num_episodes=episodes)
    finally:
        collector.close()
    return {"workers": workers, "startup_s": startup, "trajectories": len(rollout.episodes),
            "transitions": tuple(rollout.transitions),
            "steps": rollout.vector_steps, "seconds": rollout.wall_time,
            "traj_per_s": len(rollout.episodes) / rollout.wall_time,
            "ms_per_step": 1000 * rollout.wall_time / rollout.vector_steps}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="archer/TwentyQuestions-v0")
    parser.add_argument("--num-envs", type=int, default=32)
    parser.add_argument("--episodes", type=int, default=128, help="Trajectories timed per setting.")
    parser.add_argument("--workers", default="1,2,4", help="Comma-separated Ray worker counts.")
    parser.add_argument("--agents", default="noisy,policy")
    args = parser.parse_args(argv)
    workers = [int(w) for w in args.workers.split(",")]

    import ray
    import torch
    from measure import cpu_model

    torch.set_num_threads(1)  # the learner's side: one thread, as a pinned benchmark
    ray.init(num_cpus=max(workers), include_dashboard=False, log_to_driver=False)
    print("# Ray rollout workers against the in-process collector")
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; Ray {ray.__version__} local instance with "
          f"{max(workers)} logical CPUs (one per actor); driver torch threads 1")
    print(f"env {args.env}, {args.num_envs} sub-envs, {args.episodes} trajectories timed per setting\n")
    for agent_name in args.agents.split(","):
        make_agent = agent_factory(agent_name, args.env)
        rows = [measure(args.env, make_agent, w, args.num_envs, args.episodes) for w in [0, *workers]]
        same = len({(r["trajectories"], r["steps"], r["transitions"]) for r in rows}) == 1
        base = rows[0]["ms_per_step"]
        print(f"agent {agent_name} ({'the same' if same else 'NOT the same'} trajectories in every setting):")
        print("| envs in | start-up (s) | trajectories | vector steps | wall (s) | trajectories/s | ms/step "
              "| overhead/step (ms) |")
        print("|---|---|---|---|---|---|---|---|")
        for r in rows:
            where = "this process" if r["workers"] == 0 else f"{r['workers']} Ray actor(s)"
            overhead = "" if r["workers"] == 0 else f"{r['ms_per_step'] - base:+.1f}"
            print(f"| {where} | {r['startup_s']:.1f} | {r['trajectories']} | {r['steps']} | {r['seconds']:.1f} "
                  f"| {r['traj_per_s']:.2f} | {r['ms_per_step']:.1f} | {overhead} |")
        print()
    ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
