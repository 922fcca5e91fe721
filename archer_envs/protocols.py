"""Evaluation protocols: which secrets an agent trains on and which it is scored on.

- ``paper`` (the reproduction track): training and the headline evaluation draw secrets from the same
  distribution, as ArCHer's official code does (every Twenty Questions word, the Subset's 10 words,
  every Guess My City city: split ``all`` for both). Detective and WebShop are defined on held-out
  instances (case seeds, goals) by the benchmarks themselves, so there the paper protocol trains on
  ``train`` and evaluates on ``test``. Jericho's Detective is one fixed game: split ``all``, where the
  "secrets" are episode numbers.
- ``generalisation`` (ours): train on the ``train`` split, evaluate on the held-out ``test`` split
  (31 of the 158 words, 20 of the 100 cities) that the policy has never seen guessed. Refused for a
  fixed game (``EnvDescriptor.held_out`` false): it has nothing held out.

Torch-free, so the leaderboard and tools that only read results can use it.
"""

from __future__ import annotations

from archer_envs import ENVS

PROTOCOLS = ("paper", "generalisation")


def check_protocol(protocol: str) -> str:
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}: expected one of {', '.join(PROTOCOLS)}")
    return protocol


def protocol_splits(env_id: str, protocol: str) -> tuple[str, str]:
    """(split the agent trains on, split it is evaluated on) under ``protocol`` for ``env_id``."""
    check_protocol(protocol)
    if protocol == "generalisation" and env_id in ENVS and not ENVS[env_id].held_out:
        raise ValueError(f"protocol 'generalisation' needs held-out secrets, and {env_id} is one fixed game "
                         "(every split is the same game): use protocol 'paper'")
    # Envs whose secrets form one fixed list with an "all" split declare so (EnvDescriptor.paper_split_all).
    if protocol == "paper" and env_id in ENVS and ENVS[env_id].paper_split_all:
        return "all", "all"
    return "train", "test"


def describe(env_id: str, protocol: str) -> str:
    """One line for tables and plots, e.g. "paper protocol: trained and evaluated on all secrets"."""
    train, test = protocol_splits(env_id, protocol)
    if train == test:
        return f"{protocol} protocol: trained and evaluated on the same secrets (split '{test}')"
    return f"{protocol} protocol: trained on split '{train}', evaluated on held-out split '{test}'"


__all__ = ["PROTOCOLS", "check_protocol", "describe", "protocol_splits"]
