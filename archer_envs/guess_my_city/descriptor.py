"""Guess My City as the benchmark knows it."""

from __future__ import annotations

from archer_envs.descriptor import AgentPrompt, EnvDescriptor, scripted_from


def _secrets(split: str, env_kwargs=None) -> list:
    from archer_envs.guess_my_city.env import GuessMyCityGame

    return list(GuessMyCityGame().secrets(split))


GUESS_MY_CITY = EnvDescriptor(
    id="archer/GuessMyCity-v0",
    entry_point="archer_envs.guess_my_city.env:GuessMyCityEnv",
    vector_entry_point="archer_envs.guess_my_city.env:GuessMyCityVectorEnv",
    description="Guess My City over LMRL-Gym's 100 cities; free-text answers that never name the city or "
    "country; reward -1 per question, 0 on the correct guess, 20 turns.",
    secrets=_secrets,
    scripted=scripted_from("archer_envs.guess_my_city.policies"),
    prompt=AgentPrompt(
        "You are playing Guess My City. I live in a secret city; find it by asking questions, one per "
        "turn (yes/no questions or open ones about its weather, language, landmarks, food, ...). The "
        "observation lists your questions so far with my answers. When you are confident, guess with "
        "'Is it <city>?'. Reply with your next question only, on one line.",
        "Your next question:",
    ),
    paper_split_all=True,  # ArCHer's code trains and evaluates on every city
    two_role="archer_envs.multiagent.guess_my_city_v0",
)

DESCRIPTORS = (GUESS_MY_CITY,)
