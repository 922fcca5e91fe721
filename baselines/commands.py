"""The baselines' command of ``archer``: ``compare``."""

from __future__ import annotations

import sys

import click

from archer_envs.commands import check_env_id, needs_extra, parse_options


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
@click.option("--ray", "use_ray", is_flag=True,
              help="Run the runs as Ray tasks (the ray extra): on the cluster of --ray-address or RAY_ADDRESS, "
                   "else on a new local Ray instance with this machine's CPUs.")
@click.option("--ray-address", default=None, metavar="ADDRESS",
              help="A running Ray cluster ('auto': the one started on this machine); implies --ray.")
@click.option("--cpus-per-run", type=click.IntRange(min=1), default=None,
              help="CPUs (torch threads) of each run [default: 1 on Ray, torch's choice otherwise].")
@click.option("--gpus-per-run", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="GPUs Ray reserves for each run (a fraction shares one GPU); needs --ray.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True,
              help="Times Ray re-runs a run whose worker died (it resumes from its checkpoint).")
@click.option("--jobs", hidden=True, default=None, help="Replaced by --ray.")
@click.option("--config-dir", default=None, type=click.Path(file_okay=False, exists=True),
              help="Folder of <env name>/<algo>.toml configs [default: baselines/configs].")
@click.option("--threshold", "thresholds", type=float, multiple=True,
              help="Test returns for the sample-efficiency table [default: BC start + 0.5/1/2, and the paper's].")
@click.option("--protocol", default="paper", show_default=True, type=click.Choice(["paper", "generalisation"]),
              help="paper: train and evaluate on the same secrets (the paper's code); "
                   "generalisation: held-out test split.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="A config field for every algorithm.")
def compare_command(env_id, algos, seeds, budget, out, preset, use_ray, ray_address, cpus_per_run, gpus_per_run,
                    retries, jobs, config_dir, thresholds, protocol, settings) -> None:
    """Run every algorithm with the same budget, seeds and BC start; write a results table (Markdown +
    JSON), learning curves with a band over seeds, and the sample-efficiency table."""
    check_env_id(env_id)
    if jobs is not None:
        raise click.UsageError("--jobs is gone: runs in parallel are Ray tasks now. Use --ray (a local Ray instance "
                               "with this machine's CPUs) and --cpus-per-run N; pip install 'archer-gym[ray]'.")
    from archer_gym.baselines.compare import CONFIG_DIR, compare

    names = [a.strip() for a in algos.split(",") if a.strip()]
    out = out or f"runs/compare-{env_id.split('/')[-1].lower()}"
    command = " ".join(["archer", "compare", *sys.argv[2:]]) if len(sys.argv) > 1 and sys.argv[1] == "compare" else None
    try:
        with needs_extra("ray", "ray"):
            compare(env_id, names, seeds=seeds, budget=budget, out=out, preset=preset,
                    config_dir=config_dir or CONFIG_DIR, thresholds=list(thresholds) or None, echo=click.echo,
                    command=command, ray=ray_address or use_ray, cpus_per_run=cpus_per_run,
                    gpus_per_run=gpus_per_run, retries=retries,
                    **{"protocol": protocol, **parse_options(settings, "--set")})
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


COMMANDS = (compare_command,)
