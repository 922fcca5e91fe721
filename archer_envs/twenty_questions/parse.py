"""Reading a free-text Twenty Questions question: guesses, lists of guesses, comparisons, negation.

This is the game's judge as well as the knowledge oracle's front end, so the env and the oracle
agree on what a guess is. The rules (tested in tests/test_twenty_questions_parse.py):

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

from archer_envs.twenty_questions.words import WordList

_CONTRACTIONS = [
    (r"\bcan't\b|\bcannot\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"\bain't\b", "is not"),
    (r"n't\b", " not"),
    (r"\bit's\b", "it is"),
    (r"\bthat's\b", "that is"),
    (r"\bwhat's\b", "what is"),
    (r"\byou're\b", "you are"),
    (r"\bthey're\b", "they are"),
    (r"\bi'm\b", "i am"),
]
_CONTRACTIONS_RE = [(re.compile(p), r) for p, r in _CONTRACTIONS]


def normalize(question: str) -> str:
    """Lower-case words separated by single spaces; contractions expanded; punctuation dropped."""
    text = question.lower().replace("\u2019", "'")
    for pattern, repl in _CONTRACTIONS_RE:
        text = pattern.sub(repl, text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = text.replace("'", " ")
    return " ".join(text.split())


OBJ = "\u0001"  # placeholder for a named word in the question's frame

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

_WH = {"what", "which", "who", "whom", "whose", "why", "where", "when", "how"}
# Auxiliary + "not" + subject at the start is a tag-style question ("Isn't it alive?") and asks the
# same thing as "Is it alive?": it is not a negation.
_TAG_NEGATION = re.compile(r"^(is|are|does|do|can|could|would|will|has|have|was|were|should) not ")
_NEGATORS = {"not", "never", "no", "non", "neither", "nor"}
# Names that are also adjectives: "Is it orange?" asks about a colour; "Is it an orange?" guesses.
_ADJECTIVE_NAMES = {"orange", "oranges"}
_DETERMINERS = {"a", "an", "the", "one", "some"}


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
        aliases = sorted(words.alias_to_name, key=len, reverse=True)
        self._mention_re = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in aliases) + r")\b")

    def mentions(self, normalized: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, word) mentions, longest alias first at each position."""
        found = []
        for m in self._mention_re.finditer(normalized):
            if m.group(0) in _ADJECTIVE_NAMES:
                before = normalized[: m.start()].split()
                if not before or before[-1] not in _DETERMINERS:
                    continue
            found.append((m.start(), m.end(), self.words.alias_to_name[m.group(0)]))
        return found

    def named_words(self, question: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for _, _, w in self.mentions(normalize(question))))

    def parse(self, question: str) -> Parsed:
        text = normalize(question)
        if not re.search(r"[a-z]", text):
            return Parsed("invalid", text)
        tokens = text.split()
        if tokens[0] in _WH and not text.startswith(("how about", "what about")):
            return Parsed("invalid", text)
        text = _TAG_NEGATION.sub(lambda m: m.group(1) + " ", text)
        text = re.sub(r" or not$", "", text)  # "Is it a cat or not?" asks "Is it a cat?"
        kept = [t for t in text.split() if t not in _NEGATORS]
        negated = (len(text.split()) - len(kept)) % 2 == 1
        text = " ".join(kept)
        if not text:
            return Parsed("invalid", text)
        mentions = self.mentions(text)
        if mentions:
            frame, last, named = [], 0, []
            for start, end, word in mentions:
                frame.append(text[last:start])
                frame.append(OBJ)
                named.append(word)
                last = end
            frame.append(text[last:])
            frame_text = " ".join("".join(frame).split())
            unique = tuple(dict.fromkeys(named))
            if len(named) == 1 and GUESS_RE.match(frame_text):
                return Parsed("guess", text, unique, negated)
            if CHOICE_RE.match(frame_text):
                return Parsed("choice", text, unique, negated)
            m = COMPARE_RE.match(frame_text)
            if m and len(named) == 1:
                return Parsed("compare", text, unique, negated, _COMPARE_SENSE[m.group(1)])
            return Parsed("attribute", text, unique, negated)
        return Parsed("attribute", text, (), negated)
