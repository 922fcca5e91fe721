"""Oracle backends behind one interface: ``answer(secrets, questions) -> answers``.

Games pick a backend by name (``gym.make(..., oracle="knowledge"|"openai"|"hf", oracle_kwargs={...})``)
through :func:`make_oracle`; an :class:`Oracle` instance may also be passed directly.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from archer_envs.oracles.base import Oracle, OracleTask

BACKENDS = ("knowledge", "openai", "hf")


class OracleOptionError(ValueError):
    """An ``oracle_kwargs`` key the chosen backend does not take (the message names it and the accepted ones)."""


def check_oracle_options(
    backend: str, build: Callable[..., Any], kwargs: dict[str, Any], skip: tuple[str, ...] = ()
) -> None:
    """Raise :class:`OracleOptionError` when ``kwargs`` holds a keyword ``build`` does not accept
    (``skip``: arguments the game supplies itself, such as the task)."""
    params = inspect.signature(build).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return
    accepted = [n for n, p in params.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and n not in ("self", *skip)]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        takes = f"it takes {', '.join(accepted)}" if accepted else "it takes none"
        raise OracleOptionError(f"unknown option(s) {', '.join(unknown)} for the {backend} oracle: {takes}")


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
        check_oracle_options(oracle, knowledge, kwargs)
        return knowledge(**kwargs)
    if oracle == "openai":
        from archer_envs.oracles.openai_chat import OpenAIOracle

        check_oracle_options(oracle, OpenAIOracle, kwargs, skip=("task",))
        return OpenAIOracle(task, **kwargs)
    if oracle == "hf":
        from archer_envs.oracles.hf import HFOracle

        check_oracle_options(oracle, HFOracle, kwargs, skip=("task",))
        return HFOracle(task, **kwargs)
    raise ValueError(f"unknown oracle {oracle!r}: expected one of {', '.join(BACKENDS)} or an Oracle instance")


__all__ = ["BACKENDS", "Oracle", "OracleOptionError", "OracleTask", "check_oracle_options", "make_oracle"]
