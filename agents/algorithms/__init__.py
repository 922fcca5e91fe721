"""The online algorithms by name, for the CLI and the comparison runner.

    cfg = make_algorithm_config("ppo", preset="cpu", env_id="archer/TwentyQuestions-v0", seed=1)
    result = train("ppo", cfg)

One file per algorithm: :mod:`~agents.algorithms.archer` (the paper's Algorithm 1),
:mod:`~agents.algorithms.ppo`, :mod:`~agents.algorithms.filtered_bc`, :mod:`~agents.algorithms.chai`, and
:mod:`~agents.algorithms.bc` (the supervised start they all share). Every online algorithm starts from
the same BC checkpoint, runs through :func:`archer_gym.agents.training.run_training` and writes the same run
directory (checkpoint/, logs/metrics.jsonl|csv, eval/).

This registry holds names and module paths only, and imports an algorithm's module (and with it
torch) on first use: ``list(ALGORITHMS)`` costs nothing, so a CLI can offer the names as choices.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from archer_gym.agents.config import make_config


@dataclass(frozen=True)
class Algorithm:
    name: str  # the CLI's name
    label: str  # for tables and plots
    module: str  # where the config class and the train function live
    config: str  # the config dataclass's name in ``module``
    train_fn: str

    def config_class(self) -> type:
        return getattr(importlib.import_module(self.module), self.config)

    def make_config(self, preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0",
                    config_file: str | None = None, **overrides: Any):
        """Preset → config file (JSON/TOML) → overrides (:func:`archer_gym.agents.config.make_config`)."""
        return make_config(self.config_class(), preset, env_id, config_file, **overrides)

    def train(self, cfg, log=None, progress: bool = False):
        return getattr(importlib.import_module(self.module), self.train_fn)(cfg, log=log, progress=progress)


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a for a in (
        Algorithm("archer", "ArCHer", "archer_gym.agents.algorithms.archer", "ArcherConfig", "train_archer"),
        Algorithm("ppo", "PPO (token level)", "archer_gym.agents.algorithms.ppo", "PPOConfig", "train_ppo"),
        Algorithm("filtered_bc", "online filtered BC", "archer_gym.agents.algorithms.filtered_bc", "FilteredBCConfig",
                  "train_filtered_bc"),
        Algorithm("chai", "CHAI", "archer_gym.agents.algorithms.chai", "CHAIConfig", "train_chai"),
    )
}


def get_algorithm(name: str) -> Algorithm:
    if name not in ALGORITHMS:
        raise ValueError(f"unknown algorithm {name!r}: expected one of {', '.join(ALGORITHMS)}")
    return ALGORITHMS[name]


def make_algorithm_config(name: str, preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0",
                          config_file: str | None = None, **overrides: Any):
    return get_algorithm(name).make_config(preset, env_id, config_file, **overrides)


def train(name: str, cfg, log=None, progress: bool = False):
    return get_algorithm(name).train(cfg, log=log, progress=progress)


__all__ = ["ALGORITHMS", "Algorithm", "get_algorithm", "make_algorithm_config", "train"]
