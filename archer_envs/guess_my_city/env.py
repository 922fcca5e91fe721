"""Guess My City (LMRL-Gym; ArCHer §5.1): find the secret city by asking its resident anything.

Observation: ``"Questions:\\n"`` then one line per turn, ``"<question> <answer>\\n"``; answers are
free text (at most 400 characters) that never contain the city's or the country's name. Reward −1
per turn, 0 on the turn that guesses the city (the episode terminates); truncated after 20 turns.

A guess succeeds when the question names the secret city (or an alias, e.g. Mumbai for Bombay) and
no other city of the game, is not negated, and lists nothing ("Is it Seoul or Kyoto?" never wins).
Nicknames are not names: "Is it a windy city?" asks about the wind, also in Chicago.

Every answer, from any backend, is shown through :mod:`archer_envs.guess_my_city.leak_filter` after
it has been made the transcript's ASCII line, so no disguise of the city's or the country's name
survives (see that module for what counts as naming them).

Reset options: ``split`` ("train" default, "test", "all"), ``city`` (force the secret; name or
alias, case-insensitive). Env kwargs: ``oracle`` ("knowledge" default, "openai", "hf" or an
:class:`~archer_envs.oracles.Oracle`), ``oracle_kwargs``, ``render_mode`` ("ansi").
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from archer_envs.arguments import positive_int
from archer_envs.core import QuestionGame, QuestionGameEnv, QuestionGameVectorEnv
from archer_envs.guess_my_city.cities import CityList
from archer_envs.guess_my_city.knowledge import (
    GUESS_MY_CITY_TASK,
    MAX_ANSWER_CHARS,
    NON_ANSWER,
    CityKnowledgeOracle,
    CityQuestion,
    shared_parser,
)
from archer_envs.guess_my_city.leak_filter import censor, reveals
from archer_envs.oracles import Oracle, make_oracle


@lru_cache(maxsize=1 << 16)
def parse_question(question: str) -> CityQuestion:
    return shared_parser().parse(question)


class GuessMyCityGame(QuestionGame):
    secret_option = "city"
    max_answer_chars = MAX_ANSWER_CHARS

    def __init__(self, max_turns: int = 20) -> None:
        positive_int("max_turns", max_turns)
        self.cities = CityList.default()
        self.max_turns = max_turns
        self._pools = {s: self.cities.names(s) for s in ("train", "test", "all")}

    def secrets(self, split: str) -> list[str]:
        if split not in self._pools:
            raise ValueError(f"unknown split {split!r}: expected one of train, test, all")
        return self._pools[split]

    def resolve_secret(self, name: str) -> str:
        return self.cities.resolve(name)

    def is_correct_guess(self, secret: str, question: str, answer: str) -> bool:
        parsed = parse_question(question)
        return parsed.kind == "guess" and not parsed.negated and parsed.cities == (secret,)

    def is_valid(self, answer: str) -> bool:
        return answer != NON_ANSWER

    def filter_answer(self, secret: str, answer: str) -> str:
        return _censor_cached(answer, *self.cities.forbidden(secret))

    def reveals(self, secret: str, text: str) -> bool:
        """Whether ``text`` names the city or its country (the filter would have to hide something)."""
        return reveals(text, *self.cities.forbidden(secret))


@lru_cache(maxsize=1 << 16)
def _censor_cached(answer: str, city_names: tuple[str, ...], country_names: tuple[str, ...]) -> str:
    return censor(answer, city_names, country_names)


def _oracle(oracle: str | Oracle, oracle_kwargs: dict[str, Any] | None) -> Oracle:
    return make_oracle(oracle, knowledge=CityKnowledgeOracle, task=GUESS_MY_CITY_TASK, oracle_kwargs=oracle_kwargs)


class GuessMyCityEnv(QuestionGameEnv):
    def __init__(
        self,
        oracle: str | Oracle = "knowledge",
        oracle_kwargs: dict[str, Any] | None = None,
        render_mode: str | None = None,
        max_turns: int = 20,
    ) -> None:
        super().__init__(GuessMyCityGame(max_turns), _oracle(oracle, oracle_kwargs), render_mode)


class GuessMyCityVectorEnv(QuestionGameVectorEnv):
    def __init__(
        self,
        num_envs: int,
        oracle: str | Oracle = "knowledge",
        oracle_kwargs: dict[str, Any] | None = None,
        max_turns: int = 20,
        autoreset_mode: str = "NextStep",
        render_mode: str | None = None,
    ) -> None:
        game = GuessMyCityGame(max_turns)
        super().__init__(game, _oracle(oracle, oracle_kwargs), num_envs, autoreset_mode, render_mode)
