"""Token-level PPO: every generated token is an action (ArCHer's main baseline, §5).

Schulman et al. 2017 ("Proximal Policy Optimization Algorithms"), as LMs are trained with it: the
episode is the sequence of all tokens the agent generated, utterance after utterance; the env's reward
for a turn sits on the last token of that turn's utterance (the closing newline), every other token
gets 0. Notation: ``t`` a token of the episode, ``s_t`` = (dialogue so far, utterance tokens before
``t``), ``V`` a value head on the policy's hidden state at the position predicting ``t``.

GAE over the episode's tokens (Schulman et al. 2016), discounting between turns only: the discount
``γ`` of the env (per turn, as ArCHer's critic uses it) and ``λ`` apply at utterance boundaries and
are 1 inside an utterance, so the env's time scale is the same for every algorithm:

    δ_t = r_t + γ_t V(s_{t+1}) − V(s_t)            γ_t = γ at an utterance's last token, else 1
    A_t = δ_t + γ_t λ_t A_{t+1}                    λ_t = λ at an utterance's last token, else 1
    R_t = A_t + V(s_t)                             (the value target)

The episode's last token has V(s_{T+1}) = 0 (terminated, or cut by the turn limit unless
``bootstrap_truncated``, as ArCHer treats it). With ``kl_coef > 0`` each token's reward also gets
``−kl_coef · (log π(a_t|s_t) − log π_ref(a_t|s_t))``, π_ref the frozen starting policy.

Update (``ppo_epochs`` passes over the iteration's utterances in minibatches of ``minibatch_size``):

    ratio_t = exp(log π(a_t|s_t) − log π_old(a_t|s_t))
    L_clip  = −E_t[min(ratio_t Â_t, clip(ratio_t, 1 − ε, 1 + ε) Â_t)]
    L_V     = ½ E_t[(V(s_t) − R_t)²]
    L       = L_clip + value_coef · L_V − entropy_coef · E_t[H(π(·|s_t))]

Â is A, or with ``normalize_advantages`` A standardised over the iteration's tokens. Off by default:
when the iteration's episodes have (nearly) equal returns, as most failed Twenty Questions games do,
the standardised advantage is value-estimation noise blown up to unit variance (measured on the
two-step toy: π(red) fell from 0.93 to 0.44 in one iteration once nearly every episode was won). The
value head reads the policy's hidden states detached (``value_trunk="detached"``, the default: value
regression cannot disturb the small policy, as for ArCHer's token baseline) or with gradients into
the shared trunk (``"shared"``). The policy stays in eval mode during updates (no dropout), so
ratio = 1 exactly before the first step. On-policy: each iteration learns from the episodes it
completed; an episode still running when a collection stops finishes in the next one, so its first
turns may come from the previous policy (π_old is recomputed with the current policy before each
update).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from archer_gym.agents import config
from archer_gym.agents.training import RunConfig, SampledPolicyAgents, TrainResult, mean_stats, run_training


@dataclass
class PPOConfig(RunConfig):
    """Every PPO hyperparameter: the shared run fields (:class:`~agents.training.RunConfig`) and these."""

    out: str = "runs/ppo"
    lr: float = 3e-5  # policy learning rate (Adam)
    value_lr: float = 1e-3  # value head learning rate (Adam)
    ppo_epochs: int = 4  # passes over each iteration's utterances
    minibatch_size: int = 64  # utterances per gradient step
    clip_range: float = 0.2  # ε of the clipped ratio
    value_coef: float = 0.5  # weight of L_V
    entropy_coef: float = 0.01  # weight of the entropy bonus
    kl_coef: float = 0.0  # per-token KL penalty to the starting policy (0: off, no reference copy kept)
    gae_lambda: float = 0.95  # λ of GAE, applied between utterances
    normalize_advantages: bool = False  # Â = (A − mean) / std over the iteration's tokens (see the docstring)
    value_trunk: str = "detached"  # "detached": head on detached hidden states; "shared": gradients into the LM
    value_hidden: int = 256  # width of the value head's hidden layer
    target_kl: float | None = None  # stop the iteration's epochs once the approximate KL passes this
    bootstrap_truncated: bool = False  # bootstrap from V(s') when the env's turn limit cut the episode
    score_batch_size: int = 64  # utterances per no-gradient scoring pass (π_old, V, π_ref)

    # Presets (agents.config.make_config): field overrides of the defaults above, which are ``cpu``.
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "cpu": {},  # the same policy, BC start, rollouts and evaluation as ArCHer's cpu preset
        # ArCHer's paper-preset scale (GPT-2, 128 rollouts per iteration, 512 on WebShop); the paper's
        # PPO-specific hyperparameters are not published in a form reproduced here.
        "paper": {"policy_model": "gpt2", "rollouts_per_iteration": 128, "lr": 1e-6, "minibatch_size": 32,
                  "iterations": 100, "max_minutes": None, "max_trajectories": None, "bc_lr": 1e-5, "bc_batch_size": 32,
                  "bc_epochs": 3},
    }
    PRESET_ENV_OVERRIDES: ClassVar[dict[tuple[str, str], dict[str, Any]]] = {
        ("paper", "archer/WebShop-v0"): {"rollouts_per_iteration": 512},
    }

    def checks(self) -> dict[str, bool]:
        return {
            **super().checks(), "lr": self.lr >= 0, "value_lr": self.value_lr > 0, "ppo_epochs": self.ppo_epochs >= 1,
            "minibatch_size": self.minibatch_size >= 1, "clip_range": self.clip_range > 0,
            "value_coef": self.value_coef >= 0, "entropy_coef": self.entropy_coef >= 0, "kl_coef": self.kl_coef >= 0,
            "gae_lambda": 0.0 <= self.gae_lambda <= 1.0, "value_trunk": self.value_trunk in ("detached", "shared"),
            "value_hidden": self.value_hidden >= 1, "target_kl": self.target_kl is None or self.target_kl > 0,
            "score_batch_size": self.score_batch_size >= 1,
            # log-probs are of the temperature-1 distribution: the ratio is only right for rollouts sampled from it
            "temperature": self.temperature == 1.0,
        }


def make_config(preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0", config_file: str | None = None,
                **overrides: Any) -> PPOConfig:
    """Preset → config file (JSON/TOML) → overrides; unknown fields raise ValueError naming them."""
    return config.make_config(PPOConfig, preset, env_id, config_file, **overrides)


def gae(rewards: np.ndarray, values: np.ndarray, gammas: np.ndarray, lambdas: np.ndarray,
        last_value: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(advantages, returns) of one episode's tokens: δ_t = r_t + γ_t V_{t+1} − V_t and
    A_t = δ_t + γ_t λ_t A_{t+1}, with V_{T+1} = ``last_value``."""
    n = len(rewards)
    if not len(values) == len(gammas) == len(lambdas) == n:
        raise ValueError(f"gae needs arrays of one length, got {n}, {len(values)}, {len(gammas)}, {len(lambdas)}")
    advantages = np.zeros(n, dtype=np.float64)
    next_value, next_adv = float(last_value), 0.0
    for t in range(n - 1, -1, -1):
        delta = rewards[t] + gammas[t] * next_value - values[t]
        next_adv = delta + gammas[t] * lambdas[t] * next_adv
        advantages[t] = next_adv
        next_value = values[t]
    return advantages, advantages + values


