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
official code) a baseline ``V^b(s, a^{1:h−1})``, a small head on the policy's own (detached) hidden
state before token ``h``, is regressed onto the utterance value ``min(Q1, Q2)(s, a)`` and each token
gets its own advantage:

    L_actor = − E[ Σ_h (min(Q1, Q2)(s, a) − V^b(s, a^{1:h−1})) · log π(a^h | s, a^{1:h−1}) ]
    L_baseline = E[ Σ_h (V^b(s, a^{1:h−1}) − min(Q1, Q2)(s, a))² ] / tokens

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

An iteration (:func:`train_archer`): collect ``rollouts_per_iteration`` trajectories with the current
policy → add them to the replay buffer → ``critic_steps`` critic steps → after ``warmup_iterations``
iterations, ``actor_steps`` actor steps. Training starts from a behaviour-cloning checkpoint (made
from generated behaviour data when none is given), as in the paper, where every method starts from
the same supervised policy.

Time limits. With ``bootstrap_truncated=False`` (the default) an episode cut at the env's turn limit
is treated as ended: the turn limit is part of these tasks and the dialogue shows how many turns were
played, as the official implementation treats it. Set it to True for a limit the agent cannot see.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from agents.buffer import Batch, ReplayBuffer
from agents.critic import DoubleCritic, TextEncoder, polyak_update

# Discount per env (paper's hyperparameter table); every other env uses DEFAULT_GAMMA.
DEFAULT_GAMMA = 0.95
ENV_GAMMA = {"archer/Detective-v0": 0.98, "archer/JerichoDetective-v0": 0.98, "archer/WebShop-v0": 0.9}


