"""ArCHer: an utterance-level off-policy critic and a token-level policy gradient, trained together.

Zhou, Zanette, Pan, Levine, Kumar. "ArCHer: Training Language Model Agents via Hierarchical
Multi-Turn RL", ICML 2024 (arXiv 2402.19446), §4 and Algorithm 1. Notation: ``s`` is the dialogue
so far (the observation), ``a`` one whole utterance of the agent, ``r`` the turn's reward, ``s'`` the
next observation, ``d`` termination, ``π`` the token-level LM policy.

High level (the critic, :meth:`CriticLearner.critic_step`), off-policy TD on replayed utterances.
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

An iteration (Algorithm 1; :meth:`ArcherLearner.update`, after :func:`archer_gym.agents.training.run_training`
collected ``rollouts_per_iteration`` trajectories with the current policy):

    D ← D ∪ {(s, a, r, s', d) of the new trajectories}                 replay buffer (train_critic)
    repeat critic_steps:  (s, a, r, s', d) ~ D,  a' ~ π(· | s)           (sample_actions)
        step on L_critic with the targets y_Q, y_V                      (critic_targets, critic_step)
        θ̄ ← (1 − τ) θ̄ + τ θ                                            (polyak_update)
    once past the warm-up:                                              (actor_ready)
        repeat actor_steps:  s ~ D,  a ~ π(· | s),  step on L_actor     (actor_step)

The networks (encoders, the double critic, its Polyak update) are :mod:`archer_gym.agents.critic`; the TD
learning above is all here. CHAI reuses :class:`CriticLearner` (:mod:`archer_gym.agents.algorithms.chai`).
Training starts from a behaviour-cloning checkpoint (made from generated behaviour data when none is
given), as in the paper, where every method starts from the same supervised policy.

Fresh actions for V's target (``critic_pool_size``; ours, off in the ``paper`` preset). Sampling
``a'`` from the policy costs far more than a TD step on a frozen encoder, so with a pool size ``P``
each iteration draws ``P`` replayed transitions, samples ``a'`` once for each of their states, and
takes its ``critic_steps`` TD steps on minibatches of that pool: ``a'`` is fresh for the policy of
this iteration, and one iteration affords hundreds of TD steps. ``None`` samples ``a'`` anew in every
TD step, as the paper's code does.

Time limits. With ``bootstrap_truncated=False`` (the default) an episode cut at the env's turn limit
is treated as ended: the turn limit is part of these tasks and the dialogue shows how many turns were
played, as the official implementation treats it. Set it to True for a limit the agent cannot see.
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from archer_gym.agents import config
from archer_gym.agents.buffer import Batch, ReplayBuffer
from archer_gym.agents.critic import CriticConfig, DoubleCritic, make_critic, polyak_update
from archer_gym.agents.distributed import Group
from archer_gym.agents.training import RunConfig, SampledPolicyAgents, TrainResult, mean_stats, run_training

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
    # ours: A − β·(log π − log π_BC)(a) per sampled utterance (0: off; paper: off; cpu: 0.2 on the full 20Q)
    actor_kl_coef: float = 0.0
    actor_lr: float = 3e-5
    baseline: str = "none"  # "none": utterance advantage; "token": the paper's token-level baseline
    center_advantages: bool = True  # subtract the batch mean of A (ours, not the paper's; see the docstring)
    baseline_lr: float = 1e-3

    # Presets (agents.config.make_config): field overrides of the defaults above, which are ``cpu``.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        # Scaled for a 2-core CPU: a ~0.8M-parameter GPT-2 policy and RoBERTa critic from config, so that
        # one iteration takes seconds and a run fits in tens of minutes (docs/figures.md, "ArCHer on a CPU").
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
            "max_minutes": None, "max_trajectories": None, "center_advantages": False, "prefill_buffer": False,
            "critic_settled_tol": None,
            "max_warmup_iterations": None, "bc_lr": 1e-5, "bc_batch_size": 32, "bc_epochs": 3, "eval_every": 10,
        },
    }
    # Per-env adjustments of a preset (the paper's table).
    PRESET_ENV_OVERRIDES: ClassVar[dict[tuple[str, str], dict[str, Any]]] = {
        # Ours: on the full Twenty Questions the actor drifted from BC (KL 1.7-2.2 nats per utterance) on
        # advantages its critic barely separates; with β = 0.2 it held its gain (3 seeds, docs/figures.md).
        ("cpu", "archer/TwentyQuestions-v0"): {"actor_kl_coef": 0.2},
        ("paper", "archer/TwentyQuestions-v0"): {"actor_lr": 1e-6},
        ("paper", "archer/TwentyQuestionsSubset-v0"): {"actor_lr": 1e-6},
        ("paper", "archer/WebShop-v0"): {"rollouts_per_iteration": 512},
    }

    def checks(self) -> dict[str, bool]:
        return {
            **super().checks(), **self.critic_checks(), "actor_steps": self.actor_steps >= 0,
            "warmup_iterations": self.warmup_iterations >= 0, "actor_lr": self.actor_lr >= 0,
            "actor_batch_size": self.actor_batch_size is None or self.actor_batch_size >= 1,
            "baseline": self.baseline in ("none", "token"), "baseline_lr": self.baseline_lr > 0,
            "actor_kl_coef": self.actor_kl_coef >= 0,
            "max_warmup_iterations": (self.max_warmup_iterations is None
                                      or self.max_warmup_iterations >= self.warmup_iterations),
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


def make_config(preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0", config_file: str | None = None,
                **overrides: Any) -> ArcherConfig:
    """The preset's config for ``env_id``, then the fields of ``config_file`` (JSON or TOML), then
    ``overrides`` (:func:`archer_gym.agents.config.make_config`). Unknown field names raise ValueError naming them."""
    return config.make_config(ArcherConfig, preset, env_id, config_file, **overrides)


# --- high level: the utterance-level critic, off-policy TD (Algorithm 1, critic steps) -------------
def subset(batch: Batch, idx: np.ndarray) -> Batch:
    """The transitions ``idx`` of ``batch`` (repeats allowed)."""
    return Batch([batch.observations[i] for i in idx], [batch.actions[i] for i in idx], batch.rewards[idx],
                 [batch.next_observations[i] for i in idx], batch.dones[idx], batch.truncateds[idx])


class CriticLearner:
    """Algorithm 1's high level: the double critic, its target copy, its optimizer and its replay buffer,
    and the TD step (§4). With target networks Q̄_i, V̄_i (Polyak averages, rate τ):

        y_Q,i = r + γ (1 − d) V̄_i(s')        Q_i(s, a) → y_Q,i    (i = 1, 2)
        y_V,i = Q̄_i(s, a')                   V_i(s)    → y_V,i
        θ̄ ← (1 − τ) θ̄ + τ θ   after every critic gradient step

    ``a'`` comes from :meth:`sample_actions`: a fresh sample of the policy for ArCHer, the best of k
    samples for CHAI (:class:`archer_gym.agents.algorithms.chai.CHAILearner` subclasses this class and overrides it).
    """

    def __init__(self, policy, critic: DoubleCritic, cfg) -> None:
        self.policy = policy
        self.critic = critic.to(policy.device)
        self.target_critic = self.critic.target_copy()
        self.cfg = cfg
        self.gamma = cfg.discount
        self.critic_optimizer = torch.optim.Adam([p for p in self.critic.parameters() if p.requires_grad],
                                                 lr=cfg.critic_lr)
        self.buffer = ReplayBuffer(cfg.buffer_size, seed=cfg.seed)
        self.pool_rng = np.random.default_rng(cfg.seed + 7)  # minibatches of the per-iteration pool
        self.critic_losses: list[float] = []  # mean critic loss per iteration (train_critic), over all ranks
        self.group = Group()  # the data-parallel processes (a group of one without a launcher)

    def sample_actions(self, observations: list[str]) -> list[str]:
        """a' ~ π(· | s) at the training temperature (no gradient)."""
        return self.policy.generate(observations, temperature=self.cfg.temperature)

    def prefill(self) -> int:
        """Add the behaviour data (``cfg.behaviour_path``) to the replay buffer; returns how many
        transitions. Warns, and adds nothing, when there is no such file."""
        from archer_gym.agents.data import load_dataset, transitions

        path = self.cfg.behaviour_path
        if not path.is_file():
            warnings.warn(f"prefill_buffer is set but there is no behaviour data at {path}: the buffer starts empty",
                          stacklevel=2)
            return 0
        items = list(transitions(load_dataset(path)))
        self.buffer.extend(items)
        return len(items)

    def not_done(self, batch: Batch) -> torch.Tensor:
        """1 − d: 0 where the episode terminated (and where it was truncated, unless bootstrap_truncated)."""
        ended = batch.dones if self.cfg.bootstrap_truncated else np.maximum(batch.dones, batch.truncateds)
        return torch.as_tensor(1.0 - ended, dtype=torch.float32, device=self.policy.device)

    @torch.no_grad()
    def advantages(self, observations: list[str], actions: list[str]) -> dict[str, torch.Tensor]:
        """min(Q1, Q2)(s, a), min(V1, V2)(s) and their difference A(s, a), from the online critic."""
        q1, q2, v1, v2 = self.critic(observations, actions)
        q, v = torch.minimum(q1, q2), torch.minimum(v1, v2)
        return {"q": q, "v": v, "advantage": q - v}

    def critic_targets(self, batch: Batch, sampled_actions: list[str]) -> dict[str, torch.Tensor]:
        """y_Q,i = r + γ(1 − d) V̄_i(s') and y_V,i = Q̄_i(s, a') (a' = ``sampled_actions``), no gradient."""
        device = self.policy.device
        with torch.no_grad():
            h_obs = self.target_critic.encoder(batch.observations)
            tq1, tq2 = self.target_critic.q_values(batch.observations, sampled_actions, h_obs)
            tv1, tv2 = self.target_critic.values(batch.next_observations)
            r = torch.as_tensor(batch.rewards, dtype=torch.float32, device=device)
            not_done = self.not_done(batch)
            return {
                "q1": r + self.gamma * not_done * tv1, "q2": r + self.gamma * not_done * tv2,
                "v1": tq1, "v2": tq2,
            }

    def critic_step(self, batch: Batch, sampled_actions: list[str] | None = None) -> dict[str, float]:
        """One gradient step on L_critic = Σ_i MSE(Q_i, y_Q,i) + MSE(V_i, y_V,i), then one Polyak step.
        ``sampled_actions``: the a' of V's target, sampled now when not given."""
        sampled = self.sample_actions(batch.observations) if sampled_actions is None else sampled_actions
        y = self.critic_targets(batch, sampled)
        q1, q2, v1, v2 = self.critic(batch.observations, batch.actions)
        mse = nn.functional.mse_loss
        q_loss = mse(q1, y["q1"]) + mse(q2, y["q2"])
        v_loss = mse(v1, y["v1"]) + mse(v2, y["v2"])
        loss = q_loss + v_loss
        self.critic_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.group.average_gradients(self.critic.parameters())
        grad_norm = torch.nn.utils.clip_grad_norm_(self.critic.parameters(), self.cfg.grad_clip)
        self.critic_optimizer.step()
        polyak_update(self.target_critic, self.critic, self.cfg.tau)
        return {
            "critic_loss": float(loss.detach()), "q_loss": float(q_loss.detach()), "v_loss": float(v_loss.detach()),
            "q_mean": float(torch.minimum(q1, q2).mean().detach()),
            "v_mean": float(torch.minimum(v1, v2).mean().detach()),
            "critic_grad_norm": float(grad_norm),
        }

    def train_critic(self, rollout) -> dict[str, float]:
        """Add ``rollout``'s transitions to the buffer, take ``critic_steps`` steps; the mean metrics,
        the buffer size and ``critic_s``. With ``critic_pool_size`` the steps draw their minibatches
        from one pool of replayed transitions whose a' were sampled once, at the start."""
        self.buffer.extend(rollout.transitions)
        t = time.perf_counter()
        if self.cfg.critic_pool_size is None or self.cfg.critic_steps == 0:
            stats = [self.critic_step(self.buffer.sample(self.cfg.batch_size)) for _ in range(self.cfg.critic_steps)]
        else:
            pool = self.buffer.sample(self.cfg.critic_pool_size)
            pooled_actions = self.sample_actions(pool.observations)  # once per pooled state this iteration
            stats = []
            for _ in range(self.cfg.critic_steps):
                idx = self.pool_rng.integers(0, len(pool), size=self.cfg.batch_size)
                stats.append(self.critic_step(subset(pool, idx), [pooled_actions[i] for i in idx]))
        row = {**mean_stats(stats), "buffer": len(self.buffer), "critic_s": time.perf_counter() - t}
        if "critic_loss" in row:  # the gate reads it: the same number on every rank
            self.critic_losses.append(self.group.mean(row["critic_loss"]))
        row["critic_settling"] = self.critic_settling()
        return row

    def critic_settling(self) -> float | None:
        """|mean critic loss of the last window − of the window before| / the latter (None: too few)."""
        w = self.cfg.critic_window
        if len(self.critic_losses) < 2 * w:
            return None
        last, before = np.mean(self.critic_losses[-w:]), np.mean(self.critic_losses[-2 * w : -w])
        return float(abs(last - before) / max(abs(before), 1e-8))

    def critic_settled(self) -> bool:
        """Whether the critic has settled (always, with ``critic_settled_tol=None``)."""
        settling = self.critic_settling()
        return self.cfg.critic_settled_tol is None or (settling is not None and settling < self.cfg.critic_settled_tol)

    CRITIC_COLUMNS = ("buffer", "critic_loss", "q_loss", "v_loss", "q_mean", "v_mean", "critic_grad_norm",
                      "critic_settling")

    def state_dict(self) -> dict[str, Any]:
        return {
            "critic": self.critic.state_dict(), "target_critic": self.target_critic.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(),
            "buffer": [dict(vars(t)) for t in self.buffer],  # plain data: the checkpoint names no class of ours
            "buffer_rng": self.buffer.rng.bit_generator.state, "pool_rng": self.pool_rng.bit_generator.state,
            "critic_losses": list(self.critic_losses),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.critic.load_state_dict(state["critic"])
        self.target_critic.load_state_dict(state["target_critic"])
        if "pool_rng" in state:
            self.pool_rng.bit_generator.state = state["pool_rng"]
        self.critic_losses = list(state.get("critic_losses", []))
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.buffer.clear()
        self.buffer.extend(state.get("buffer", []))
        if "buffer_rng" in state:
            self.buffer.rng.bit_generator.state = state["buffer_rng"]


# --- low level: the token-level actor (Algorithm 1, actor steps) -----------------------------------
class ArcherLearner(SampledPolicyAgents, CriticLearner):
    """The policy, the double critic with its target copy and replay buffer (from
    :class:`CriticLearner`), the optional token-level baseline, and the actor step.
    :func:`train_archer` drives it through :meth:`update`; tests call the steps directly."""

    agent_name = "archer"
    data_parallel = True  # its updates average gradients over the processes of `accelerate launch`
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
            # Δ starts at 0: the first steps are the utterance-level estimator
            nn.init.zeros_(self.baseline[-1].weight)
            nn.init.zeros_(self.baseline[-1].bias)
            self.baseline_optimizer = torch.optim.Adam(self.baseline.parameters(), lr=cfg.baseline_lr)

    # --- low level ---------------------------------------------------------------------------
    def actor_step(self, observations: list[str]) -> dict[str, float]:
        """One policy-gradient step on utterances freshly sampled at ``observations``."""
        actions = self.sample_actions(observations)
        est = self.advantages(observations, actions)
        stats: dict[str, float] = {
            "advantage_mean": float(est["advantage"].mean()),
            "advantage_std": float(est["advantage"].std(unbiased=False)),
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
            token_logp, mask, hidden = self.policy.log_probs(observations, actions, reduction="none",
                                                             hidden_states=True)
            maskf = mask.float()
            delta = self.baseline(hidden.detach()).squeeze(-1)  # Δ(s, a^{1:h−1}): V^b = V(s) + Δ
            target = advantage.unsqueeze(1)
            baseline_loss = (((delta - target) ** 2) * maskf).sum() / maskf.sum().clamp(min=1.0)
            self.baseline_optimizer.zero_grad(set_to_none=True)
            baseline_loss.backward()
            self.group.average_gradients(self.baseline.parameters())
            self.baseline_optimizer.step()
            token_adv = (target - delta.detach()) * maskf
            loss = -(token_adv * token_logp).sum(-1).mean()
            stats["baseline_loss"] = float(baseline_loss.detach())
            stats["logp_mean"] = float((token_logp * maskf).sum(-1).detach().mean())
        self.actor_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.group.average_gradients(self.policy.parameters())
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
        """One iteration of Algorithm 1 after its data collection: replay buffer ← rollout and
        ``critic_steps`` critic steps (:meth:`train_critic`); once the gate opens (:meth:`actor_ready`)
        ``actor_steps`` actor steps, each on states drawn from the buffer (:meth:`actor_step`)."""
        row = self.train_critic(rollout)  # D ← D ∪ rollout; TD steps on Q, V; Polyak steps on Q̄, V̄
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


__all__ = ["ArcherConfig", "ArcherLearner", "ArcherResult", "CriticLearner", "make_config", "train_archer"]
