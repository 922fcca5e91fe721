"""archer-gym environments: multi-turn text games registered with Gymnasium at import.

    import gymnasium as gym
    import archer_envs
    env = gym.make("archer/TwentyQuestions-v0")           # knowledge oracle, offline
    envs = gym.make_vec("archer/TwentyQuestions-v0", num_envs=32, vectorization_mode="vector_entry_point")
    env = gym.make("archer/JerichoDetective-v0", rom_path="detective.z5")  # pip install 'archer-gym[jericho]'
"""

from __future__ import annotations

__version__ = "0.1.0"

from archer_envs.descriptor import EnvDescriptor
from archer_envs.detective.descriptor import DESCRIPTORS as _DETECTIVE
from archer_envs.guess_my_city.descriptor import DESCRIPTORS as _GUESS_MY_CITY
from archer_envs.jericho_detective import DESCRIPTOR as _JERICHO_DETECTIVE
from archer_envs.twenty_questions.descriptor import DESCRIPTORS as _TWENTY_QUESTIONS
from archer_envs.webshop.descriptor import DESCRIPTORS as _WEBSHOP

# id -> its descriptor (archer_envs.descriptor), declared in the env's own package; the one registry that
# Gymnasium's registrations, the CLI, the scripted players, the protocols and the agents read.
ENVS: dict[str, EnvDescriptor] = {
    d.id: d for d in (*_TWENTY_QUESTIONS, *_GUESS_MY_CITY, _JERICHO_DETECTIVE, *_DETECTIVE, *_WEBSHOP)
}


def descriptor(env_id: str) -> EnvDescriptor:
    """The descriptor of a registered env id (ValueError naming the registered ones otherwise)."""
    try:
        return ENVS[env_id]
    except KeyError:
        raise ValueError(f"unknown env {env_id!r}: expected one of {', '.join(ENVS)}") from None


def env_name(env_id: str) -> str:
    """``archer/TwentyQuestions-v0`` → ``TwentyQuestions-v0`` (names folders and pages)."""
    return env_id.split("/")[-1]


def register_envs() -> None:
    for d in ENVS.values():
        d.register()


register_envs()

__all__ = ["ENVS", "EnvDescriptor", "descriptor", "env_name", "register_envs", "__version__"]
