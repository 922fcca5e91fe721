"""Utterance-level transitions and the replay buffer the off-policy agents learn from.

ArCHer (Zhou et al. 2024, §4 and Algorithm 1) treats a whole utterance as one high-level action: the
buffer holds tuples (s, a, r, s', done) where ``s`` is the dialogue so far, ``a`` the agent's full
reply, ``r`` the turn's reward and ``s'`` the dialogue after the environment answered. The critic's
TD target is ``r + γ (1 − done) V(s')``, so ``done`` means *terminated*: a truncated episode
(``truncated=True``, ``done=False``) still bootstraps from ``s'``.

    buffer = ReplayBuffer(capacity=100_000, seed=0)
    buffer.extend(rollout.transitions)
    batch = buffer.sample(256)          # uniform, with replacement, reproducible for a seed
    batch.rewards, batch.dones          # float32 arrays, ready for torch.as_tensor
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Transition:
    """One agent turn. ``done`` is termination (the TD target's ``1 − done``); ``truncated`` marks the
    time limit, which is not termination."""

    observation: str
    action: str
    reward: float
    next_observation: str
    done: bool
    truncated: bool = False


@dataclass
class Batch:
    """``batch_size`` transitions as lists of strings plus float32 arrays for reward, done, truncated."""

    observations: list[str]
    actions: list[str]
    rewards: np.ndarray  # float32, shape (batch_size,)
    next_observations: list[str]
    dones: np.ndarray  # float32 in {0, 1}: 1 where the episode terminated
    truncateds: np.ndarray  # float32 in {0, 1}: 1 where the episode hit its time limit

    def __len__(self) -> int:
        return len(self.observations)


def _positive_int(name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def as_transition(item: object) -> Transition:
    """A :class:`Transition` from a Transition, any object with its attributes, or a mapping with its
    keys (``truncated`` optional)."""
    if isinstance(item, Transition):
        return item
    fields = ("observation", "action", "reward", "next_observation", "done")
    get = item.get if isinstance(item, Mapping) else (lambda k, d=None: getattr(item, k, d))
    missing = [f for f in fields if get(f, None) is None]
    if missing:
        raise ValueError(f"not a transition: {type(item).__name__} lacks {', '.join(missing)}")
    return Transition(
        observation=str(get("observation")),
        action=str(get("action")),
        reward=float(get("reward")),
        next_observation=str(get("next_observation")),
        done=bool(get("done")),
        truncated=bool(get("truncated", False)),
    )


class ReplayBuffer:
    """A ring buffer of :class:`Transition`: once ``capacity`` is reached the oldest is overwritten.

    Indexing and iteration go from the oldest stored transition to the newest. Sampling uses the
    buffer's own ``numpy`` Generator seeded with ``seed``, so it is reproducible and does not disturb
    the global RNGs.
    """

    def __init__(self, capacity: int, seed: int | None = 0) -> None:
        self.capacity = _positive_int("capacity", capacity)
        self.rng = np.random.default_rng(seed)
        self._items: list[Transition | None] = [None] * self.capacity
        self._next = 0  # slot the next transition goes to
        self._size = 0
        self.total_added = 0  # transitions ever added (overwritten ones included)

    def __len__(self) -> int:
        return self._size

    def add(self, transition: Transition | Mapping | object) -> None:
        self._items[self._next] = as_transition(transition)
        self._next = (self._next + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)
        self.total_added += 1

    def extend(self, transitions: Iterable[Transition | Mapping | object]) -> None:
        for t in transitions:
            self.add(t)

    def __getitem__(self, index: int) -> Transition:
        """The ``index``-th oldest stored transition (negative indices count from the newest)."""
        if not -self._size <= index < self._size:
            raise IndexError(f"index {index} out of range for a buffer holding {self._size} transitions")
        index %= self._size
        start = (self._next - self._size) % self.capacity
        return self._items[(start + index) % self.capacity]

    def __iter__(self) -> Iterator[Transition]:
        return (self[i] for i in range(self._size))

    def clear(self) -> None:
        self._items = [None] * self.capacity
        self._next = self._size = 0

    def sample(self, batch_size: int) -> Batch:
        """``batch_size`` transitions drawn uniformly with replacement."""
        batch_size = _positive_int("batch_size", batch_size)
        if self._size == 0:
            raise ValueError("cannot sample from an empty ReplayBuffer: add transitions first")
        # Slots [0, size) are exactly the stored ones (before the first wrap they are the first
        # ``size`` slots; after it, all of them), so uniform slot indices are uniform transitions.
        picked = [self._items[i] for i in self.rng.integers(0, self._size, size=batch_size)]
        return Batch(
            observations=[t.observation for t in picked],
            actions=[t.action for t in picked],
            rewards=np.array([t.reward for t in picked], dtype=np.float32),
            next_observations=[t.next_observation for t in picked],
            dones=np.array([t.done for t in picked], dtype=np.float32),
            truncateds=np.array([t.truncated for t in picked], dtype=np.float32),
        )
