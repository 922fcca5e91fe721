"""Verification time of leaderboard submissions: schema, episode list and a replay of every episode.

    python benchmarks/leaderboard_verify.py                 # Twenty Questions, 1,000 test episodes
    python benchmarks/leaderboard_verify.py --episodes 3000 --policies noisy

For each scripted policy: evaluate it with the shared harness on ``--episodes`` test episodes (the
seeded shuffle of the test words, repeated), pack the result as a submission, and verify it first
in a fresh process (cold: the knowledge oracle loads its matcher and has seen no question yet, as a
server's first verification after a start) and then again in that process (warm cache). Prints
seconds per 1,000 episodes and microseconds per replayed turn.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="archer/TwentyQuestions-v0")
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--policies", default="expert,noisy")
    args = parser.parse_args()
    from archer_envs.benchmark import evaluate
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.leaderboard.submission import make_submission

    meta = {"agent_name": "bench", "algorithm": "scripted", "base_model": "none", "parameters": None,
            "training_trajectories": None, "code_url": "", "contact": ""}
    print(f"{'policy':<8} {'episodes':>8} {'turns':>7} {'cold s/1k eps':>13} {'warm s/1k eps':>13} "
          f"{'warm µs/turn':>12}")
    for policy in args.policies.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            evaluate(make_agent(policy, args.env, seed=0), args.env, split="test", episodes=args.episodes, seed=0,
                     out_dir=tmp)
            submission = make_submission(tmp, meta)
            path = Path(tmp) / "submission.json"
            path.write_text(json.dumps(submission))
            code = ("import sys; from leaderboard.submission import load_submission, verify_submission; "
                    "s = load_submission(sys.argv[1]); "
                    "print(verify_submission(s).seconds, verify_submission(s).seconds)")
            root = str(Path(__file__).resolve().parents[1])
            out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True,
                                 cwd=root)
            cold, warm = map(float, out.stdout.split()[-2:])
        turns = sum(r["turns"] for r in submission["episodes"])
        k = 1000 / args.episodes
        print(f"{policy:<8} {args.episodes:>8} {turns:>7} {cold * k:>13.2f} {warm * k:>13.2f} "
              f"{warm / turns * 1e6:>12.1f}")


if __name__ == "__main__":
    main()
