"""The shipped Twenty Questions knowledge base and the deterministic offline oracle built on it.

Data (``archer_envs/data/twenty_questions/``):
  attributes.json  188 yes/no attributes: id, canonical question, definition, 6–10 phrasings each
  knowledge.json   for each of the 158 words: typical size (cm), weight (kg), the attributes that are true
Every attribute not listed for a word is false. Consistency rules are tested in tests/test_knowledge_base.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from archer_envs.matching import make_matcher
from archer_envs.oracles import Oracle, OracleTask
from archer_envs.questions import normalize, relative_polarity
from archer_envs.twenty_questions.parse import Parsed, QuestionParser
from archer_envs.twenty_questions.words import WordList

HEADER = "Questions:\n"
YES, NO, INVALID = "Yes.", "No.", "Invalid Question."
ANSWERS = (YES, NO, INVALID)


@dataclass(frozen=True)
class Attribute:
    id: str
    question: str
    definition: str
    phrasings: tuple[str, ...]


@dataclass(frozen=True)
class Facts:
    size_cm: float
    weight_kg: float
    true: frozenset[str]


class KnowledgeBase:
    def __init__(self, attributes: list[Attribute], facts: dict[str, Facts], words: WordList) -> None:
        self.attributes = {a.id: a for a in attributes}
        self.facts = facts
        self.words = words
        missing = set(words.by_name) - set(facts)
        unknown = {a for f in facts.values() for a in f.true} - set(self.attributes)
        if missing or unknown:
            raise ValueError(f"knowledge base mismatch: words without facts {sorted(missing)}, "
                             f"unknown attributes {sorted(unknown)}")

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> KnowledgeBase:
        root = resources.files("archer_envs").joinpath("data/twenty_questions")
        attributes = [
            Attribute(a["id"], a["question"], a["definition"], tuple(a["phrasings"]))
            for a in json.loads(root.joinpath("attributes.json").read_text())
        ]
        facts = {
            name: Facts(float(f["size_cm"]), float(f["weight_kg"]), frozenset(f["true"]))
            for name, f in json.loads(root.joinpath("knowledge.json").read_text()).items()
        }
        return cls(attributes, facts, WordList.default())

    def value(self, word: str, attribute: str) -> bool:
        return attribute in self.facts[word].true

    def phrasing_bank(self) -> list[tuple[str, str]]:
        return [(p, a.id) for a in self.attributes.values() for p in a.phrasings]


def yes_no(value: bool) -> str:
    return YES if value else NO


def answer_parsed(kb: KnowledgeBase, secret: str, parsed: Parsed, attribute: str | None) -> str:
    """The knowledge answer to a parsed question (``attribute`` from the matcher for attribute questions)."""
    if parsed.kind == "invalid":
        return INVALID
    if parsed.kind in ("guess", "choice"):
        value = secret in parsed.words
    elif parsed.kind == "compare" and parsed.words:
        fact, sign = parsed.compare
        mine, theirs = getattr(kb.facts[secret], fact, None), getattr(kb.facts[parsed.words[0]], fact, None)
        if mine is None or theirs is None:
            return INVALID  # no prices: "Is it cheaper than a car?"
        value = mine > theirs if sign > 0 else mine < theirs
    elif attribute is None:
        return INVALID
    else:
        value = kb.value(secret, attribute)
    return yes_no(value != parsed.negated)


class TwentyQuestionsKnowledgeOracle(Oracle):
    """Deterministic offline answerer: parse → (guess | choice | compare | attribute) → facts.

    Direction survives the matcher: a comparison with a reference that is not a word is looked up,
    not matched (:func:`shared_comparisons`), and an attribute question whose nearest phrasing
    negates it by an affix ("Is it unnatural?" → "Is it natural?") gets the answer inverted, or
    ``Invalid Question.`` when the direction cannot be read (:func:`archer_envs.questions.relative_polarity`).

    Args:
        matcher: "auto" (embedding when installed, else lexical), "embedding" or "lexical".
        threshold: similarity below which an attribute question is ``Invalid Question.``.
        cache: cache answers per (secret, question); parses are always cached per question.
    """

    def __init__(self, matcher: str = "auto", threshold: float | None = None, cache: bool = True) -> None:
        super().__init__(cache=cache)
        self.kb = KnowledgeBase.default()
        self.parser = shared_parser()
        self.matcher = shared_matcher(matcher, threshold)
        self.comparisons = shared_comparisons()
        self._parses: dict[str, tuple[Parsed, str | None]] = {}

    def interpret(self, questions: list[str]) -> list[tuple[Parsed, str | None]]:
        """(parse, attribute) per question; the matcher runs once for all new questions.

        For attribute questions and comparisons with a reference, ``negated`` of the returned parse
        also says whether the attribute's answer is inverted ("smaller than a breadbox" is
        ``bigger_than_breadbox`` inverted)."""
        new = [q for q in dict.fromkeys(questions) if q not in self._parses]
        if new:
            if len(self._parses) + len(new) > self.max_cache_entries:
                self._parses.clear()
            parsed = [self.parser.parse(q) for q in new]
            attrs: dict[int, str | None] = {}
            for i, p in enumerate(parsed):
                if p.kind == "compare" and not p.words:  # an unknown reference gets no attribute
                    attribute, sign = self.comparisons.get((p.compare[0], reference_key(p.reference)), (None, 0))
                    if attribute is not None:
                        attrs[i], parsed[i] = attribute, replace(p, negated=p.negated != (sign != p.compare[1]))
            ask = [i for i, p in enumerate(parsed) if p.kind == "attribute"]
            for i, (index, _) in zip(ask, self.matcher.nearest([parsed[i].text for i in ask])):
                flip = None if index is None else relative_polarity(parsed[i].text, self.matcher.phrasings[index])
                if flip is not None:
                    attrs[i] = self.matcher.labels[index]
                    parsed[i] = replace(parsed[i], negated=parsed[i].negated != flip)
            for i, (q, p) in enumerate(zip(new, parsed)):
                self._parses[q] = (p, attrs.get(i))
        return [self._parses[q] for q in questions]

    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        for s in set(secrets):
            if s not in self.kb.facts:
                raise ValueError(f"unknown secret word {s!r} for the knowledge oracle")
        return [answer_parsed(self.kb, s, p, a) for s, (p, a) in zip(secrets, self.interpret(questions))]


@lru_cache(maxsize=1)
def shared_parser() -> QuestionParser:
    return QuestionParser(WordList.default())


@lru_cache(maxsize=8)
def shared_matcher(kind: str = "auto", threshold: float | None = None):
    """Matchers are immutable after construction; share them (the embedding bank costs seconds).
    The bank is normalised like questions are (``questions.normalize``), so a question that is a bank
    phrasing, in any case or punctuation, matches exactly without a model call. Comparisons
    ("Is it bigger than a breadbox?") are left out: they are read (:func:`shared_comparisons`), and
    as matcher targets they would only attract questions that are not comparisons."""
    parser = shared_parser()
    bank = [
        (normalize(p), label)
        for p, label in KnowledgeBase.default().phrasing_bank()
        if parser.parse(p).kind != "compare"
    ]
    return make_matcher(kind, bank, threshold)


def reference_key(reference: str) -> str:
    """"bread box" and "breadbox" are the same reference."""
    return "".join(reference.split())


@lru_cache(maxsize=1)
def shared_comparisons() -> dict[tuple[str, str], tuple[str, int]]:
    """{(dimension, reference key): (attribute, sign)} from the bank's comparisons with a reference
    that is not a word: "Is it bigger than a breadbox?" gives ("size_cm", "breadbox") ->
    ("bigger_than_breadbox", +1), "Is it lighter than a kilogram?" ("weight_kg", "kilogram") ->
    ("light", -1). A question comparing with that reference the other way gets the answer inverted
    (typical sizes and weights are never exactly equal to the reference's)."""
    parser, table = shared_parser(), {}
    for phrasing, attribute in KnowledgeBase.default().phrasing_bank():
        p = parser.parse(phrasing)
        if p.kind == "compare" and not p.words:
            key = (p.compare[0], reference_key(p.reference))
            entry = (attribute, -p.compare[1] if p.negated else p.compare[1])
            if table.setdefault(key, entry) != entry:
                raise ValueError(f"the bank compares {key} for two attributes: {table[key]} and {entry}")
    return table


# The prompt for LLM oracles, in the spirit of LMRL-Gym's Twenty Questions oracle prompt.
def _user(secret: str, question: str) -> str:
    return (
        f"The object is: {secret}.\n"
        f"Question: {question}\n"
        "Answer the question about the object truthfully, thinking of the most typical such object. "
        'Reply with exactly "Yes." or "No.". If the question cannot be answered with yes or no, '
        'reply with exactly "Invalid Question.".'
    )


def normalize_reply(reply: str) -> str:
    """Map a model's free-text reply onto Yes./No./Invalid Question."""
    text = reply.strip().lower().lstrip("\"'*` ")
    if re.match(r"(yes|yeah|yep|true)\b", text):
        return YES
    if re.match(r"(no|nope|nah|false)\b", text):  # not "not applicable", "none", "not sure"
        return NO
    return INVALID


TWENTY_QUESTIONS_TASK = OracleTask(
    name="twenty_questions-v0",
    system=(
        "You are playing the game twenty questions. You know a secret object and answer the player's "
        "yes/no questions about it truthfully and briefly. Never reveal the object unless it is guessed."
    ),
    user=_user,
    normalize=normalize_reply,
)
