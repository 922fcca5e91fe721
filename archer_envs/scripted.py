"""Scripted policies and secret lists per environment, for data generation and reference numbers.

Each env's descriptor (:mod:`archer_envs.descriptor`) declares both; these are the by-id shortcuts.
"""

from __future__ import annotations

from archer_envs import ENVS, descriptor
from archer_envs.descriptor import SCRIPTED


def has_scripted_policies(env_id: str) -> bool:
    return env_id in ENVS and ENVS[env_id].has_scripted_policies


def split_secrets(env_id: str, split: str) -> list:
    """Every secret of a split, in the data file's order (Detective: the first 200 case seeds;
    WebShop: the goal indices of the default catalogue)."""
    return descriptor(env_id).split_secrets(split)


def scripted_policy(env_id: str, name: str, seed: int | None = 0):
    """``expert``, ``noisy`` (behaviour data) or ``random`` for ``env_id``."""
    if name not in SCRIPTED:
        raise ValueError(f"unknown scripted policy {name!r}: expected one of {', '.join(SCRIPTED)}")
    if not descriptor(env_id).has_scripted_policies:
        raise ValueError(f"no scripted policies for {env_id!r} yet: they exist for "
                         f"{', '.join(e for e in ENVS if has_scripted_policies(e))}")
    return ENVS[env_id].scripted_policy(name, seed)


__all__ = ["SCRIPTED", "has_scripted_policies", "scripted_policy", "split_secrets"]
