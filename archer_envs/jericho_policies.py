"""Scripted players for ``archer/JerichoDetective-v0`` (Jericho's ``detective.z5``). They read only the
observation.

- :class:`ExpertPolicy` plays :data:`~archer_envs.jericho_detective.EXPERT_ROUTE` (Jericho's walkthrough
  less two commands that score nothing and two 10-point detours that leave from and return to one same
  observation, which a player reading only the observation cannot take exactly once): 45 commands, 340 of
  the 360 points, the game won, the same game every time. It knows where it stands on the route first by
  the whole observation, else by its ``look`` + ``inventory`` part (the same room with the same things
  carried, so a command that moved nothing, such as ``examine desk``, does not lose the way). Off the
  route (a room it does not know) it plays a random valid action until it finds the route again.
- :class:`NoisyPolicy`: the expert's command with probability ``expert_prob``, otherwise a random valid
  action: route prefixes with detours, the mixed-quality behaviour data of the BC start.
- :class:`RandomPolicy`: a random valid action at every step.

The route's observations are found by playing it once per process and game file, on the first ``act``
(about 20 s: Jericho searches the valid actions of each of its 45 states; the env's cache keeps them, so
the expert's own episodes then cost little); building a player costs nothing. The game file comes from
``rom_path`` or ``$ARCHER_DETECTIVE_Z5``, as for the env.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Sequence

import numpy as np

from archer_envs.jericho_detective import EXPERT_ROUTE, JerichoDetectiveEnv, resolve_rom_path

# (real path of the game file, tagger) -> the route's table (observation -> step, context -> step)
_ROUTE_TABLES: dict[tuple[str, str], RouteTable] = {}


def valid_actions_of(observation: str) -> list[str]:
    """The valid actions an observation ends with (the env writes them as a Python list; ``[]`` once the
    game is over, or when the observation holds none)."""
    end = len(observation.rstrip())
    start = observation.rfind("[", 0, end)
    while start >= 0:
        try:
            found = ast.literal_eval(observation[start:end])
        except (ValueError, SyntaxError):
            start = observation.rfind("[", 0, start)
            continue
        if isinstance(found, list) and all(isinstance(a, str) for a in found):
            return found
        return []
    return []


class RouteTable:
    """Where an observation stands on the route: ``step(observation)`` is the index of the route's next
    command, or None off the route."""

    def __init__(self, rom_path: str | os.PathLike | None = None, valid_actions: str = "parser") -> None:
        env = JerichoDetectiveEnv(rom_path=rom_path, max_steps=len(EXPERT_ROUTE), valid_actions=valid_actions)
        try:
            observation, _ = env.reset()
            self.by_observation: dict[str, int] = {}
            self.by_context: dict[str, int] = {}
            for i, command in enumerate(EXPERT_ROUTE):
                # Where two steps look the same (a room and its things again), the later one wins: go on.
                self.by_observation[observation] = i
                self.by_context[_context(observation, env)] = i
                observation, _, terminated, truncated, _ = env.step(command)
                if terminated or truncated:
                    break
            self.context_lengths = {len(c) for c in self.by_context}
        finally:
            env.close()

    def step(self, observation: str) -> int | None:
        found = self.by_observation.get(observation)
        if found is not None:
            return found
        for n in self.context_lengths:
            found = self.by_context.get(observation[:n])
            if found is not None:
                return found
        return None


def _context(observation: str, env) -> str:
    """The ``look`` + ``inventory`` start of ``observation`` (as the env wrote it, in ASCII; the whole
    observation where its start was cut)."""
    context = env.context()
    return context if observation.startswith(context) else observation


def route_table(rom_path: str | os.PathLike | None = None, valid_actions: str = "parser") -> RouteTable:
    """The process's route table for this game file (built on first use)."""
    key = (os.path.realpath(resolve_rom_path(rom_path)), valid_actions)
    if key not in _ROUTE_TABLES:
        _ROUTE_TABLES[key] = RouteTable(key[0], valid_actions)
    return _ROUTE_TABLES[key]


def _random_action(observation: str, rng: np.random.Generator) -> str:
    actions = valid_actions_of(observation)
    return actions[int(rng.integers(len(actions)))] if actions else "look"


class ExpertPolicy:
    def __init__(self, seed: int | None = 0, rom_path: str | os.PathLike | None = None,
                 valid_actions: str = "parser") -> None:
        self.rng = np.random.default_rng(seed)
        self.rom_path, self.valid_actions = rom_path, valid_actions
        self._table: RouteTable | None = None  # looked up on the first command, not on every one

    def command(self, observation: str) -> str:
        if self._table is None:
            self._table = route_table(self.rom_path, self.valid_actions)
        step = self._table.step(observation)
        return EXPERT_ROUTE[step] if step is not None else _random_action(observation, self.rng)

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self.command(o) for o in observations]


class NoisyPolicy(ExpertPolicy):
    def __init__(self, seed: int | None = 0, expert_prob: float = 0.8, rom_path: str | os.PathLike | None = None,
                 valid_actions: str = "parser") -> None:
        if not 0.0 <= expert_prob <= 1.0:
            raise ValueError(f"expert_prob must be in [0, 1], got {expert_prob!r}")
        super().__init__(seed, rom_path, valid_actions)
        self.expert_prob = expert_prob

    def act(self, observations: Sequence[str]) -> list[str]:
        return [self.command(o) if self.rng.random() < self.expert_prob else _random_action(o, self.rng)
                for o in observations]


class RandomPolicy:
    def __init__(self, seed: int | None = 0) -> None:
        self.rng = np.random.default_rng(seed)

    def act(self, observations: Sequence[str]) -> list[str]:
        return [_random_action(o, self.rng) for o in observations]


POLICIES = {"expert": ExpertPolicy, "noisy": NoisyPolicy, "random": RandomPolicy}

__all__ = ["POLICIES", "ExpertPolicy", "NoisyPolicy", "RandomPolicy", "RouteTable", "route_table", "valid_actions_of"]
