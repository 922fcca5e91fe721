"""Behaviour cloning: supervised fine-tuning of the LM policy on a dataset's utterances.

With ``top_fraction < 1`` only the trajectories whose return is in the top fraction are kept
(offline filtered BC; ArCHer's online filtered BC keeps the top 10%). The result is the checkpoint
every online algorithm starts from, as in the paper (all methods start from the same SFT policy).

Loss: the mean negative log-likelihood per utterance token of ``action + "\\n"`` given the
observation (teacher forcing), AdamW, gradient clipping. Checkpoints after every epoch; a run whose
``out`` directory already holds a checkpoint resumes from it, and only when it is the same run: the
same settings (all but ``epochs``, ``out`` and ``device``) on the same data (by SHA-256); anything
else is refused with an error naming what differs.

The BC start (:func:`bc_start`): every online algorithm starts from one such checkpoint, made from
behaviour data generated for the run (:func:`make_behaviour_data`) when the run names none.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from archer_gym.agents.checkpoint import check_resumable, file_sha256, is_checkpoint, load_checkpoint, save_checkpoint
from archer_gym.agents.progress import stage
from archer_gym.agents.training import BC_DIR, RunConfig

# Fields a resumed BC run may change: where it lives and runs, and how many epochs it trains in all.
RESUMABLE_CHANGES = ("out", "epochs", "device", "extra", "dataset")  # the dataset is compared by content


@dataclass
class BCConfig:
    dataset: str  # trajectories JSONL (``archer data generate``)
    out: str  # checkpoint directory
    top_fraction: float = 1.0  # keep trajectories with return in this top fraction (1.0 = plain BC)
    epochs: int = 3  # passes over the kept utterances
    batch_size: int = 32  # utterances per gradient step
    lr: float = 3e-4  # AdamW learning rate
    weight_decay: float = 0.0  # AdamW weight decay
    grad_clip: float = 1.0  # max gradient norm
    seed: int = 0  # model init, tokenizer training and shuffling
    init: str | None = None  # a checkpoint / model path or hub name; None: the offline default policy
    vocab_size: int = 2000  # offline default: BPE vocabulary trained on the dataset's text
    n_layer: int = 4  # offline default: GPT-2 layers
    n_embd: int = 256  # offline default: GPT-2 width
    n_head: int = 4  # offline default: attention heads
    max_new_tokens: int = 32  # longest utterance the policy generates
    device: str | None = None  # default: CUDA when present
    extra: dict = field(default_factory=dict)  # free-form notes saved with the checkpoint


@dataclass
class BCResult:
    checkpoint: Path
    epoch_losses: list[float]
    utterances: int
    trajectories_kept: int
    seconds: float


def _pairs(dataset: str, top_fraction: float) -> tuple[list[tuple[str, str]], int]:
    """(observation, action) pairs of the kept trajectories, and how many trajectories were kept."""
    from archer_gym.agents.data import load_dataset

    if not 0.0 < top_fraction <= 1.0:
        raise ValueError(f"top_fraction must be in (0, 1], got {top_fraction!r}")
    trajectories = load_dataset(dataset)
    if not trajectories:
        raise ValueError(f"dataset {dataset} holds no trajectories")
    returns = np.array([t.ret for t in trajectories], dtype=float)
    threshold = np.quantile(returns, 1.0 - top_fraction) if top_fraction < 1.0 else -math.inf
    kept = [t for t, r in zip(trajectories, returns) if r >= threshold]
    pairs = [(turn.observation, turn.action) for t in kept for turn in t.turns]
    return pairs, len(kept)


def _policy(cfg: BCConfig, pairs: list[tuple[str, str]]):
    from archer_gym.agents.lm_policy import LMPolicy

    if cfg.init is None:
        texts = [o for o, _ in pairs[:5000]] + [a + "\n" for _, a in pairs[:5000]]
        return LMPolicy.offline_default(
            texts, seed=cfg.seed, vocab_size=cfg.vocab_size, n_layer=cfg.n_layer, n_embd=cfg.n_embd,
            n_head=cfg.n_head, device=cfg.device, max_new_tokens=cfg.max_new_tokens,
        )
    if is_checkpoint(cfg.init):
        return load_checkpoint(cfg.init, device=cfg.device)[0]
    return LMPolicy.from_pretrained(cfg.init, device=cfg.device, max_new_tokens=cfg.max_new_tokens)


def train_bc(cfg: BCConfig, progress: bool = False, log=None) -> BCResult:
    """Train (or resume) behaviour cloning; returns the final checkpoint and per-epoch losses."""
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    pairs, kept = _pairs(cfg.dataset, cfg.top_fraction)
    out = Path(cfg.out)
    data_sha256 = file_sha256(cfg.dataset)
    if is_checkpoint(out):
        policy, saved, state = load_checkpoint(out, device=cfg.device)
        check_resumable(out, saved, asdict(cfg), ignore=RESUMABLE_CHANGES)
        if state.get("dataset_sha256", data_sha256) != data_sha256 or (
                "dataset_sha256" not in state and saved.get("dataset") != cfg.dataset):
            raise ValueError(f"{out} holds a BC run on other data than {cfg.dataset} (dataset SHA-256 differs): it is "
                             f"not resumed. Use another --out, or delete {out} to start over.")
    else:
        policy, state = _policy(cfg, pairs), {"epoch": 0, "step": 0, "epoch_losses": []}
    state["dataset_sha256"] = data_sha256
    optimizer = torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if "optimizer" in state:
        optimizer.load_state_dict(state["optimizer"])
    rng = np.random.default_rng(cfg.seed)
    for _ in range(state["epoch"]):  # replay the shuffles of finished epochs, so a resume continues the stream
        rng.permutation(len(pairs))
    policy.train()
    for epoch in range(state["epoch"], cfg.epochs):
        order = rng.permutation(len(pairs))
        batches = range(0, len(order), cfg.batch_size)
        if progress:
            from tqdm import tqdm

            batches = tqdm(batches, desc=f"BC epoch {epoch + 1}/{cfg.epochs}", leave=False)
        total, tokens = 0.0, 0
        for b in batches:
            idx = order[b : b + cfg.batch_size]
            token_logps, mask = policy.log_probs([pairs[i][0] for i in idx], [pairs[i][1] for i in idx],
                                                 reduction="none")
            n = mask.sum()
            loss = -(token_logps * mask).sum() / n
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip)
            optimizer.step()
            total += float(loss.detach()) * float(n)
            tokens += int(n)
            state["step"] += 1
        epoch_loss = total / max(tokens, 1)
        state["epoch_losses"].append(epoch_loss)
        state["epoch"] = epoch + 1
        state["optimizer"] = optimizer.state_dict()
        save_checkpoint(out, policy, asdict(cfg), state)
        if log is not None:
            log(epoch + 1, bc_loss=epoch_loss, utterances=len(pairs))
    policy.eval()
    return BCResult(out, list(state["epoch_losses"]), len(pairs), kept, time.perf_counter() - start)


# --- the BC start of the online algorithms --------------------------------------------------------
def bc_start(cfg: RunConfig, log=None) -> Path:
    """The BC checkpoint every algorithm starts from: ``cfg.init``, else ``out/bc``, made when missing
    from ``behaviour_episodes`` episodes of the ``behaviour_policy`` plus ``expert_episodes`` of the
    scripted expert, all on the protocol's training split (``cfg.behaviour_path``). ``log`` gets BC's
    epoch rows, and its stage messages when it takes them (:class:`archer_gym.agents.progress.ProgressLog`)."""
    if cfg.init is not None:
        if not Path(cfg.init).is_dir():
            raise FileNotFoundError(f"init {cfg.init!r}: no such checkpoint directory")
        return Path(cfg.init)
    bc_dir = Path(cfg.out) / BC_DIR
    bc_cfg = BCConfig(
        dataset=str(cfg.behaviour_path), out=str(bc_dir), epochs=cfg.bc_epochs, batch_size=cfg.bc_batch_size,
        lr=cfg.bc_lr, seed=cfg.seed, init=cfg.policy_model, n_layer=cfg.policy_layers, n_embd=cfg.policy_width,
        n_head=cfg.policy_heads, max_new_tokens=cfg.max_new_tokens, device=cfg.device,
    )
    if not cfg.behaviour_path.is_file():
        stage(log, f"behaviour data: {cfg.behaviour_episodes} {cfg.behaviour_policy} + {cfg.expert_episodes} expert "
                   f"episodes on the {cfg.train_split} split -> {cfg.behaviour_path}")
        make_behaviour_data(cfg, cfg.behaviour_path)
    epochs = f"{cfg.bc_epochs} epoch{'s' if cfg.bc_epochs != 1 else ''}"
    stage(log, f"behaviour cloning: {epochs} -> {bc_dir} (a finished one is reused)")
    train_bc(bc_cfg, progress=sys.stderr.isatty(), log=log)  # returns at once when finished; refuses another run's
    return bc_dir


def make_behaviour_data(cfg: RunConfig, path: str | Path) -> list:
    """Write the behaviour dataset (JSONL, written whole then renamed) and return its trajectories."""
    from archer_envs.benchmark import write_atomic
    from archer_gym.agents.data import generate_dataset

    trajectories = generate_dataset(cfg.env_id, policy=cfg.behaviour_policy, episodes=cfg.behaviour_episodes,
                                    split=cfg.train_split, seed=cfg.seed)
    if cfg.expert_episodes:
        trajectories += generate_dataset(cfg.env_id, policy="expert", episodes=cfg.expert_episodes,
                                         split=cfg.train_split, seed=cfg.seed)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, (json.dumps(t.to_json()) + "\n" for t in trajectories))
    return trajectories


__all__ = ["BCConfig", "BCResult", "bc_start", "make_behaviour_data", "train_bc"]
