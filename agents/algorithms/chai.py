"""CHAI: a frozen language model proposes, a learned critic chooses.

Verma, Fu, Levine 2022 ("CHAI: A CHatbot AI for Task-Oriented Dialogue with Offline Reinforcement
Learning"), run online as ArCHer's baseline (Zhou et al. 2024, §5): the actor is the frozen starting
(BC) policy; at every turn it samples ``k`` candidate utterances and the agent says the one the critic
values most,

    a* = argmax_{a_j, j = 1..k, a_j ~ π_BC(· | s)}  min(Q1, Q2)(s, a_j)

The critic is ArCHer's double critic with the same TD losses on the same replay buffer: the learner
subclasses ArCHer's high level (:class:`archer_gym.agents.algorithms.archer.CriticLearner`) and keeps only what
differs. V's target uses the action CHAI would take, the best of ``k`` fresh samples at each replayed
state: y_V,i = Q̄_i(s, a*); there is no actor step. Acting costs ``k`` samples and ``k`` critic
evaluations per turn; the policy's weights never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from archer_gym.agents import config
from archer_gym.agents.algorithms.archer import CriticLearner
from archer_gym.agents.critic import CriticConfig, DoubleCritic, make_critic
from archer_gym.agents.training import RunConfig, TrainResult, run_training


@dataclass
class CHAIConfig(RunConfig, CriticConfig):
    """Every CHAI hyperparameter: the shared run fields, the critic's (as ArCHer's) and ``k``."""

    out: str = "runs/chai"
    k: int = 5  # candidate utterances sampled per turn (acting and V's target)

    # Presets (agents.config.make_config): field overrides of the defaults above, which are ``cpu``.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {},  # ArCHer's cpu preset for the shared and critic fields
        "paper": {
            "policy_model": "gpt2", "critic_model": "roberta-base", "critic_pooling": "cls", "critic_max_tokens": 512,
            "critic_pool_size": None, "critic_settled_tol": None,
            "critic_mlp_hidden": 768, "rollouts_per_iteration": 128, "batch_size": 256, "critic_steps": 50, "tau": 0.1,
            "critic_lr": 2e-5, "buffer_size": 10_000, "iterations": 100, "max_minutes": None, "max_trajectories": None,
            "prefill_buffer": False, "bc_lr": 1e-5, "bc_batch_size": 32, "bc_epochs": 3,
        },
    }
    PRESET_ENV_OVERRIDES: ClassVar[dict[tuple[str, str], dict[str, Any]]] = {
        ("paper", "archer/WebShop-v0"): {"rollouts_per_iteration": 512},
    }

    def checks(self) -> dict[str, bool]:
        return {**super().checks(), **self.critic_checks(), "k": self.k >= 1}


def make_config(preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0", config_file: str | None = None,
                **overrides: Any) -> CHAIConfig:
    """Preset → config file (JSON/TOML) → overrides; unknown fields raise ValueError naming them."""
    return config.make_config(CHAIConfig, preset, env_id, config_file, **overrides)


class BestOfK:
    """The CHAI agent: ``k`` samples from the frozen policy per observation, the critic picks one."""

    def __init__(self, learner: CHAILearner, temperature: float, name: str = "chai") -> None:
        self.learner = learner
        self.temperature = float(temperature)
        self.name = name

    @property
    def tokens_generated(self) -> int:
        return self.learner.policy.tokens_generated

    def act(self, observations: list[str]) -> list[str]:
        return self.learner.best_of_k(observations, self.temperature)


class CHAILearner(CriticLearner):
    """ArCHer's critic learner (buffer, TD targets, target networks, critic steps) with a frozen policy and
    no actor step; :meth:`best_of_k` is both the agent and V's target action."""

    metric_columns = CriticLearner.CRITIC_COLUMNS + ("candidate_spread",)
    trains_policy = False  # the agent improves through its critic's choice among k samples

    def __init__(self, policy, critic: DoubleCritic, cfg: CHAIConfig) -> None:
        super().__init__(policy, critic, cfg)
        policy.requires_grad_(False)  # the actor is the frozen starting policy
        self.last_spread = float("nan")
        # Ours (critic_settled_tol; None in the paper preset): until the critic has settled its choice
        # among k is not trusted, and CHAI acts (and takes V's target action) as the frozen policy.
        self.trusted = cfg.critic_settled_tol is None

    def update(self, rollout, iteration: int) -> dict[str, float]:
        """Replay buffer ← rollout; ``critic_steps`` critic steps. No actor step: π stays frozen."""
        row = self.train_critic(rollout)
        self.trusted = self.trusted or self.critic_settled()
        row["candidate_spread"] = self.last_spread
        return row

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "trusted": self.trusted}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.trusted = bool(state.get("trusted", self.trusted))

    @torch.no_grad()
    def best_of_k(self, observations: list[str], temperature: float | None = None) -> list[str]:
        """argmax over ``k`` samples a_j ~ π(· | s) of min(Q1, Q2)(s, a_j), for each observation
        (greedy decoding at temperature 0 gives one candidate)."""
        observations = list(observations)
        if not observations:
            return []
        temperature = self.cfg.temperature if temperature is None else float(temperature)
        if temperature == 0:
            return self.policy.generate(observations, greedy=True)
        if not self.trusted:  # the critic has not settled: the frozen policy's own sample
            return self.policy.generate(observations, temperature=temperature)
        k, n = self.cfg.k, len(observations)
        repeated = [o for o in observations for _ in range(k)]  # observation i's candidates are rows i*k .. i*k+k-1
        candidates = self.policy.generate(repeated, temperature=temperature)
        q1, q2 = self.critic.q_values(repeated, candidates)
        q = torch.minimum(q1, q2).view(n, k)
        self.last_spread = float((q.max(1).values - q.min(1).values).mean())
        best = q.argmax(1).tolist()
        return [candidates[i * k + j] for i, j in enumerate(best)]

    def sample_actions(self, observations: list[str]) -> list[str]:
        """V's target action: the best of ``k`` fresh samples (what CHAI would say in ``s``)."""
        return self.best_of_k(observations)

    def acting_agent(self) -> BestOfK:
        return BestOfK(self, self.cfg.temperature)

    def evaluation_agent(self) -> BestOfK:
        return BestOfK(self, self.cfg.eval_temperature)


def new_learner(policy, cfg: CHAIConfig) -> CHAILearner:
    return CHAILearner(policy, make_critic(cfg, policy), cfg)


def train_chai(cfg: CHAIConfig, log=None, progress: bool = False) -> TrainResult:
    """Run (or resume) CHAI from the BC start; logs and checkpoints like ArCHer (the saved policy is
    the frozen BC policy; the critic that makes it CHAI is in the checkpoint's learner state)."""
    return run_training(cfg, new_learner, "CHAI", log=log, progress=progress)


__all__ = ["BestOfK", "CHAIConfig", "CHAILearner", "make_config", "train_chai"]
