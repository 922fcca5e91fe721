"""The online algorithms by name, for the CLI and the comparison runner.

    cfg = make_algorithm_config("ppo", preset="cpu", env_id="archer/TwentyQuestions-v0", seed=1)
    result = train("ppo", cfg)

Every algorithm starts from the same BC checkpoint, runs through :func:`agents.training.run_training`
and writes the same run directory (checkpoint/, logs/metrics.jsonl|csv, eval/).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Algorithm:
    name: str  # the CLI's name
    label: str  # for tables and plots
    module: str  # where make_config and the train function live
    train_fn: str

    def make_config(self, preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0",
                    config_file: str | None = None, **overrides: Any):
        return importlib.import_module(self.module).make_config(preset, env_id, config_file, **overrides)

    def train(self, cfg, log=None, progress: bool = False):
        return getattr(importlib.import_module(self.module), self.train_fn)(cfg, log=log, progress=progress)


ALGORITHMS: dict[str, Algorithm] = {
    a.name: a for a in (
        Algorithm("archer", "ArCHer", "agents.algorithms.archer", "train_archer"),
        Algorithm("ppo", "PPO (token level)", "agents.algorithms.ppo", "train_ppo"),
        Algorithm("filtered_bc", "online filtered BC", "agents.algorithms.filtered_bc", "train_filtered_bc"),
        Algorithm("chai", "CHAI", "agents.algorithms.chai", "train_chai"),
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
