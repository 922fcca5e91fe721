"""Reading free-text questions, shared by the games: normalisation, name mentions, negation.

Each game builds its own judge on these (Twenty Questions: ``twenty_questions/parse.py``; Guess My
City: ``guess_my_city/parse.py``), so "what counts as naming the secret" works the same everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

_CONTRACTIONS = [
    (r"\bcan't\b|\bcannot\b", "can not"),
    (r"\bwon't\b", "will not"),
    (r"\bain't\b", "is not"),
    (r"n't\b", " not"),
    (r"\bit's\b", "it is"),
    (r"\bthat's\b", "that is"),
    (r"\bwhat's\b", "what is"),
    (r"\bwhere's\b", "where is"),
    (r"\byou're\b", "you are"),
    (r"\bthey're\b", "they are"),
    (r"\bi'm\b", "i am"),
]
_CONTRACTIONS_RE = [(re.compile(p), r) for p, r in _CONTRACTIONS]
FOLD_ACCENTS = str.maketrans("áàâäãåçéèêëíìîïñóòôöõúùûüýÿ", "aaaaaaceeeeiiiinooooouuuuyy")


def normalize(text: str) -> str:
    """Lower-case ASCII words separated by single spaces; contractions expanded; punctuation dropped.
    Accented Latin letters lose their accents ("Bogotá" -> "bogota")."""
    text = text.lower().replace("\u2019", "'").translate(FOLD_ACCENTS)
    for pattern, repl in _CONTRACTIONS_RE:
        text = pattern.sub(repl, text)
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    text = text.replace("'", " ")
    return " ".join(text.split())


WH_WORDS = frozenset({"what", "which", "who", "whom", "whose", "why", "where", "when", "how"})
AUXILIARIES = frozenset(
    "is are am was were do does did can could would will shall should has have had may might must".split()
)

# Auxiliary + "not" + subject at the start is a tag-style question ("Isn't it alive?") and asks the
# same thing as "Is it alive?": it is not a negation.
_TAG_NEGATION = re.compile(r"^(is|are|does|do|did|can|could|would|will|has|have|was|were|should) not ")
_NEGATORS = frozenset({"not", "never", "no", "non", "neither", "nor"})
# "Does it lack wheels?" asks "Does it have wheels?" with the answer flipped.
_LACK = {"lack": "have", "lacks": "has", "lacking": "having", "lacked": "had"}


_PREPOSITIONS = frozenset("in on at from to for of by with into near about".split())


def is_wh_question(normalized: str, after_preposition: bool = False) -> bool:
    """An open question ("What is it?", "How big is it?"), as opposed to a yes/no question; with
    ``after_preposition`` also one that starts with a preposition ("In what language …?", "On which
    continent …?"), which Twenty Questions does not read this way."""
    tokens = normalized.split()
    if after_preposition and len(tokens) > 1 and tokens[0] in _PREPOSITIONS:
        tokens = tokens[1:]
        normalized = " ".join(tokens)
    return bool(tokens) and tokens[0] in WH_WORDS and not normalized.startswith(("how about", "what about"))


def is_yes_no_question(normalized: str) -> bool:
    tokens = normalized.split()
    return bool(tokens) and tokens[0] in AUXILIARIES


def strip_negation(normalized: str) -> tuple[str, bool]:
    """(the question without negations, whether an odd number of them was removed).

    "is it not alive" -> ("is it alive", True); "does it lack wheels" -> ("does it have wheels",
    True); "is not it alive" (from "Isn't it alive?") and "is it a cat or not" -> not negations."""
    text = _TAG_NEGATION.sub(lambda m: m.group(1) + " ", normalized)
    text = re.sub(r" or not$", "", text)
    tokens = text.split()
    kept = [_LACK.get(t, t) for t in tokens if t not in _NEGATORS]
    flips = len(tokens) - len(kept) + sum(t in _LACK for t in tokens)
    return " ".join(kept), flips % 2 == 1


_NEGATING_PREFIXES = ("non", "un", "in", "im", "il", "ir", "dis")


def _negates(word: str, other: str) -> bool:
    """``word`` is ``other`` with a negating affix: "unnatural"/"natural", "harmless"/"harmful"."""
    if any(word == prefix + other for prefix in _NEGATING_PREFIXES) and len(other) >= 4:
        return True
    stem = word[:-4]
    return word.endswith("less") and len(stem) >= 3 and other.startswith(stem) and not other.endswith("less")


def relative_polarity(question: str, phrasing: str) -> bool | None:
    """Whether a bank phrasing that a matcher found close to ``question`` asks the opposite of it.

    Both texts normalised with negations stripped. Sentence embeddings barely see affixes, so "is it
    unnatural" lands on "is it natural" and "is it harmless" near "is it harmful". Returns True when
    one text negates a word of the other by an affix (an odd number of times), False when neither
    does, and None when the direction cannot be read: "without" in one text only ("does it work
    without electricity" against "does it need electricity")."""
    q, p = set(question.split()), set(phrasing.split())
    if ("without" in q) != ("without" in p):
        return None
    flips = sum(
        any(_negates(a, b) for b in theirs - mine) for mine, theirs in ((q, p), (p, q)) for a in mine - theirs
    )
    return flips % 2 == 1


class NameIndex:
    """Finds mentions of a game's names (and their aliases) in normalised text.

    ``aliases`` maps every accepted form to its canonical name. At each position the longest alias
    wins ("canvas painting" is Painting, not Canvas); matches are whole words. ``needs_article``
    lists forms that only count as names after a determiner ("an orange", not "orange").
    """

    _DETERMINERS = frozenset({"a", "an", "the", "one", "some"})

    def __init__(self, aliases: Mapping[str, str], needs_article: Iterable[str] = ()) -> None:
        self.aliases = {normalize(a): name for a, name in aliases.items() if normalize(a)}
        self.needs_article = frozenset(normalize(a) for a in needs_article)
        forms = sorted(self.aliases, key=len, reverse=True)
        self._re = re.compile(r"\b(?:" + "|".join(re.escape(a) for a in forms) + r")\b")

    def mentions(self, normalized: str) -> list[tuple[int, int, str]]:
        """Non-overlapping (start, end, canonical name) mentions, in order."""
        found = []
        for m in self._re.finditer(normalized):
            if m.group(0) in self.needs_article:
                before = normalized[: m.start()].split()
                if not before or before[-1] not in self._DETERMINERS:
                    continue
            found.append((m.start(), m.end(), self.aliases[m.group(0)]))
        return found

    def named(self, normalized: str) -> tuple[str, ...]:
        """Canonical names mentioned, each once, in order."""
        return tuple(dict.fromkeys(name for *_, name in self.mentions(normalized)))


OBJ = "\u0001"  # placeholder for a mentioned name in a question's frame


def frame(normalized: str, mentions: list[tuple[int, int, str]]) -> str:
    """The question with every mention replaced by ``OBJ`` ("is it a cat" -> "is it a \\x01")."""
    parts, last = [], 0
    for start, end, _ in mentions:
        parts += [normalized[last:start], OBJ]
        last = end
    parts.append(normalized[last:])
    return " ".join("".join(parts).split())
