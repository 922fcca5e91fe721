"""Reading a free-text Twenty Questions question: guesses, lists of guesses, comparisons, negation.

This is the game's judge as well as the knowledge oracle's front end, so the env and the oracle
agree on what a guess is. The rules (tested in tests/test_twenty_questions_oracle.py):

- A **guess** names exactly one word (or a variant/alias/plural of it) in a guessing frame:
  "Is it a lawn mower?", "Is the object a pair of scissors?", "My guess is: a piano", "TV?".
- A **choice** names several words: "Is it a cat, a dog or a cow?". Answered truthfully, never a win.
- A **comparison** asks about size, weight or price relative to a reference: a word of the game
  ("Is it bigger than a cat?", answered from the words' typical sizes and weights) or anything else
  ("Is it smaller than a breadbox?", answered through the attribute whose bank phrasing compares
  against that reference, inverted when the question compares the other way). Comparisons are read,
  never matched: sentence embeddings put "smaller than a breadbox" next to "bigger than a breadbox".
  A question with a comparative that cannot be read this way ("Is it smaller?", "Is it wider than
  a cat?", two comparisons) is invalid.
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
# Comparatives: phrase before "than" -> (dimension, +1 more / -1 less). size_cm and weight_kg are
# facts of every word; price is known only through the bank's amounts ("cost more than 200 dollars").
COMPARATIVES = {
    **dict.fromkeys(("bigger", "larger", "taller", "longer"), ("size_cm", 1)),
    **dict.fromkeys(("smaller", "shorter", "tinier", "littler"), ("size_cm", -1)),
    **dict.fromkeys(("heavier", "weigh more", "weighs more"), ("weight_kg", 1)),
    **dict.fromkeys(("lighter", "weigh less", "weighs less"), ("weight_kg", -1)),
    **dict.fromkeys(("more expensive", "pricier", "costlier", "cost more", "costs more"), ("price", 1)),
    **dict.fromkeys(("less expensive", "cheaper", "cost less", "costs less"), ("price", -1)),
}
_INTENSIFIER = re.compile(
    r"\b(?:much|a lot|way|even|far|slightly|a little|a bit|somewhat|any)\s+(?=(?:more|less|"
    + "|".join(w for w in COMPARATIVES if " " not in w) + r")\b)"
)
_NOT_COMPARATIVE = frozenset({"rather", "other"})  # "a location rather than an object"
_MAYBE_COMPARATIVE = re.compile(r"^(?:[a-z]+er|more|less|fewer)$")  # "wider than ...": unknown, not ignored
# The compared thing must be the secret: "Is a cat bigger than it?" compares something else.
_SUBJECTS = frozenset("it its this that they these those object thing item secret answer word".split())
_REFERENCE_DET = re.compile(r"^(?:(?:a|an|the|one|your|some|just)\s+)*")
_REFERENCE_TAIL = re.compile(
    r"(?:\s+(?:then|right|perhaps|maybe|exactly|by any chance|is it|please|correct|yes|"
    r"would you say|do you think|you think))*$"
)

_ADJECTIVE_NAMES = ("orange", "oranges")  # "Is it orange?" asks about a colour; "Is it an orange?" guesses


@dataclass(frozen=True)
class Parsed:
    """What a question asks. ``kind`` is one of: guess, choice, compare, attribute, invalid."""

    kind: str
    text: str = ""  # the normalised question with negations removed (for the matcher)
    words: tuple[str, ...] = ()  # canonical words named, in order
    negated: bool = False
    compare: tuple[str, int] | None = None  # (dimension, +1 bigger / −1 smaller)
    reference: str = ""  # what a comparison compares with when it is not a word ("loaf of bread")


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
        comparison = self._comparison(text, negated)
        if comparison is not None:
            return comparison
        if not mentions:
            return Parsed("attribute", text, (), negated)
        frame_text = frame(text, mentions)
        named = tuple(dict.fromkeys(name for *_, name in mentions))
        if len(mentions) == 1 and GUESS_RE.match(frame_text):
            return Parsed("guess", text, named, negated)
        if CHOICE_RE.match(frame_text):
            return Parsed("choice", text, named, negated)
        return Parsed("attribute", text, named, negated)

    def _comparison(self, text: str, negated: bool) -> Parsed | None:
        """The comparison a question makes, an invalid parse if it has a comparative that cannot be
        read as one comparison of the secret with one reference, or None if it has no comparative."""
        tokens = _INTENSIFIER.sub("", text).split()  # "weigh much more than" is "weigh more than"
        found, unreadable = [], False
        for i, token in enumerate(tokens):
            if token == "than" and i > 0 and tokens[i - 1] not in _NOT_COMPARATIVE:
                two, one = " ".join(tokens[max(i - 2, 0) : i]), tokens[i - 1]
                sense = COMPARATIVES.get(two) or COMPARATIVES.get(one)
                if sense is None:
                    unreadable = unreadable or bool(_MAYBE_COMPARATIVE.match(one))
                else:
                    found.append((i, sense))
            elif token in COMPARATIVES and tokens[i + 1 : i + 2] != ["than"]:
                # "Is it smaller?" (than what?) is unreadable; "part of a larger body of water" is no comparison.
                unreadable = unreadable or tokens[i - 1 : i] not in (["a"], ["an"], ["the"], ["some"])
        if not found and not unreadable:
            return None
        if unreadable or len(found) != 1:
            return Parsed("invalid", text)
        i, sense = found[0]
        reference = _REFERENCE_TAIL.sub("", _REFERENCE_DET.sub("", " ".join(tokens[i + 1 :])))
        if not reference or not _SUBJECTS & set(tokens[:i]) or re.search(r"\bor\b", reference):
            return Parsed("invalid", text)
        word = self.words.alias_to_name.get(reference)
        if word is not None:
            return Parsed("compare", text, (word,), negated, sense)
        if self.names.mentions(" ".join(tokens[:i])):
            return Parsed("invalid", text)  # "Is a cat bigger than a breadbox?"
        return Parsed("compare", text, (), negated, sense, reference)
