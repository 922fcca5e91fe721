"""archer-gym agents: language-model policies, offline data, behaviour cloning, ArCHer, evaluation.

An agent is anything with ``act(observations: list[str]) -> list[str]``: the envs' scripted
players, :class:`ChatAgent` (a prompted chat model through the ``openai`` client) and
:class:`LMPolicy` (a Hugging Face causal LM, trained by BC and the RL algorithms).
"""

from agents.agent_registry import make_agent
from agents.archer import ArcherConfig, ArcherResult, make_config, train_archer
from agents.bc import BCConfig, BCResult, train_bc
from agents.buffer import Batch, ReplayBuffer, Transition
from agents.chat_agent import ChatAgent
from agents.checkpoint import load_checkpoint, save_checkpoint
from agents.data import generate_dataset, load_dataset, transitions
from agents.evaluate import EvalResult, episode_secrets, evaluate
from agents.logger import MetricLogger
from agents.rollout import Rollout, RolloutCollector
from agents.seeding import seed_everything

__all__ = [
    "ArcherConfig", "ArcherResult", "make_config", "train_archer",
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
