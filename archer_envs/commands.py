"""The environments' commands of ``archer`` (``envs``, ``play``, ``scripted``) and the click helpers every
package's commands share (usage errors, oracle options, env-id checks).

The ``archer`` entry point (:mod:`archer_gym.cli`) assembles the command groups each package owns:
this module, :mod:`archer_gym.agents.commands`, :mod:`archer_gym.baselines.commands` and
:mod:`archer_gym.leaderboard.commands`. Nothing here imports ``archer_gym``.
"""

from __future__ import annotations

import difflib
import json
import sys
from contextlib import contextmanager

import click

from archer_envs import ENVS


def parse_options(pairs: tuple[str, ...], param_hint: str = "--oracle-option") -> dict:
    """KEY=VALUE pairs (:func:`archer_envs.arguments.parse_key_values`); a malformed one is a usage error."""
    from archer_envs.arguments import parse_key_values

    try:
        return parse_key_values(pairs)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=param_hint) from err


def oracle_kwargs(oracle: str, oracle_options: tuple[str, ...]) -> dict:
    """Env kwargs for the oracle; none for the defaults, so envs without an oracle (WebShop,
    Jericho) work with the same command."""
    if oracle == "knowledge" and not oracle_options:
        return {}
    return {"oracle": oracle, "oracle_kwargs": parse_options(oracle_options) or None}


@contextmanager
def usage_errors(*errors: type[Exception], hint: str | None = None, oracle_hint: str = "--oracle-option"):
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
def needs_extra(extra: str, *modules: str):
    """A usage error naming the pip extra to install when one of its ``modules`` is missing."""
    try:
        yield
    except ModuleNotFoundError as err:
        if err.name is None or err.name.split(".")[0] not in modules:
            raise
        command = click.get_current_context().command_path
        raise click.UsageError(f"`{command}` needs the optional package {err.name!r}: "
                               f"pip install 'archer-gym[{extra}]'") from err


def check_env_id(env_id: str) -> None:
    """A usage error naming the option (``ENV_ID`` or ``--env``), the unknown id and the registered ones."""
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


@click.command()
def envs() -> None:
    """List the registered environments."""
    width = max(len(k) for k in ENVS)
    for env_id, d in ENVS.items():
        click.echo(f"{env_id:<{width}}  {d.description}")


@click.command()
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

    check_env_id(env_id)
    kwargs = {"render_mode": "ansi", **oracle_kwargs(oracle, oracle_options)}
    with usage_errors(OSError, ImportError):
        env = gym.make(env_id, **kwargs)
        option = secret_option(env)
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


@click.command()
@click.argument("env_id")
@click.option("--policy", default="expert", show_default=True, type=click.Choice(["expert", "noisy", "random"]))
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test", "all"]))
@click.option("--repeats", default=1, show_default=True, type=click.IntRange(min=1),
              help="Episodes per secret of the split.")
@click.option("--seed", default=0, show_default=True, help="Seed of the policy's random choices.")
@click.option("--batch-size", default=32, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@oracle_option
@oracle_kwargs_option
def scripted(env_id, policy, split, repeats, seed, batch_size, as_json, oracle, oracle_options) -> None:
    """Run a scripted policy once on every secret of a split and print its mean return,
    success rate and turns."""
    import time

    check_env_id(env_id)
    from archer_envs.benchmark import summarize
    from archer_envs.play import play_episodes
    from archer_envs.scripted import scripted_policy, split_secrets

    with usage_errors(OSError, ImportError, hint="ENV_ID"):
        agent = scripted_policy(env_id, policy, seed=seed)
        secrets = split_secrets(env_id, split) * repeats
    start = time.perf_counter()
    with usage_errors(OSError, ImportError):
        results = play_episodes(agent, env_id, secrets, batch_size=batch_size, **oracle_kwargs(oracle, oracle_options))
    summary = summarize(results)
    summary.update(env=env_id, policy=policy, split=split, seconds=round(time.perf_counter() - start, 2))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    ci = "n/a" if summary["return_ci95"] is None else f"{summary['return_ci95']:.2f}"
    click.echo(
        f"{env_id} {policy} on {split} ({summary['episodes']} episodes, {summary['seconds']} s)\n"
        f"  mean return  {summary['mean_return']:.2f} ± {ci} (95% CI)\n"
        f"  success rate {summary['success_rate']:.3f}\n"
        f"  mean turns   {summary['mean_turns']:.2f}"
    )


COMMANDS = (envs, play, scripted)
