"""Scripted Twenty Questions players (see :mod:`archer_envs.policies` for how they play).

- ``ExpertPolicy()``: greedy information gain over the 188 attribute questions; guesses when at
  most two words remain. Candidates are all 158 words (it does not know the split).
- ``NoisyPolicy(seed)``: behaviour data like LMRL-Gym's (their data: success 0.31, return −17.3):
  mostly random phrasings from the bank, early guesses among the consistent words.
- ``RandomPolicy(seed)``: a random bank phrasing or a guess of a random word.
"""

from __future__ import annotations

from archer_envs import policies
from archer_envs.policies import GameKnowledge
from archer_envs.twenty_questions.knowledge import ANSWERS, INVALID, HEADER, TwentyQuestionsKnowledgeOracle
from archer_envs.twenty_questions.words import WordList


def split_line(line: str) -> tuple[str, str] | None:
    """"<question> <answer>" -> (question, answer); the answer is one of the three fixed answers."""
    for answer in ANSWERS:
        if line.endswith(" " + answer):
            return line[: -len(answer) - 1], answer
    return None


def parse_transcript(observation: str) -> list[tuple[str, str]]:
    """[(question, answer)] from an observation; lines without a known answer are skipped."""
    body = observation[len(HEADER) :] if observation.startswith(HEADER) else observation
    return [t for t in map(split_line, body.splitlines()) if t is not None]


def game_knowledge(oracle: TwentyQuestionsKnowledgeOracle | None = None) -> GameKnowledge:
    oracle = oracle or TwentyQuestionsKnowledgeOracle()
    words = WordList.default()
    return GameKnowledge(
        secrets=[w.name for w in words.words],
        oracle=oracle,
        questions=[a.question for a in oracle.kb.attributes.values()],
        random_questions=[p for p, _ in oracle.kb.phrasing_bank()],
        guess_question=lambda name: words.by_name[name].guess_question,
        split_line=split_line,
        header=HEADER,
        invalid_answers=frozenset({INVALID}),
    )


class ExpertPolicy(policies.ExpertPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = None) -> None:
        super().__init__(game_knowledge(oracle))


class NoisyPolicy(policies.NoisyPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = 0, **kwargs) -> None:
        kwargs = {"random_question_prob": 0.95, "guess_prob": 0.3, **kwargs}
        super().__init__(game_knowledge(oracle), seed, **kwargs)


class RandomPolicy(policies.RandomPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = 0) -> None:
        super().__init__(game_knowledge(oracle), seed)


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
