"""The ``archer`` command: a thin entry point over the command groups each package owns.

    archer envs                                   list the registered environments
    archer play archer/TwentyQuestions-v0         play an episode yourself in the terminal
    archer scripted archer/TwentyQuestions-v0 --policy expert --split test
    archer eval --agent expert --env archer/TwentyQuestions-v0 --out runs/expert-20q
    archer data generate --env archer/TwentyQuestions-v0 --policy noisy --episodes 1000 --out 20q.jsonl
    archer train archer --env archer/TwentyQuestionsSubset-v0 --trajectories 1024
    archer compare --env archer/TwentyQuestionsSubset-v0 --budget 2048
    archer leaderboard --help

Layers point down: ``archer_envs`` <- ``agents`` <- ``baselines``, ``leaderboard`` <- this file. A
command's module is imported only when that command (or the full help) is asked for, and the command
modules themselves import nothing heavy: torch loads inside the commands that train or run a model.
"""

from __future__ import annotations

import importlib

import click

# command name -> the module that owns it (each module lists its commands in COMMANDS)
OWNERS = {
    "envs": "archer_envs.commands",
    "play": "archer_envs.commands",
    "scripted": "archer_envs.commands",
    "eval": "archer_gym.agents.commands",
    "match": "archer_gym.agents.commands",
    "data": "archer_gym.agents.commands",
    "train": "archer_gym.agents.commands",
    "pipeline": "archer_gym.agents.commands",
    "compare": "archer_gym.baselines.commands",
    "leaderboard": "archer_gym.leaderboard.commands",
}


class PackageCommands(click.Group):
    """A group whose subcommands live in the packages' ``commands`` modules, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(OWNERS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in OWNERS:
            return None
        module = importlib.import_module(OWNERS[name])
        return next(c for c in module.COMMANDS if c.name == name)


@click.group(cls=PackageCommands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archer-gym")
def main() -> None:
    """archer-gym: multi-turn text environments and hierarchical RL agents (ArCHer)."""


if __name__ == "__main__":
    main()
