"""The secret cities of Guess My City: LMRL-Gym's 100 cities with fact sheets and a frozen split.

Data: ``archer_envs/data/guess_my_city/cities.json`` (a list of fact sheets; fields in
:class:`City`). The names and countries are LMRL-Gym's spellings (``guess_city/env/global_cities.txt``);
modern spellings are aliases (Bombay/Mumbai, Kiev/Kyiv, Pusan/Busan, …).

Names come in three kinds, and the game treats them differently:

- ``name`` and ``aliases``: the city's names (other spellings, former and native names, common
  abbreviations such as NYC or CDMX). Naming one is a guess; the ``city`` reset option accepts them.
- ``nicknames``: descriptive nicknames ("Windy City", "Eternal City") and short or former names that
  are also ordinary words or name something else ("Pest", "Casa", "Edo", "Canton", "York"). Naming one
  is not a guess ("Is it a windy city?" asks about the wind), but the oracle never says them.
- ``country`` and ``country_aliases``: the country's names (never demonyms or language names, which
  the oracle may say: "Japanese" is not a name of Japan). :attr:`CityList.country_names` pools them per
  country, so every city of a country forbids the same names.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archer_envs.questions import normalize
from archer_envs.text import to_ascii

CONTINENTS = ("Africa", "Asia", "Europe", "North America", "South America", "Oceania")
POPULATION_BANDS = ("under 2 million", "2 to 5 million", "5 to 10 million", "over 10 million")
CLIMATES = (
    "tropical", "arid", "semi-arid", "subtropical", "mediterranean", "temperate oceanic",
    "humid continental", "subarctic", "highland",
)
DIRECTIONS = ("north", "south", "east", "west", "central", "northeast", "northwest", "southeast", "southwest")
SLOTS = (
    "location", "geography", "water", "climate", "weather", "population", "language", "currency", "religion",
    "landmarks", "food", "sports", "industry", "history", "time_zone", "capital", "people", "transport",
)


@dataclass(frozen=True)
class City:
    name: str
    country: str
    aliases: tuple[str, ...]
    nicknames: tuple[str, ...]
    country_aliases: tuple[str, ...]
    split: str
    continent: str
    region: str
    part_of_country: str
    hemisphere_ns: str
    hemisphere_ew: str
    coastal: bool
    water: str | None
    capital: bool
    population_band: str
    climate: str
    hot: bool
    snow: bool
    rainy_season: bool
    languages: tuple[str, ...]
    official_languages: tuple[str, ...]
    religions: tuple[str, ...]
    currency: str
    time_zone: str
    sentences: dict[str, str]

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def city_names(self) -> tuple[str, ...]:
        """Everything that names the city, nicknames included (what the oracle never says)."""
        return (*self.names, *self.nicknames)

    @property
    def country_names(self) -> tuple[str, ...]:
        return (self.country, *self.country_aliases)

    @classmethod
    def from_json(cls, d: dict) -> City:
        def need(cond: bool, what: str) -> None:
            if not cond:
                raise ValueError(f"city {d.get('name')!r}: {what}")

        need(d["continent"] in CONTINENTS, f"continent {d['continent']!r} not in {CONTINENTS}")
        need(d["population_band"] in POPULATION_BANDS, f"population_band {d['population_band']!r}")
        need(d["climate"] in CLIMATES, f"climate {d['climate']!r} not in {CLIMATES}")
        need(d["part_of_country"] in DIRECTIONS, f"part_of_country {d['part_of_country']!r}")
        need(d["split"] in ("train", "test"), f"split {d['split']!r}")
        need(set(d["sentences"]) >= set(SLOTS), f"missing sentences {sorted(set(SLOTS) - set(d['sentences']))}")
        fields = dict(d)
        for key in ("aliases", "nicknames", "country_aliases", "languages", "official_languages", "religions"):
            fields[key] = tuple(d[key])
        fields["sentences"] = {k: d["sentences"][k] for k in SLOTS}
        return cls(**{k: fields[k] for k in cls.__dataclass_fields__})


_MARKS = re.compile("[\u0300-\u036f]")  # the combining accents Latin, Greek and Cyrillic letters decompose into
_LATIN_EXTRAS = str.maketrans({"ı": "i", "ø": "o", "æ": "ae", "ß": "ss", "ł": "l", "đ": "d", "ŏ": "o"})


def name_key(text: str) -> str:
    """How a user-given city name is compared with the names in the data: in any script, ignoring case,
    accents, punctuation and spacing ("SÃO-PAULO" and "sao paulo" match; "Москва" and "москва" match).
    Letterless text has the empty key, which names nothing."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold().translate(_LATIN_EXTRAS))
    text = unicodedata.normalize("NFC", _MARKS.sub("", text))
    kept = "".join(c if unicodedata.category(c)[0] in "LMN" else " " for c in text)  # letters, marks, digits
    return " ".join(kept.split())


class CityList:
    def __init__(self, cities: list[City]) -> None:
        self.cities = cities
        self.by_name = {c.name: c for c in cities}
        # guesses are read from questions made ASCII (to_ascii, then normalize), the reset option in any script
        self.alias_to_name: dict[str, str] = {}
        self._by_key: dict[str, str] = {}
        for c in cities:
            for n in c.names:
                self.alias_to_name.setdefault(normalize(to_ascii(n)), c.name)
                self._by_key.setdefault(name_key(n), c.name)
        self.alias_to_name.pop("", None)
        self._by_key.pop("", None)
        pooled: dict[str, dict[str, None]] = {}
        for c in cities:
            pooled.setdefault(c.country, {}).update(dict.fromkeys(c.country_names))
        self._country_names = {country: tuple(names) for country, names in pooled.items()}

    def country_names(self, city: City) -> tuple[str, ...]:
        """The country's names as given for any city of that country (the data lists some only once)."""
        return self._country_names[city.country]

    def forbidden(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(city names, country names) that no answer about city ``name`` may contain."""
        city = self.by_name[name]
        return city.city_names, self.country_names(city)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> CityList:
        text = resources.files("archer_envs").joinpath("data/guess_my_city/cities.json").read_text()
        return cls([City.from_json(d) for d in json.loads(text)])

    def names(self, split: str = "all") -> list[str]:
        if split not in ("train", "test", "all"):
            raise ValueError(f"unknown split {split!r}: expected one of train, test, all")
        return [c.name for c in self.cities if split == "all" or c.split == split]

    def resolve(self, name: str) -> str:
        """The canonical name for a city's name or alias, in any script (see :func:`name_key`).
        Nicknames, other text and text without letters raise ValueError."""
        if not isinstance(name, str):
            raise ValueError(f"city must be a str naming a city, got {type(name).__name__} {name!r}")
        canonical = self._by_key.get(name_key(name))
        if canonical is None:
            raise ValueError(f"unknown city {name!r}: expected one of {', '.join(self.by_name)} (or an alias "
                             f"listed in archer_envs/data/guess_my_city/cities.json)")
        return canonical