@dataclass
class ArcherConfig:
    """Every ArCHer hyperparameter. ``preset`` names the defaults the other fields started from."""

    env_id: str = "archer/TwentyQuestions-v0"
    out: str = "runs/archer"  # run directory: checkpoint/, logs/, bc/ (when made here), eval/
    preset: str = "cpu"
    seed: int = 0
    device: str | None = None  # default: CUDA when present
    # --- starting policy ---------------------------------------------------------------------
    init: str | None = None  # a BC checkpoint / policy dir; None: make one (behaviour data + BC) in out/bc
    behaviour_policy: str = "noisy"  # scripted player whose episodes the BC start is trained on
    behaviour_episodes: int = 250  # episodes of behaviour data (train split)
    expert_episodes: int = 508  # scripted-expert episodes mixed into that data (LMRL-Gym's data mix good and poor play)
    bc_epochs: int = 10
    bc_lr: float = 1e-3
    bc_batch_size: int = 64
    policy_model: str | None = None  # BC's initial model: None = small GPT-2 from config; "gpt2", a path, ...
    policy_layers: int = 2  # small GPT-2 from config: layers, width, heads
    policy_width: int = 128
    policy_heads: int = 4
    max_new_tokens: int = 32  # longest utterance
    # --- critic ------------------------------------------------------------------------------
    critic_model: str | None = None  # None = small RoBERTa from config on the policy's tokenizer; "roberta-base"
    critic_layers: int = 2  # small RoBERTa from config: layers, width, heads
    critic_width: int = 128
    critic_heads: int = 4
    critic_max_tokens: int = 256  # tokens of a text the critic reads (the newest ones)
    critic_pooling: str = "mean"  # "mean" over tokens, or "cls" (first token, for roberta-base)
    critic_mlp_hidden: int = 256  # width of the Q and V heads
    critic_mlp_layers: int = 2  # hidden layers of the Q and V heads
    # --- algorithm ---------------------------------------------------------------------------
    iterations: int = 1000  # at most this many iterations (max_minutes may stop earlier)
    max_minutes: float | None = 30.0  # wall-time budget of the RL phase (None: no limit)
    rollouts_per_iteration: int = 32  # trajectories collected per iteration
    num_envs: int = 32  # episodes played side by side while collecting
    buffer_size: int = 30_000  # replay buffer capacity (utterance transitions)
    batch_size: int = 64  # transitions per critic step
    actor_batch_size: int | None = None  # states per actor step (None: batch_size)
    critic_steps: int = 20  # critic gradient steps per iteration
    actor_steps: int = 3  # actor gradient steps per iteration (after warm-up)
    warmup_iterations: int = 15  # iterations of critic-only training before the actor starts
    gamma: float | None = None  # discount; None: per env (0.95; Detective 0.98; WebShop 0.9)
    tau: float = 0.1  # Polyak rate of the target critic
    critic_lr: float = 3e-4
    actor_lr: float = 3e-5
    grad_clip: float = 1.0  # max gradient norm, critic and actor alike
    temperature: float = 1.0  # sampling temperature of rollouts and of the freshly sampled actions
    baseline: str = "none"  # "none": utterance advantage; "token": the paper's token-level baseline
    center_advantages: bool = True  # subtract the batch mean of A (ours, not the paper's; see the docstring)
    baseline_lr: float = 1e-3
    bootstrap_truncated: bool = False  # bootstrap from s' when the env's turn limit cut the episode
    prefill_buffer: bool = True  # start the replay buffer with the behaviour data (out/behaviour.jsonl), ours
    # --- evaluation, logging, checkpoints ----------------------------------------------------
    eval_every: int = 10  # evaluate on the test split every this many iterations (0: only at the end)
    eval_episodes: int | None = 62  # test episodes per evaluation (None: every test secret once)
    eval_temperature: float = 1.0  # 0: greedy
    checkpoint_every: int = 5  # iterations between checkpoints (and one at the end)
    extra: dict = field(default_factory=dict)  # free-form notes saved with the run

    def __post_init__(self) -> None:
        checks = {
            "iterations": self.iterations >= 1, "rollouts_per_iteration": self.rollouts_per_iteration >= 1,
            "num_envs": self.num_envs >= 1, "buffer_size": self.buffer_size >= 1, "batch_size": self.batch_size >= 1,
            "critic_steps": self.critic_steps >= 0, "actor_steps": self.actor_steps >= 0,
            "warmup_iterations": self.warmup_iterations >= 0, "tau": 0.0 < self.tau <= 1.0,
            "critic_lr": self.critic_lr > 0, "actor_lr": self.actor_lr >= 0, "grad_clip": self.grad_clip > 0,
            "temperature": self.temperature > 0, "eval_temperature": self.eval_temperature >= 0,
            "eval_every": self.eval_every >= 0, "checkpoint_every": self.checkpoint_every >= 1,
            "behaviour_episodes": self.behaviour_episodes >= 1, "expert_episodes": self.expert_episodes >= 0,
            "bc_epochs": self.bc_epochs >= 1,
            "max_new_tokens": self.max_new_tokens >= 1, "critic_max_tokens": self.critic_max_tokens >= 1,
        }
        bad = [k for k, ok in checks.items() if not ok]
        if bad:
            raise ValueError("invalid ArCHer config: " + ", ".join(f"{k}={getattr(self, k)!r}" for k in bad))
        if self.gamma is not None and not 0.0 <= self.gamma <= 1.0:
            raise ValueError(f"invalid ArCHer config: gamma must be in [0, 1], got {self.gamma!r}")
        if self.max_minutes is not None and self.max_minutes <= 0:
            raise ValueError(f"invalid ArCHer config: max_minutes must be positive or None, got {self.max_minutes!r}")
        if self.actor_batch_size is not None and self.actor_batch_size < 1:
            raise ValueError(f"invalid ArCHer config: actor_batch_size must be positive, got {self.actor_batch_size!r}")
        if self.baseline not in ("none", "token"):
            raise ValueError(f"invalid ArCHer config: baseline must be 'none' or 'token', got {self.baseline!r}")
        if self.critic_pooling not in ("mean", "cls"):
            raise ValueError(f"invalid ArCHer config: critic_pooling must be 'mean' or 'cls', got {self.critic_pooling!r}")

    @property
    def discount(self) -> float:
        return float(self.gamma) if self.gamma is not None else ENV_GAMMA.get(self.env_id, DEFAULT_GAMMA)


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
        "critic_mlp_hidden": 768, "rollouts_per_iteration": 128, "num_envs": 32, "batch_size": 256,
        "critic_steps": 50, "actor_steps": 3, "tau": 0.1, "critic_lr": 2e-5, "actor_lr": 1e-5,
        "warmup_iterations": 10, "buffer_size": 10_000, "max_new_tokens": 32, "iterations": 100,
        "max_minutes": None, "center_advantages": False, "prefill_buffer": False, "bc_lr": 1e-5, "bc_batch_size": 32, "bc_epochs": 3, "eval_every": 10,
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
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}: expected one of {', '.join(PRESETS)}")
    values: dict[str, Any] = {**PRESETS[preset], **PRESET_ENV_OVERRIDES.get((preset, env_id), {})}
    if config_file is not None:
        values.update(_read_config_file(config_file))
    values.update(overrides)
    values.setdefault("env_id", env_id)
    values["preset"] = preset
    known = {f.name for f in fields(ArcherConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown ArCHer config field(s): {', '.join(unknown)} (see agents/archer.py, ArcherConfig)")
    return ArcherConfig(**values)


def _read_config_file(path: str) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    try:
        if p.suffix == ".toml":
            data = tomllib.loads(p.read_text())
        else:
            data = json.loads(p.read_text())
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"config file {path} is not valid {'TOML' if p.suffix == '.toml' else 'JSON'}: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold an object of config fields, got {type(data).__name__}")
    return data


class Sampler:
    """An agent that samples from an :class:`~agents.lm_policy.LMPolicy` at a fixed temperature
    (greedy at 0), without changing the policy's own setting."""

    def __init__(self, policy, temperature: float, name: str | None = None) -> None:
        self.policy = policy
        self.temperature = float(temperature)
        self.name = name

    @property
    def tokens_generated(self) -> int:
        return self.policy.tokens_generated

    def act(self, observations: list[str]) -> list[str]:
        if self.temperature == 0:
            return self.policy.generate(observations, greedy=True)
        return self.policy.generate(observations, temperature=self.temperature)


class ArcherLearner:
    """The policy, the double critic with its target copy, the optional token-level baseline, their
    optimizers, and the two update steps. :func:`train_archer` drives it; tests use it directly."""

    def __init__(self, policy, critic: DoubleCritic, cfg: ArcherConfig) -> None:
        self.policy = policy
        self.critic = critic.to(policy.device)
        self.target_critic = self.critic.target_copy()
        self.cfg = cfg
        self.gamma = cfg.discount
        self.critic_optimizer = torch.optim.Adam(self.critic.parameters(), lr=cfg.critic_lr)
        self.actor_optimizer = torch.optim.Adam(policy.parameters(), lr=cfg.actor_lr)
        self.baseline: nn.Module | None = None
        self.baseline_optimizer = None
        if cfg.baseline == "token":
            width = int(policy.model.config.hidden_size)
            self.baseline = nn.Sequential(nn.Linear(width, cfg.critic_mlp_hidden), nn.ReLU(),
                                          nn.Linear(cfg.critic_mlp_hidden, 1)).to(policy.device)
            self.baseline_optimizer = torch.optim.Adam(self.baseline.parameters(), lr=cfg.baseline_lr)

    # --- pieces ------------------------------------------------------------------------------
    def sample_actions(self, observations: list[str]) -> list[str]:
        """a ~ π(· | s) at the training temperature (no gradient)."""
        return self.policy.generate(observations, temperature=self.cfg.temperature)

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

    # --- high level --------------------------------------------------------------------------
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

    def critic_step(self, batch: Batch) -> dict[str, float]:
        """One gradient step on L_critic, then one Polyak step of the target critic."""
        sampled = self.sample_actions(batch.observations)
        y = self.critic_targets(batch, sampled)
        q1, q2, v1, v2 = self.critic(batch.observations, batch.actions)
        mse = nn.functional.mse_loss
        q_loss = mse(q1, y["q1"]) + mse(q2, y["q2"])
        v_loss = mse(v1, y["v1"]) + mse(v2, y["v2"])
        loss = q_loss + v_loss
        self.critic_optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.critic.parameters(), self.cfg.grad_clip)
        self.critic_optimizer.step()
        polyak_update(self.target_critic, self.critic, self.cfg.tau)
        return {
            "critic_loss": float(loss.detach()), "q_loss": float(q_loss.detach()), "v_loss": float(v_loss.detach()),
            "q_mean": float(torch.minimum(q1, q2).mean().detach()), "v_mean": float(torch.minimum(v1, v2).mean().detach()),
            "critic_grad_norm": float(grad_norm),
        }

    # --- low level ---------------------------------------------------------------------------
    def actor_step(self, observations: list[str]) -> dict[str, float]:
        """One policy-gradient step on utterances freshly sampled at ``observations``."""
        actions = self.sample_actions(observations)
        est = self.advantages(observations, actions)
        stats: dict[str, float] = {
            "advantage_mean": float(est["advantage"].mean()), "advantage_std": float(est["advantage"].std(unbiased=False)),
        }
        self.policy.model.train()
        if self.baseline is None:
            advantage = est["advantage"]
            if self.cfg.center_advantages:
                advantage = advantage - advantage.mean()
            logp = self.policy.log_probs(observations, actions)
            loss = -(advantage * logp).mean()
            stats["logp_mean"] = float(logp.detach().mean())
        else:
            token_logp, mask, hidden = self.policy.log_probs(observations, actions, reduction="none", hidden_states=True)
            maskf = mask.float()
            b = self.baseline(hidden.detach()).squeeze(-1)  # V^b(s, a^{1:h−1}) for every token h
            q = est["q"].unsqueeze(1)
            baseline_loss = (((b - q) ** 2) * maskf).sum() / maskf.sum().clamp(min=1.0)
            self.baseline_optimizer.zero_grad(set_to_none=True)
            baseline_loss.backward()
            self.baseline_optimizer.step()
            token_adv = (q - b.detach()) * maskf
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

    # --- persistence -------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {
            "critic": self.critic.state_dict(), "target_critic": self.target_critic.state_dict(),
            "critic_optimizer": self.critic_optimizer.state_dict(), "actor_optimizer": self.actor_optimizer.state_dict(),
        }
        if self.baseline is not None:
            state["baseline"] = self.baseline.state_dict()
            state["baseline_optimizer"] = self.baseline_optimizer.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.critic.load_state_dict(state["critic"])
        self.target_critic.load_state_dict(state["target_critic"])
        self.critic_optimizer.load_state_dict(state["critic_optimizer"])
        self.actor_optimizer.load_state_dict(state["actor_optimizer"])
        if self.baseline is not None and "baseline" in state:
            self.baseline.load_state_dict(state["baseline"])
            self.baseline_optimizer.load_state_dict(state["baseline_optimizer"])


