"""Scripted Twenty Questions players: an expert, a noisy behaviour policy and a random one.

All are *agents* in the project's sense: ``act(observations: list[str]) -> list[str]``, batched and
stateless between calls except for their random generator, so they read the whole history from the
observation. They use the knowledge base only through the knowledge oracle's interpretation of each
transcript line, so they also understand questions asked by someone else.

- :class:`ExpertPolicy`: keeps the words consistent with every answer so far and asks the attribute
  question whose yes/no split of them is most even (greedy information gain); guesses when at most
  two remain. Candidate words are all 158 (it does not know the split).
- :class:`NoisyPolicy`: LMRL-Gym-like behaviour data (LMRL-Gym's data: success 0.31, return −17.3;
  this policy with defaults: about 0.32 and −17.7 over all words): mostly asks a random question
  from the phrasing bank, and guesses early among the consistent words.
- :class:`RandomPolicy`: uniformly a random bank question or a random guess.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from archer_envs.twenty_questions.knowledge import ANSWERS, INVALID, TwentyQuestionsKnowledgeOracle
from archer_envs.twenty_questions.words import WordList

HEADER = "Questions:\n"


def parse_transcript(observation: str) -> list[tuple[str, str]]:
    """[(question, answer)] from an observation; lines without a known answer are skipped."""
    body = observation[len(HEADER) :] if observation.startswith(HEADER) else observation
    turns = []
    for line in body.splitlines():
        for answer in ANSWERS:
            if line.endswith(" " + answer):
                turns.append((line[: -len(answer) - 1], answer))
                break
    return turns


class _KnowledgePlayer:
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = 0) -> None:
        self.oracle = oracle or TwentyQuestionsKnowledgeOracle()
        self.words = WordList.default()
        self.kb = self.oracle.kb
        self.names = [w.name for w in self.words.words]
        self.attribute_ids = list(self.kb.attributes)
        # (words x attributes) truth table for fast splits
        self.table = np.array([[self.kb.value(n, a) for a in self.attribute_ids] for n in self.names], dtype=bool)
        self.guesses = {n: self.words.by_name[n].guess_question for n in self.names}
        self.rng = np.random.default_rng(seed)
        self._reply_codes: dict[str, np.ndarray] = {}

    def consistent(self, turns: Sequence[tuple[str, str]]) -> np.ndarray:
        """Boolean mask over words: those that would have produced every answer in ``turns``."""
        mask = np.ones(len(self.names), dtype=bool)
        for question, answer in turns:
            if answer != INVALID:
                mask &= self._replies(question) == ANSWERS.index(answer)
        return mask

    def _replies(self, question: str) -> np.ndarray:
        """The knowledge oracle's answer to ``question`` for every word, as indices into ANSWERS."""
        codes = self._reply_codes.get(question)
        if codes is None:
            replies = self.oracle.answer(self.names, [question] * len(self.names))
            codes = self._reply_codes[question] = np.array([ANSWERS.index(r) for r in replies], dtype=np.int8)
        return codes

    def guess(self, name: str) -> str:
        return self.guesses[name]

    def best_attribute(self, mask: np.ndarray) -> str | None:
        """The attribute splitting the candidate words most evenly (None if none splits them).
        Attributes already answered split nothing, so they are never asked twice."""
        yes = self.table[mask].sum(axis=0)
        balance = np.minimum(yes, mask.sum() - yes)
        j = int(balance.argmax())
        return self.attribute_ids[j] if balance[j] > 0 else None


class ExpertPolicy(_KnowledgePlayer):
    """Greedy information gain over the knowledge base (deterministic)."""

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self._act_one(o) for o in observations]

    def _act_one(self, observation: str) -> str:
        turns = parse_transcript(observation)
        mask = self.consistent(turns)
        candidates = [n for n, keep in zip(self.names, mask) if keep]
        asked = {q for q, _ in turns}
        candidates = [c for c in candidates if self.guess(c) not in asked]
        if not candidates:  # answers contradicted the knowledge base (another oracle): fall back
            candidates = [n for n in self.names if self.guess(n) not in asked] or self.names
            mask = np.array([n in candidates for n in self.names])
        if len(candidates) <= 2:
            return self.guess(candidates[0])
        attribute = self.best_attribute(mask)
        if attribute is None:  # indistinguishable words left: guess them one by one
            return self.guess(candidates[0])
        return self.kb.attributes[attribute].question


class NoisyPolicy(_KnowledgePlayer):
    """Behaviour policy for offline data: random questions and early guesses.

    Each turn: with ``guess_prob`` (or when at most ``guess_below`` words remain) guess a random
    consistent word; else with ``random_question_prob`` ask a random phrasing of a random attribute;
    else ask the expert's question in a random phrasing.
    """

    def __init__(
        self,
        oracle: TwentyQuestionsKnowledgeOracle | None = None,
        seed: int | None = 0,
        random_question_prob: float = 0.95,
        guess_prob: float = 0.3,
        guess_below: int = 1,
    ) -> None:
        super().__init__(oracle, seed)
        self.random_question_prob = random_question_prob
        self.guess_prob = guess_prob
        self.guess_below = guess_below

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self._act_one(o) for o in observations]

    def _phrasing(self, attribute: str) -> str:
        phrasings = self.kb.attributes[attribute].phrasings
        return phrasings[int(self.rng.integers(len(phrasings)))]

    def _act_one(self, observation: str) -> str:
        turns = parse_transcript(observation)
        mask = self.consistent(turns)
        asked = {q for q, _ in turns}
        candidates = [n for n, keep in zip(self.names, mask) if keep and self.guess(n) not in asked]
        if not candidates:
            candidates = self.names
        if len(candidates) <= self.guess_below or self.rng.random() < self.guess_prob:
            return self.guess(candidates[int(self.rng.integers(len(candidates)))])
        if self.rng.random() < self.random_question_prob:
            return self._phrasing(self.attribute_ids[int(self.rng.integers(len(self.attribute_ids)))])
        attribute = self.best_attribute(mask)
        if attribute is None:
            return self.guess(candidates[0])
        return self._phrasing(attribute)


class RandomPolicy(_KnowledgePlayer):
    """Half the time a random bank question, half the time a guess of a random word."""

    def act(self, observations: Sequence[str]) -> list[str]:
        out = []
        for _ in observations:
            if self.rng.random() < 0.5:
                name = self.names[int(self.rng.integers(len(self.names)))]
                out.append(self.guess(name))
            else:
                attribute = self.kb.attributes[self.attribute_ids[int(self.rng.integers(len(self.attribute_ids)))]]
                out.append(attribute.phrasings[int(self.rng.integers(len(attribute.phrasings)))])
        return out


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
