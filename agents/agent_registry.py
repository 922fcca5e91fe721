"""Agents by name, for the command line and the leaderboard.

    make_agent("expert", "archer/TwentyQuestions-v0")               # scripted players
    make_agent("chat:gpt-4o-mini", "archer/GuessMyCity-v0")         # a prompted chat model
    make_agent("chat:llama3.1@http://localhost:11434/v1", env_id)   # ... on any OpenAI-compatible endpoint
    make_agent("runs/archer-20q/checkpoint", env_id)                # a trained LMPolicy checkpoint
"""

from __future__ import annotations

import os

ACCEPTED_FORMS = (
    "'expert', 'noisy' or 'random' (the env's scripted players), "
    "'chat:<model>' or 'chat:<model>@<base_url>' (a prompted chat model), "
    "or the path of a checkpoint directory (LMPolicy.from_pretrained)"
)


def make_agent(spec: str, env_id: str, seed: int = 0):
    """The agent named by ``spec`` for ``env_id`` (``seed`` seeds the scripted players' choices).

    Every returned agent has a ``name`` (``"expert"``, ``"chat:<model>"``, the checkpoint path, ...).
    """
    from archer_envs import descriptor

    descriptor(env_id)  # ValueError naming the registered envs
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"agent spec must be a non-empty string, got {spec!r}: expected {ACCEPTED_FORMS}")
    spec = spec.strip()
    from archer_envs.scripted import SCRIPTED, scripted_policy

    if spec in SCRIPTED:
        agent = scripted_policy(env_id, spec, seed=seed)
        description = f"scripted {spec} player of {env_id} (seed {seed})"
    elif spec.startswith("chat:"):
        from archer_gym.agents.chat_agent import ChatAgent

        model, _, base_url = spec[len("chat:") :].partition("@")
        if not model:
            raise ValueError(f"agent spec {spec!r} names no model: expected 'chat:<model>[@<base_url>]'")
        return ChatAgent(model, base_url=base_url or None, env_id=env_id)
    elif os.path.isdir(spec):
        from archer_gym.agents.checkpoint import load_policy

        agent = load_policy(spec)  # a training checkpoint or a bare policy / model directory
        agent.temperature = 0.0  # greedy for evaluation, as the paper evaluates
        description = f"LMPolicy checkpoint {os.path.abspath(spec)}"
    else:
        if os.path.exists(spec):
            raise ValueError(f"agent {spec!r} is a file, not a checkpoint directory: expected {ACCEPTED_FORMS}")
        hint = " (no such directory)" if os.sep in spec or spec.startswith(".") else ""
        raise ValueError(f"unknown agent {spec!r}{hint}: expected {ACCEPTED_FORMS}")
    if getattr(agent, "name", None) is None:
        agent.name = spec
    if getattr(agent, "description", None) is None:
        try:
            agent.description = description
        except AttributeError:  # a read-only property
            pass
    return agent
