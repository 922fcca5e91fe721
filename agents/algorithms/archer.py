"""ArCHer: an utterance-level off-policy critic and a token-level policy gradient, trained together.

Zhou, Zanette, Pan, Levine, Kumar. "ArCHer: Training Language Model Agents via Hierarchical
Multi-Turn RL", ICML 2024 (arXiv 2402.19446), §4 and Algorithm 1. Notation: ``s`` is the dialogue
so far (the observation), ``a`` one whole utterance of the agent, ``r`` the turn's reward, ``s'`` the
next observation, ``d`` termination, ``π`` the token-level LM policy.

High level (the critic, :meth:`ArcherLearner.critic_step`), off-policy TD on replayed utterances.
With target networks ``Q̄_i, V̄_i`` (Polyak averages of the online heads, rate τ):

    y_Q,i = r + γ (1 − d) V̄_i(s')                      Q_i(s, a) → y_Q,i    (i = 1, 2)
    y_V,i = Q̄_i(s, a'),   a' ~ π(· | s) freshly sampled  V_i(s)    → y_V,i
    L_critic = Σ_i MSE(Q_i(s, a), y_Q,i) + MSE(V_i(s), y_V,i)
    θ̄ ← (1 − τ) θ̄ + τ θ   after every critic gradient step

Low level (the actor, :meth:`ArcherLearner.actor_step`), a policy gradient whose per-utterance
reward is the critic's advantage, for utterances freshly sampled at replayed states:

    A(s, a) = min(Q1, Q2)(s, a) − min(V1, V2)(s)
    L_actor = − E[ A(s, a) · Σ_h log π(a^h | s, a^{1:h−1}) ]

With ``baseline="token"`` (the paper's variant with a token-level baseline, §4.3; not in the
official code) each token gets its own advantage against a baseline ``V^b(s, a^{1:h−1})``. We write
it as the critic's ``V(s)`` plus a learned residual ``Δ``, a small head on the policy's own (detached)
hidden state before token ``h`` whose output layer starts at zero, regressed onto the utterance
advantage:

    V^b(s, a^{1:h−1}) = min(V1, V2)(s) + Δ(s, a^{1:h−1}),     A = min(Q1, Q2)(s, a) − min(V1, V2)(s)
    L_actor = − E[ Σ_h (A − Δ(s, a^{1:h−1})) · log π(a^h | s, a^{1:h−1}) ]
    L_baseline = E[ Σ_h (Δ(s, a^{1:h−1}) − A)² ] / tokens

So its first steps are the utterance-level estimator, and Δ only removes variance as it learns
(at the first token Δ can only depend on s, so it learns E[A | s] ≈ 0 there). Before this (a head
regressed from a random start onto Q itself, with no centring) the toy test's policy collapsed onto
the worse utterance for 3 of 6 seeds: the untrained head was a baseline shared by the whole batch,
the failure the centring below prevents. ``center_advantages`` applies to ``A`` in both variants.

Centering (``center_advantages``: on in the ``cpu`` preset, off in ``paper``, which keeps the
paper's plain estimator). While the critic is still converging, min(Q1,Q2) − min(V1,V2)
carries a bias shared by the whole batch (measured on Twenty Questions: mean −0.3 with a spread of
0.2). Multiplied by log π, a negative shared part pushes probability off every sampled utterance and
onto unsampled ones, and the small policy drifted into garbage within 50 actor steps (log π of its
own samples fell from −6 to −30). Subtracting the batch mean is a constant baseline: the gradient
stays unbiased for the centred advantage, whose expectation under π is what the critic's V estimates.

Prefilled buffer (``prefill_buffer``: on in ``cpu``, off in ``paper``; ours). The replay buffer
starts with the behaviour data the BC start was trained on, so the off-policy critic sees good and
poor play from its first step (measured on Twenty Questions: without it the critic ranked the
expert's question above a random one in 26% of states after 1,700 trajectories; with it 58–61%).

An iteration (:meth:`ArcherLearner.update`, driven by :func:`agents.training.run_training`): collect
``rollouts_per_iteration`` trajectories with the current policy → add them to the replay buffer →
``critic_steps`` critic steps → after ``warmup_iterations`` iterations, ``actor_steps`` actor steps.
The critic and its TD step are shared with CHAI (:class:`agents.critic.CriticLearner`). Training starts from a behaviour-cloning checkpoint (made
from generated behaviour data when none is given), as in the paper, where every method starts from
the same supervised policy.

Time limits. With ``bootstrap_truncated=False`` (the default) an episode cut at the env's turn limit
is treated as ended: the turn limit is part of these tasks and the dialogue shows how many turns were
played, as the official implementation treats it. Set it to True for a limit the agent cannot see.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from agents.critic import CriticConfig, CriticLearner, DoubleCritic, make_critic
from agents.training import (
    DEFAULT_GAMMA, ENV_GAMMA, RunConfig, SampledPolicyAgents, Sampler, TrainResult, bc_start, build_config,
    evaluate_agent, evaluate_policy, mean_stats, run_training,
)

ArcherResult = TrainResult  # the name train_archer's result had before the algorithms shared one loop


@dataclass
class ArcherConfig(RunConfig, CriticConfig):
    """Every ArCHer hyperparameter: the shared run fields (:class:`~agents.training.RunConfig`), the
    critic's (:class:`~agents.critic.CriticConfig`) and the actor's below."""

    out: str = "runs/archer"
    actor_batch_size: int | None = None  # states per actor step (None: batch_size)
    actor_steps: int = 3  # actor gradient steps per iteration (after warm-up)
    warmup_iterations: int = 5  # at least this many iterations of critic-only training before the actor starts
    # ... and until the critic has settled (critic_settled_tol, CriticConfig), but no longer than:
    max_warmup_iterations: int | None = 60  # the actor starts by then even if the critic has not settled
    actor_kl_coef: float = 0.0  # ours: A − β·(log π − log π_BC)(a) per sampled utterance (0: off; paper: off)
    actor_lr: float = 3e-5
    baseline: str = "none"  # "none": utterance advantage; "token": the paper's token-level baseline
    center_advantages: bool = True  # subtract the batch mean of A (ours, not the paper's; see the docstring)
    baseline_lr: float = 1e-3

    def checks(self) -> dict[str, bool]:
        return {
            **super().checks(), **self.critic_checks(), "actor_steps": self.actor_steps >= 0,
            "warmup_iterations": self.warmup_iterations >= 0, "actor_lr": self.actor_lr >= 0,
            "actor_batch_size": self.actor_batch_size is None or self.actor_batch_size >= 1,
            "baseline": self.baseline in ("none", "token"), "baseline_lr": self.baseline_lr > 0,
            "actor_kl_coef": self.actor_kl_coef >= 0,
            "max_warmup_iterations": self.max_warmup_iterations is None or self.max_warmup_iterations >= self.warmup_iterations,
        }

    def budget_problem(self) -> str | None:
        """Beyond the shared reasons: a budget that ends within the warm-up would return the BC policy."""
        problem = super().budget_problem()
        if problem or self.actor_steps == 0 or self.budget_iterations > self.warmup_iterations:
            return problem
        limit = (f"max_trajectories={self.max_trajectories} allows {self.budget_iterations} iteration(s) of "
                 f"rollouts_per_iteration={self.rollouts_per_iteration}" if self.budget_iterations < self.iterations
                 else f"iterations={self.iterations}")
        return (f"{limit}, but the actor's first step comes after warmup_iterations={self.warmup_iterations}: the run "
                f"would end as its BC policy. Give at least "
                f"{(self.warmup_iterations + 1) * self.rollouts_per_iteration} trajectories or lower warmup_iterations")


# Presets: field overrides of the dataclass defaults (which are the ``cpu`` preset).
PRESETS: dict[str, dict[str, Any]] = {
    # Scaled for a 2-core CPU: a ~0.8M-parameter GPT-2 policy and RoBERTa critic from config, so that
    # one iteration takes seconds and a run fits in tens of minutes (README, "ArCHer on a CPU").
    "cpu": {},
    # The paper's table (Appendix; facts from arXiv 2402.19446): GPT-2 policy and RoBERTa-base critic,
    # 128 rollouts per iteration (512 for WebShop), batch 256, 50 critic and 3 actor steps, τ = 0.1,
    # critic lr 2e-5, actor lr 1e-6 on Twenty Questions and 1e-5 elsewhere, 10 warm-up iterations,
    # buffer 10k, at most 32 new tokens. Needs the pretrained weights (hub cache or local paths).
    "paper": {
        "policy_model": "gpt2", "critic_model": "roberta-base", "critic_pooling": "cls", "critic_max_tokens": 512,
        "critic_pool_size": None,
        "critic_mlp_hidden": 768, "rollouts_per_iteration": 128, "num_envs": 32, "batch_size": 256,
        "critic_steps": 50, "actor_steps": 3, "tau": 0.1, "critic_lr": 2e-5, "actor_lr": 1e-5,
        "warmup_iterations": 10, "buffer_size": 10_000, "max_new_tokens": 32, "iterations": 100,
        "max_minutes": None, "max_trajectories": None, "center_advantages": False, "prefill_buffer": False, "critic_settled_tol": None,
        "max_warmup_iterations": None, "bc_lr": 1e-5, "bc_batch_size": 32, "bc_epochs": 3, "eval_every": 10,
    },
}
# Per-env adjustments of a preset (the paper's table).
PRESET_ENV_OVERRIDES: dict[tuple[str, str], dict[str, Any]] = {
    ("paper", "archer/TwentyQuestions-v0"): {"actor_lr": 1e-6},
    ("paper", "archer/TwentyQuestionsSubset-v0"): {"actor_lr": 1e-6},
    ("paper", "archer/WebShop-v0"): {"rollouts_per_iteration": 512},
}


def make_config(preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0", config_file: str | None = None,
                **overrides: Any) -> ArcherConfig:
    """The preset's config for ``env_id``, then the fields of ``config_file`` (JSON or TOML), then
    ``overrides``. Unknown field names raise ValueError naming them."""
    return build_config(ArcherConfig, PRESETS, PRESET_ENV_OVERRIDES, preset, env_id, config_file, **overrides)


class ArcherLearner(SampledPolicyAgents, CriticLearner):
    """The policy, the double critic with its target copy and replay buffer (from
    :class:`~agents.critic.CriticLearner`), the optional token-level baseline, and the actor step.
    :func:`train_archer` drives it through :meth:`update`; tests call the steps directly."""

    agent_name = "archer"
    metric_columns = CriticLearner.CRITIC_COLUMNS + (
        "actor_loss", "advantage_mean", "advantage_std", "logp_mean", "kl_to_start",
        "actor_grad_norm", "baseline_loss",
    )

    def __init__(self, policy, critic: DoubleCritic, cfg: ArcherConfig) -> None:
        super().__init__(policy, critic, cfg)
        self.actor_optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.actor_lr)
        # The starting (BC) policy, frozen: KL(π ‖ π_BC) on π's own samples is logged every actor step
        # (and, with actor_kl_coef, penalised).
        self.reference = copy.deepcopy(policy)
        self.reference.requires_grad_(False)
        self.actor_started = False
        self.baseline: nn.Module | None = None
        self.baseline_optimizer = None
        if cfg.baseline == "token":
            width = int(policy.model.config.hidden_size)
            self.baseline = nn.Sequential(nn.Linear(width, cfg.critic_mlp_hidden), nn.ReLU(),
                                          nn.Linear(cfg.critic_mlp_hidden, 1)).to(policy.device)
            nn.init.zeros_(self.baseline[-1].weight)  # Δ starts at 0: the first steps are the utterance-level estimator
            nn.init.zeros_(self.baseline[-1].bias)
            self.baseline_optimizer = torch.optim.Adam(self.baseline.parameters(), lr=cfg.baseline_lr)

    # --- low level ---------------------------------------------------------------------------
    def actor_step(self, observations: list[str]) -> dict[str, float]:
        """One policy-gradient step on utterances freshly sampled at ``observations``."""
        actions = self.sample_actions(observations)
        est = self.advantages(observations, actions)
        stats: dict[str, float] = {
            "advantage_mean": float(est["advantage"].mean()), "advantage_std": float(est["advantage"].std(unbiased=False)),
        }
        with torch.no_grad():
            kl = self.policy.log_probs(observations, actions) - self.reference.log_probs(observations, actions)
        stats["kl_to_start"] = float(kl.mean())  # a sample of KL(π ‖ π_BC) per utterance, in nats
        self.policy.model.train()
        advantage = est["advantage"]
        if self.cfg.actor_kl_coef:
            advantage = advantage - self.cfg.actor_kl_coef * kl
        if self.cfg.center_advantages:
            advantage = advantage - advantage.mean()
        if self.baseline is None:
            logp = self.policy.log_probs(observations, actions)
            loss = -(advantage * logp).mean()
            stats["logp_mean"] = float(logp.detach().mean())
        else:
            token_logp, mask, hidden = self.policy.log_probs(observations, actions, reduction="none", hidden_states=True)
            maskf = mask.float()
            delta = self.baseline(hidden.detach()).squeeze(-1)  # Δ(s, a^{1:h−1}): V^b = V(s) + Δ
            target = advantage.unsqueeze(1)
            baseline_loss = (((delta - target) ** 2) * maskf).sum() / maskf.sum().clamp(min=1.0)
            self.baseline_optimizer.zero_grad(set_to_none=True)
            baseline_loss.backward()
            self.baseline_optimizer.step()
            token_adv = (target - delta.detach()) * maskf
            loss = -(token_adv * token_logp).sum(-1).mean()
            stats["baseline_loss"] = float(baseline_loss.detach())
            stats["logp_mean"] = float((token_logp * maskf).sum(-1).detach().mean())
        self.actor_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.cfg.grad_clip)
        self.actor_optimizer.step()
        self.policy.model.eval()
        stats.update(actor_loss=float(loss.detach()), actor_grad_norm=float(grad_norm))
        return stats

    # --- one iteration (Algorithm 1) ---------------------------------------------------------
    def actor_ready(self, iteration: int) -> bool:
        """The actor's gate: past the warm-up and the critic settled (or past max_warmup_iterations).
        Once open it stays open."""
        cfg = self.cfg
        if not self.actor_started and iteration > cfg.warmup_iterations:
            capped = cfg.max_warmup_iterations is not None and iteration > cfg.max_warmup_iterations
            self.actor_started = self.critic_settled() or capped
        return self.actor_started

    def update(self, rollout, iteration: int) -> dict[str, float]:
        """Replay buffer ← rollout; ``critic_steps`` critic steps; once the gate opens (:meth:`actor_ready`)
        ``actor_steps`` actor steps."""
        row = self.train_critic(rollout)
        if self.actor_ready(iteration):
            t = time.perf_counter()
            batch = self.cfg.actor_batch_size or self.cfg.batch_size
            row.update(mean_stats([self.actor_step(self.buffer.sample(batch).observations)
                                   for _ in range(self.cfg.actor_steps)]))
            row.update(actor_s=time.perf_counter() - t, actor_updates=self.cfg.actor_steps)
        return row

    # --- persistence -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {**super().state_dict(), "actor_optimizer": self.actor_optimizer.state_dict(),
                 "actor_started": self.actor_started,
                 "reference": {k: v.cpu() for k, v in self.reference.model.state_dict().items()}}
        if self.baseline is not None:
            state["baseline"] = self.baseline.state_dict()
            state["baseline_optimizer"] = self.baseline_optimizer.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.actor_optimizer.load_state_dict(state["actor_optimizer"])
        self.actor_started = bool(state.get("actor_started", False))
        if "reference" in state:  # the BC start, not the resumed policy
            self.reference.model.load_state_dict(state["reference"])
        if self.baseline is not None and "baseline" in state:
            self.baseline.load_state_dict(state["baseline"])
            self.baseline_optimizer.load_state_dict(state["baseline_optimizer"])


def new_learner(policy, cfg: ArcherConfig) -> ArcherLearner:
    return ArcherLearner(policy, make_critic(cfg, policy), cfg)


def train_archer(cfg: ArcherConfig, log=None, progress: bool = False) -> TrainResult:
    """Run (or resume) ArCHer as configured; see the module docstring. ``log(step, **metrics)`` gets
    one call per iteration; the same rows are always written to ``out/logs/metrics.jsonl`` and ``.csv``."""
    return run_training(cfg, new_learner, "ArCHer", log=log, progress=progress)


__all__ = [
    "ArcherConfig", "ArcherLearner", "ArcherResult", "DEFAULT_GAMMA", "ENV_GAMMA", "PRESETS", "Sampler", "bc_start",
    "evaluate_agent", "evaluate_policy", "make_config", "make_critic", "train_archer",
]
