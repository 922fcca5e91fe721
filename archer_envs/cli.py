"""The ``archer`` command.

    archer envs                                   list the registered environments
    archer play archer/TwentyQuestions-v0         play an episode yourself in the terminal
    archer scripted archer/TwentyQuestions-v0 --policy expert --split test
    archer eval --agent expert --env archer/TwentyQuestions-v0 --out runs/expert-20q
    archer data generate --env archer/TwentyQuestions-v0 --policy noisy --episodes 1000 --out 20q.jsonl
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click


def _parse_options(pairs: tuple[str, ...], param_hint: str = "--oracle-option") -> dict:
    """KEY=VALUE pairs (:func:`archer_envs.core.parse_key_values`); a malformed one is a usage error."""
    from archer_envs.core import parse_key_values

    try:
        return parse_key_values(pairs)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=param_hint) from err


def _oracle_kwargs(oracle: str, oracle_options: tuple[str, ...]) -> dict:
    """Env kwargs for the oracle; none for the defaults, so envs without an oracle (WebShop,
    Jericho) work with the same command."""
    if oracle == "knowledge" and not oracle_options:
        return {}
    return {"oracle": oracle, "oracle_kwargs": _parse_options(oracle_options) or None}


@contextmanager
def _usage_errors(*errors: type[Exception], hint: str | None = None, oracle_hint: str = "--oracle-option"):
    """Turn the errors a bad option value raises deep inside a command (ValueError and ``errors``) into
    a one-line click usage error (exit status 2, no traceback): naming ``hint`` when given, and
    ``oracle_hint`` for an oracle option the backend does not take."""
    from archer_envs.oracles import OracleOptionError

    try:
        yield
    except OracleOptionError as err:
        raise click.BadParameter(str(err), param_hint=oracle_hint) from err
    except (ValueError, *errors) as err:
        raise (click.BadParameter(str(err), param_hint=hint) if hint else click.UsageError(str(err))) from err


@contextmanager
def _needs_extra(extra: str, *modules: str):
    """A usage error naming the pip extra to install when one of its ``modules`` is missing."""
    try:
        yield
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] not in modules:
            raise
        command = click.get_current_context().command_path
        raise click.UsageError(f"`{command}` needs the optional package {err.name!r}: "
                               f"pip install 'archer-gym[{extra}]'") from err


def _check_env_id(env_id: str) -> None:
    """A usage error naming the option (``ENV_ID`` or ``--env``), the unknown id and the registered ones."""
    from archer_envs import ENVS

    if env_id not in ENVS:
        close = difflib.get_close_matches(env_id, list(ENVS), n=1, cutoff=0.8)
        ctx = click.get_current_context(silent=True)
        param = next((p for p in ctx.command.params if p.name == "env_id"), None) if ctx else None
        raise click.BadParameter(
            f"unknown env {env_id!r}" + (f" (did you mean {close[0]}?)" if close else "")
            + f": the registered envs are {', '.join(ENVS)} (see `archer envs`)", ctx=ctx, param=param,
            param_hint=None if param else "ENV_ID")


oracle_option = click.option(
    "--oracle", default="knowledge", show_default=True, type=click.Choice(["knowledge", "openai", "hf"]),
    help="Who answers: the offline knowledge base, an OpenAI-compatible endpoint, or a local HF model.",
)
oracle_kwargs_option = click.option(
    "--oracle-option", "oracle_options", multiple=True, metavar="KEY=VALUE",
    help="Backend argument, repeatable (e.g. model=llama3.1 base_url=http://localhost:11434/v1).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archer-gym")
def main() -> None:
    """archer-gym: multi-turn text environments and hierarchical RL agents (ArCHer)."""


@main.command()
def envs() -> None:
    """List the registered environments."""
    from archer_envs import ENVS

    width = max(len(k) for k in ENVS)
    for env_id, (*_, description) in ENVS.items():
        click.echo(f"{env_id:<{width}}  {description}")


@main.command()
@click.argument("env_id")
@click.option("--secret", "--word", "secret", default=None, help="Force the secret (e.g. a word).")
@click.option("--split", default="train", show_default=True, type=click.Choice(["train", "test", "all"]))
@click.option("--seed", type=int, default=None, help="Seed of the reset (which secret is drawn).")
@oracle_option
@oracle_kwargs_option
def play(env_id, secret, split, seed, oracle, oracle_options) -> None:
    """Play one episode of ENV_ID yourself: type a question or command per line."""
    import gymnasium as gym

    import archer_envs  # noqa: F401
    from archer_envs.play import secret_option

    _check_env_id(env_id)
    kwargs = {"render_mode": "ansi", **_oracle_kwargs(oracle, oracle_options)}
    with _usage_errors(OSError, ImportError):
        env = gym.make(env_id, **kwargs)
        option = secret_option(env) if hasattr(env.unwrapped, "game") or hasattr(env.unwrapped, "secret_option") else None
        options = {"split": split} if option else {}
        if secret is not None:
            if option is None:
                raise ValueError(f"{env_id} has no secret to force")
            options[option] = int(secret) if option in ("case", "goal") and secret.isdigit() else secret
        obs, info = env.reset(seed=seed, options=options or None)
    question_game = hasattr(env.unwrapped, "game")
    click.echo(f"{env_id}: ask away ({PLAY_COMMANDS})." if question_game else obs.rstrip("\n"))
    if not question_game:
        click.echo(f"({PLAY_COMMANDS})")
    total, outcome = 0.0, "stopped"
    try:
        while True:
            click.echo(f"[{info.get('turn', info.get('moves', 0)) + 1}] you: ", nl=False, err=True)
            try:
                line = input()
            except EOFError:  # end of input: the game stops as after `quit`
                click.echo(err=True)
                break
            if line.strip().lower() == "quit":
                break
            if line.strip().lower() == "help":
                click.echo(PLAY_HELP + ("" if question_game else "\n" + obs.rstrip("\n")))
                continue
            obs, reward, terminated, truncated, info = env.step(line)
            total += reward
            reply = info.get("answer", info.get("response"))
            click.echo(f"    {reply}" if reply is not None else obs)
            if terminated or truncated:
                outcome = "solved" if info.get("success") else "over"
                break
    except KeyboardInterrupt:  # Ctrl-C: show the secret, then stop as an interrupted command does
        click.echo(err=True)
        click.echo(_play_ending("interrupted", env, total))
        env.close()
        sys.exit(130)
    click.echo(_play_ending(outcome, env, total))
    env.close()


PLAY_COMMANDS = "`help`: how to play, `quit`: give up and see the secret; neither costs a turn"
PLAY_HELP = ("Type a question, a guess or a command and press Enter: each line is one turn.\n"
             "  help   show this (no turn)\n"
             "  quit   give up and see the secret (no turn); so do end of input (Ctrl-D) and Ctrl-C")


def _play_ending(outcome: str, env, total: float) -> str:
    """The last line of ``archer play``: how the game ended, its secret (when the env has one) and the return."""
    inner = env.unwrapped
    episode, case, goal = getattr(inner, "episode", None), getattr(inner, "case", None), getattr(inner, "goal", None)
    if episode is not None:
        secret = f"the {inner.game.secret_option} was {episode.secret!r}; "
    elif case is not None:
        secret = f"the culprit was {case.culprit!r}; "
    elif goal is not None:
        secret = f"the product was {goal.name!r}; "
    else:
        secret = ""
    return f"{outcome}: {secret}return {total:g}"


@main.command()
@click.argument("env_id")
@click.option("--policy", default="expert", show_default=True, type=click.Choice(["expert", "noisy", "random"]))
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test", "all"]))
@click.option("--repeats", default=1, show_default=True, type=click.IntRange(min=1), help="Episodes per secret of the split.")
@click.option("--seed", default=0, show_default=True, help="Seed of the policy's random choices.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@oracle_option
@oracle_kwargs_option
def scripted(env_id, policy, split, repeats, seed, batch_size, as_json, oracle, oracle_options) -> None:
    """Run a scripted policy once on every secret of a split and print its mean return,
    success rate and turns."""
    import time

    _check_env_id(env_id)
    from archer_envs.play import play_episodes, summarize
    from archer_envs.scripted import scripted_policy, split_secrets

    with _usage_errors(OSError, ImportError, hint="ENV_ID"):
        agent = scripted_policy(env_id, policy, seed=seed)
        secrets = split_secrets(env_id, split) * repeats
    start = time.perf_counter()
    with _usage_errors(OSError, ImportError):
        results = play_episodes(agent, env_id, secrets, batch_size=batch_size, **_oracle_kwargs(oracle, oracle_options))
    summary = summarize(results)
    summary.update(env=env_id, policy=policy, split=split, seconds=round(time.perf_counter() - start, 2))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(
        f"{env_id} {policy} on {split} ({summary['episodes']} episodes, {summary['seconds']} s)\n"
        f"  mean return  {summary['mean_return']:.2f} ± {summary['return_ci95']:.2f} (95% CI)\n"
        f"  success rate {summary['success_rate']:.3f}\n"
        f"  mean turns   {summary['mean_turns']:.2f}"
    )


@main.command("eval")
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
@oracle_option
@oracle_kwargs_option
def eval_command(agent_spec, env_id, split, episodes, seed, out_dir, batch_size, oracle, oracle_options) -> None:
    """Evaluate an agent on the fixed episode list of a split (docs/results_format.md)."""
    _check_env_id(env_id)
    from agents.agent_registry import make_agent
    from agents.evaluate import evaluate

    try:
        agent = make_agent(agent_spec, env_id, seed=seed)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--agent") from err
    try:
        with _usage_errors(OSError, ImportError):  # e.g. an env's missing game file or optional package
            result = evaluate(agent, env_id, split=split, episodes=episodes, seed=seed, out_dir=out_dir,
                              batch_size=batch_size, progress=True, **_oracle_kwargs(oracle, oracle_options))
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


@main.command("match")
@click.option("--env", "env_id", default="archer/TwentyQuestions-v0", show_default=True,
              type=click.Choice(["archer/TwentyQuestions-v0", "archer/GuessMyCity-v0"]),
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
    from agents.agent_registry import make_agent
    from agents.evaluate import episode_secrets, write_atomic
    from archer_envs.multiagent import TWO_ROLE, oracle_answerer, play_matches

    module = TWO_ROLE[env_id]
    with _usage_errors(oracle_hint="--answerer-option"):
        secrets = episode_secrets(env_id, split, games, seed)
        asker = make_agent(asker_spec, env_id, seed=seed)
        answering = oracle_answerer(module, answerer, **_parse_options(answerer_options, "--answerer-option"))
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


@main.group()
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
    _check_env_id(env_id)
    from agents.data import generate_dataset

    with _usage_errors(OSError, ImportError):
        trajectories = generate_dataset(env_id, policy=policy, episodes=episodes, out=out_path, split=split,
                                        seed=seed, batch_size=batch_size, **_oracle_kwargs(oracle, oracle_options))
    n = len(trajectories)
    mean_return = sum(t.ret for t in trajectories) / n
    success = sum(t.success for t in trajectories) / n
    turns = sum(len(t.turns) for t in trajectories)
    click.echo(
        f"wrote {n} episodes ({turns} turns) of {policy} on {env_id} {split} to {out_path}: "
        f"mean return {mean_return:.2f}, success rate {success:.3f}"
    )


@main.group()
def train() -> None:
    """Train agents: behaviour cloning and ArCHer."""


@train.command("bc")
@click.option("--data", "dataset", required=True, type=click.Path(dir_okay=False), help="Dataset JSONL (`archer data generate`).")
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Checkpoint directory (resumed if it exists).")
@click.option("--top-fraction", default=1.0, show_default=True, type=float, help="Keep the top fraction by return (filtered BC).")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(min=1))
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--lr", default=3e-4, show_default=True, type=float)
@click.option("--seed", default=0, show_default=True)
@click.option("--init", default=None, help="Start from a checkpoint, model path or hub name [default: the offline small GPT-2].")
@click.option("--n-layer", default=4, show_default=True, type=click.IntRange(min=1))
@click.option("--n-embd", default=256, show_default=True, type=click.IntRange(min=8))
def train_bc_command(dataset, out, top_fraction, epochs, batch_size, lr, seed, init, n_layer, n_embd) -> None:
    """Behaviour cloning (supervised fine-tuning) on a dataset's utterances: the starting checkpoint
    of every online algorithm."""
    from agents.algorithms.bc import BCConfig, train_bc
    from agents.logger import MetricLogger

    cfg = BCConfig(dataset, out, top_fraction=top_fraction, epochs=epochs, batch_size=batch_size, lr=lr,
                   seed=seed, init=init, n_layer=n_layer, n_embd=n_embd)
    try:
        with MetricLogger(Path(out) / "logs", console=True) as logger:  # kept by the checkpoint saves
            result = train_bc(cfg, progress=True, log=logger.log)
    except (ValueError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err
    click.echo(
        f"BC on {result.utterances} utterances of {result.trajectories_kept} episodes: loss "
        f"{result.epoch_losses[0]:.3f} -> {result.epoch_losses[-1]:.3f} in {result.seconds:.0f} s; checkpoint {result.checkpoint}"
    )


def _train_command(name: str) -> None:
    """Register ``archer train NAME`` for one online algorithm of agents.algorithms."""
    from agents.algorithms import get_algorithm

    algo = get_algorithm(name)

    @train.command(name, help=_TRAIN_HELP[name], short_help=_TRAIN_SHORT_HELP[name])
    @click.option("--env", "env_id", required=True, metavar="ID", help="Environment id (see `archer envs`).")
    @click.option("--preset", default="cpu", show_default=True, type=click.Choice(["cpu", "paper"]),
                  help="cpu: small models, minutes on a laptop; paper: gpt2 (+ roberta-base) at the paper's scale.")
    @click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
                  help="JSON or TOML file of config fields (applied over the preset).")
    @click.option("--out", default=None, type=click.Path(file_okay=False),
                  help=f"Run directory (resumed if it holds a checkpoint) [default: runs/{name}-<env>].")
    @click.option("--init", default=None, help="BC checkpoint to start from [default: made from behaviour data in OUT/bc].")
    @click.option("--minutes", "max_minutes", type=float, default=None, help="Wall-time budget of the RL phase.")
    @click.option("--iterations", type=click.IntRange(min=1), default=None)
    @click.option("--trajectories", "max_trajectories", type=click.IntRange(min=1), default=None,
                  help="Stop once this many trajectories were collected.")
    @click.option("--seed", type=int, default=None)
    @click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Any config field, e.g. --set critic_steps=20.")
    def command(env_id, preset, config_file, out, init, max_minutes, iterations, max_trajectories, seed, settings) -> None:
        _check_env_id(env_id)
        overrides = _parse_options(settings, "--set")
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
            result = algo.train(cfg, log=_echo_row)
        except (ValueError, FileNotFoundError) as err:
            raise click.UsageError(str(err)) from err
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


def _echo_row(step, **row) -> None:
    """One console line per training iteration (and per evaluation)."""
    if "rollout_s" in row:
        parts = [f"iter {step:4d}", f"traj {row['trajectories']:6d}", f"train return {row['train_return']:7.2f}"]
        for key, label in (("critic_loss", "critic loss"), ("policy_loss", "policy loss"), ("value_loss", "value loss"),
                           ("bc_loss", "bc loss"), ("advantage_mean", "adv")):
            if row.get(key) is not None:
                parts.append(f"{label} {row[key]:.4f}")
        if row.get("eval_return") is not None:
            parts.append(f"TEST return {row['eval_return']:.2f}")
        parts.append(f"{row['rollout_s']:.1f}/{row.get('critic_s', 0.0):.1f}/{row.get('actor_s', 0.0):.1f} s")
        click.echo("  ".join(parts))
    elif "eval_return" in row:
        click.echo(f"iter {step:4d}  test return {row['eval_return']:.2f}  success {row['eval_success']:.3f}")


for _name in ("archer", "ppo", "filtered_bc", "chai"):
    _train_command(_name)


@main.command("pipeline")
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
              help="paper: train and evaluate on the same secrets (the paper's code); generalisation: held-out test split.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="Any ArcherConfig field.")
def pipeline_command(env_id, out, trajectories, minutes, preset, config_file, protocol, settings) -> None:
    """The main job: behaviour data -> BC -> ArCHer -> test-split table (behaviour policy, BC, ArCHer,
    expert) and learning-curve plot, all offline."""
    _check_env_id(env_id)
    from agents.pipeline import run_pipeline

    try:
        run_pipeline(env_id, out=out, preset=preset, minutes=minutes, config_file=config_file, echo=click.echo,
                     trajectories=trajectories, **{"protocol": protocol, **_parse_options(settings, "--set")})
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


@main.command("compare")
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
              help="paper: train and evaluate on the same secrets (the paper's code); generalisation: held-out test split.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="A config field for every algorithm.")
def compare_command(env_id, algos, seeds, budget, out, preset, jobs, config_dir, thresholds, protocol, settings) -> None:
    """Run every algorithm with the same budget, seeds and BC start; write a results table (Markdown +
    JSON), learning curves with a band over seeds, and the sample-efficiency table."""
    _check_env_id(env_id)
    from baselines.compare import CONFIG_DIR, compare

    names = [a.strip() for a in algos.split(",") if a.strip()]
    out = out or f"runs/compare-{env_id.split('/')[-1].lower()}"
    command = " ".join(["archer", "compare", *sys.argv[2:]]) if len(sys.argv) > 1 and sys.argv[1] == "compare" else None
    try:
        compare(env_id, names, seeds=seeds, budget=budget, out=out, preset=preset, jobs=jobs,
                config_dir=config_dir or CONFIG_DIR, thresholds=list(thresholds) or None, echo=click.echo,
                command=command, **{"protocol": protocol, **_parse_options(settings, "--set")})
    except (ValueError, TypeError, FileNotFoundError) as err:
        raise click.UsageError(str(err)) from err


@main.group()
def leaderboard() -> None:
    """The leaderboard: pack and verify submissions, serve the site, submit, export tables, manage tokens."""


def metadata_options(required: bool = True):
    """The submitter's metadata flags (shared by `pack` and `play`)."""
    options = [
        click.option("--name", "agent_name", required=required, help="Agent name shown on the leaderboard."),
        click.option("--algorithm", required=required, help="e.g. ArCHer, PPO, prompted LLM."),
        click.option("--base-model", required=required, help="e.g. gpt2, GPT-2 2x128 from config."),
        click.option("--parameters", type=click.IntRange(min=0), default=None,
                     help="Parameter count of the agent's model(s)."),
        click.option("--trajectories", type=click.IntRange(min=0), default=None, help="Env trajectories used in training."),
        click.option("--code-url", default="", help="Where the code that made the agent is."),
        click.option("--contact", default="", help="Who to ask about it."),
    ]

    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


