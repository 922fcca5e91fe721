"""Twenty Questions (LMRL-Gym; ArCHer §5.1): find the secret object with yes/no questions.

Observation: ``"Questions:\\n"`` then one line per turn, ``"<question> <answer>\\n"``, where the
answer is ``Yes.``, ``No.`` or ``Invalid Question.``. Reward −1 per turn, 0 on the turn that guesses
the word (the episode then terminates); truncated after 20 turns, so returns lie in [−20, 0].

Reset options: ``split`` ("train" default, "test", "all"), ``word`` (force the secret; any variant
or alias, case-insensitive). Env kwargs: ``oracle`` ("knowledge" default, "openai", "hf", or an
:class:`~archer_envs.oracles.Oracle`), ``oracle_kwargs``, ``render_mode`` ("ansi").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from archer_envs.arguments import positive_int
from archer_envs.core import QuestionGame, QuestionGameEnv, QuestionGameVectorEnv
from archer_envs.oracles import Oracle, make_oracle
from archer_envs.twenty_questions.knowledge import (
    INVALID,
    TWENTY_QUESTIONS_TASK,
    YES,
    TwentyQuestionsKnowledgeOracle,
    shared_parser,
)
from archer_envs.twenty_questions.parse import Parsed
from archer_envs.twenty_questions.words import PAPER_SUBSET, WordList


@lru_cache(maxsize=1 << 16)
def parse_question(question: str) -> Parsed:
    return shared_parser().parse(question)


class TwentyQuestionsGame(QuestionGame):
    secret_option = "word"
    max_answer_chars = len(INVALID)

    def __init__(self, subset: tuple[str, ...] | None = None, max_turns: int = 20) -> None:
        positive_int("max_turns", max_turns)
        self.words = WordList.default()
        self.subset = subset
        self.max_turns = max_turns
        self._pools = {s: self.words.names(s, subset) for s in ("train", "test", "all")}

    def secrets(self, split: str) -> list[str]:
        if split not in self._pools:
            raise ValueError(f"unknown split {split!r}: expected one of train, test, all")
        return self._pools[split]

    def resolve_secret(self, name: str) -> str:
        return self.words.resolve(name, allowed=self._pools["all"])

    def is_correct_guess(self, secret: str, question: str, answer: str) -> bool:
        # A win needs the oracle's "Yes." to a question that guesses exactly the secret: lists of
        # candidates ("a cat, a dog or a cow?") and mere mentions ("a cat-like animal?") never win.
        if answer != YES:
            return False
        parsed = parse_question(question)
        return parsed.kind == "guess" and not parsed.negated and parsed.words == (secret,)

    def is_valid(self, answer: str) -> bool:
        return answer != INVALID


def _oracle(oracle: str | Oracle, oracle_kwargs: dict[str, Any] | None) -> Oracle:
    return make_oracle(
        oracle, knowledge=TwentyQuestionsKnowledgeOracle, task=TWENTY_QUESTIONS_TASK, oracle_kwargs=oracle_kwargs
    )


class TwentyQuestionsEnv(QuestionGameEnv):
    def __init__(
        self,
        oracle: str | Oracle = "knowledge",
        oracle_kwargs: dict[str, Any] | None = None,
        render_mode: str | None = None,
        subset: bool = False,
        max_turns: int = 20,
    ) -> None:
        game = TwentyQuestionsGame(PAPER_SUBSET if subset else None, max_turns)
        super().__init__(game, _oracle(oracle, oracle_kwargs), render_mode)


class TwentyQuestionsVectorEnv(QuestionGameVectorEnv):
    def __init__(
        self,
        num_envs: int,
        oracle: str | Oracle = "knowledge",
        oracle_kwargs: dict[str, Any] | None = None,
        subset: bool = False,
        max_turns: int = 20,
        autoreset_mode: str = "NextStep",
        render_mode: str | None = None,
    ) -> None:
        game = TwentyQuestionsGame(PAPER_SUBSET if subset else None, max_turns)
        super().__init__(game, _oracle(oracle, oracle_kwargs), num_envs, autoreset_mode, render_mode)