def make_critic(cfg: ArcherConfig, policy) -> DoubleCritic:
    """The config's critic: roberta-base (or any encoder) by name, else a small RoBERTa from config
    that reads text with the policy's tokenizer."""
    if cfg.critic_model is not None:
        encoder = TextEncoder.from_pretrained(cfg.critic_model, max_tokens=cfg.critic_max_tokens, pooling=cfg.critic_pooling)
    else:
        encoder = TextEncoder.offline_default(
            policy.tokenizer, hidden_size=cfg.critic_width, num_layers=cfg.critic_layers, num_heads=cfg.critic_heads,
            max_tokens=cfg.critic_max_tokens, seed=cfg.seed + 1, pooling=cfg.critic_pooling,
        )
    return DoubleCritic(encoder, mlp_hidden=cfg.critic_mlp_hidden, mlp_layers=cfg.critic_mlp_layers)


# --- the training run ---------------------------------------------------------------------------
CHECKPOINT_DIR, LOG_DIR, BC_DIR, BEHAVIOUR_FILE = "checkpoint", "logs", "bc", "behaviour.jsonl"


@dataclass
class ArcherResult:
    checkpoint: Path
    iterations: int
    trajectories: int  # trajectories collected by ArCHer (behaviour data excluded)
    seconds: float  # wall time of the RL phase (over all resumes)
    final_eval: dict[str, Any]  # the test-split summary of the final policy
    bc_checkpoint: Path
    timings: dict[str, float]  # seconds spent in rollout / critic / actor / eval over the run
    peak_memory_mb: float