@leaderboard.command("pack")
@click.argument("eval_dir", type=click.Path(file_okay=False, exists=True))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The submission file to write (JSON).")
@metadata_options()
def leaderboard_pack(eval_dir, out, agent_name, algorithm, base_model, parameters, trajectories, code_url, contact) -> None:
    """Turn an `archer eval --out EVAL_DIR` result into a submission file, checked before it is written."""
    from agents.evaluate import write_atomic
    from leaderboard.submission import SubmissionError, check_schema, make_submission

    metadata = {"agent_name": agent_name, "algorithm": algorithm, "base_model": base_model, "parameters": parameters,
                "training_trajectories": trajectories, "code_url": code_url, "contact": contact}
    try:
        submission = make_submission(eval_dir, metadata)
        check_schema(submission)
    except (SubmissionError, FileNotFoundError, ValueError) as err:
        raise click.UsageError(str(err)) from err
    write_atomic(out, [json.dumps(submission, allow_nan=False) + "\n"])
    click.echo(f"wrote {out}: {submission['summary']['env_id']} {submission['summary']['split']}, "
               f"{submission['summary']['episodes']} episodes")


@leaderboard.command("verify")
@click.argument("submission", type=click.Path(dir_okay=False))
def leaderboard_verify(submission) -> None:
    """Check a submission: schema, the harness's episode list, and a replay of every episode through the
    env with the knowledge oracle. Exit status 1 names the first mismatch."""
    from leaderboard.submission import SubmissionError, load_submission, verify_submission

    try:
        verdict = verify_submission(load_submission(submission))
    except SubmissionError as err:
        click.echo(f"rejected: {err}", err=True)
        sys.exit(1)
    click.echo(f"{verdict.status}: {verdict.env_id} {verdict.split}, {verdict.episodes} episodes, mean return "
               f"{verdict.mean_return:.3f}, success {verdict.success_rate:.3f} (checked in {verdict.seconds:.2f} s)")


