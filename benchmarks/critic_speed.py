"""The critic's TD step on one core: steps per second, what a' sampling costs, and ranking quality.

    OMP_NUM_THREADS=1 python benchmarks/critic_speed.py                 # cpu preset (frozen MiniLM, pool 512)
    OMP_NUM_THREADS=1 python benchmarks/critic_speed.py --set critic_model=None --set critic_pool_size=None

Twenty Questions behaviour data (the cpu preset's: noisy + expert episodes on the train words) fills
the replay buffer; the policy is the offline small GPT-2 behaviour-cloned on it for ``--bc-epochs``.
One iteration of ``train_critic`` is timed, split into a' sampling for the pool, encoding
lines the frozen encoder has not seen (a cost that shrinks as its cache fills) and the TD steps
themselves, over ``--iterations`` iterations. Then the ranking check: over held-out states of expert
episodes, the share where the critic values the expert's question above a random bank question
(0.5 = chance). Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--critic-steps", type=int, default=200)
    parser.add_argument("--behaviour-episodes", type=int, default=250)
    parser.add_argument("--expert-episodes", type=int, default=508)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--bc-epochs", type=int, default=2, help="BC epochs of the policy whose a' are sampled")
    parser.add_argument("--set", dest="settings", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    import torch

    from archer_envs.arguments import parse_key_values
    from archer_envs.scripted import scripted_policy
    from archer_gym.agents.algorithms.archer import ArcherLearner, make_config
    from archer_gym.agents.algorithms.bc import BCConfig, train_bc
    from archer_gym.agents.checkpoint import load_policy
    from archer_gym.agents.critic import make_critic
    from archer_gym.agents.data import generate_dataset, transitions

    torch.set_num_threads(args.threads)
    overrides = parse_key_values(args.settings)
    cfg = make_config("cpu", "archer/TwentyQuestions-v0", critic_steps=args.critic_steps, **overrides)
    env = cfg.env_id
    data = generate_dataset(env, "noisy", episodes=args.behaviour_episodes, split="train", seed=0)
    data += generate_dataset(env, "expert", episodes=args.expert_episodes, split="train", seed=0)
    out = Path(tempfile.mkdtemp(prefix="critic-speed-"))
    (out / "data.jsonl").write_text("".join(json.dumps(t.to_json()) + "\n" for t in data))
    t0 = time.perf_counter()
    bc = train_bc(BCConfig(str(out / "data.jsonl"), str(out / "bc"), epochs=args.bc_epochs, lr=cfg.bc_lr,
                           batch_size=cfg.bc_batch_size, n_layer=cfg.policy_layers, n_embd=cfg.policy_width,
                           n_head=cfg.policy_heads, max_new_tokens=cfg.max_new_tokens))
    print(f"BC policy: {args.bc_epochs} epochs in {time.perf_counter() - t0:.0f} s, loss {bc.epoch_losses[-1]:.3f}")
    policy = load_policy(bc.checkpoint)
    torch.manual_seed(0)
    learner = ArcherLearner(policy, make_critic(cfg, policy), cfg)
    learner.buffer.extend(list(transitions(data)))
    print(f"critic_model={cfg.critic_model!r} pool={cfg.critic_pool_size} batch={cfg.batch_size} "
          f"steps/iteration={cfg.critic_steps} buffer={len(learner.buffer)} threads={args.threads}")

    class Empty:  # train_critic adds the rollout's transitions: none here
        transitions: list = []

    calls = {"sample_s": 0.0}
    real_sample = learner.sample_actions

    def timed_sample(observations):
        t = time.perf_counter()
        out = real_sample(observations)
        calls["sample_s"] += time.perf_counter() - t
        return out

    learner.sample_actions = timed_sample
    held_out = generate_dataset(env, "expert", episodes=60, split="test", seed=1)
    bank = scripted_policy(env, "random", seed=0)
    states = [t.observation for ep in held_out for t in ep.turns]
    expert_q = [t.action for ep in held_out for t in ep.turns]
    random_q = bank.act(states)

    def ranking() -> float:
        with torch.no_grad():
            a1, a2 = learner.critic.q_values(states, expert_q)
            b1, b2 = learner.critic.q_values(states, random_q)
        return float((torch.minimum(a1, a2) > torch.minimum(b1, b2)).float().mean())

    encoder = learner.critic.encoder
    sampling = "a' sampling s"
    print(f"{'iteration':>9} {sampling:>15} {'new lines s':>11} {'TD steps s':>10} {'TD steps/s':>10} "
          f"{'all steps/s':>11} {'critic loss':>11} {'ranking':>8}")
    for it in range(1, args.iterations + 1):
        calls["sample_s"] = 0.0
        encoded_before = getattr(encoder, "encode_seconds", 0.0)
        t = time.perf_counter()
        row = learner.train_critic(Empty())
        total = time.perf_counter() - t
        new_lines = getattr(encoder, "encode_seconds", 0.0) - encoded_before
        td = total - calls["sample_s"] - new_lines  # the steps themselves, every text's embedding cached
        print(f"{it:>9} {calls['sample_s']:>15.2f} {new_lines:>11.2f} {td:>10.2f} {cfg.critic_steps / td:>10.1f} "
              f"{cfg.critic_steps / total:>11.1f} {row['critic_loss']:>11.4f} {ranking():>8.2f}", flush=True)
    if hasattr(encoder, "lines_encoded"):
        print(f"lines through MiniLM: {encoder.lines_encoded}; held-out states {len(states)}; "
              f"random questions {len(set(random_q))} distinct")


if __name__ == "__main__":
    main()
