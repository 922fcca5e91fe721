"""archer-gym agents: language-model policies, offline data, behaviour cloning, ArCHer and the
baselines (PPO, online filtered BC, CHAI), evaluation.

An agent is anything with ``act(observations: list[str]) -> list[str]``: the envs' scripted
players, :class:`ChatAgent` (a prompted chat model through the ``openai`` client) and
:class:`LMPolicy` (a Hugging Face causal LM, trained by BC and the RL algorithms).

``import agents`` is cheap: each name below is imported from its module on first use (PEP 562), so
torch loads only when something that needs it is touched.
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it
_EXPORTS = {
    "make_agent": "agents.agent_registry",
    "ALGORITHMS": "agents.algorithms",
    "make_algorithm_config": "agents.algorithms",
    "train": "agents.algorithms",
    "ArcherConfig": "agents.algorithms.archer",
    "ArcherResult": "agents.algorithms.archer",
    "make_config": "agents.algorithms.archer",
    "train_archer": "agents.algorithms.archer",
    "CHAIConfig": "agents.algorithms.chai",
    "train_chai": "agents.algorithms.chai",
    "FilteredBCConfig": "agents.algorithms.filtered_bc",
    "train_filtered_bc": "agents.algorithms.filtered_bc",
    "PPOConfig": "agents.algorithms.ppo",
    "train_ppo": "agents.algorithms.ppo",
    "RunConfig": "agents.training",
    "TrainResult": "agents.training",
    "BCConfig": "agents.algorithms.bc",
    "BCResult": "agents.algorithms.bc",
    "train_bc": "agents.algorithms.bc",
    "Batch": "agents.buffer",
    "ReplayBuffer": "agents.buffer",
    "Transition": "agents.buffer",
    "ChatAgent": "agents.chat_agent",
    "load_checkpoint": "agents.checkpoint",
    "save_checkpoint": "agents.checkpoint",
    "generate_dataset": "agents.data",
    "load_dataset": "agents.data",
    "transitions": "agents.data",
    "EvalResult": "archer_envs.benchmark",
    "episode_secrets": "archer_envs.benchmark",
    "evaluate": "archer_envs.benchmark",
    "LMPolicy": "agents.lm_policy",
    "MetricLogger": "agents.logger",
    "Rollout": "agents.rollout",
    "RolloutCollector": "agents.rollout",
    "seed_everything": "agents.seeding",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'agents' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
