"""ArCHer's utterance-level critic: a shared text encoder under two Q heads and two V heads.

Zhou et al. 2024, §4.3 ("Practical instantiation"): the high level learns Q(s, a) and V(s) over
*utterances*. The state ``s`` (the dialogue so far) and the action ``a`` (the agent's whole reply)
are encoded separately by one encoder, giving ``h_s`` and ``h_a``:

    Q_i(s, a) = MLP_Qi([h_s ; h_a])        i = 1, 2   (double critic, as in TD3/SAC)
    V_i(s)    = MLP_Vi(h_s)                i = 1, 2

The encoder is a Hugging Face encoder: ``roberta-base`` (the paper's choice) by name or local path
when available, or by default a small RoBERTa built from config that reads text with the policy's
own tokenizer, so that everything runs offline. Texts longer than the encoder's budget keep their
*end* (the newest turns of a dialogue), like the policy's left truncation.
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Sequence

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
            tokenizer = AutoTokenizer.from_pretrained(name_or_path)
            model = AutoModel.from_pretrained(name_or_path)
        except (OSError, ValueError) as err:
            raise ValueError(
                f"could not load the critic encoder {name_or_path!r} (a hub name needs its files cached or "
                f"downloadable; use critic_init=None for the offline small encoder): {err}"
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

    def values(self, observations: Sequence[str], h_obs: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(V1, V2), each [B]."""
        h_obs = self.encoder(observations) if h_obs is None else h_obs
        return self.v1(h_obs).squeeze(-1), self.v2(h_obs).squeeze(-1)

    def forward(self, observations: Sequence[str], actions: Sequence[str]):
        """(Q1, Q2, V1, V2) with the observations encoded once."""
        h_obs = self.encoder(observations)
        q1, q2 = self.q_values(observations, actions, h_obs)
        v1, v2 = self.values(observations, h_obs)
        return q1, q2, v1, v2

    def target_copy(self) -> DoubleCritic:
        """A frozen deep copy: the target network."""
        target = copy.deepcopy(self)
        target.requires_grad_(False)
        return target


@torch.no_grad()
def polyak_update(target: nn.Module, online: nn.Module, tau: float) -> None:
    """θ̄ ← (1 − τ) θ̄ + τ θ for every parameter (buffers are copied)."""
    if not 0.0 <= tau <= 1.0:
        raise ValueError(f"tau must be in [0, 1], got {tau!r}")
    for t, o in zip(target.parameters(), online.parameters()):
        t.lerp_(o, tau)
    for t, o in zip(target.buffers(), online.buffers()):
        t.copy_(o)
