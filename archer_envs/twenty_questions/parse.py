"""Reading a free-text Twenty Questions question: guesses, lists of guesses, comparisons, negation.

This is the game's judge as well as the knowledge oracle's front end, so the env and the oracle
agree on what a guess is. The rules (tested in tests/test_twenty_questions_oracle.py):

- A **guess** names exactly one word (or a variant/alias/plural of it) in a guessing frame:
  "Is it a lawn mower?", "Is the object a pair of scissors?", "My guess is: a piano", "TV?".
- A **choice** names several words: "Is it a cat, a dog or a cow?". Answered truthfully, never a win.
- A **comparison** asks about size or weight relative to a named word: "Is it bigger than a cat?".
- Anything else is an **attribute** question for the matcher, after negation is stripped
  ("Is it not alive?" is the question "Is it alive?" with the answer flipped). Questions that
  mention a word outside a guessing frame ("Is it a cat-like animal?") are never guesses.
- Questions that are not yes/no questions ("What colour is it?") are invalid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from archer_envs.questions import OBJ, NameIndex, frame, is_wh_question, normalize, strip_negation
from archer_envs.twenty_questions.words import WordList

_LEAD = r"(?:(?:so|ok|okay|then|well|hmm|alright|and|now|final|last|guess|my|i|will|go|with)\s+)*"
_SUBJECT = (
    r"(?:is it|is this|is that|it is|could it be|can it be|might it be|would it be|will it be|"
    r"are they|are these|are those|they are|is it perhaps|is it maybe|"
    r"are you thinking of|are you thinking about|were you thinking of|you are thinking of|"
    r"is the (?:secret )?(?:object|thing|item|word|answer|secret|mystery object|mystery item)"
    r"(?: you are thinking of| you have in mind| in question)?|"
    r"is your (?:secret )?(?:object|word|thing|item|secret|answer)|"
    r"(?:the )?(?:answer|object|word|secret|thing) is|"
    r"my guess is|my final guess is|i guess|i guess it is|i think it is|i bet it is|"
    r"guess|it must be|it has to be|it should be|that would be|is what you are thinking of)"
)
_DET = r"(?:\s+(?:a|an|the|some|one|just|really|actually|maybe|perhaps|definitely|probably|either|a single))*"
_TAIL = r"(?:\s+(?:then|right|perhaps|maybe|exactly|by any chance|is it|please|correct|yes))*"

GUESS_RE = re.compile(rf"^{_LEAD}(?:{_SUBJECT}{_DET}\s+)?{OBJ}{_TAIL}$")
# A list of items joined by "or", at least one of them a word of the game ("a cat, a pear or a dog").
_ITEM = rf"(?:(?:(?:a|an|the|some|either|maybe|perhaps|one) )*{OBJ}|(?:a|an|the|some) [a-z]+)"
CHOICE_RE = re.compile(
    rf"^{_LEAD}{_SUBJECT}\s+{_ITEM}(?:\s+{_ITEM})*\s+or(?:\s+(?:maybe|perhaps|else))?\s+{_ITEM}{_TAIL}$"
)
COMPARE_RE = re.compile(
    rf"^{_LEAD}(?:{_SUBJECT}|is it|is the object)\s+(?:much\s+|a lot\s+|way\s+|even\s+)?"
    rf"(bigger|larger|taller|longer|smaller|shorter|tinier|heavier|lighter)\s+than{_DET}\s+{OBJ}{_TAIL}$"
)
_COMPARE_SENSE = {
    "bigger": ("size_cm", 1), "larger": ("size_cm", 1), "taller": ("size_cm", 1), "longer": ("size_cm", 1),
    "smaller": ("size_cm", -1), "shorter": ("size_cm", -1), "tinier": ("size_cm", -1),
    "heavier": ("weight_kg", 1), "lighter": ("weight_kg", -1),
}

_ADJECTIVE_NAMES = ("orange", "oranges")  # "Is it orange?" asks about a colour; "Is it an orange?" guesses


@dataclass(frozen=True)
class Parsed:
    """What a question asks. ``kind`` is one of: guess, choice, compare, attribute, invalid."""

    kind: str
    text: str = ""  # the normalised question with negations removed (for the matcher)
    words: tuple[str, ...] = ()  # canonical words named, in order
    negated: bool = False
    compare: tuple[str, int] | None = None  # (fact, +1 bigger / −1 smaller)


class QuestionParser:
    def __init__(self, words: WordList) -> None:
        self.words = words
        self.names = NameIndex(words.alias_to_name, needs_article=_ADJECTIVE_NAMES)

    def named_words(self, question: str) -> tuple[str, ...]:
        return self.names.named(normalize(question))

    def parse(self, question: str) -> Parsed:
        text = normalize(question)
        if not re.search(r"[a-z]", text) or is_wh_question(text):
            return Parsed("invalid", text)
        text, negated = strip_negation(text)
        if not text:
            return Parsed("invalid", text)
        mentions = self.names.mentions(text)
        if not mentions:
            return Parsed("attribute", text, (), negated)
        frame_text = frame(text, mentions)
        named = tuple(dict.fromkeys(name for *_, name in mentions))
        if len(mentions) == 1 and GUESS_RE.match(frame_text):
            return Parsed("guess", text, named, negated)
        if CHOICE_RE.match(frame_text):
            return Parsed("choice", text, named, negated)
        m = COMPARE_RE.match(frame_text)
        if m and len(mentions) == 1:
            return Parsed("compare", text, named, negated, _COMPARE_SENSE[m.group(1)])
        return Parsed("attribute", text, named, negated)
