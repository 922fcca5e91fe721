"""archer-gym agents: language-model policies, offline data, behaviour cloning, ArCHer and the
baselines (PPO, online filtered BC, CHAI), evaluation.

An agent is anything with ``act(observations: list[str]) -> list[str]``: the envs' scripted
players, :class:`ChatAgent` (a prompted chat model through the ``openai`` client) and
:class:`LMPolicy` (a Hugging Face causal LM, trained by BC and the RL algorithms).
"""

from agents.agent_registry import make_agent
from agents.algorithms import ALGORITHMS, make_algorithm_config, train
from agents.algorithms.archer import ArcherConfig, ArcherResult, make_config, train_archer
from agents.algorithms.chai import CHAIConfig, train_chai
from agents.algorithms.filtered_bc import FilteredBCConfig, train_filtered_bc
from agents.algorithms.ppo import PPOConfig, train_ppo
from agents.training import RunConfig, TrainResult
from agents.algorithms.bc import BCConfig, BCResult, train_bc
from agents.buffer import Batch, ReplayBuffer, Transition
from agents.chat_agent import ChatAgent
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.data import generate_dataset, load_dataset, transitions
from agents.evaluate import EvalResult, episode_secrets, evaluate
from agents.logger import MetricLogger
from agents.rollout import Rollout, RolloutCollector
from agents.seeding import seed_everything

__all__ = [
    "ALGORITHMS", "ArcherConfig", "ArcherResult", "CHAIConfig", "FilteredBCConfig", "PPOConfig", "RunConfig",
    "TrainResult", "make_algorithm_config", "make_config", "train", "train_archer", "train_chai", "train_filtered_bc",
    "train_ppo",
    "BCConfig", "BCResult", "Batch", "ChatAgent", "EvalResult", "MetricLogger", "ReplayBuffer", "Rollout",
    "RolloutCollector", "Transition", "episode_secrets", "evaluate", "generate_dataset", "load_checkpoint",
    "load_dataset", "make_agent", "save_checkpoint", "seed_everything", "train_bc", "transitions",
]


def __getattr__(name: str):
    # LMPolicy imports torch + transformers models; load it on first use only.
    if name == "LMPolicy":
        from agents.lm_policy import LMPolicy

        return LMPolicy
    raise AttributeError(name)
