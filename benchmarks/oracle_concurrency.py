"""Oracle calls per second of the ``openai`` backend against a local OpenAI-compatible server, by concurrency.

    python benchmarks/oracle_concurrency.py                       # latency 0.1 s, batches of 32, 1/8/32
    python benchmarks/oracle_concurrency.py --latency 0.5 --batches 4

The server is the tests' chat server (tests/chat_server.py): a real HTTP chat-completions endpoint on
127.0.0.1 that stalls ``--latency`` seconds per request, standing in for the generation time of a
model behind `vllm serve` (which batches the requests it has in flight). The oracle answers
``--batches`` batches of ``--batch-size`` distinct questions (one batched call per vector-env step,
as the Twenty Questions vector env makes it) with ``concurrency`` requests in flight, the reply cache
off; then the same questions once more through the on-disk reply cache (every one a hit). Prints
figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.1, help="Seconds the server takes per request.")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=2)
    parser.add_argument("--concurrency", default="1,8,32")
    args = parser.parse_args(argv)

    from chat_server import serve

    from archer_envs.oracles.openai_chat import OpenAIOracle
    from archer_envs.twenty_questions.knowledge import TWENTY_QUESTIONS_TASK

    n = args.batch_size * args.batches
    questions = [f"Is it used in place number {i}?" for i in range(n)]
    secrets = ["Cat"] * n
    print("# openai oracle backend: calls per second by concurrency")
    print(f"local chat server, {args.latency * 1000:.0f} ms per request; {args.batches} batches of "
          f"{args.batch_size} distinct questions\n")
    print("| concurrency | requests | wall (s) | calls/s | most in flight at the server | cached pass calls/s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for k, concurrency in enumerate(int(c) for c in args.concurrency.split(",")):
            with serve(delay=args.latency) as state:
                cache = Path(tmp) / f"cache-{k}.sqlite"
                oracle = OpenAIOracle(TWENTY_QUESTIONS_TASK, model="bench", base_url=state.base_url,
                                      concurrency=concurrency, cache_path=cache)
                start = time.perf_counter()
                for b in range(args.batches):
                    part = slice(b * args.batch_size, (b + 1) * args.batch_size)
                    oracle.answer(secrets[part], questions[part])
                wall = time.perf_counter() - start
                oracle.close()
                again = OpenAIOracle(TWENTY_QUESTIONS_TASK, model="bench", base_url=state.base_url,
                                     concurrency=concurrency, cache_path=cache)  # a new process's view
                start = time.perf_counter()
                again.answer(secrets, questions)
                cached = time.perf_counter() - start
                assert again.requests_sent == 0, "the cached pass sent requests"
                again.close()
                print(f"| {concurrency} | {len(state.requests)} | {wall:.2f} | {n / wall:.1f} | "
                      f"{state.max_in_flight} | {n / cached:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
