"""Guess My City with two agents: ``asker`` guesses the city, ``answerer`` lives there.

    from archer_envs.multiagent import guess_my_city_v0

    env = guess_my_city_v0.env()            # AEC (PettingZoo), with its order-enforcing wrapper
    par = guess_my_city_v0.parallel_env()   # Parallel: one step = the move of the agent to act

Rules, observations and the asker's rewards are the single-agent ``archer/GuessMyCity-v0``'s (see
:mod:`archer_envs.multiagent.two_role`); the answerer's reply goes through the same leak filter as any
oracle's. Its consistency score: 0 when the reply names the city or its country (the filter had to
censor it), else the F1 overlap of its content words (stemmed, stop words removed) with the knowledge
oracle's answer to the same question (reward ``score − 1``).

Keyword arguments: ``max_turns`` (20), ``oracle_kwargs`` (for the reference knowledge oracle, e.g.
``{"matcher": "lexical"}``), ``render_mode`` ("ansi").
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from pettingzoo.utils import wrappers

from archer_envs.guess_my_city.env import GuessMyCityGame
from archer_envs.guess_my_city.knowledge import GUESS_MY_CITY_TASK, CityKnowledgeOracle
from archer_envs.matching import content_words
from archer_envs.multiagent.two_role import TwoRoleGame, TwoRoleQuestionEnv, TwoRoleQuestionParallelEnv


def content_f1(text: str, reference: str) -> float:
    """F1 of the two texts' content-word multisets (1 when both have none)."""
    a, b = Counter(content_words(text)), Counter(content_words(reference))
    if not a and not b:
        return 1.0
    common = sum((a & b).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(a.values()), common / sum(b.values())
    return 2 * precision * recall / (precision + recall)


def leak_aware_score(game: GuessMyCityGame, secret: str, answer: str, reference: str) -> float:
    """0 for a reply that leaks the city or country, else its content-word F1 with the reference."""
    if game.reveals(secret, answer):
        return 0.0
    return content_f1(answer, reference)


GAME = TwoRoleGame("guess_my_city_v0", GuessMyCityGame, GUESS_MY_CITY_TASK, CityKnowledgeOracle, leak_aware_score)


def raw_env(**kwargs: Any) -> TwoRoleQuestionEnv:
    return TwoRoleQuestionEnv(GAME, **kwargs)


def env(**kwargs: Any):
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> TwoRoleQuestionParallelEnv:
    return TwoRoleQuestionParallelEnv(GAME, **kwargs)
