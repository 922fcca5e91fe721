"""One rank of a data-parallel ArCHer run, started by tests/test_distributed.py under
``accelerate launch --cpu --num_processes 2``; writes what the test checks to OUT/rank-<k>.json.

    toy:N OUT      N iterations of the learner on the toy env (16 trajectories each, shared by the ranks)
    run OUT        train_archer end to end on a tiny Twenty Questions config (rank 0 writes the run)
    toy:N,run OUT  both, in one launch
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))


def digest(*modules) -> str:
    h = hashlib.sha256()
    for module in modules:
        for tensor in module.state_dict().values():
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def toy(out: Path, group, iterations: int) -> dict:
    from test_archer import toy_learner
    from toy import cloned_policy, p_good

    from archer_gym.agents.rollout import RolloutCollector
    from archer_gym.agents.training import Sampler

    torch.set_num_threads(1)
    learner = toy_learner(cloned_policy(), baseline="token", actor_lr=5e-4, critic_steps=8, actor_steps=2,
                          warmup_iterations=12, critic_settled_tol=None, max_warmup_iterations=None)
    before = p_good(learner.policy)
    torch.manual_seed(100 + group.rank)  # each rank samples its own utterances
    with RolloutCollector(learner.cfg.env_id, num_envs=8, split=None, seed=1000 * group.rank) as collector:
        for it in range(1, iterations + 1):
            learner.update(collector.collect(Sampler(learner.policy, 1.0), num_episodes=16 // group.world), it)
    return {"before": before, "after": p_good(learner.policy), "actor_started": learner.actor_started,
            "params": digest(learner.policy.model, learner.critic, learner.target_critic, learner.baseline)}


def run(out: Path, group) -> dict:
    from archer_gym.agents.algorithms.archer import make_config, train_archer

    torch.set_num_threads(1)
    cfg = make_config("cpu", "archer/TwentyQuestions-v0", out=str(out / "run"), iterations=2, max_minutes=None,
                      behaviour_episodes=16, expert_episodes=8, bc_epochs=1, bc_batch_size=16, policy_layers=1,
                      policy_width=32, policy_heads=2, max_new_tokens=12, critic_pool_size=16, critic_mlp_hidden=32,
                      critic_settled_tol=None, rollouts_per_iteration=4, num_envs=2, batch_size=8, critic_steps=2,
                      actor_steps=1, warmup_iterations=0, eval_episodes=4, eval_every=1, checkpoint_every=1)
    result = train_archer(cfg)
    from archer_gym.agents.checkpoint import load_checkpoint

    return {"trajectories": result.trajectories, "iterations": result.iterations,
            "actor_updates": result.actor_updates,
            "final_policy": digest(load_checkpoint(out / "run" / "checkpoint")[0].model) if group.main else None}


def main() -> None:
    from archer_gym.agents.distributed import process_group

    modes, out = sys.argv[1].split(","), Path(sys.argv[2])
    group = process_group()
    report = {"rank": group.rank, "world": group.world}
    for mode in modes:
        name, _, arg = mode.partition(":")
        report[name] = toy(out, group, int(arg)) if name == "toy" else run(out, group)
    (out / f"rank-{group.rank}.json").write_text(json.dumps(report))


if __name__ == "__main__":
    main()
