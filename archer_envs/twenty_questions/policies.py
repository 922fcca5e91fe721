"""Scripted Twenty Questions players (see :mod:`archer_envs.policies` for how they play).

- ``ExpertPolicy(secrets=None)``: greedy information gain over the 188 attribute questions; guesses
  when at most two words remain. Candidates are the game's secret set: all 158 words (it does not
  know the split), or the words it is given (the Subset's 10: ``scripted_policy`` passes them).
- ``NoisyPolicy(seed)``: behaviour data like LMRL-Gym's (their data: success 0.31, return −17.3):
  mostly random phrasings from the bank, early guesses among the consistent words.
- ``RandomPolicy(seed)``: a random bank phrasing or a guess of a random word.
"""

from __future__ import annotations

from collections.abc import Sequence

from archer_envs import policies
from archer_envs.policies import GameKnowledge
from archer_envs.twenty_questions.knowledge import ANSWERS, HEADER, INVALID, TwentyQuestionsKnowledgeOracle
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


def game_knowledge(oracle: TwentyQuestionsKnowledgeOracle | None = None,
                   secrets: Sequence[str] | None = None) -> GameKnowledge:
    """What the scripted players know; ``secrets`` restricts the candidates (default: all words)."""
    oracle = oracle or TwentyQuestionsKnowledgeOracle()
    words = WordList.default()
    names = [w.name for w in words.words]
    if secrets is not None:
        unknown = [s for s in secrets if s not in words.by_name]
        if unknown or not secrets:
            raise ValueError(f"secrets must be a non-empty list of word names, unknown: {unknown}")
        names = list(secrets)
    return GameKnowledge(
        secrets=names,
        oracle=oracle,
        questions=[a.question for a in oracle.kb.attributes.values()],
        random_questions=[p for p, _ in oracle.kb.phrasing_bank()],
        guess_question=lambda name: words.by_name[name].guess_question,
        split_line=split_line,
        header=HEADER,
        invalid_answers=frozenset({INVALID}),
    )


class ExpertPolicy(policies.ExpertPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = None,
                 secrets: Sequence[str] | None = None) -> None:
        super().__init__(game_knowledge(oracle, secrets))


class NoisyPolicy(policies.NoisyPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = 0, **kwargs) -> None:
        kwargs = {"random_question_prob": 0.95, "guess_prob": 0.3, **kwargs}
        super().__init__(game_knowledge(oracle), seed, **kwargs)


class RandomPolicy(policies.RandomPolicy):
    def __init__(self, oracle: TwentyQuestionsKnowledgeOracle | None = None, seed: int | None = 0) -> None:
        super().__init__(game_knowledge(oracle), seed)


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
