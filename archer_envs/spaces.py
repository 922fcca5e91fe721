"""The Text spaces of every env: printable-ASCII observations, actions that may be any string, and what
Gymnasium's vector utilities must know about them (no shared memory; a batch of actions is a list)."""

from __future__ import annotations

import copy
import multiprocessing
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector.utils import batch_space, create_shared_memory, iterate

from archer_envs.arguments import vector_actions
from archer_envs.text import CHARSET


class PrintableText(gym.spaces.Text):
    """A Text space of printable ASCII, empty strings allowed: every env's observations and actions
    (actions may be any string at all, the space only describes what ``sample()`` draws).

    A Text space of its own so that Gymnasium's vector utilities can be told two things about it:

    - Gymnasium's ``AsyncVectorEnv(shared_memory=True)`` (the default of
      ``gym.make_vec(..., vectorization_mode="async")``) reads Text observations out of shared memory
      only once, when it is created, so every later observation would read ``"000..."`` with no error
      (Gymnasium issue #1164 describes the read-once design). Creating that shared memory raises a
      ValueError naming ``shared_memory=False``, which works.
    - A batch of these spaces is a :class:`TextBatch`, whose actions are checked by
      :func:`vector_actions`: ``step("abcd")`` on 4 envs is an error, not four one-letter actions.
    """

    def __init__(self, max_length: int, seed: int | np.random.Generator | None = None) -> None:
        super().__init__(max_length, min_length=0, charset=CHARSET, seed=seed)


class TextBatch(gym.spaces.Tuple):
    """``num_envs`` :class:`PrintableText` spaces: the batched observation/action space of a vector env."""


SHARED_MEMORY_ERROR = (
    "shared_memory=True cannot carry archer-gym's text observations: Gymnasium's AsyncVectorEnv reads Text "
    "from shared memory only once, so every observation would be '000...'. Use "
    "gym.make_vec(env_id, num_envs, vectorization_mode='async', vector_kwargs={'shared_memory': False}) "
    "(or AsyncVectorEnv(env_fns, shared_memory=False)), vectorization_mode='sync', or, where the env has one, "
    "vectorization_mode='vector_entry_point' (one oracle call per step for the whole batch)."
)


@create_shared_memory.register(PrintableText)
def _refuse_shared_memory(space: PrintableText, n: int = 1, ctx: Any = multiprocessing):
    raise ValueError(SHARED_MEMORY_ERROR)


@batch_space.register(PrintableText)
def _batch_printable_text(space: PrintableText, n: int = 1) -> TextBatch:
    batched = batch_space.dispatch(gym.spaces.Text)(space, n)  # Gymnasium's own batching (seeded copies)
    return TextBatch(batched.spaces, seed=copy.deepcopy(space.np_random))


@iterate.register(TextBatch)
def _iterate_text_batch(space: TextBatch, items: object):
    # Gymnasium's SyncVectorEnv and AsyncVectorEnv split the actions of step() with iterate().
    return iter(vector_actions(items, len(space.spaces)))


class ActionText(PrintableText):
    """The action space of every env: any string is a valid action (empty, 10,000 characters, non-printable
    or non-ASCII text: each costs a turn, the env cleans or cuts it), so :meth:`contains` accepts every
    ``str``; ``max_length`` and the printable charset describe only what :meth:`sample` draws."""

    def contains(self, x: Any) -> bool:
        return isinstance(x, str)


def text_space(max_length: int) -> PrintableText:
    """The space of every env's observations (see :class:`PrintableText`)."""
    return PrintableText(max_length)


def action_space(sample_chars: int) -> ActionText:
    """The space of every env's actions: any string (see :class:`ActionText`); samples are at most
    ``sample_chars`` printable characters."""
    return ActionText(sample_chars)
