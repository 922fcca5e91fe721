"""Online evaluation throughput of the leaderboard service, over real HTTP.

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/leaderboard_online.py            # the figures below
    python benchmarks/leaderboard_online.py --clients 1 8 --agents expert lm

Starts ``archer leaderboard serve`` on 127.0.0.1 with a fresh database (rate limits lifted), warms it
with one run (the first env build loads the question matcher), then for each agent and each client
count plays one whole Twenty Questions online run per client, the clients at once (threads, each
with its own token, since a token has one open run per env), through ``archer_gym.leaderboard.client.play``
with ``--batch-size`` episodes side by side. Agents: the scripted ``expert``, and ``lm``: an untrained
GPT-2 from config (2 layers, width 128, BPE on the env's words; its questions are noise, so its
episodes run the full 20 turns) sampling up to ``--max-new-tokens`` tokens per question, batched.
Prints online episodes and turns per second. Then the server-side cost per turn without HTTP:
``OnlineRuns.step`` (env step, oracle, the SQLite write) on a local store, the expert's batched steps.
Torch is pinned to one thread; never asserts on time.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ENV = "archer/TwentyQuestions-v0"
META = {"algorithm": "benchmark", "base_model": "none", "parameters": None, "training_trajectories": None,
        "code_url": "", "contact": ""}


def lm_agent(max_new_tokens: int):
    from archer_envs.scripted import split_secrets
    from archer_gym.agents.lm_policy import LMPolicy

    texts = [f"Is it {w}? Yes. No. Is it alive?" for w in split_secrets(ENV, "all")]
    policy = LMPolicy.offline_default(texts, vocab_size=600, n_layer=2, n_embd=128, n_head=2, n_positions=512,
                                      max_new_tokens=max_new_tokens, device="cpu")
    policy.eval()
    return policy


def play_concurrently(url: str, tokens: list[str], make, batch_size: int) -> tuple[float, int, int]:
    """(seconds, episodes, turns) for one run per token, all at once."""
    from archer_gym.leaderboard.client import play, request

    results, errors = [None] * len(tokens), []

    def one(i):
        try:
            results[i] = play(make(), ENV, url, tokens[i], {**META, "agent_name": f"bench-{i}"}, batch_size=batch_size)
        except Exception as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(tokens))]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise errors[0]
    episodes = sum(r["episodes"] for r in results)
    turns = 0
    for r in results:
        entry = request("GET", f"{url}/api/submissions/{r['id']}?episodes=true")
        turns += sum(e["turns"] for e in entry["episodes"])
    return seconds, episodes, turns


def server_cost_per_turn(runs: int) -> tuple[float, int]:
    """Seconds per turn inside OnlineRuns.step (no HTTP), the expert's batches, and the turns timed."""
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.leaderboard.online import OnlineRuns
    from archer_gym.leaderboard.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        online = OnlineRuns(Store(Path(tmp) / "lb.sqlite"))
        seconds, turns = 0.0, 0
        for k in range(runs):
            run = online.create("bench", ENV, {**META, "agent_name": "expert"})["run"]
            expert = make_agent("expert", ENV)
            active = {e["episode"]: (0, e["observation"]) for e in online.start(run, "bench", list(range(run_size())))}
            while active:
                order = list(active)
                actions = expert.act([active[i][1] for i in order])
                started = time.perf_counter()
                out = online.step(run, "bench", [{"episode": i, "turn": active[i][0], "action": a}
                                                 for i, a in zip(order, actions)])
                if k > 0:  # the first run builds the envs and loads the matcher
                    seconds += time.perf_counter() - started
                    turns += len(order)
                active = {r["episode"]: (r["turn"] + 1, r["observation"]) for r in out["results"] if not r["done"]}
        return seconds / max(turns, 1), turns


def run_size() -> int:
    from archer_gym.leaderboard.online import run_size as size

    return size(ENV)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--agents", nargs="+", default=["expert", "lm"], choices=["expert", "lm"])
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=12)
    parser.add_argument("--cost-runs", type=int, default=4, help="runs timed for the server-side cost per turn")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.leaderboard.client import play
    from archer_gym.leaderboard.local import LocalServer
    from archer_gym.leaderboard.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "lb.sqlite"
        store = Store(db)
        tokens = [store.create_token(f"client-{i}") for i in range(max(args.clients))]
        server = LocalServer(db, "--request-rate", "1000000", "--submit-rate", "100000")
        url = server.url
        try:
            started = time.perf_counter()
            play(make_agent("expert", ENV), ENV, url, tokens[0], {**META, "agent_name": "warm-up"})
            print("warm-up run (server builds its first env, loads the matcher): "
                  f"{time.perf_counter() - started:.1f} s")
            for name in args.agents:
                if name == "expert":
                    def make():
                        return make_agent("expert", ENV)
                else:
                    shared = lm_agent(args.max_new_tokens)

                    def make(shared=shared):
                        return shared  # one model in memory; its act() is called from every client thread
                for n in args.clients:
                    seconds, episodes, turns = play_concurrently(url, tokens[:n], make, args.batch_size)
                    print(f"{name:>6}, {n} client(s), batch {args.batch_size}: {episodes} episodes, {turns} turns in "
                          f"{seconds:.2f} s = {episodes / seconds:.1f} episodes/s, {turns / seconds:.0f} turns/s")
        finally:
            server.stop()
    per_turn, turns = server_cost_per_turn(args.cost_runs)
    print(f"server-side cost per turn (OnlineRuns.step: env step + oracle + SQLite write, batches of up to "
          f"{run_size()}): {per_turn * 1e3:.3f} ms over {turns} turns")


if __name__ == "__main__":
    main()