def bc_start(cfg: ArcherConfig, log=None) -> Path:
    """The BC checkpoint ArCHer starts from: ``cfg.init``, else ``out/bc``, made when missing from
    ``behaviour_episodes`` episodes of the ``behaviour_policy`` plus ``expert_episodes`` of the
    scripted expert, all on the train split (``out/behaviour.jsonl``)."""
    from agents.bc import BCConfig, train_bc
    from agents.checkpoint import is_checkpoint, load_training_state

    if cfg.init is not None:
        if not Path(cfg.init).is_dir():
            raise FileNotFoundError(f"init {cfg.init!r}: no such checkpoint directory")
        return Path(cfg.init)
    out = Path(cfg.out)
    bc_dir = out / BC_DIR
    bc_cfg = BCConfig(
        dataset=str(out / BEHAVIOUR_FILE), out=str(bc_dir), epochs=cfg.bc_epochs, batch_size=cfg.bc_batch_size,
        lr=cfg.bc_lr, seed=cfg.seed, init=cfg.policy_model, n_layer=cfg.policy_layers, n_embd=cfg.policy_width,
        n_head=cfg.policy_heads, max_new_tokens=cfg.max_new_tokens, device=cfg.device,
    )
    if is_checkpoint(bc_dir) and load_training_state(bc_dir).get("epoch", 0) >= cfg.bc_epochs:
        return bc_dir
    if not Path(bc_cfg.dataset).is_file():
        make_behaviour_data(cfg, bc_cfg.dataset)
    train_bc(bc_cfg, progress=sys.stderr.isatty(), log=log)
    return bc_dir


