"""archer-gym environments: multi-turn text games registered with Gymnasium at import.

    import gymnasium as gym
    import archer_envs
    env = gym.make("archer/TwentyQuestions-v0")           # knowledge oracle, offline
    envs = gym.make_vec("archer/TwentyQuestions-v0", num_envs=32, vectorization_mode="vector_entry_point")
    env = gym.make("archer/JerichoDetective-v0", rom_path="detective.z5")  # pip install 'archer-gym[jericho]'
"""

from __future__ import annotations

import gymnasium as gym

__version__ = "0.1.0"

# id -> (entry point, vector entry point, kwargs, one-line description)
ENVS: dict[str, tuple[str, str | None, dict, str]] = {
    "archer/TwentyQuestions-v0": (
        "archer_envs.twenty_questions.env:TwentyQuestionsEnv",
        "archer_envs.twenty_questions.env:TwentyQuestionsVectorEnv",
        {},
        "Twenty Questions over LMRL-Gym's 158 objects; reward -1 per question, 0 on the correct guess, 20 turns.",
    ),
    "archer/TwentyQuestionsSubset-v0": (
        "archer_envs.twenty_questions.env:TwentyQuestionsEnv",
        "archer_envs.twenty_questions.env:TwentyQuestionsVectorEnv",
        {"subset": True},
        "Twenty Questions on ArCHer's 10-word subset (football, dog, banana, truck, pants, computer, piano, "
        "chair, pen, scissors); every split is those 10 words.",
    ),
    "archer/GuessMyCity-v0": (
        "archer_envs.guess_my_city.env:GuessMyCityEnv",
        "archer_envs.guess_my_city.env:GuessMyCityVectorEnv",
        {},
        "Guess My City over LMRL-Gym's 100 cities; free-text answers that never name the city or country; "
        "reward -1 per question, 0 on the correct guess, 20 turns.",
    ),
    "archer/JerichoDetective-v0": (
        "archer_envs.jericho_detective:JerichoDetectiveEnv",
        None,
        {},
        "Jericho's detective.z5 as in ArCHer: look + inventory + reply + valid actions; reward = score gained, "
        "50 steps (needs the `jericho` extra and your own detective.z5).",
    ),
    "archer/Detective-v0": (
        "archer_envs.detective.env:DetectiveEnv",
        None,
        {},
        "A murder mystery generated from the seed: search rooms, question suspects, accuse; +0.1 per essential "
        "clue, +1/-1 for the accusation, 50 steps.",
    ),
    "archer/WebShop-v0": (
        "archer_envs.webshop.env:WebShopEnv",
        None,
        {},
        "An offline shop of 1,000 generated products (up to 100,000+): search[...] and click[...] to buy what the "
        "instruction asks; WebShop's reward on Buy Now, 15 steps.",
    ),
}


def env_name(env_id: str) -> str:
    """``archer/TwentyQuestions-v0`` → ``TwentyQuestions-v0`` (names folders and pages)."""
    return env_id.split("/")[-1]


def register_envs() -> None:
    for env_id, (entry, vector_entry, kwargs, _) in ENVS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=entry, vector_entry_point=vector_entry, kwargs=kwargs)


register_envs()

__all__ = ["ENVS", "env_name", "register_envs", "__version__"]