@dataclass
class _Utterance:
    """One turn of the iteration's data: its tokens' π_old log-probs, advantages and value targets."""

    observation: str
    action: str
    old_logp: np.ndarray
    advantages: np.ndarray
    returns: np.ndarray


class PPOLearner(SampledPolicyAgents):
    """The policy, its value head, the optional frozen reference policy, and the PPO update."""

    agent_name = "ppo"
    metric_columns = ("policy_loss", "value_loss", "entropy", "approx_kl", "clip_fraction", "kl_to_start",
                      "advantage_mean", "advantage_std", "value_mean", "return_target_mean", "ppo_epochs_done")

    def __init__(self, policy, cfg: PPOConfig) -> None:
        self.policy = policy
        self.cfg = cfg
        self.gamma = cfg.discount
        width = int(policy.model.config.hidden_size)
        self.value_head = nn.Sequential(nn.Linear(width, cfg.value_hidden), nn.Tanh(),
                                        nn.Linear(cfg.value_hidden, 1)).to(policy.device)
        self.optimizer = torch.optim.Adam([
            {"params": list(policy.parameters()), "lr": cfg.lr},
            {"params": list(self.value_head.parameters()), "lr": cfg.value_lr},
        ])
        self.reference = None
        if cfg.kl_coef > 0:
            self.reference = copy.deepcopy(policy)
            self.reference.requires_grad_(False)

    # --- scoring -----------------------------------------------------------------------------
    def values_of(self, hidden: torch.Tensor) -> torch.Tensor:
        """V(s_t) for every token position of ``hidden`` [B, T, H]."""
        if self.cfg.value_trunk == "detached":
            hidden = hidden.detach()
        return self.value_head(hidden).squeeze(-1)

    @torch.no_grad()
    def _score_all(self, observations: list[str],
                   actions: list[str]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(log π_old, V, log π_ref or zeros) per utterance, in batches, without gradients."""
        out = []
        for i in range(0, len(observations), self.cfg.score_batch_size):
            obs, acts = observations[i : i + self.cfg.score_batch_size], actions[i : i + self.cfg.score_batch_size]
            scores = self.policy.score(obs, acts, hidden_states=True)
            values = self.values_of(scores.hidden)
            ref = self.reference.score(obs, acts, hidden_states=False).logprobs if self.reference is not None else None
            lengths = scores.mask.sum(-1).tolist()
            for j, n in enumerate(lengths):
                ref_j = ref[j, :n].cpu().numpy() if ref is not None else np.zeros(n)
                out.append((scores.logprobs[j, :n].cpu().numpy(), values[j, :n].cpu().numpy(), ref_j))
        return out

    def _bootstrap_values(self, observations: list[str]) -> list[float]:
        """V(s', no tokens yet) for the final observations of truncated episodes."""
        if not observations:
            return []
        with torch.no_grad():
            scores = self.policy.score(observations, [""] * len(observations), hidden_states=True)
            return self.values_of(scores.hidden)[:, 0].tolist()

    def build_batch(self, episodes) -> tuple[list[_Utterance], dict[str, float]]:
        """Score every utterance of ``episodes`` and run GAE over each episode's tokens."""
        steps = [t for e in episodes for t in e.transitions]
        scored = self._score_all([t.observation for t in steps], [t.action for t in steps])
        truncated = [e for e in episodes if self.cfg.bootstrap_truncated and e.truncated and not e.transitions[-1].done]
        boot = dict(zip(map(id, truncated),
                        self._bootstrap_values([e.transitions[-1].next_observation for e in truncated])))
        utterances: list[_Utterance] = []
        kl_total, tokens, k = 0.0, 0, 0
        for episode in episodes:
            parts = scored[k : k + episode.length]
            k += episode.length
            rewards, gammas, lambdas = [], [], []
            for (logp, _, ref_logp), step in zip(parts, episode.transitions):
                n = len(logp)
                r = np.zeros(n)
                r[-1] = step.reward
                if self.reference is not None:
                    kl = logp - ref_logp  # per-token sample of KL(π ‖ π_ref)
                    r -= self.cfg.kl_coef * kl
                    kl_total += float(kl.sum())
                tokens += n
                g, lam = np.ones(n), np.ones(n)
                g[-1], lam[-1] = self.gamma, self.cfg.gae_lambda
                rewards.append(r), gammas.append(g), lambdas.append(lam)
            values = np.concatenate([v for _, v, _ in parts])
            adv, ret = gae(np.concatenate(rewards), values, np.concatenate(gammas), np.concatenate(lambdas),
                           boot.get(id(episode), 0.0))
            offset = 0
            for (logp, _, _), step in zip(parts, episode.transitions):
                n = len(logp)
                utterances.append(_Utterance(step.observation, step.action, logp, adv[offset : offset + n],
                                             ret[offset : offset + n]))
                offset += n
        all_adv = np.concatenate([u.advantages for u in utterances]) if utterances else np.zeros(0)
        all_values = np.concatenate([v for _, v, _ in scored]) if scored else np.zeros(0)
        stats = {"advantage_mean": float(all_adv.mean()) if all_adv.size else 0.0,
                 "advantage_std": float(all_adv.std()) if all_adv.size else 0.0,
                 "value_mean": float(all_values.mean()) if all_values.size else 0.0,
                 "return_target_mean": float(np.mean([u.returns.mean() for u in utterances])) if utterances else 0.0,
                 "kl_to_start": kl_total / max(tokens, 1) if self.reference is not None else None}
        if self.cfg.normalize_advantages and all_adv.size > 1:
            mean, std = all_adv.mean(), all_adv.std() + 1e-8
            for u in utterances:
                u.advantages = (u.advantages - mean) / std
        return utterances, stats

    # --- the update --------------------------------------------------------------------------
    def _padded(self, arrays: list[np.ndarray], width: int) -> torch.Tensor:
        out = np.zeros((len(arrays), width), dtype=np.float32)
        for i, a in enumerate(arrays):
            out[i, : len(a)] = a
        return torch.as_tensor(out, device=self.policy.device)

    def ppo_step(self, batch: list[_Utterance]) -> dict[str, float]:
        """One gradient step of L = L_clip + value_coef·L_V − entropy_coef·H on a minibatch of utterances."""
        scores = self.policy.score([u.observation for u in batch], [u.action for u in batch], hidden_states=True,
                                   entropy=self.cfg.entropy_coef > 0)
        mask = scores.mask.float()
        width = mask.shape[1]
        old_logp = self._padded([u.old_logp for u in batch], width)
        adv = self._padded([u.advantages for u in batch], width)
        ret = self._padded([u.returns for u in batch], width)
        n = mask.sum().clamp(min=1.0)
        log_ratio = (scores.logprobs - old_logp) * mask
        ratio = log_ratio.exp()
        clipped = ratio.clamp(1.0 - self.cfg.clip_range, 1.0 + self.cfg.clip_range)
        policy_loss = -(torch.minimum(ratio * adv, clipped * adv) * mask).sum() / n
        values = self.values_of(scores.hidden)
        value_loss = 0.5 * (((values - ret) ** 2) * mask).sum() / n
        entropy = (scores.entropy * mask).sum() / n if scores.entropy is not None else torch.zeros(())
        loss = policy_loss + self.cfg.value_coef * value_loss - self.cfg.entropy_coef * entropy
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        params = list(self.policy.parameters()) + list(self.value_head.parameters())
        torch.nn.utils.clip_grad_norm_(params, self.cfg.grad_clip)
        self.optimizer.step()
        with torch.no_grad():
            approx_kl = (((ratio - 1.0) - log_ratio) * mask).sum() / n  # Schulman's k3 estimator of KL(old‖new)
            clip_fraction = (((ratio - 1.0).abs() > self.cfg.clip_range).float() * mask).sum() / n
        return {"policy_loss": float(policy_loss.detach()), "value_loss": float(value_loss.detach()),
                "entropy": float(entropy.detach()), "approx_kl": float(approx_kl),
                "clip_fraction": float(clip_fraction)}

    def update(self, rollout, iteration: int) -> dict[str, float]:
        """Score the rollout's episodes (π_old, V), GAE, then ``ppo_epochs`` epochs of minibatch steps."""
        t = time.perf_counter()
        utterances, row = self.build_batch(rollout.episodes)
        rng = np.random.default_rng(self.cfg.seed + iteration)
        stats: list[dict[str, float]] = []
        epochs = 0
        for _ in range(self.cfg.ppo_epochs):
            order = rng.permutation(len(utterances))
            epoch_stats = [self.ppo_step([utterances[i] for i in order[b : b + self.cfg.minibatch_size]])
                           for b in range(0, len(order), self.cfg.minibatch_size)]
            stats += epoch_stats
            epochs += 1
            if self.cfg.target_kl is not None and np.mean([s["approx_kl"] for s in epoch_stats]) > self.cfg.target_kl:
                break
        row.update(mean_stats(stats))
        row.update(ppo_epochs_done=epochs, actor_s=time.perf_counter() - t, actor_updates=len(stats))
        return row

    # --- agents and persistence --------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        state = {"value_head": self.value_head.state_dict(), "optimizer": self.optimizer.state_dict()}
        if self.reference is not None:
            state["reference"] = {k: v.cpu() for k, v in self.reference.model.state_dict().items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.value_head.load_state_dict(state["value_head"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.reference is not None and "reference" in state:
            self.reference.model.load_state_dict(state["reference"])


def train_ppo(cfg: PPOConfig, log=None, progress: bool = False) -> TrainResult:
    """Run (or resume) token-level PPO from the BC start; logs and checkpoints like ArCHer."""
    return run_training(cfg, PPOLearner, "PPO", log=log, progress=progress)


__all__ = ["PPOConfig", "PPOLearner", "gae", "make_config", "train_ppo"]