db_option = click.option("--db", required=True, type=click.Path(dir_okay=False),
                         help="The leaderboard's SQLite file (created if missing).")
token_option = click.option("--token", required=True, envvar="ARCHER_LEADERBOARD_TOKEN", show_envvar=True,
                            help="Your submission token (from `archer leaderboard token create`).")


def _store(db):
    from leaderboard.store import Store

    try:
        return Store(db)
    except (ValueError, OSError) as err:
        raise click.BadParameter(str(err), param_hint="--db") from err


@leaderboard.command("serve")
@db_option
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every interface).")
@click.option("--max-mb", default=16.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Largest submission accepted, in MiB.")
@click.option("--submit-rate", default=30, show_default=True, type=click.IntRange(min=1),
              help="Submissions and online runs opened per minute per token.")
@click.option("--request-rate", default=600, show_default=True, type=click.IntRange(min=1),
              help="Requests per minute per client address.")
def leaderboard_serve(db, port, host, max_mb, submit_rate, request_rate) -> None:
    """Run the leaderboard web service (API and pages) on the database --db."""
    with _needs_extra("leaderboard", "fastapi", "uvicorn", "starlette", "jinja2"):
        from leaderboard.server import Limits, serve

    store = _store(db)
    if not any(t.admin and t.revoked is None for t in store.tokens()):
        click.echo(f"note: {db} has no admin token yet: archer leaderboard token create --db {db} --name admin --admin",
                   err=True)
    with _needs_extra("leaderboard", "fastapi", "uvicorn", "starlette", "jinja2"):
        serve(db, host=host, port=port, limits=Limits(int(max_mb * 2**20), submit_rate, request_rate))


@leaderboard.command("submit")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--url", required=True, help="The leaderboard server, e.g. http://127.0.0.1:8000")
@token_option
def leaderboard_submit(results, url, token) -> None:
    """Submit a submission file (from `archer leaderboard pack`) to the server at --url."""
    from leaderboard.client import LeaderboardError, submit

    try:
        answer = submit(url, token, results)
    except FileNotFoundError as err:
        raise click.BadParameter(str(err), param_hint="RESULTS") from err
    except LeaderboardError as err:
        click.echo(f"not accepted: {err}", err=True)
        sys.exit(1)
    ci = "" if answer["return_ci95"] is None else f" ± {answer['return_ci95']:.2f}"
    click.echo(f"submission {answer['id']} {answer['status']}: {answer['env_id']} rank {answer['rank']} of "
               f"{answer['of']}, mean return {answer['mean_return']:.2f}{ci}, success {answer['success_rate']:.3f}\n"
               f"  {url.rstrip('/')}{answer['url']}")


@leaderboard.command("play")
@click.option("--agent", "agent_spec", required=True,
              help="Any agent the harness accepts: expert/noisy/random, chat:<model>[@<url>], a checkpoint directory.")
@click.option("--env", "env_id", required=True, help="The env to play, e.g. archer/TwentyQuestions-v0.")
@click.option("--url", required=True, help="The leaderboard server, e.g. http://127.0.0.1:8000")
@token_option
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1),
              help="Episodes played side by side (one agent call and one request per step).")
