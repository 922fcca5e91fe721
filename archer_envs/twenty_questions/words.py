"""The secret words of Twenty Questions: names, variants, categories and the frozen train/test split."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archer_envs.questions import normalize

SPLITS = ("train", "test", "all")

# ArCHer's 10-word subset (paper §5.1; archer/TwentyQuestionsSubset-v0).
PAPER_SUBSET = ("Football", "Dog", "Banana", "Truck", "Pants", "Computer", "Piano", "Chair", "Pen", "Scissors")


@dataclass(frozen=True)
class Word:
    name: str  # canonical name, e.g. "Soccer ball"
    category: str
    variants: tuple[str, ...]  # LMRL-Gym's variants, e.g. ("Pant", "Pair of pants")
    aliases: tuple[str, ...]  # our extra synonyms, e.g. ("Sofa",)
    article: str  # "a", "an" or "" (mass nouns, plurals)
    split: str

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that identifies this word in a guess."""
        return (self.name, *self.variants, *self.aliases)

    @property
    def guess_question(self) -> str:
        """A natural question that guesses this word, e.g. "Is it a pair of scissors?"."""
        pair = next((v for v in self.variants if v.lower().startswith("pair of ")), None)
        if pair is not None:
            return f"Is it a {pair.lower()}?"
        noun = self.name if self.name.isupper() else self.name.lower()
        return f"Is it {self.article} {noun}?" if self.article else f"Is it {noun}?"


def _plurals(name: str) -> list[str]:
    """Regular plural forms, so "Are they apples?" names Apple."""
    if name.endswith("s"):
        return []
    if re.search(r"(x|z|ch|sh)$", name):
        return [name + "es"]
    if re.search(r"[^aeiou]y$", name):
        return [name[:-1] + "ies"]
    return [name + "s"]


class WordList:
    """All 158 words with alias lookup. ``WordList.default()`` loads the shipped data file."""

    def __init__(self, words: list[Word]) -> None:
        self.words = words
        self.by_name = {w.name: w for w in words}
        self.alias_to_name: dict[str, str] = {}
        for w in words:
            for n in w.names:
                for form in (n, *_plurals(n)):
                    self.alias_to_name.setdefault(normalize(form), w.name)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> WordList:
        text = resources.files("archer_envs").joinpath("data/twenty_questions/words.tsv").read_text()
        words = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            category, names, aliases, article, split = line.split("\t")
            name, *variants = names.split(";")
            words.append(
                Word(name, category, tuple(variants), tuple(a for a in aliases.split(";") if a), article, split)
            )
        return cls(words)

    def names(self, split: str = "all", subset: tuple[str, ...] | None = None) -> list[str]:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
        pool = [w for w in self.words if subset is None or w.name in subset]
        return [w.name for w in pool if split == "all" or subset is not None or w.split == split]

    def resolve(self, name: str, allowed: list[str] | None = None) -> str:
        """Canonical name for a name, variant or alias (case-insensitive)."""
        canonical = self.alias_to_name.get(normalize(str(name)))
        if canonical is None or (allowed is not None and canonical not in allowed):
            pool = allowed if allowed is not None else [w.name for w in self.words]
            raise ValueError(f"unknown word {name!r}: expected one of {', '.join(pool)}")
        return canonical
