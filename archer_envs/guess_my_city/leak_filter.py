"""Guess My City's leak filter: no answer the agent sees names the city or its country.

The filter reads the text as the transcript will show it: printable ASCII after
:func:`archer_envs.text.to_ascii`, which folds accents (also combining ones), fullwidth and
mathematical letters, dotless i and o with stroke, and drops invisible characters. A disguise that
the transcript would undo therefore cannot get past it. In that text (a *word* is a run of ASCII
letters and digits):

- a name is found where consecutive words spell it, read as one across separators without a space
  ("Se-oul", "Se?oul", "U.S.A."), across any short separator between single letters (spelled out:
  "S E O U L", "S, E, O, U, L"), and across a space where the name itself has one ("New York");
- the city's names (aliases and nicknames included) also count with a demonym ending ("Parisian",
  "Tokyoites", "Shanghainese", and "Cantonese" for Guangzhou, formerly Canton);
- the country's names count as whole words, or with a plural "s"; demonyms and language names made
  from them are allowed ("Japanese", "Koreans", "Brazilian"), as LMRL-Gym's oracle names languages;
- an abbreviation of one or two letters (US, UK, LA, TO) counts as a single word only in capitals
  ("us" and "to" are English words); spelled with dots ("u.s.") it counts in any case;
- continent and region names are not country names: "North America" never counts as "America".

Every match becomes ``(hidden)``. Not caught: a name inside a longer word ("#iloveparis"), a name cut
into pieces of several letters by spaces ("Seo ul"), and names spelled with other characters
("Se0ul").
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from archer_envs.text import to_ascii

CENSORED = "(hidden)"

# endings that make a demonym or adjective of a city's name (Parisian, Tokyoite, Londoner, Mumbaikar,
# Sydneysider, Torontonian, Shanghainese, Lahori, Parisienne, Bogotano, Izmirli, Kievan, Roman)
CITY_SUFFIXES = frozenset(
    "s es n ns an ans ian ians ite ites er ers ese nese ean eans eno enos ino inos ano anos no nos i is "
    "kar kars sider siders nian nians ien iens ienne iennes ois oise ais aise ene enes li lis iya".split()
) | {""}
COUNTRY_SUFFIXES = frozenset({"", "s"})
_PROTECTED = re.compile(r"\b(?:north|south|central|latin)[\s-]+america\b|\bthe\s+americas\b", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9]+")
_MAX_SEPARATOR = 3  # characters between two pieces of one name ("-", "...", "'")
_MAX_SPELLED_SEPARATOR = 5  # characters between two letters of a name spelled out ("S - E", "S.  -E")
_WORD_END = frozenset(["", " ", ",", ".", ";", ":", "!", "?", ")", '"'])


@dataclass(frozen=True)
class _Name:
    letters: str  # lower-case ASCII letters and digits, e.g. "newyork"
    breaks: frozenset[int]  # offsets in ``letters`` where the name itself has a space or punctuation
    suffixes: frozenset[str]
    capitals_only: bool  # one or two letters: as a single word, only in capitals


def _compile(names: tuple[str, ...], suffixes: frozenset[str]) -> list[_Name]:
    out = []
    for name in names:
        words = _WORD.findall(to_ascii(name).lower())
        letters = "".join(words)
        if not letters:  # a name in another script: to_ascii shows it as "?", never as letters
            continue
        breaks = frozenset(itertools.accumulate(len(w) for w in words[:-1]))
        short = len(letters) <= 3  # "Rio", "Edo", "USA": whole words only
        out.append(_Name(letters, breaks, frozenset({""}) if short else suffixes,
                         len(letters) <= 2 and name == name.upper()))
    return out


@lru_cache(maxsize=1024)
def _names(city_names: tuple[str, ...], country_names: tuple[str, ...]) -> tuple[_Name, ...]:
    return tuple(_compile(city_names, CITY_SUFFIXES) + _compile(country_names, COUNTRY_SUFFIXES))


def _joined(text: str, words: list[tuple[int, int, str]], k: int, at_name_break: bool) -> bool:
    """Whether words ``k - 1`` and ``k`` may be read as one piece of a name."""
    sep = text[words[k - 1][1] : words[k][0]]
    if "\n" in sep:
        return False
    if len(words[k - 1][2]) == 1 and len(words[k][2]) == 1:  # spelled out letter by letter: "S - E - O"
        return len(sep) <= _MAX_SPELLED_SEPARATOR
    if len(sep) > _MAX_SEPARATOR:
        return False
    if sep == "'" and words[k][2] == "s" and text[words[k][1] : words[k][1] + 1] in _WORD_END:
        return False  # a possessive: "the state's" is not "the States"
    return at_name_break or not any(c.isspace() for c in sep)


def _match_end(text: str, words: list[tuple[int, int, str]], i: int, name: _Name) -> int | None:
    """End offset of ``name`` read from word ``i`` on, or None."""
    target, got = name.letters, ""
    for k in range(i, len(words)):
        if k > i and not _joined(text, words, k, len(got) in name.breaks):
            return None
        grown = got + words[k][2]
        if len(grown) >= len(target):
            rest = grown[len(target) :]
            if not grown.startswith(target) or rest not in name.suffixes:
                return None
            if name.capitals_only and k == i and not text[words[k][0] : words[k][1]].isupper():
                return None
            return words[k][1]
        if not target.startswith(grown):
            return None
        got = grown
    return None


def _spans(text: str, names: tuple[_Name, ...]) -> list[tuple[int, int]]:
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
    protected = [m.span() for m in _PROTECTED.finditer(text)]
    spans = []
    for i, (start, _, word) in enumerate(words):
        for name in names:
            if name.letters[0] != word[0]:
                continue
            end = _match_end(text, words, i, name)
            if end is not None and not any(a <= start and end <= b for a, b in protected):
                spans.append((start, end))
    return spans


def censor(text: str, city_names: tuple[str, ...], country_names: tuple[str, ...] = ()) -> str:
    """``text`` as the transcript shows it (:func:`~archer_envs.text.to_ascii`, whitespace runs as one
    space), with every mention
    of a city name or a country name (by the module's rules) replaced by ``(hidden)``."""
    names = _names(tuple(city_names), tuple(country_names))
    text = " ".join(to_ascii(text).split())
    for _ in range(10):
        spans = _spans(text, names)
        if not spans:
            return text
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        for start, end in reversed(merged):
            text = text[:start] + CENSORED + text[end:]
    return CENSORED


def reveals(text: str, city_names: tuple[str, ...], country_names: tuple[str, ...] = ()) -> bool:
    """Whether the agent would see a city or country name in ``text`` (the filter has to hide something)."""
    return bool(_spans(to_ascii(text), _names(tuple(city_names), tuple(country_names))))
