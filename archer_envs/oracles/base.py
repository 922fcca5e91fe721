"""The oracle interface: the simulated other party of a text game, answering in batches.

An environment never knows which backend answers. It calls ``oracle.answer(secrets, questions)``
once per step (once per *vector* step for the batched env) and appends what comes back.

Backends
    knowledge  deterministic, offline, shipped with the package (one per game)
    openai     any OpenAI-compatible chat endpoint (OpenAI, vLLM, Ollama, llama.cpp server)
    hf         a local Hugging Face model (seq2seq or causal), greedy and batched

The LLM backends are generic: what is game-specific (the prompt and how a free-text reply is
normalised into the game's answers) lives in an :class:`OracleTask` that each game supplies.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OracleTask:
    """What an LLM backend needs to play the oracle of one game.

    ``system`` is the system message; ``user(secret, question)`` builds the user message;
    ``normalize(reply)`` maps the model's free text onto the game's answer vocabulary.
    ``name`` keys on-disk caches, so change it when the prompt changes.
    """

    name: str
    system: str
    user: Callable[[str, str], str]
    normalize: Callable[[str], str]


class Oracle(ABC):
    """Answers ``questions[i]`` about ``secrets[i]``, with an in-memory cache per (secret, question).

    Subclasses implement :meth:`_answer_batch` for the cache misses only (already de-duplicated),
    so a question repeated in a batch or across episodes costs one backend call.
    """

    # Entries kept before the cache is emptied (RL agents ask ever-new questions; memory stays bounded).
    max_cache_entries = 1_000_000

    def __init__(self, cache: bool = True) -> None:
        self._cache: dict[tuple[str, str], str] | None = {} if cache else None
        self.backend_calls = 0  # number of _answer_batch calls (batches), for tests and benchmarks
        self.backend_queries = 0  # number of (secret, question) pairs sent to the backend

    def answer(self, secrets: Sequence[str], questions: Sequence[str]) -> list[str]:
        if len(secrets) != len(questions):
            raise ValueError(
                f"answer() needs one secret per question, got {len(secrets)} secrets and "
                f"{len(questions)} questions"
            )
        keys = list(zip(secrets, questions))
        if self._cache is None:
            return self._call(keys)
        missing = list(dict.fromkeys(k for k in keys if k not in self._cache))
        if missing:
            if len(self._cache) + len(missing) > self.max_cache_entries:
                self._cache.clear()
            for key, value in zip(missing, self._call(missing)):
                self._cache[key] = value
        return [self._cache[k] for k in keys]

    def _call(self, keys: list[tuple[str, str]]) -> list[str]:
        self.backend_calls += 1
        self.backend_queries += len(keys)
        answers = self._answer_batch([s for s, _ in keys], [q for _, q in keys])
        if len(answers) != len(keys):
            raise RuntimeError(
                f"{type(self).__name__} returned {len(answers)} answers for {len(keys)} questions"
            )
        return answers

    def clear_cache(self) -> None:
        if self._cache is not None:
            self._cache.clear()

    @abstractmethod
    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        """Answer each (secret, question) pair; no caching needed here."""

    def close(self) -> None:  # noqa: B027  (optional hook: the knowledge oracles hold nothing to release)
        """Release resources (HTTP clients, models). Safe to call twice."""
