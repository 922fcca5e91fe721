"""Guess My City: env, city fact sheets and the resident oracle, scripted policies."""

from archer_envs.guess_my_city.cities import City, CityList
from archer_envs.guess_my_city.env import GuessMyCityEnv, GuessMyCityGame, GuessMyCityVectorEnv
from archer_envs.guess_my_city.knowledge import GUESS_MY_CITY_TASK, NON_ANSWER, CityKnowledgeOracle
from archer_envs.guess_my_city.leak_filter import censor, reveals

__all__ = [
    "GUESS_MY_CITY_TASK", "NON_ANSWER", "City", "CityKnowledgeOracle", "CityList", "GuessMyCityEnv",
    "GuessMyCityGame", "GuessMyCityVectorEnv", "censor", "reveals",
]
