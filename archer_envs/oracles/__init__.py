"""Oracle backends behind one interface: ``answer(secrets, questions) -> answers``.

Games pick a backend by name (``gym.make(..., oracle="knowledge"|"openai"|"hf", oracle_kwargs={...})``)
through :func:`make_oracle`; an :class:`Oracle` instance may also be passed directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from archer_envs.oracles.base import Oracle, OracleTask

BACKENDS = ("knowledge", "openai", "hf")


def make_oracle(
    oracle: str | Oracle,
    *,
    knowledge: Callable[..., Oracle],
    task: OracleTask,
    oracle_kwargs: dict[str, Any] | None = None,
) -> Oracle:
    """Build the oracle a game asked for.

    ``knowledge`` builds the game's own offline oracle; ``task`` is its prompt for the LLM backends.
    """
    kwargs = dict(oracle_kwargs or {})
    if isinstance(oracle, Oracle):
        if kwargs:
            raise ValueError("oracle_kwargs only apply when oracle is given by name")
        return oracle
    if oracle == "knowledge":
        return knowledge(**kwargs)
    if oracle == "openai":
        from archer_envs.oracles.openai_chat import OpenAIOracle

        return OpenAIOracle(task, **kwargs)
    if oracle == "hf":
        from archer_envs.oracles.hf import HFOracle

        return HFOracle(task, **kwargs)
    raise ValueError(f"unknown oracle {oracle!r}: expected one of {', '.join(BACKENDS)} or an Oracle instance")


__all__ = ["BACKENDS", "Oracle", "OracleTask", "make_oracle"]
