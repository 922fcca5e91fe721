"""The baselines' command of ``archer``: ``compare``."""

from __future__ import annotations

import sys

import click

from archer_envs.commands import check_env_id, parse_options


@click.command("compare")
@click.option("--env", "env_id", default="archer/TwentyQuestions-v0", show_default=True, metavar="ID")
@click.option("--algos", default="archer,ppo,filtered_bc,chai", show_default=True,
              help="Comma-separated algorithms: archer, ppo, filtered_bc, chai.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Seeds 0..N-1 per algorithm.")
@click.option("--budget", type=click.IntRange(min=1), default=256, show_default=True,
              help="Trajectories each run may collect.")
@click.option("--out", default=None, type=click.Path(file_okay=False),
              help="Output directory (a re-run resumes it) [default: runs/compare-<env>].")
@click.option("--preset", default="cpu", show_default=True, type=click.Choice(["cpu", "paper"]))
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Runs in parallel (worker processes; torch threads split between them).")
@click.option("--config-dir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Folder of <env name>/<algo>.toml configs [default: baselines/configs].")
@click.option("--threshold", "thresholds", type=float, multiple=True,
              help="Test returns for the sample-efficiency table [default: BC start + 0.5/1/2, and the paper's].")
@click.option("--protocol", default="paper", show_default=True, type=click.Choice(["paper", "generalisation"]),
              help="paper: train and evaluate on the same secrets (the paper's code); "
                   "generalisation: held-out test split.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="A config field for every algorithm.")
def compare_command(
    env_id, algos, seeds, budget, out, preset, jobs, config_dir, thresholds, protocol, settings
) -> None:
    """Run every algorithm with the same budget, seeds and BC start; write a results table (Markdown +
    JSON), learning curves with a band over seeds, and the sample-efficiency table."""
    check_env_id(env_id)
    from archer_gym.baselines.compare import CONFIG_DIR, compare

    names = [a.strip() for a in algos.split(",") if a.strip()]
    out = out or f"runs/compare-{env_id.split('/')[-1].lower()}"
    command = " ".join(["archer", "compare", *sys.argv[2:]]) if len(sys.argv) > 1 and sys.argv[1] == "compare" else None
    try:
        compare(env_id, names, seeds=seeds, budget=budget, out=out, preset=preset, jobs=jobs,
                config_dir=config_dir or CONFIG_DIR, thresholds=list(thresholds) or None, echo=click.echo,
                command=command, **{"protocol": protocol, **parse_options(settings, "--set")})
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


COMMANDS = (compare_command,)
