"""Collecting utterance-level experience from many episodes at once (ArCHer, Algorithm 1, "collect").

:class:`RolloutCollector` keeps ``num_envs`` episodes running side by side. Each step it makes ONE
batched call ``agent.act(observations)`` for all of them and, for envs with a vector entry point
(Twenty Questions, Guess My City), ONE batched oracle call; envs without one (Detective, WebShop,
Jericho) run as single envs stepped in a loop with the same semantics. Finished episodes restart at
once (Gymnasium's ``"SameStep"`` autoreset), so no agent or oracle call is spent on an ended episode.

    collector = RolloutCollector("archer/TwentyQuestions-v0", num_envs=32, seed=0)
    rollout = collector.collect(agent, num_episodes=64)
    buffer.extend(rollout.transitions)
    logger.log(step, **rollout.summary())

What a :class:`Rollout` holds
    Only *completed* episodes, each whole: ``transitions`` is their steps, episode after episode (in
    the order the episodes ended), and ``episodes`` their return, success and length. An episode
    still running when ``collect`` stops is neither returned nor thrown away: the collector keeps its
    steps and returns the whole episode from the ``collect`` call in which it ends. (Dropping
    unfinished episodes would bias the data towards short, i.e. successful, episodes.) Consequently a
    returned episode may contain steps taken by an earlier version of the agent, and the counters of
    a Rollout (steps, agent calls, wall time, tokens) count the work done *during that call*.

Stopping
    ``num_episodes=k`` returns exactly ``k`` episodes: when several end on the last step, the extra
    ones are held back and returned first by the next call. ``num_steps=n`` runs exactly ``n`` vector
    steps and returns every episode that ended. With both, whichever comes first.

Seeding
    The envs are reset once, at construction, with ``seed`` (sub-env ``i`` gets ``seed + i``, as
    :class:`~archer_envs.core.QuestionGameVectorEnv` does); every later episode continues each
    sub-env's random stream, so consecutive ``collect`` calls continue one deterministic stream.

Ray workers
    With ``ray_workers=W`` the sub-envs (each with its oracle) live in ``W`` Ray actors, on any node of
    the Ray cluster the process is connected to (``ray.init(address=...)``; without one, Ray starts a
    local instance); the agent still acts here, on all observations in one batched call. Actor ``k``
    holds a contiguous shard of sub-envs, seeded exactly as in-process (sub-env ``i`` gets ``seed +
    i``), so the trajectories equal the in-process collector's for the same seeds and agent. Each step
    is one ``step`` call per actor, all in flight together. Needs the ``ray`` extra.

Transitions
    ``next_observation`` of the last step of an episode is that episode's final observation (from
    ``info["final_obs"]``), never the next episode's first. ``done`` is *termination*, the ``1 − done``
    of the TD target; ``truncated`` marks the time limit, after which the critic still bootstraps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from archer_envs.play import Agent, SideBySideEnvs
from archer_gym.agents.buffer import Transition

__all__ = ["Agent", "EnvShard", "EpisodeRecord", "Rollout", "RolloutCollector", "Transition", "shard_bounds"]


@dataclass
class EpisodeRecord:
    """One completed episode: its transitions in order and what it achieved."""

    transitions: list[Transition]
    success: bool
    env_index: int  # which sub-env played it

    @property
    def ret(self) -> float:
        return float(sum(t.reward for t in self.transitions))

    @property
    def length(self) -> int:
        return len(self.transitions)

    @property
    def truncated(self) -> bool:
        return bool(self.transitions[-1].truncated)


@dataclass
class Rollout:
    """What one :meth:`RolloutCollector.collect` call returns (see the module docstring)."""

    transitions: list[Transition]  # the steps of ``episodes``, episode after episode
    episodes: list[EpisodeRecord]  # completed episodes, in the order they ended
    vector_steps: int = 0  # batched steps taken during this call (= agent calls)
    env_steps: int = 0  # sub-env steps taken during this call (vector_steps × num_envs)
    agent_calls: int = 0  # agent.act calls during this call
    wall_time: float = 0.0  # seconds spent in this call
    tokens_generated: int | None = None  # increase of agent.tokens_generated, None if it has none

    @property
    def returns(self) -> list[float]:
        return [e.ret for e in self.episodes]

    @property
    def successes(self) -> list[bool]:
        return [e.success for e in self.episodes]

    @property
    def lengths(self) -> list[int]:
        return [e.length for e in self.episodes]

    def summary(self) -> dict[str, float | int]:
        """Scalars for a :class:`~agents.logger.MetricLogger` line (means are NaN without episodes)."""
        n = len(self.episodes)
        out: dict[str, float | int] = {
            "episodes": n,
            "mean_return": float(np.mean(self.returns)) if n else float("nan"),
            "success_rate": float(np.mean(self.successes)) if n else float("nan"),
            "mean_length": float(np.mean(self.lengths)) if n else float("nan"),
            "transitions": len(self.transitions),
            "env_steps": self.env_steps,
            "agent_calls": self.agent_calls,
            "wall_time": self.wall_time,
            "env_steps_per_s": self.env_steps / self.wall_time if self.wall_time > 0 else float("nan"),
        }
        if self.tokens_generated is not None:
            out["tokens_generated"] = self.tokens_generated
        return out


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


class _VectorEnvs:
    """A vector-entry-point env with SameStep autoreset: one oracle call per step for all sub-envs."""

    def __init__(self, env_id: str, num_envs: int, split: str | None, seed: int, env_kwargs: dict) -> None:
        self.env = gym.make_vec(
            env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", autoreset_mode="SameStep", **env_kwargs
        )
        options = {} if split is None else {"split": split}
        obs, _ = self.env.reset(seed=seed, options=options)  # autoreset keeps drawing from this split
        self.observations = list(obs)

    def step(self, actions: list[str]):
        obs, rewards, terminated, truncated, info = self.env.step(actions)
        n = len(actions)
        final = list(obs)
        if "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                final[i] = info["final_obs"][i]
        success = np.zeros(n, dtype=bool)
        if "success" in info:
            success = np.asarray(info["success"], dtype=bool) & np.asarray(info.get("_success", True), dtype=bool)
        self.observations = list(obs)
        return final, np.asarray(rewards, dtype=float), np.asarray(terminated), np.asarray(truncated), success

    def close(self) -> None:
        self.env.close()


class _SideBySideEnvs:
    """Single envs (:class:`archer_envs.play.SideBySideEnvs`), each reset as soon as its episode ends
    (SameStep semantics)."""

    def __init__(self, env_id: str, num_envs: int, split: str | None, seed: int, env_kwargs: dict) -> None:
        self.envs = SideBySideEnvs(env_id, num_envs, **env_kwargs)
        self.options = {} if split is None else {"split": split}
        self.observations = [self.envs.reset(i, seed=seed + i, options=dict(self.options)) for i in range(num_envs)]

    def step(self, actions: list[str]):
        n = len(self.envs)
        final, rewards = [""] * n, np.zeros(n)
        terminated, truncated, success = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
        for i, (obs, reward, term, trunc, info) in enumerate(self.envs.step(range(n), actions)):
            final[i], rewards[i], terminated[i], truncated[i] = obs, reward, term, trunc
            success[i] = bool(info.get("success", False))
            if terminated[i] or truncated[i]:
                self.observations[i] = self.envs.reset(i, options=dict(self.options))  # continues env i's RNG
            else:
                self.observations[i] = final[i]
        return final, rewards, terminated, truncated, success

    def close(self) -> None:
        self.envs.close()


def _backend(env_id: str):
    return _VectorEnvs if gym.spec(env_id).vector_entry_point is not None else _SideBySideEnvs


class EnvShard:
    """Sub-envs ``[lo, hi)`` of a collector, held by one Ray actor (see "Ray workers" above)."""

    def __init__(self, env_id: str, num_envs: int, split: str | None, seed: int, env_kwargs: dict) -> None:
        import archer_envs  # noqa: F401  (registers the ids in the worker)

        self.envs = _backend(env_id)(env_id, num_envs, split, seed, env_kwargs)

    def observations(self) -> list[str]:
        return list(self.envs.observations)

    def step(self, actions: list[str]):
        """What the in-process backend's step returns, plus the shard's next observations."""
        return (*self.envs.step(actions), list(self.envs.observations))

    def close(self) -> None:
        self.envs.close()


def shard_bounds(num_envs: int, shards: int) -> list[tuple[int, int]]:
    """``shards`` contiguous ranges covering ``range(num_envs)``, sizes differing by at most one."""
    size, extra = divmod(num_envs, shards)
    bounds, lo = [], 0
    for k in range(shards):
        hi = lo + size + (k < extra)
        bounds.append((lo, hi))
        lo = hi
    return bounds


class _RayEnvs:
    """The sub-envs sharded over Ray actors (:class:`EnvShard`); same interface as the other backends."""

    def __init__(self, env_id: str, num_envs: int, split: str | None, seed: int, env_kwargs: dict,
                 workers: int, actor_options: dict | None = None) -> None:
        try:
            import ray
        except ModuleNotFoundError as err:
            raise ModuleNotFoundError("ray_workers needs Ray: pip install 'archer-gym[ray]'", name="ray") from err
        if workers > num_envs:
            raise ValueError(f"ray_workers={workers} is more than num_envs={num_envs}: each worker needs a sub-env")
        self._ray = ray
        actor = ray.remote(EnvShard).options(**{"num_cpus": 1, **(actor_options or {})})
        self.bounds = shard_bounds(num_envs, workers)
        self.shards = [actor.remote(env_id, hi - lo, split, seed + lo, env_kwargs) for lo, hi in self.bounds]
        self.observations = [o for part in ray.get([s.observations.remote() for s in self.shards]) for o in part]

    def step(self, actions: list[str]):
        parts = self._ray.get([s.step.remote(actions[lo:hi]) for s, (lo, hi) in zip(self.shards, self.bounds)])
        final = [o for part in parts for o in part[0]]
        rewards, terminated, truncated, success = (np.concatenate([part[k] for part in parts]) for k in range(1, 5))
        self.observations = [o for part in parts for o in part[5]]
        return final, rewards, terminated, truncated, success

    def close(self) -> None:
        if self.shards:
            self._ray.get([s.close.remote() for s in self.shards])
            for s in self.shards:
                self._ray.kill(s)
            self.shards = []


class RolloutCollector:
    """Runs ``num_envs`` episodes of ``env_id`` in parallel and returns utterance-level transitions.

    ``split`` is given to every reset (``None`` for envs without splits, e.g. JerichoDetective);
    ``env_kwargs`` go to the env constructor (e.g. ``oracle=...``, ``max_turns=...``). ``ray_workers=W``
    (``W >= 1``) runs the sub-envs in ``W`` Ray actors, each created with ``ray_actor_options``
    (default ``{"num_cpus": 1}``); 0 keeps them in this process.
    """

    def __init__(
        self, env_id: str, num_envs: int = 32, split: str | None = "train", seed: int = 0, *,
        ray_workers: int = 0, ray_actor_options: dict | None = None, **env_kwargs: Any
    ) -> None:
        import archer_envs  # noqa: F401  (registers the ids)

        self.num_envs = _positive_int("num_envs", num_envs)
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        for key in ("autoreset_mode", "vectorization_mode", "num_envs"):
            if key in env_kwargs:
                raise ValueError(f"RolloutCollector sets {key} itself; got {key}={env_kwargs[key]!r}")
        self.env_id = env_id
        self.split = split
        self.seed = int(seed)
        if not isinstance(ray_workers, (int, np.integer)) or isinstance(ray_workers, bool) or ray_workers < 0:
            raise ValueError(f"ray_workers must be a non-negative integer, got {ray_workers!r}")
        backend = _backend(env_id)
        self.vectorized = backend is _VectorEnvs
        self.ray_workers = int(ray_workers)
        if self.ray_workers:
            self._envs = _RayEnvs(env_id, self.num_envs, split, self.seed, env_kwargs, self.ray_workers,
                                  ray_actor_options)
        else:
            self._envs = backend(env_id, self.num_envs, split, self.seed, env_kwargs)
        self._running: list[list[Transition]] = [[] for _ in range(self.num_envs)]
        self._held_back: list[EpisodeRecord] = []  # ended on a step past the last quota
        # Lifetime counters (e.g. the x-axis of training curves).
        self.total_vector_steps = 0
        self.total_env_steps = 0
        self.total_episodes = 0  # episodes returned so far

    @property
    def env(self):
        """The vector env, or the list of single envs (in this process only: not with Ray workers)."""
        if self.ray_workers:
            raise AttributeError("the envs of a collector with Ray workers live in the Ray actors")
        return self._envs.env if self.vectorized else self._envs.envs.envs

    @property
    def observations(self) -> list[str]:
        """The current observation of each sub-env (what the next agent call will see)."""
        return list(self._envs.observations)

    def collect(self, agent: Agent, num_episodes: int | None = None, num_steps: int | None = None) -> Rollout:
        """Step all sub-envs until ``num_episodes`` episodes have been completed or ``num_steps`` vector
        steps have been taken (whichever first; at least one must be given)."""
        if num_episodes is None and num_steps is None:
            raise ValueError("collect needs num_episodes or num_steps (or both), got neither")
        if num_episodes is not None:
            num_episodes = _positive_int("num_episodes", num_episodes)
        if num_steps is not None:
            num_steps = _positive_int("num_steps", num_steps)
        start = time.perf_counter()
        tokens_before = getattr(agent, "tokens_generated", None)
        finished, self._held_back = self._held_back, []
        steps = 0
        while (num_episodes is None or len(finished) < num_episodes) and (num_steps is None or steps < num_steps):
            observations = list(self._envs.observations)
            actions = list(agent.act(observations))
            if len(actions) != self.num_envs:
                raise ValueError(f"agent returned {len(actions)} actions for {self.num_envs} observations")
            actions = [a if isinstance(a, str) else str(a) for a in actions]
            final, rewards, terminated, truncated, success = self._envs.step(actions)
            steps += 1
            for i in range(self.num_envs):
                t = Transition(observations[i], actions[i], float(rewards[i]), final[i], bool(terminated[i]),
                               bool(truncated[i]))
                self._running[i].append(t)
                if t.done or t.truncated:
                    finished.append(EpisodeRecord(self._running[i], bool(success[i]), i))
                    self._running[i] = []
        if num_episodes is not None and len(finished) > num_episodes:
            finished, self._held_back = finished[:num_episodes], finished[num_episodes:]
        self.total_vector_steps += steps
        self.total_env_steps += steps * self.num_envs
        self.total_episodes += len(finished)
        tokens_after = getattr(agent, "tokens_generated", None)
        tokens = None if tokens_before is None or tokens_after is None else int(tokens_after - tokens_before)
        return Rollout(
            transitions=[t for e in finished for t in e.transitions],
            episodes=finished,
            vector_steps=steps,
            env_steps=steps * self.num_envs,
            agent_calls=steps,
            wall_time=time.perf_counter() - start,
            tokens_generated=tokens,
        )

    @property
    def running_transitions(self) -> int:
        """Steps of unfinished episodes (and held-back finished ones) kept for a later collect."""
        return sum(map(len, self._running)) + sum(e.length for e in self._held_back)

    def close(self) -> None:
        self._envs.close()

    def __enter__(self) -> RolloutCollector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
