"""Sustained submission rate of the leaderboard service, over real HTTP.

    python benchmarks/leaderboard_serve.py                          # 100 submissions of the test split
    python benchmarks/leaderboard_serve.py --episodes 1000 --submissions 10

Starts ``archer leaderboard serve`` on 127.0.0.1 with a fresh database (rate limits lifted), makes
``--submissions`` distinct honest Twenty Questions submissions (noisy players with distinct seeds, on
the leaderboard's episode list: the test split; with ``--episodes`` a longer list, which the
leaderboard refuses since issue 19 (its list is the test split once), so every submission would be
answered 422 after the schema and list checks, before any replay), sends one first to warm the
server (its first replay loads the question matcher), then the rest from ``--clients`` threads at
once. Every submission is verified by replay before it is stored. Prints submissions per second and
episodes replayed per second, sustained over the timed batch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="archer/TwentyQuestions-v0")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--episodes", type=int, default=None, help="episodes per submission [the test split once]")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    from archer_envs.benchmark import evaluate
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.leaderboard.client import submit
    from archer_gym.leaderboard.local import LocalServer
    from archer_gym.leaderboard.store import Store

    meta = {"algorithm": "scripted", "base_model": "none", "parameters": None, "training_trajectories": None,
            "code_url": "", "contact": ""}
    started = time.perf_counter()
    bodies = []
    for seed in range(args.submissions + 1):
        result = evaluate(make_agent("noisy", args.env, seed=seed), args.env, episodes=args.episodes, seed=0)
        bodies.append({"format": "archer-gym/submission", "format_version": 1,
                       "metadata": {**meta, "agent_name": f"noisy-{seed}"}, "summary": result.summary,
                       "episodes": result.records})
    episodes = len(bodies[0]["episodes"])
    print(f"made {len(bodies)} submissions of {episodes} episodes in {time.perf_counter() - started:.1f} s")

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lb.sqlite"
        token = Store(db).create_token("bench")
        server = LocalServer(db, "--submit-rate", "1000000", "--request-rate", "1000000", "--max-mb", "256")
        url = server.url
        try:
            t = time.perf_counter()
            submit(url, token, bodies[0])
            print(f"first submission (cold server): {time.perf_counter() - t:.2f} s")
            t = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                answers = list(pool.map(lambda body: submit(url, token, body), bodies[1:]))
            seconds = time.perf_counter() - t
            assert all(a["status"] == "verified" for a in answers) and Store(db).count() == len(bodies)
        finally:
            server.stop()
    n = len(answers)
    print(f"{n} submissions from {args.clients} clients in {seconds:.2f} s: {n / seconds:.1f} submissions/s, "
          f"{n * episodes / seconds:,.0f} episodes replayed/s "
          f"(server-side verification {sum(a['verify_seconds'] for a in answers) / n * 1000:.1f} ms each)")


if __name__ == "__main__":
    main()