@click.option("--run", "run_id", type=click.IntRange(min=1), default=None,
              help="Resume this run (printed when it was opened) instead of opening a new one.")
@click.option("--seed", default=0, show_default=True, help="Seed of a scripted agent's own choices.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@metadata_options(required=False)
def leaderboard_play(agent_spec, env_id, url, token, batch_size, run_id, seed, no_progress, agent_name, algorithm,
                     base_model, parameters, trajectories, code_url, contact) -> None:
    """Play an online evaluation: the server draws the secrets and runs the env, this client sends the
    agent's actions. The result lands on the leaderboard's verified (online) track as it is played."""
    from agents.agent_registry import make_agent
    from leaderboard.client import LeaderboardError, open_run, play

    try:
        agent = make_agent(agent_spec, env_id, seed=seed)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--agent/--env") from err
    metadata = {"agent_name": agent_name or str(getattr(agent, "name", agent_spec)),
                "algorithm": algorithm or ("scripted" if agent_spec in ("expert", "noisy", "random") else "unknown"),
                "base_model": base_model or "none", "parameters": parameters, "training_trajectories": trajectories,
                "code_url": code_url, "contact": contact}
    try:
        if run_id is None:
            run_id = int(open_run(url, token, env_id, metadata)["run"])
            click.echo(f"run {run_id} opened on {env_id}; if the connection drops, resume with --run {run_id}", err=True)
        answer = play(agent, env_id, url, token, run=run_id, batch_size=batch_size, progress=not no_progress)
    except LeaderboardError as err:
        click.echo(f"not accepted: {err}" + (f" (resume with --run {run_id})" if run_id else ""), err=True)
        sys.exit(1)
    ci = "" if answer["return_ci95"] is None else f" ± {answer['return_ci95']:.2f}"
    click.echo(f"run {run_id} finished: submission {answer['id']} {answer['status']} (online track): {env_id}, "
               f"{answer['episodes']} episodes, mean return {answer['mean_return']:.2f}{ci}, success "
               f"{answer['success_rate']:.3f}\n  {url.rstrip('/')}{answer['url']}")


@leaderboard.command("delete")
@click.argument("submission_id", type=int)
@click.option("--url", required=True, help="The leaderboard server.")
@token_option
def leaderboard_delete(submission_id, url, token) -> None:
    """Remove a submission (needs an admin token)."""
    from leaderboard.client import LeaderboardError, delete

    try:
        delete(url, token, submission_id)
    except LeaderboardError as err:
        click.echo(f"not deleted: {err}", err=True)
        sys.exit(1)
    click.echo(f"deleted submission {submission_id}")


@leaderboard.command("export")
@db_option
@click.option("--format", "fmt", required=True, type=click.Choice(["md", "html"]),
              help="md: ranked tables for a README; html: a static site (index, env pages, transcripts).")
@click.option("--out", default=None, type=click.Path(),
              help="md: the file to write [default: stdout]; html: the folder to write (required).")
@click.option("--env", "env_ids", multiple=True, metavar="ID", help="Only these envs (md; repeatable).")
def leaderboard_export(db, fmt, out, env_ids) -> None:
    """Write the ranked leaderboard as Markdown or as a static HTML site."""
    from leaderboard.pages import export_site, leaderboard_envs, markdown

    for env_id in env_ids:
        if env_id not in leaderboard_envs():
            raise click.BadParameter(f"no leaderboard for {env_id!r}: expected one of {', '.join(leaderboard_envs())}",
                                     param_hint="--env")
    store = _store(db)
    if fmt == "md":
        text = markdown(store, list(env_ids) or None)
        if out is None:
            click.echo(text, nl=False)
        else:
            Path(out).write_text(text, encoding="utf-8")
            click.echo(f"wrote {out}")
        return
    if out is None:
        raise click.UsageError("--format html writes a folder of pages: give it with --out DIR")
    try:
        files = export_site(store, out)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--out") from err
    click.echo(f"wrote {len(files)} pages to {out} (open {Path(out) / 'index.html'})")


@leaderboard.group("token")
def leaderboard_token() -> None:
    """Submission and admin tokens (stored hashed; shown once at creation)."""


@leaderboard_token.command("create")
@db_option
@click.option("--name", required=True, help="Who the token is for (shown as the submitter).")
@click.option("--admin", is_flag=True, help="May also delete submissions.")
def token_create(db, name, admin) -> None:
    """Create a token and print it (it cannot be shown again)."""
    try:
        token = _store(db).create_token(name, admin=admin)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--name") from err
    click.echo(token)


@leaderboard_token.command("list")
@db_option
def token_list(db) -> None:
    """The tokens' names, roles and dates (never the tokens)."""
    for t in _store(db).tokens():
        state = f"revoked {t.revoked}" if t.revoked else "active"
        click.echo(f"{t.name}\t{'admin' if t.admin else 'submit'}\tcreated {t.created}\t{state}")


@leaderboard_token.command("revoke")
@db_option
@click.option("--name", required=True)
def token_revoke(db, name) -> None:
    """Revoke a token: it stops working at once."""
    try:
        _store(db).revoke_token(name)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--name") from err
    click.echo(f"revoked {name}")


if __name__ == "__main__":
    sys.exit(main())