def make_behaviour_data(cfg: ArcherConfig, path: str | Path) -> list:
    """Write the behaviour dataset (JSONL, written whole then renamed) and return its trajectories."""
    from agents.data import generate_dataset
    from agents.evaluate import write_atomic

    trajectories = generate_dataset(cfg.env_id, policy=cfg.behaviour_policy, episodes=cfg.behaviour_episodes,
                                    split="train", seed=cfg.seed)
    if cfg.expert_episodes:
        trajectories += generate_dataset(cfg.env_id, policy="expert", episodes=cfg.expert_episodes, split="train",
                                         seed=cfg.seed)
    write_atomic(path, (json.dumps(t.to_json()) + "\n" for t in trajectories))
    return trajectories


def _peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def evaluate_agent(agent, cfg: ArcherConfig, out_dir: str | Path | None = None):
    """The shared harness on the run's test episode list (``eval_episodes``, ``seed``)."""
    from agents.evaluate import evaluate

    return evaluate(agent, cfg.env_id, split="test", episodes=cfg.eval_episodes, seed=cfg.seed,
                    out_dir=out_dir, batch_size=cfg.num_envs)


def evaluate_policy(policy, cfg: ArcherConfig, out_dir: str | Path | None = None, name: str = "archer"):
    """:func:`evaluate_agent` for ``policy`` sampled at ``eval_temperature``."""
    return evaluate_agent(Sampler(policy, cfg.eval_temperature, name=name), cfg, out_dir)


