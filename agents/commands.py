"""The agents' commands of ``archer``: ``eval``, ``match``, ``data generate``, ``train`` and ``pipeline``.

Importing this module is cheap (click and the env package only): torch and the models load inside
the command that needs them.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import click

from archer_envs import ENVS
from archer_envs.commands import (
    check_env_id,
    oracle_kwargs,
    oracle_kwargs_option,
    oracle_option,
    parse_options,
    usage_errors,
)
from archer_gym.agents.progress import ProgressLog


@click.command("eval")
@click.option("--agent", "agent_spec", required=True, metavar="SPEC",
              help="expert | noisy | random | chat:<model>[@<base_url>] | a checkpoint directory.")
@click.option("--env", "env_id", required=True, metavar="ID", help="Environment id (see `archer envs`).")
@click.option("--split", default="test", show_default=True)
@click.option("--episodes", type=click.IntRange(min=1), default=None,
              help="Episodes to play: the seed-shuffled split, repeated as needed [default: each secret once].")
@click.option("--seed", default=0, show_default=True, help="Seed of the episode list and of scripted agents.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Write summary.json and episodes.jsonl to this folder.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--temperature", type=click.FloatRange(min=0.0), default=None,
              help="Sampling temperature of a checkpoint agent (1: sampled as in training curves; sampling "
                   "seeded by --seed) [default: 0, greedy].")
@oracle_option
@oracle_kwargs_option
def eval_command(agent_spec, env_id, split, episodes, seed, out_dir, batch_size, temperature, oracle,
                 oracle_options) -> None:
    """Evaluate an agent on the fixed episode list of a split (docs/results_format.md)."""
    check_env_id(env_id)
    from archer_envs.benchmark import evaluate
    from archer_gym.agents.agent_registry import make_agent

    try:
        agent = make_agent(agent_spec, env_id, seed=seed)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--agent") from err
    if temperature is not None:
        if not os.path.isdir(agent_spec):
            raise click.BadParameter(f"applies to checkpoint agents only, not {agent_spec!r}",
                                     param_hint="--temperature")
        import torch

        agent.temperature = temperature
        torch.manual_seed(seed)  # the sampled utterances depend on --seed alone
    try:
        with usage_errors(OSError, ImportError):  # e.g. an env's missing game file or optional package
            result = evaluate(agent, env_id, split=split, episodes=episodes, seed=seed, out_dir=out_dir,
                              batch_size=batch_size, progress=True, **oracle_kwargs(oracle, oracle_options))
    finally:
        close = getattr(agent, "close", None)
        if callable(close):
            close()
    s = result.summary
    ci = "n/a" if s["return_ci95"] is None else f"{s['return_ci95']:.2f}"
    click.echo(
        f"{env_id} {s['agent']} on {split} ({s['episodes']} episodes, {s['seconds']:.1f} s)\n"
        f"  mean return  {s['mean_return']:.2f} ± {ci} (95% CI)\n"
        f"  success rate {s['success_rate']:.3f}\n"
        f"  mean turns   {s['mean_turns']:.2f}"
    )
    if out_dir is not None:
        click.echo(f"  wrote {result.out_dir}/summary.json and episodes.jsonl")


@click.command("match")
@click.option("--env", "env_id", default="archer/TwentyQuestions-v0", show_default=True,
              type=click.Choice([e for e, d in ENVS.items() if d.two_role is not None]),
              help="The single-agent game whose two-role version is played.")
@click.option("--asker", "asker_spec", default="expert", show_default=True, metavar="SPEC",
              help="expert | noisy | random | chat:<model>[@<base_url>] | a checkpoint directory.")
@click.option("--answerer", default="knowledge", show_default=True, type=click.Choice(["knowledge", "openai", "hf"]),
              help="The oracle backend that plays the answerer.")
@click.option("--answerer-option", "answerer_options", multiple=True, metavar="KEY=VALUE",
              help="Answerer backend argument, repeatable (e.g. model=llama3.1 base_url=http://localhost:11434/v1).")
@click.option("--split", default="test", show_default=True)
@click.option("--games", type=click.IntRange(min=1), default=None,
              help="Games to play: the seed-shuffled split, repeated as needed [default: each secret once].")
@click.option("--seed", default=0, show_default=True, help="Seed of the secret list and of scripted askers.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write one JSON line per game here.")
def match_command(env_id, asker_spec, answerer, answerer_options, split, games, seed, out) -> None:
    """Play the two-role version of a game: an asker agent against an answerer (archer_envs.multiagent)."""
    from archer_envs.benchmark import episode_secrets, write_atomic
    from archer_envs.multiagent import oracle_answerer, play_matches
    from archer_gym.agents.agent_registry import make_agent

    module = ENVS[env_id].two_role_module()
    with usage_errors(oracle_hint="--answerer-option"):
        secrets = episode_secrets(env_id, split, games, seed)
        asker = make_agent(asker_spec, env_id, seed=seed)
        answering = oracle_answerer(module, answerer, **parse_options(answerer_options, "--answerer-option"))
    results = play_matches(module, asker, answering, secrets)
    n = len(results)
    click.echo(f"{module.GAME.name}: asker {asker_spec} vs answerer {answerer} on {split} ({n} games)\n"
               f"  asker mean return     {sum(r.asker_return for r in results) / n:.2f}\n"
               f"  success rate          {sum(r.success for r in results) / n:.3f}\n"
               f"  answerer mean return  {sum(r.answerer_return for r in results) / n:.2f} (0 = always consistent)\n"
               f"  mean turns            {sum(r.turns for r in results) / n:.2f}")
    if out is not None:
        lines = (json.dumps(dataclasses.asdict(r)) + "\n" for r in results)
        write_atomic(out, lines)
        click.echo(f"  wrote {out}")


@click.group()
def data() -> None:
    """Offline datasets of episodes (JSONL, one episode per line)."""


@data.command("generate")
@click.option("--env", "env_id", required=True, metavar="ID", help="Environment id (see `archer envs`).")
@click.option("--policy", default="noisy", show_default=True, type=click.Choice(["noisy", "expert", "random"]))
@click.option("--episodes", type=click.IntRange(min=1), default=None,
              help="Episodes to play: the seed-shuffled split, repeated as needed [default: each secret once].")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False), help="The JSONL file to write.")
@click.option("--split", default="train", show_default=True)
@click.option("--seed", default=0, show_default=True, help="Seed of the episode list and of the policy.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@oracle_option
@oracle_kwargs_option
def data_generate(env_id, policy, episodes, out_path, split, seed, batch_size, oracle, oracle_options) -> None:
    """Play a scripted policy and write its episodes as a dataset."""
    check_env_id(env_id)
    from archer_gym.agents.data import generate_dataset

    with usage_errors(OSError, ImportError):
        trajectories = generate_dataset(env_id, policy=policy, episodes=episodes, out=out_path, split=split,
                                        seed=seed, batch_size=batch_size, **oracle_kwargs(oracle, oracle_options))
    n = len(trajectories)
    mean_return = sum(t.ret for t in trajectories) / n
    success = sum(t.success for t in trajectories) / n
    turns = sum(len(t.turns) for t in trajectories)
    click.echo(
        f"wrote {n} episodes ({turns} turns) of {policy} on {env_id} {split} to {out_path}: "
        f"mean return {mean_return:.2f}, success rate {success:.3f}"
    )


@click.group()
def train() -> None:
    """Train agents: behaviour cloning and ArCHer."""


@train.command("bc")
@click.option("--data", "dataset", required=True, type=click.Path(dir_okay=False),
              help="Dataset JSONL (`archer data generate`).")
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Checkpoint directory (resumed if it exists).")
@click.option("--top-fraction", default=1.0, show_default=True, type=float,
              help="Keep the top fraction by return (filtered BC).")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=3e-4, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True)
@click.option("--init", default=None,
              help="Start from a checkpoint, model path or hub name [default: the offline small GPT-2].")
@click.option("--n-layer", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--n-embd", default=256, show_default=True, type=click.IntRange(min=8))
def train_bc_command(dataset, out, top_fraction, epochs, batch_size, lr, seed, init, n_layer, n_embd) -> None:
    """Behaviour cloning (supervised fine-tuning) on a dataset's utterances: the starting checkpoint
    of every online algorithm."""
    from archer_gym.agents.algorithms.bc import BCConfig, train_bc
    from archer_gym.agents.logger import MetricLogger

    cfg = BCConfig(dataset, out, top_fraction=top_fraction, epochs=epochs, batch_size=batch_size, lr=lr,
                   seed=seed, init=init, n_layer=n_layer, n_embd=n_embd)
    try:
        with MetricLogger(Path(out) / "logs", console=True) as logger:  # kept by the checkpoint saves
            result = train_bc(cfg, progress=True, log=logger.log)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err
    click.echo(
        f"BC on {result.utterances} utterances of {result.trajectories_kept} episodes: loss "
        f"{result.epoch_losses[0]:.3f} -> {result.epoch_losses[-1]:.3f} in {result.seconds:.0f} s; "
        f"checkpoint {result.checkpoint}"
    )


def _train_command(name: str) -> None:
    """Register ``archer train NAME`` for one online algorithm of agents.algorithms (imported, with
    torch, when the command runs)."""

    @train.command(name, help=_TRAIN_HELP[name], short_help=_TRAIN_SHORT_HELP[name])
    @click.option("--env", "env_id", required=True, metavar="ID", help="Environment id (see `archer envs`).")
    @click.option("--preset", default="cpu", show_default=True, type=click.Choice(["cpu", "paper"]),
                  help="cpu: small models, minutes on a laptop; paper: gpt2 (+ roberta-base) at the paper's scale.")
    @click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
                  help="JSON or TOML file of config fields (applied over the preset).")
    @click.option("--out", default=None, type=click.Path(file_okay=False),
                  help=f"Run directory (resumed if it holds a checkpoint) [default: runs/{name}-<env>].")
    @click.option("--init", default=None,
                  help="BC checkpoint to start from [default: made from behaviour data in OUT/bc].")
    @click.option("--minutes", "max_minutes", type=float, default=None, help="Wall-time budget of the RL phase.")
    @click.option("--iterations", type=click.IntRange(min=1), default=None)
    @click.option("--trajectories", "max_trajectories", type=click.IntRange(min=1), default=None,
                  help="Stop once this many trajectories were collected.")
    @click.option("--seed", type=int, default=None)
    @click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
                  help="Any config field, e.g. --set critic_steps=20.")
    def command(
        env_id, preset, config_file, out, init, max_minutes, iterations, max_trajectories, seed, settings
    ) -> None:
        check_env_id(env_id)
        from archer_gym.agents.algorithms import get_algorithm

        algo = get_algorithm(name)
        overrides = parse_options(settings, "--set")
        for key, value in (("init", init), ("max_minutes", max_minutes), ("iterations", iterations),
                           ("max_trajectories", max_trajectories), ("seed", seed)):
            if value is not None:
                overrides[key] = value
        overrides.setdefault("out", out or f"runs/{name}-{env_id.split('/')[-1].lower()}")
        try:
            cfg = algo.make_config(preset, env_id, config_file=config_file, **overrides)
        except (ValueError, TypeError, FileNotFoundError) as err:
            raise click.UsageError(str(err)) from err
        try:
            result = algo.train(cfg, log=ProgressLog.for_run(click.echo, algo.label, cfg))
        except (ValueError, FileNotFoundError) as err:
            raise click.UsageError(str(err)) from err
        from archer_gym.agents.distributed import Group

        if not Group().main:  # under `accelerate launch`, rank 0 reports
            return
        e, t = result.final_eval, result.timings
        click.echo(
            f"{algo.label} on {env_id}: {result.iterations} iterations, {result.trajectories} trajectories, "
            f"{result.actor_updates} actor steps, "
            f"{result.seconds / 60:.1f} min (rollout {t['rollout']:.0f} s, critic {t['critic']:.0f} s, actor "
            f"{t['actor']:.0f} s, eval {t['eval']:.0f} s), peak memory {result.peak_memory_mb:.0f} MB\n"
            f"  test return {e['mean_return']:.2f}, success {e['success_rate']:.3f}; checkpoint {result.checkpoint}"
            + ("\n  (no actor step was taken: this is the BC start's return)" if result.policy_is_bc_start else "")
        )


_TRAIN_HELP = {
    "archer": "ArCHer (Zhou et al. 2024): an utterance-level double critic and a token-level policy gradient, "
              "starting from behaviour cloning. Logs a learning curve to OUT/logs and evaluates on the test split.",
    "ppo": "Token-level PPO (every token an action; GAE over the episode's tokens; clipped ratio, value head, "
           "entropy bonus, optional KL to the start), from the same BC start as ArCHer.",
    "filtered_bc": "Online filtered BC: behaviour cloning on the trajectories at or above the 90th percentile of "
                   "return among all collected so far, from the same BC start as ArCHer.",
    "chai": "CHAI (Verma et al. 2022, online): the frozen BC policy samples k utterances, ArCHer's double critic "
            "picks the best.",
}


_TRAIN_SHORT_HELP = {
    "archer": "ArCHer: utterance-level critic + token-level policy gradient.",
    "ppo": "Token-level PPO from the BC start.",
    "filtered_bc": "Online filtered BC (top 10% of trajectories so far).",
    "chai": "CHAI: frozen BC policy, critic picks the best of k samples.",
}


for _name in ("archer", "ppo", "filtered_bc", "chai"):
    _train_command(_name)


@click.command("pipeline")
@click.option("--env", "env_id", default="archer/TwentyQuestions-v0", show_default=True, metavar="ID")
@click.option("--out", default="runs/main", show_default=True, type=click.Path(file_okay=False),
              help="Run directory (a re-run resumes it).")
@click.option("--trajectories", type=click.IntRange(min=1), default=None,
              help="Trajectory budget of the ArCHer phase (the reproducible budget).")
@click.option("--minutes", type=float, default=None, help="Wall-time budget of the ArCHer phase (optional).")
@click.option("--preset", default="cpu", show_default=True, type=click.Choice(["cpu", "paper"]))
@click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
              help="JSON or TOML file of ArcherConfig fields.")
@click.option("--protocol", default="paper", show_default=True, type=click.Choice(["paper", "generalisation"]),
              help="paper: train and evaluate on the same secrets (the paper's code); "
                   "generalisation: held-out test split.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Any ArcherConfig field.")
def pipeline_command(env_id, out, trajectories, minutes, preset, config_file, protocol, settings) -> None:
    """The main job: behaviour data -> BC -> ArCHer -> test-split table (behaviour policy, BC, ArCHer,
    expert) and learning-curve plot, all offline."""
    check_env_id(env_id)
    from archer_gym.agents.pipeline import run_pipeline

    try:
        run_pipeline(env_id, out=out, preset=preset, minutes=minutes, config_file=config_file, echo=click.echo,
                     trajectories=trajectories, **{"protocol": protocol, **parse_options(settings, "--set")})
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


COMMANDS = (eval_command, match_command, data, train, pipeline_command)
