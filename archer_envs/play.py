"""Playing whole episodes with any agent (``act(observations) -> actions``) on a batched env.

:func:`play_episodes` runs one episode per given secret, ``batch_size`` at a time, with one agent
call and one oracle call per step for the whole batch. The evaluation harness in ``agents`` builds
on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import gymnasium as gym
import numpy as np


class Agent(Protocol):
    def act(self, observations: list[str]) -> list[str]: ...


@dataclass
class EpisodeResult:
    secret: str
    actions: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    rewards: list[float] = field(default_factory=list)
    success: bool = False
    terminated: bool = False  # the episode ended by itself (not cut off by the step limit)
    # The observation before each step, then the final one (len(actions) + 1 strings).
    observations: list[str] = field(default_factory=list)

    @property
    def ret(self) -> float:
        return float(sum(self.rewards))

    @property
    def turns(self) -> int:
        return len(self.actions)


def takes_oracle(env_id: str) -> bool:
    """Whether the env is built with an ``oracle`` argument (every env but WebShop and Jericho)."""
    import inspect

    from gymnasium.envs.registration import load_env_creator

    import archer_envs  # noqa: F401  (registers the ids)

    return "oracle" in inspect.signature(load_env_creator(gym.spec(env_id).entry_point)).parameters


def knowledge_matcher(env_id: str, env_kwargs: dict[str, Any] | None = None) -> str | None:
    """The question matcher an env's knowledge oracle uses with these kwargs ("embedding" or
    "lexical"); None where the env has no oracle or another backend answers."""
    kwargs = env_kwargs or {}
    if not takes_oracle(env_id) or kwargs.get("oracle", "knowledge") != "knowledge":
        return None
    from archer_envs.matching import default_matcher

    chosen = (kwargs.get("oracle_kwargs") or {}).get("matcher", "auto")
    return default_matcher() if chosen == "auto" else str(chosen)


def make_batched_env(env_id: str, num_envs: int, **env_kwargs: Any):
    import archer_envs  # noqa: F401  (registers the ids)

    return gym.make_vec(
        env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", autoreset_mode="Disabled", **env_kwargs
    )


def secret_option(env) -> str | None:
    """The reset option that forces an episode's secret ("word", "city", "case", ...), or None when the
    env has none (one fixed game)."""
    inner = env.unwrapped
    game = getattr(inner, "game", None)
    return getattr(game, "secret_option", None) or getattr(inner, "secret_option", None)


def play_episodes(
    agent: Agent,
    env_id: str,
    secrets: Sequence,
    batch_size: int = 32,
    env=None,
    **env_kwargs: Any,
) -> list[EpisodeResult]:
    """One episode per secret, in order, ``batch_size`` at a time (one ``agent.act`` call per step).
    Envs with a vector entry point step the batch with one oracle call; others run single envs side
    by side. Pass ``env`` to reuse a batched env (its size is the batch)."""
    if not secrets:
        return []
    import archer_envs  # noqa: F401  (registers the ids)

    if env is None and gym.spec(env_id).vector_entry_point is None:
        return _play_side_by_side(agent, env_id, secrets, batch_size, **env_kwargs)
    own_env = env is None
    if own_env:
        env = make_batched_env(env_id, min(batch_size, len(secrets)), **env_kwargs)
    n = env.num_envs
    option = secret_option(env)
    results: list[EpisodeResult] = []
    try:
        for start in range(0, len(secrets), n):
            chunk = list(secrets[start : start + n])
            padded = chunk + [chunk[-1]] * (n - len(chunk))  # spare slots replay a secret, ignored
            obs, _ = env.reset(options={option: padded})
            records = [EpisodeResult(s, observations=[str(obs[i])]) for i, s in enumerate(chunk)]
            done = np.zeros(n, dtype=bool)
            done[len(chunk) :] = True
            while not done.all():
                actions = agent.act(list(obs))
                if len(actions) != n:
                    raise ValueError(f"agent returned {len(actions)} actions for {n} observations")
                obs, rewards, terminated, truncated, info = env.step(actions)
                for i in np.flatnonzero(~done):
                    rec = records[i]
                    rec.actions.append(str(actions[i]))
                    rec.answers.append(str(info["answer"][i]))
                    rec.rewards.append(float(rewards[i]))
                    rec.success = bool(info["success"][i])
                    rec.terminated = bool(terminated[i])
                    rec.observations.append(str(obs[i]))
                done |= terminated | truncated
            results.extend(records)
    finally:
        if own_env:
            env.close()
    return results


class SideBySideEnvs:
    """``n`` single envs of ``env_id`` stepped in a loop: the batch for envs without a vector entry
    point (Detective, WebShop, Jericho). Evaluation (:func:`play_episodes`) and the training rollouts
    (``archer_gym.agents.rollout``) both step them through this class."""

    def __init__(self, env_id: str, n: int, **env_kwargs: Any) -> None:
        self.envs = []
        try:
            for _ in range(n):
                self.envs.append(gym.make(env_id, **env_kwargs))
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return len(self.envs)

    def reset(self, i: int, seed: int | None = None, options: dict | None = None) -> str:
        """Reset env ``i``; without ``seed`` it continues that env's random stream."""
        return self.envs[i].reset(seed=seed, options=options)[0]

    def step(self, indices: Sequence[int], actions: Sequence[str]) -> list[tuple[str, float, bool, bool, dict]]:
        """Step env ``indices[k]`` with ``actions[k]``; Gymnasium's five values per env, in that order."""
        if len(actions) != len(indices):
            raise ValueError(f"agent returned {len(actions)} actions for {len(indices)} observations")
        out = []
        for i, action in zip(indices, actions):
            obs, reward, terminated, truncated, info = self.envs[i].step(action)
            out.append((obs, float(reward), bool(terminated), bool(truncated), info))
        return out

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _play_side_by_side(
    agent: Agent, env_id: str, secrets: Sequence, batch_size: int, **env_kwargs: Any
) -> list[EpisodeResult]:
    envs = SideBySideEnvs(env_id, min(batch_size, len(secrets)), **env_kwargs)
    option = secret_option(envs.envs[0])
    results: list[EpisodeResult] = []
    try:
        for start in range(0, len(secrets), len(envs)):
            chunk = list(secrets[start : start + len(envs)])
            # A fixed game (no secret option): the "secret" only names the episode.
            obs = [envs.reset(i, options=None if option is None else {option: s}) for i, s in enumerate(chunk)]
            records = [EpisodeResult(s, observations=[str(o)]) for s, o in zip(chunk, obs)]
            active = list(range(len(chunk)))
            while active:
                actions = agent.act([obs[i] for i in active])
                still = []
                for i, action, step in zip(active, actions, envs.step(active, actions)):
                    obs[i], reward, terminated, truncated, info = step
                    rec = records[i]
                    rec.actions.append(str(action))
                    rec.answers.append(str(info.get("answer", info.get("response", ""))))
                    rec.rewards.append(reward)
                    rec.success = bool(info["success"])
                    rec.terminated = terminated
                    rec.observations.append(str(obs[i]))
                    if not (terminated or truncated):
                        still.append(i)
                active = still
            results.extend(records)
    finally:
        envs.close()
    return results