def train_archer(cfg: ArcherConfig, log=None, progress: bool = False) -> ArcherResult:
    """Run (or resume) ArCHer as configured; see the module docstring. ``log(step, **metrics)`` gets
    one call per iteration (e.g. a :class:`~agents.logger.MetricLogger`'s ``log``); the same rows are
    always written to ``out/logs/metrics.jsonl`` and ``.csv``."""
    from agents.checkpoint import is_checkpoint, load_checkpoint, load_policy, save_checkpoint
    from agents.logger import MetricLogger
    from agents.rollout import RolloutCollector
    from agents.seeding import seed_everything

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.seed)
    ckpt = out / CHECKPOINT_DIR
    bc_dir = bc_start(cfg)
    if is_checkpoint(ckpt):
        policy, _, state = load_checkpoint(ckpt, device=cfg.device)
        _truncate_logs(out / LOG_DIR, state["iteration"])
    else:
        policy = load_policy(bc_dir, device=cfg.device)
        state = {"iteration": 0, "trajectories": 0, "seconds": 0.0, "timings": {}, "buffer": []}
    policy.max_new_tokens = cfg.max_new_tokens
    policy.model.eval()
    learner = ArcherLearner(policy, make_critic(cfg, policy), cfg)
    if "learner" in state:
        learner.load_state_dict(state["learner"])
    buffer = ReplayBuffer(cfg.buffer_size, seed=cfg.seed + state["iteration"])
    buffer.extend(state["buffer"])
    behaviour = out / BEHAVIOUR_FILE
    if cfg.prefill_buffer and state["iteration"] == 0 and not state["buffer"] and behaviour.is_file():
        from agents.data import load_dataset, transitions

        buffer.extend(transitions(load_dataset(behaviour)))
    timings = {k: float(state["timings"].get(k, 0.0)) for k in ("rollout", "critic", "actor", "eval")}
    # A resumed run restarts the env stream from a seed derived from its iteration: reproducible,
    # though not bit-identical to an uninterrupted run.
    collector = RolloutCollector(cfg.env_id, num_envs=cfg.num_envs, split="train",
                                 seed=cfg.seed + 1000 * state["iteration"])
    rollout_agent = Sampler(policy, cfg.temperature)
    actor_batch = cfg.actor_batch_size or cfg.batch_size
    iteration, trajectories, elapsed_before = state["iteration"], state["trajectories"], state["seconds"]
    start = time.perf_counter()
    last_eval: dict[str, Any] | None = state.get("last_eval")

    def save() -> None:
        state.update(iteration=iteration, trajectories=trajectories, timings=timings, last_eval=last_eval,
                     seconds=elapsed_before + time.perf_counter() - start, learner=learner.state_dict(),
                     buffer=list(buffer))
        save_checkpoint(ckpt, policy, asdict(cfg), state)

    def out_of_time() -> bool:
        if cfg.max_minutes is None:
            return False
        return elapsed_before + time.perf_counter() - start >= 60.0 * cfg.max_minutes

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.iterations, initial=iteration, desc="ArCHer", unit="it")
    with MetricLogger(out / LOG_DIR, console=False) as logger, collector:
        def emit(step: int, row: dict[str, Any]) -> None:
            logger.log(step, **_row(row))
            if log is not None:
                log(step, **row)

        def run_eval(row: dict[str, Any], out_dir: Path | None = None) -> dict[str, Any]:
            """Evaluate, add the time to ``timings`` and the scores to ``row``; returns the summary."""
            t = time.perf_counter()
            summary = evaluate_policy(policy, cfg, out_dir=out_dir).summary
            row["eval_s"] = time.perf_counter() - t
            timings["eval"] += row["eval_s"]
            row.update(eval_return=summary["mean_return"], eval_success=summary["success_rate"])
            return summary

        if iteration == 0 and last_eval is None:
            row = {"trajectories": 0}
            last_eval = run_eval(row)
            emit(0, row)
        while iteration < cfg.iterations and not out_of_time():
            row: dict[str, Any] = {}
            t = time.perf_counter()
            rollout = collector.collect(rollout_agent, num_episodes=cfg.rollouts_per_iteration)
            buffer.extend(rollout.transitions)
            trajectories += len(rollout.episodes)
            row["rollout_s"] = time.perf_counter() - t
            timings["rollout"] += row["rollout_s"]
            summary = rollout.summary()
            row.update(trajectories=trajectories, train_return=summary["mean_return"],
                       train_success=summary["success_rate"], train_length=summary["mean_length"],
                       buffer=len(buffer))
            t = time.perf_counter()
            critic_stats = [learner.critic_step(buffer.sample(cfg.batch_size)) for _ in range(cfg.critic_steps)]
            row["critic_s"] = time.perf_counter() - t
            timings["critic"] += row["critic_s"]
            row.update(_mean_stats(critic_stats))
            iteration += 1
            if iteration > cfg.warmup_iterations:
                t = time.perf_counter()
                actor_stats = [learner.actor_step(buffer.sample(actor_batch).observations) for _ in range(cfg.actor_steps)]
                row["actor_s"] = time.perf_counter() - t
                timings["actor"] += row["actor_s"]
                row.update(_mean_stats(actor_stats))
            if cfg.eval_every and iteration % cfg.eval_every == 0:
                last_eval = run_eval(row)
            row.update(elapsed_s=elapsed_before + time.perf_counter() - start, peak_memory_mb=_peak_memory_mb())
            emit(iteration, row)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(ret=f"{summary['mean_return']:.2f}", traj=trajectories)
            if iteration % cfg.checkpoint_every == 0:
                save()
        row = {"trajectories": trajectories, "final": True}
        last_eval = {**run_eval(row, out_dir=out / "eval"), "iteration": iteration}
        emit(iteration, row)
        save()
    if bar is not None:
        bar.close()
    return ArcherResult(ckpt, iteration, trajectories, state["seconds"], last_eval, bc_dir, dict(timings),
                        _peak_memory_mb())


