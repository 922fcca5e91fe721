"""archer-gym agents: language-model policies, offline data, behaviour cloning, ArCHer and the
baselines (PPO, online filtered BC, CHAI), evaluation.

An agent is anything with ``act(observations: list[str]) -> list[str]``: the envs' scripted
players, :class:`ChatAgent` (a prompted chat model through the ``openai`` client) and
:class:`LMPolicy` (a Hugging Face causal LM, trained by BC and the RL algorithms).

``import archer_gym.agents`` is cheap: each name below is imported from its module on first use (PEP 562), so
torch loads only when something that needs it is touched.
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it
_EXPORTS = {
    "make_agent": "archer_gym.agents.agent_registry",
    "ALGORITHMS": "archer_gym.agents.algorithms",
    "make_algorithm_config": "archer_gym.agents.algorithms",
    "train": "archer_gym.agents.algorithms",
    "ArcherConfig": "archer_gym.agents.algorithms.archer",
    "ArcherResult": "archer_gym.agents.algorithms.archer",
    "make_config": "archer_gym.agents.algorithms.archer",
    "train_archer": "archer_gym.agents.algorithms.archer",
    "CHAIConfig": "archer_gym.agents.algorithms.chai",
    "train_chai": "archer_gym.agents.algorithms.chai",
    "FilteredBCConfig": "archer_gym.agents.algorithms.filtered_bc",
    "train_filtered_bc": "archer_gym.agents.algorithms.filtered_bc",
    "PPOConfig": "archer_gym.agents.algorithms.ppo",
    "train_ppo": "archer_gym.agents.algorithms.ppo",
    "RunConfig": "archer_gym.agents.training",
    "TrainResult": "archer_gym.agents.training",
    "BCConfig": "archer_gym.agents.algorithms.bc",
    "BCResult": "archer_gym.agents.algorithms.bc",
    "train_bc": "archer_gym.agents.algorithms.bc",
    "Batch": "archer_gym.agents.buffer",
    "ReplayBuffer": "archer_gym.agents.buffer",
    "Transition": "archer_gym.agents.buffer",
    "ChatAgent": "archer_gym.agents.chat_agent",
    "load_checkpoint": "archer_gym.agents.checkpoint",
    "save_checkpoint": "archer_gym.agents.checkpoint",
    "generate_dataset": "archer_gym.agents.data",
    "load_dataset": "archer_gym.agents.data",
    "transitions": "archer_gym.agents.data",
    "EvalResult": "archer_envs.benchmark",
    "episode_secrets": "archer_envs.benchmark",
    "evaluate": "archer_envs.benchmark",
    "LMPolicy": "archer_gym.agents.lm_policy",
    "MetricLogger": "archer_gym.agents.logger",
    "Rollout": "archer_gym.agents.rollout",
    "RolloutCollector": "archer_gym.agents.rollout",
    "seed_everything": "archer_gym.agents.seeding",
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
