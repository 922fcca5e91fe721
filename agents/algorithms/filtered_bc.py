"""Online filtered behaviour cloning: imitate the agent's own best trajectories.

As ArCHer ran it (Zhou et al. 2024, §5 baselines; filtered BC as in LMRL-Gym): after each collection,
every trajectory collected so far whose return is at or above the ``1 − keep_fraction`` quantile of
the returns of all trajectories collected so far (the 90th percentile by default) is "good"; the
policy takes ``bc_steps`` behaviour-cloning steps on utterances drawn uniformly from the good
trajectories:

    threshold = quantile({R(τ) : τ collected so far}, 1 − keep_fraction)
    L_BC      = − E_{(s, a) ∈ τ, R(τ) ≥ threshold} [ Σ_h log π(a^h | s, a^{1:h−1}) ] / tokens

(the loss of :mod:`archer_gym.agents.algorithms.bc`, the mean negative log-likelihood per utterance token). Ties at
the threshold are kept ("at or above"), so on envs with few distinct returns (Twenty Questions: integers)
more than ``keep_fraction`` of the trajectories can pass. With ``prefill_buffer`` the behaviour data
joins the pool (and the quantile) before the first collection; off by default, so the algorithm
learns from its own play only, as in the paper.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from archer_gym.agents import config
from archer_gym.agents.training import RunConfig, SampledPolicyAgents, TrainResult, run_training


@dataclass
class FilteredBCConfig(RunConfig):
    """Every online-filtered-BC hyperparameter: the shared run fields and these."""

    out: str = "runs/filtered_bc"
    keep_fraction: float = 0.1  # keep trajectories at or above the (1 − keep_fraction) quantile of return
    bc_steps: int = 10  # behaviour-cloning gradient steps per iteration
    batch_size: int = 64  # utterances per step
    lr: float = 1e-4  # Adam learning rate
    max_trajectories_kept: int = 100_000  # pool capacity (oldest dropped first); the quantile uses the pool
    prefill_buffer: bool = False  # put the behaviour data in the pool first (off: learn from own play only)

    # Presets (agents.config.make_config): field overrides of the defaults above, which are ``cpu``.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {},  # the same policy, BC start, rollouts and evaluation as ArCHer's cpu preset
        "paper": {"policy_model": "gpt2", "rollouts_per_iteration": 128, "lr": 1e-5, "batch_size": 32,
                  "iterations": 100, "max_minutes": None, "max_trajectories": None, "bc_lr": 1e-5, "bc_batch_size": 32,
                  "bc_epochs": 3},
    }
    PRESET_ENV_OVERRIDES: ClassVar[dict[tuple[str, str], dict[str, Any]]] = {
        ("paper", "archer/WebShop-v0"): {"rollouts_per_iteration": 512},
    }

    def checks(self) -> dict[str, bool]:
        return {**super().checks(), "keep_fraction": 0.0 < self.keep_fraction <= 1.0, "bc_steps": self.bc_steps >= 0,
                "batch_size": self.batch_size >= 1, "lr": self.lr >= 0,
                "max_trajectories_kept": self.max_trajectories_kept >= 1}


def make_config(preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0", config_file: str | None = None,
                **overrides: Any) -> FilteredBCConfig:
    """Preset → config file (JSON/TOML) → overrides; unknown fields raise ValueError naming them."""
    return config.make_config(FilteredBCConfig, preset, env_id, config_file, **overrides)


class FilteredBCLearner(SampledPolicyAgents):
    """The policy, the pool of trajectories collected so far (each as its return and its
    (observation, action) pairs), and the BC step on the pool's best."""

    agent_name = "filtered_bc"
    metric_columns = ("bc_loss", "filter_threshold", "kept_trajectories", "kept_utterances", "pool_trajectories")

    def __init__(self, policy, cfg: FilteredBCConfig) -> None:
        self.policy = policy
        self.cfg = cfg
        self.optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.lr)
        self.pool: list[tuple[float, list[tuple[str, str]]]] = []  # (return, turns) oldest first
        self.rng = np.random.default_rng(cfg.seed)

    def add(self, trajectories: list[tuple[float, list[tuple[str, str]]]]) -> None:
        self.pool.extend(trajectories)
        del self.pool[: max(0, len(self.pool) - self.cfg.max_trajectories_kept)]

    def prefill(self) -> int:
        """Add the behaviour data (``cfg.behaviour_path``) to the pool; returns how many trajectories."""
        from archer_gym.agents.data import load_dataset

        data = load_dataset(self.cfg.behaviour_path)
        self.add([(t.ret, [(turn.observation, turn.action) for turn in t.turns]) for t in data])
        return len(data)

    def filtered(self) -> tuple[float, list[tuple[str, str]], int]:
        """(threshold, the kept trajectories' utterances, how many trajectories were kept)."""
        returns = np.array([r for r, _ in self.pool], dtype=float)
        threshold = float(np.quantile(returns, 1.0 - self.cfg.keep_fraction))
        kept = [turns for r, turns in self.pool if r >= threshold]
        return threshold, [pair for turns in kept for pair in turns], len(kept)

    def bc_step(self, pairs: list[tuple[str, str]]) -> float:
        """One step on L_BC (mean NLL per token) over ``pairs``; returns the loss."""
        self.policy.model.train()
        token_logp, mask = self.policy.log_probs([o for o, _ in pairs], [a for _, a in pairs], reduction="none")
        loss = -(token_logp * mask).sum() / mask.sum().clamp(min=1)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.cfg.grad_clip)
        self.optimizer.step()
        self.policy.model.eval()
        return float(loss.detach())

    def update(self, rollout, iteration: int) -> dict[str, float]:
        """Pool ← rollout's trajectories; filter at the quantile; ``bc_steps`` BC steps on the kept utterances."""
        t = time.perf_counter()
        self.add([(e.ret, [(s.observation, s.action) for s in e.transitions]) for e in rollout.episodes])
        row: dict[str, float] = {"pool_trajectories": len(self.pool)}
        if not self.pool:
            return row
        threshold, pairs, kept = self.filtered()
        losses = []
        for _ in range(self.cfg.bc_steps):
            picked = self.rng.integers(0, len(pairs), size=self.cfg.batch_size)
            losses.append(self.bc_step([pairs[i] for i in picked]))
        row.update(filter_threshold=threshold, kept_trajectories=kept, kept_utterances=len(pairs),
                   actor_s=time.perf_counter() - t, actor_updates=len(losses))
        if losses:
            row["bc_loss"] = float(np.mean(losses))
        return row

    def state_dict(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer.state_dict(), "pool": list(self.pool), "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.optimizer.load_state_dict(state["optimizer"])
        self.pool = list(state["pool"])
        self.rng.bit_generator.state = state["rng"]


def train_filtered_bc(cfg: FilteredBCConfig, log=None, progress: bool = False) -> TrainResult:
    """Run (or resume) online filtered BC from the BC start; logs and checkpoints like ArCHer."""
    return run_training(cfg, FilteredBCLearner, "filtered BC", log=log, progress=progress)


__all__ = ["FilteredBCConfig", "FilteredBCLearner", "make_config", "train_filtered_bc"]