# Every column of the metrics log (the CSV header is fixed by the first row; absent values stay empty).
METRIC_COLUMNS = (
    "trajectories", "train_return", "train_success", "train_length", "buffer", "eval_return", "eval_success",
    "critic_loss", "q_loss", "v_loss", "q_mean", "v_mean", "critic_grad_norm", "actor_loss", "advantage_mean",
    "advantage_std", "logp_mean", "actor_grad_norm", "baseline_loss", "rollout_s", "critic_s", "actor_s", "eval_s",
    "elapsed_s", "peak_memory_mb", "final",
)


def _row(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(METRIC_COLUMNS)
    if unknown:
        raise KeyError(f"metrics {sorted(unknown)} are not in METRIC_COLUMNS")
    return {k: values.get(k) for k in METRIC_COLUMNS}


def _truncate_logs(log_dir: Path, iteration: int) -> None:
    """Drop log rows of iterations after the checkpoint a run resumes from (they are redone), so the
    learning curve has one row per iteration."""
    from agents.evaluate import write_atomic

    for name in ("metrics.jsonl", "metrics.csv"):
        path = log_dir / name
        if not path.is_file():
            continue
        lines = path.read_text().splitlines(keepends=True)
        if name.endswith(".jsonl"):
            kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= iteration]
        else:
            header = lines[:1]
            rows = [line for line in lines[1:] if line.strip()]
            kept = header + [line for line in rows if int(float(line.split(",", 1)[0])) <= iteration]
        if len(kept) != len(lines):
            write_atomic(path, kept)


def _mean_stats(rows: list[dict[str, float]]) -> dict[str, float]:
    if not rows:
        return {}
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


__all__ = [
    "ArcherConfig", "ArcherLearner", "ArcherResult", "DEFAULT_GAMMA", "ENV_GAMMA", "PRESETS", "Sampler", "bc_start",
    "evaluate_agent", "evaluate_policy", "make_config", "make_critic", "train_archer",
]
