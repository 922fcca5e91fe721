"""Offline datasets of whole episodes, like LMRL-Gym's: generate, load (validated), iterate.

    generate_dataset("archer/TwentyQuestions-v0", policy="noisy", episodes=1000, out="data/20q-noisy.jsonl")
    trajectories = load_dataset("data/20q-noisy.jsonl")
    for obs, action, reward, next_obs, done in transitions(trajectories): ...

One JSON object per line, one line per episode (format ``archer-gym/trajectories``, version 1; see
``docs/results_format.md``). Transitions are utterance-level, as ArCHer's high-level critic sees them
(§4: one (s, a, r, s') per turn, the observation being the whole dialogue so far).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from archer_gym.agents.buffer import Transition

FORMAT = "archer-gym/trajectories"
FORMAT_VERSION = 1


@dataclass
class Trajectory:
    env_id: str
    secret: str | int
    policy: str
    ret: float  # "return" in the file: the sum of the turns' rewards
    success: bool
    turns: list[Transition] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "env_id": self.env_id,
            "secret": self.secret,
            "policy": self.policy,
            "return": self.ret,
            "success": self.success,
            "turns": [asdict(t) for t in self.turns],
        }


def trajectory_from_episode(env_id: str, policy: str, result) -> Trajectory:
    """A :class:`Trajectory` from an :class:`archer_envs.play.EpisodeResult` with observations."""
    obs = result.observations
    n = len(result.actions)
    if len(obs) != n + 1:
        raise ValueError(f"episode of {result.secret!r} has {len(obs)} observations for {n} actions, expected {n + 1}")
    last, ended = n - 1, bool(result.terminated)
    turns = [
        Transition(obs[t], result.actions[t], float(result.rewards[t]), obs[t + 1], t == last and ended,
                   t == last and not ended)
        for t in range(n)
    ]
    return Trajectory(env_id, result.secret, policy, result.ret, bool(result.success), turns)


def generate_dataset(
    env_id: str,
    policy: str = "noisy",
    episodes: int | None = None,
    out: str | os.PathLike | None = None,
    split: str = "train",
    seed: int = 0,
    batch_size: int = 32,
    **env_kwargs: Any,
) -> list[Trajectory]:
    """Play ``policy`` (any :func:`archer_gym.agents.agent_registry.make_agent` spec, seeded with ``seed``) on
    the evaluation episode list of ``(env_id, split, episodes, seed)`` (:func:`archer_envs.benchmark.episode_secrets`:
    ``episodes=None`` is every secret of the split once) and return the trajectories; with ``out``,
    also write them as JSONL (to a temporary file, then renamed)."""
    from archer_envs.benchmark import episode_secrets, write_atomic
    from archer_envs.play import play_episodes
    from archer_gym.agents.agent_registry import make_agent

    secrets = episode_secrets(env_id, split, episodes, seed, env_kwargs=env_kwargs)
    agent = make_agent(policy, env_id, seed=seed)
    results = play_episodes(agent, env_id, secrets, batch_size=batch_size, **env_kwargs)
    trajectories = [trajectory_from_episode(env_id, policy, r) for r in results]
    if out is not None:
        write_atomic(out, (json.dumps(t.to_json(), allow_nan=False) + "\n" for t in trajectories))
    return trajectories


# --- loading, with validation ---------------------------------------------------------------------

_TURN_FIELDS = {"observation": str, "action": str, "reward": float, "next_observation": str, "done": bool,
                "truncated": bool}


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _parse_trajectory(obj: Any) -> Trajectory:
    """Check one decoded line; raise ValueError saying what is wrong."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in ("format", "format_version", "env_id", "secret", "policy", "return", "success", "turns")
               if k not in obj]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    if obj["format"] != FORMAT:
        raise ValueError(f"format is {obj['format']!r}, expected {FORMAT!r}")
    if obj["format_version"] != FORMAT_VERSION:
        raise ValueError(f"format_version is {obj['format_version']!r}, this reader knows {FORMAT_VERSION}")
    for key in ("env_id", "policy"):
        if not isinstance(obj[key], str):
            raise ValueError(f"{key} must be a string, got {obj[key]!r}")
    if not isinstance(obj["secret"], (str, int)) or isinstance(obj["secret"], bool):
        raise ValueError(f"secret must be a string or an integer, got {obj['secret']!r}")
    if not _is_number(obj["return"]):
        raise ValueError(f"return must be a finite number, got {obj['return']!r}")
    if not isinstance(obj["success"], bool):
        raise ValueError(f"success must be true or false, got {obj['success']!r}")
    if not isinstance(obj["turns"], list) or not obj["turns"]:
        raise ValueError(f"turns must be a non-empty list, got {obj['turns']!r}")
    turns = []
    for t, turn in enumerate(obj["turns"]):
        where = f"turns[{t}]"
        if not isinstance(turn, dict):
            raise ValueError(f"{where} must be an object, got {turn!r}")
        for key, kind in _TURN_FIELDS.items():
            if key not in turn:
                raise ValueError(f"{where} has no {key!r}")
            value = turn[key]
            ok = _is_number(value) if kind is float else isinstance(value, kind)
            if not ok:
                raise ValueError(f"{where}.{key} must be {kind.__name__}, got {value!r}")
        if turns and turns[-1].next_observation != turn["observation"]:
            raise ValueError(f"{where}.observation differs from turns[{t - 1}].next_observation")
        last = t == len(obj["turns"]) - 1
        if (turn["done"] or turn["truncated"]) != last or (turn["done"] and turn["truncated"]):
            raise ValueError(f"{where}: exactly the last turn ends the episode, as done (terminated) or truncated")
        turns.append(Transition(turn["observation"], turn["action"], float(turn["reward"]), turn["next_observation"],
                                turn["done"], turn["truncated"]))
    total = sum(t.reward for t in turns)
    if not math.isclose(total, obj["return"], rel_tol=1e-9, abs_tol=1e-6):
        raise ValueError(f"return {obj['return']} is not the sum of the turns' rewards ({total})")
    return Trajectory(obj["env_id"], obj["secret"], obj["policy"], float(obj["return"]), obj["success"], turns)


def load_dataset(path: str | os.PathLike) -> list[Trajectory]:
    """Every trajectory of a JSONL dataset file (UTF-8; blank lines are skipped). A malformed line
    (not UTF-8, not JSON, not a valid record) raises ValueError naming the file, the line number and
    what is wrong."""
    from archer_envs.benchmark import read_json_lines

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no dataset file {str(path)!r}")
    trajectories = []
    for lineno, obj in read_json_lines(path):
        try:
            trajectories.append(_parse_trajectory(obj))
        except ValueError as err:
            raise ValueError(f"{path}, line {lineno}: {err}") from None
    return trajectories


def transitions(trajectories: Iterable[Trajectory]) -> Iterator[Transition]:
    """Utterance-level ``(observation, action, reward, next_observation, done)`` tuples, episode by
    episode, turn by turn."""
    for trajectory in trajectories:
        yield from trajectory.turns
