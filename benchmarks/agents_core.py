"""Agents-core figures: BC on Twenty Questions behaviour data, and rollout throughput of the LM policy.

    python benchmarks/agents_core.py                    # 500 behaviour episodes, 2 epochs (minutes)
    python benchmarks/agents_core.py --episodes 100 --epochs 1   # quick

Steps (the default small policy: GPT-2 from config, 4 layers, width 256, BPE trained on the data):
1. generate behaviour data with the noisy policy on the train words;
2. behaviour cloning: wall time and per-epoch loss;
3. evaluate the BC policy greedily on the 31 test words (the shared harness) next to the behaviour
   policy and the expert;
4. rollout throughput: the collector with 32 Twenty Questions envs and the policy sampling at
   temperature 1: tokens generated per second and env steps per second.
Prints figures; never asserts on time. Uses every core it is given (torch's default threads).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

ENV_ID = "archer/TwentyQuestions-v0"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--out", default=None, help="Keep the dataset and checkpoint here [default: a temp dir].")
    args = parser.parse_args(argv)

    import torch

    from archer_gym.agents import BCConfig, RolloutCollector, evaluate, generate_dataset, load_checkpoint, train_bc

    work = Path(args.out or tempfile.mkdtemp(prefix="archer-agents-core-"))
    work.mkdir(parents=True, exist_ok=True)
    print("# Agents-core benchmark")
    print(f"machine: Python {platform.python_version()}, torch {torch.__version__}, "
          f"threads {torch.get_num_threads()}\n")

    t0 = time.perf_counter()
    data = work / "noisy.jsonl"
    trajectories = generate_dataset(ENV_ID, "noisy", episodes=args.episodes, out=data, split="train", seed=0)
    turns = sum(len(t.turns) for t in trajectories)
    print(f"behaviour data: {len(trajectories)} episodes, {turns} utterances, "
          f"success {sum(t.success for t in trajectories) / len(trajectories):.3f} ({time.perf_counter() - t0:.1f} s)")

    result = train_bc(BCConfig(str(data), str(work / "bc"), epochs=args.epochs), progress=False)
    print(f"BC: {result.utterances} utterances x {args.epochs} epochs in {result.seconds:.0f} s; "
          f"loss per epoch {', '.join(f'{x:.3f}' for x in result.epoch_losses)}")

    policy, _, _ = load_checkpoint(result.checkpoint)
    n_params = sum(p.numel() for p in policy.parameters())
    policy.temperature = 0.0
    rows = []
    for name, agent in [("BC policy (greedy)", policy), ("behaviour (noisy)", "noisy"), ("expert", "expert")]:
        if isinstance(agent, str):
            from archer_gym.agents import make_agent

            agent = make_agent(agent, ENV_ID, seed=0)
        t0 = time.perf_counter()
        tokens0 = getattr(agent, "tokens_generated", 0)
        summary = evaluate(agent, ENV_ID, split="test").summary
        seconds = time.perf_counter() - t0
        extra = ""
        if hasattr(agent, "tokens_generated"):
            extra = f"; {(agent.tokens_generated - tokens0) / seconds:,.0f} tokens/s while evaluating"
        print(f"  {name:<20} return {summary['mean_return']:.2f} ± {summary['return_ci95']:.2f}   "
              f"success {summary['success_rate']:.3f}   turns {summary['mean_turns']:.2f}{extra}")
        rows.append((name, summary))

    policy.temperature = 1.0
    collector = RolloutCollector(ENV_ID, num_envs=32, seed=0)
    rollout = collector.collect(policy, num_steps=20)
    print(f"\nrollouts: 32 envs x 20 steps, sampling at temperature 1: "
          f"{rollout.tokens_generated / rollout.wall_time:,.0f} tokens/s, "
          f"{rollout.env_steps / rollout.wall_time:,.1f} env steps/s "
          f"({rollout.wall_time:.1f} s; policy {n_params / 1e6:.1f} M parameters)")

    print("\n## Markdown\n\n| agent | mean return ± 95% CI | success | mean turns |\n|---|---:|---:|---:|")
    for name, s in rows:
        print(f"| {name} | {s['mean_return']:.2f} ± {s['return_ci95']:.2f} | {s['success_rate']:.3f} "
              f"| {s['mean_turns']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
