"""Scripted Guess My City players (see :mod:`archer_envs.policies` for how they play).

The expert asks yes/no questions generated from the fact sheets (continent, sub-region, country,
hemisphere, part of the country, coast, capital, climate, snow, heat, rainy season, population,
language, religion, currency) and guesses when at most two cities remain. The noisy behaviour policy
mixes in open questions from the phrasing bank and guesses early (LMRL-Gym's data: success 0.53,
return −18.8). The random policy asks a random question or guesses a random city.
"""

from __future__ import annotations

from functools import lru_cache

from archer_envs import policies
from archer_envs.guess_my_city.cities import CityList
from archer_envs.guess_my_city.knowledge import NON_ANSWER, CityKnowledgeOracle, phrasing_bank
from archer_envs.policies import GameKnowledge

HEADER = "Questions:\n"
_REGION_WORDS = {
    "Eastern Asia": "East Asia", "South-eastern Asia": "Southeast Asia", "Southern Asia": "South Asia",
    "Central Asia": "Central Asia", "Western Asia": "the Middle East", "Eastern Europe": "Eastern Europe",
    "Northern Europe": "Northern Europe", "Southern Europe": "Southern Europe", "Western Europe": "Western Europe",
    "Northern Africa": "North Africa", "Western Africa": "West Africa", "Eastern Africa": "East Africa",
    "Middle Africa": "Central Africa", "Central America": "Central America", "Caribbean": "the Caribbean",
}
_CLIMATE_WORDS = {
    "tropical": "a tropical", "arid": "a desert", "semi-arid": "a semi-arid", "subtropical": "a subtropical",
    "mediterranean": "a mediterranean", "temperate oceanic": "an oceanic", "humid continental": "a continental",
    "highland": "a highland", "subarctic": "a subarctic",
}
_CHECKS = [
    "Is it on the coast?", "Is it the capital?", "Does it snow in winter?", "Is it hot in summer?",
    "Is there a rainy season?", "Is it a big city?", "Is it a megacity?", "Is it on a river?",
    "Is it in the southern hemisphere?", "Is it in the western hemisphere?",
    "Does it have more than 2 million people?", "Does it have more than 5 million people?",
]


def guess_question(city: str) -> str:
    return f"Is your city {city}?"


@lru_cache(maxsize=1)
def expert_questions() -> list[str]:
    cities = CityList.default().cities
    questions = list(_CHECKS)
    questions += [f"Is your city in {c}?" for c in dict.fromkeys(c.continent for c in cities)]
    questions += [f"Is it in {_REGION_WORDS[r]}?" for r in dict.fromkeys(c.region for c in cities)
                  if r in _REGION_WORDS]
    questions += [f"Is it in {c}?" for c in dict.fromkeys(c.country for c in cities)]
    questions += [f"Is it in the {d} of its country?" for d in ("north", "south", "east", "west", "central")]
    questions += [f"Does it have {_CLIMATE_WORDS[k]} climate?" for k in dict.fromkeys(c.climate for c in cities)]
    questions += [f"Do people there speak {lang}?" for lang in dict.fromkeys(c.languages[0] for c in cities)]
    questions += [f"Do many people there follow {r}?" for r in ("Islam", "Christianity", "Buddhism", "Hinduism")]
    currencies = dict.fromkeys(c.currency.split("(")[0].strip().split()[-1] for c in cities)
    questions += [f"Do they pay with the {cur}?" for cur in currencies]
    return questions


def game_knowledge(oracle: CityKnowledgeOracle | None = None) -> GameKnowledge:
    oracle = oracle or CityKnowledgeOracle()
    secrets = CityList.default().names("all")
    questions = expert_questions()
    known = sorted({*questions, *(guess_question(s) for s in secrets), *(p for p, _ in phrasing_bank())},
                   key=len, reverse=True)

    def split_line(line: str) -> tuple[str, str] | None:
        for q in known:  # our own questions first (longest first), then the first "? "
            if line.startswith(q + " "):
                return q, line[len(q) + 1 :]
        head, sep, tail = line.partition("? ")
        return (head + "?", tail) if sep else None

    return GameKnowledge(
        secrets=secrets,
        oracle=oracle,
        questions=questions,
        random_questions=[p for p, _ in phrasing_bank()] + questions,
        guess_question=guess_question,
        split_line=split_line,
        header=HEADER,
        invalid_answers=frozenset({NON_ANSWER}),
    )


class ExpertPolicy(policies.ExpertPolicy):
    def __init__(self, oracle: CityKnowledgeOracle | None = None, seed: int | None = None) -> None:
        super().__init__(game_knowledge(oracle))


class NoisyPolicy(policies.NoisyPolicy):
    def __init__(self, oracle: CityKnowledgeOracle | None = None, seed: int | None = 0, **kwargs) -> None:
        # Tuned to LMRL-Gym's data (success 0.53, return -18.8): reads only yes/no answers, mostly
        # random questions, rare early guesses, only guesses from turn 18 on.
        kwargs = {"random_question_prob": 0.93, "guess_prob": 0.02, "guess_after": 18, "yes_no_only": True, **kwargs}
        super().__init__(game_knowledge(oracle), seed, **kwargs)


class RandomPolicy(policies.RandomPolicy):
    def __init__(self, oracle: CityKnowledgeOracle | None = None, seed: int | None = 0) -> None:
        super().__init__(game_knowledge(oracle), seed)


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}
