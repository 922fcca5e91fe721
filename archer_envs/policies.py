"""Scripted players for question games: an expert, a noisy behaviour policy and a random one.

All are *agents*: ``act(observations: list[str]) -> list[str]``, batched, and stateless between
calls except for their random generator; they read the history from the observation. Each game
supplies a :class:`GameKnowledge`: its secrets, a deterministic oracle, the questions worth asking,
how to guess a secret, and how to split a transcript line into (question, answer).

- :class:`ExpertPolicy`: keeps the secrets consistent with every answer so far (a secret is
  consistent when the oracle would have answered every past question the same way for it) and asks
  the question that minimises the expected number of secrets left (for yes/no questions: the most
  even split, i.e. greedy information gain); guesses when at most two remain.
- :class:`NoisyPolicy`: behaviour data for offline RL: mostly random questions, early guesses.
- :class:`RandomPolicy`: a random question or a random guess, half and half.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from archer_envs.oracles import Oracle


@dataclass
class GameKnowledge:
    secrets: list[str]
    oracle: Oracle  # deterministic (the knowledge oracle)
    questions: list[str]  # what the expert chooses from
    random_questions: list[str]  # what the noisy and random policies draw from
    guess_question: Callable[[str], str]
    split_line: Callable[[str], tuple[str, str] | None]
    header: str = "Questions:\n"
    invalid_answers: frozenset[str] = frozenset()  # answers that carry no information
    yes_no_answers: frozenset[str] = frozenset({"Yes.", "No."})


class CandidateElimination:
    """The bookkeeping shared by the scripted players."""

    def __init__(self, game: GameKnowledge) -> None:
        self.game = game
        self.secrets = list(game.secrets)
        self.guesses = {s: game.guess_question(s) for s in self.secrets}
        self._answer_ids: dict[str, int] = {}
        self._replies: dict[str, np.ndarray] = {}
        self._table: np.ndarray | None = None

    def transcript(self, observation: str) -> list[tuple[str, str]]:
        header = self.game.header
        body = observation[len(header) :] if observation.startswith(header) else observation
        return [t for t in map(self.game.split_line, body.splitlines()) if t is not None]

    def replies(self, question: str) -> np.ndarray:
        """The oracle's answer to ``question`` for every secret, as interned answer ids."""
        codes = self._replies.get(question)
        if codes is None:
            answers = self.game.oracle.answer(self.secrets, [question] * len(self.secrets))
            codes = np.array([self._answer_ids.setdefault(a, len(self._answer_ids)) for a in answers])
            self._replies[question] = codes
        return codes

    def consistent(self, turns: Sequence[tuple[str, str]], yes_no_only: bool = False) -> np.ndarray:
        """Secrets for which the oracle would have given every answer in ``turns``; with
        ``yes_no_only``, free-text answers are not used as evidence."""
        mask = np.ones(len(self.secrets), dtype=bool)
        for question, answer in turns:
            if answer in self.game.invalid_answers or (yes_no_only and answer not in self.game.yes_no_answers):
                continue
            mask &= self.replies(question) == self._answer_ids.get(answer, -1)
        return mask

    def candidates(self, turns: Sequence[tuple[str, str]], yes_no_only: bool = False) -> tuple[list[str], np.ndarray]:
        """Secrets consistent with the transcript and not yet guessed (all unguessed ones if the
        answers contradict the knowledge, e.g. when another oracle answered)."""
        asked = {q for q, _ in turns}
        unguessed = np.array([self.guesses[s] not in asked for s in self.secrets])
        mask = self.consistent(turns, yes_no_only) & unguessed
        if not mask.any():
            mask = unguessed if unguessed.any() else np.ones(len(self.secrets), dtype=bool)
        return [s for s, keep in zip(self.secrets, mask) if keep], mask

    def best_question(self, mask: np.ndarray) -> str | None:
        """The question minimising the expected number of candidates left, or None if none splits them."""
        if self._table is None:
            self._table = np.stack([self.replies(q) for q in self.game.questions])
        rows = self._table[:, mask]
        n = rows.shape[1]
        scores = np.array([np.square(np.unique(r, return_counts=True)[1]).sum() for r in rows])
        j = int(scores.argmin())
        return self.game.questions[j] if scores[j] < n * n else None


class ExpertPolicy:
    def __init__(self, game: GameKnowledge) -> None:
        self.state = CandidateElimination(game)

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self._act_one(o) for o in observations]

    def _act_one(self, observation: str) -> str:
        candidates, mask = self.state.candidates(self.state.transcript(observation))
        if len(candidates) <= 2:
            return self.state.guesses[candidates[0]]
        question = self.state.best_question(mask)
        return question if question is not None else self.state.guesses[candidates[0]]


class NoisyPolicy:
    """Each turn: with ``guess_prob`` (or when at most ``guess_below`` secrets remain) guess a random
    consistent secret; else with ``random_question_prob`` ask a random question; else the expert's.
    With ``yes_no_only`` it only learns from yes/no answers (a weaker reader of free-text answers);
    from turn ``guess_after`` on it only guesses."""

    def __init__(
        self,
        game: GameKnowledge,
        seed: int | None = 0,
        random_question_prob: float = 0.9,
        guess_prob: float = 0.3,
        guess_below: int = 1,
        yes_no_only: bool = False,
        guess_after: int | None = None,
    ) -> None:
        self.state = CandidateElimination(game)
        self.yes_no_only = yes_no_only
        self.guess_after = guess_after
        self.rng = np.random.default_rng(seed)
        self.random_question_prob = random_question_prob
        self.guess_prob = guess_prob
        self.guess_below = guess_below

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self._act_one(o) for o in observations]

    def _act_one(self, observation: str) -> str:
        turns = self.state.transcript(observation)
        candidates, mask = self.state.candidates(turns, self.yes_no_only)
        late = self.guess_after is not None and len(turns) >= self.guess_after
        if late or len(candidates) <= self.guess_below or self.rng.random() < self.guess_prob:
            return self.state.guesses[candidates[int(self.rng.integers(len(candidates)))]]
        pool = self.state.game.random_questions
        if self.rng.random() < self.random_question_prob:
            return pool[int(self.rng.integers(len(pool)))]
        question = self.state.best_question(mask)
        return question if question is not None else self.state.guesses[candidates[0]]


class RandomPolicy:
    def __init__(self, game: GameKnowledge, seed: int | None = 0) -> None:
        self.game = game
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str]) -> list[str]:
        out = []
        for _ in observations:
            if self.rng.random() < 0.5:
                out.append(self.game.guess_question(self.game.secrets[int(self.rng.integers(len(self.game.secrets)))]))
            else:
                out.append(self.game.random_questions[int(self.rng.integers(len(self.game.random_questions)))])
        return out


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
