"""Twenty Questions: env, knowledge base and oracle, question parser, scripted policies."""

from archer_envs.twenty_questions.env import TwentyQuestionsEnv, TwentyQuestionsGame, TwentyQuestionsVectorEnv
from archer_envs.twenty_questions.knowledge import (
    ANSWERS,
    INVALID,
    NO,
    TWENTY_QUESTIONS_TASK,
    YES,
    KnowledgeBase,
    TwentyQuestionsKnowledgeOracle,
)
from archer_envs.twenty_questions.words import PAPER_SUBSET, WordList

__all__ = [
    "ANSWERS", "INVALID", "NO", "YES", "PAPER_SUBSET", "TWENTY_QUESTIONS_TASK", "KnowledgeBase",
    "TwentyQuestionsEnv", "TwentyQuestionsGame", "TwentyQuestionsKnowledgeOracle",
    "TwentyQuestionsVectorEnv", "WordList",
]
