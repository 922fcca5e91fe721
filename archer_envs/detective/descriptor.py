"""Detective as the benchmark knows it: a case per seed, splits are seed ranges."""

from __future__ import annotations

from archer_envs.descriptor import AgentPrompt, EnvDescriptor, scripted_from

# A case per seed: a split's fixed evaluation list is the first cases of its seed range.
CASES_PER_SPLIT = 200


def _secrets(split: str, env_kwargs=None) -> list:
    from archer_envs.detective.env import SPLITS

    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    low = SPLITS[split][0]
    return list(range(low, low + CASES_PER_SPLIT))


DETECTIVE = EnvDescriptor(
    id="archer/Detective-v0",
    entry_point="archer_envs.detective.env:DetectiveEnv",
    description="A murder mystery generated from the seed: search rooms, question suspects, accuse; +0.1 per "
    "essential clue, +1/-1 for the accusation, 50 steps.",
    secrets=_secrets,
    scripted=scripted_from("archer_envs.detective.policies"),
    prompt=AgentPrompt(
        "You are the detective in a murder mystery text game. Find the essential clues and accuse the "
        "culprit. Commands: 'go to <room>', 'look', 'examine <thing>', 'ask <suspect> <question>' "
        "(suspects wait in the drawing room), 'accuse <suspect>'. Accusing ends the game. Reply with "
        "one command only, on one line.",
        "Your next command:",
    ),
    gamma=0.98,
    fresh_seeds=(2**32, 2**62),  # above every split's seed range (detective.env.SPLITS)
)

DESCRIPTORS = (DETECTIVE,)
