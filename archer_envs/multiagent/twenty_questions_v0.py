"""Twenty Questions with two agents: ``asker`` guesses the object, ``answerer`` knows it.

    from archer_envs.multiagent import twenty_questions_v0

    env = twenty_questions_v0.env()            # AEC (PettingZoo), with its order-enforcing wrapper
    par = twenty_questions_v0.parallel_env()   # Parallel: one step = the move of the agent to act

Rules, observations and the asker's rewards are the single-agent ``archer/TwentyQuestions-v0``'s
(see :mod:`archer_envs.multiagent.two_role`). The answerer's reply is normalised to "Yes.", "No." or
"Invalid Question." as an LLM oracle's would be; its consistency score is 1 when that equals the
knowledge oracle's answer to the same question, else 0 (reward ``score − 1``).

Keyword arguments: ``subset`` (the paper's 10-word subset), ``max_turns`` (20), ``oracle_kwargs``
(for the reference knowledge oracle, e.g. ``{"matcher": "lexical"}``), ``render_mode`` ("ansi").
"""

from __future__ import annotations

from typing import Any

from pettingzoo.utils import wrappers

from archer_envs.multiagent.two_role import TwoRoleGame, TwoRoleQuestionEnv, TwoRoleQuestionParallelEnv
from archer_envs.twenty_questions.env import TwentyQuestionsGame
from archer_envs.twenty_questions.knowledge import TWENTY_QUESTIONS_TASK, TwentyQuestionsKnowledgeOracle
from archer_envs.twenty_questions.words import PAPER_SUBSET


def _game(subset: bool = False, max_turns: int = 20) -> TwentyQuestionsGame:
    return TwentyQuestionsGame(PAPER_SUBSET if subset else None, max_turns)


def exact_answer_score(game, secret: str, answer: str, reference: str) -> float:
    """1 when the (normalised) answer is the knowledge oracle's, else 0."""
    return 1.0 if answer == reference else 0.0


GAME = TwoRoleGame("twenty_questions_v0", _game, TWENTY_QUESTIONS_TASK, TwentyQuestionsKnowledgeOracle,
                   exact_answer_score)


def raw_env(**kwargs: Any) -> TwoRoleQuestionEnv:
    return TwoRoleQuestionEnv(GAME, **kwargs)


def env(**kwargs: Any):
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


def parallel_env(**kwargs: Any) -> TwoRoleQuestionParallelEnv:
    return TwoRoleQuestionParallelEnv(GAME, **kwargs)
