"""The secret cities of Guess My City: LMRL-Gym's 100 cities with fact sheets and a frozen split.

Data: ``archer_envs/data/guess_my_city/cities.json`` (a list of fact sheets; fields in
:class:`City`). The names and countries are LMRL-Gym's spellings (``guess_city/env/global_cities.txt``);
modern spellings are aliases (Bombay/Mumbai, Kiev/Kyiv, Pusan/Busan, …).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archer_envs.questions import normalize

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
    def forbidden(self) -> tuple[str, ...]:
        """Names no answer may contain: the city's, its aliases, its country's and the country's aliases."""
        return (self.name, *self.aliases, self.country, *self.country_aliases)

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
        for key in ("aliases", "country_aliases", "languages", "official_languages", "religions"):
            fields[key] = tuple(d[key])
        fields["sentences"] = {k: d["sentences"][k] for k in SLOTS}
        return cls(**{k: fields[k] for k in cls.__dataclass_fields__})


class CityList:
    def __init__(self, cities: list[City]) -> None:
        self.cities = cities
        self.by_name = {c.name: c for c in cities}
        self.alias_to_name: dict[str, str] = {}
        for c in cities:
            for n in c.names:
                self.alias_to_name.setdefault(normalize(n), c.name)

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
        canonical = self.alias_to_name.get(normalize(str(name)))
        if canonical is None:
            raise ValueError(f"unknown city {name!r}: expected one of {', '.join(self.by_name)} (or an alias)")
        return canonical
