"""The ``archer`` command.

    archer envs                                   list the registered environments
    archer play archer/TwentyQuestions-v0         play an episode yourself in the terminal
    archer scripted archer/TwentyQuestions-v0 --policy expert --split test
"""

from __future__ import annotations

import json
import sys

import click


def _parse_options(pairs: tuple[str, ...]) -> dict:
    """KEY=VALUE pairs; VALUE is read as JSON when it parses (numbers, true/false), else a string."""
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--oracle-option")
        key, value = pair.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _oracle_kwargs(oracle: str, oracle_options: tuple[str, ...]) -> dict:
    """Env kwargs for the oracle; none for the defaults, so envs without an oracle (WebShop,
    Jericho) work with the same command."""
    if oracle == "knowledge" and not oracle_options:
        return {}
    return {"oracle": oracle, "oracle_kwargs": _parse_options(oracle_options) or None}


def _check_env_id(env_id: str) -> None:
    from archer_envs import ENVS

    if env_id not in ENVS:
        raise click.BadParameter(f"unknown env {env_id!r}: expected one of {', '.join(ENVS)}", param_hint="ENV_ID")


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
    try:
        env = gym.make(env_id, **kwargs)
        option = secret_option(env) if hasattr(env.unwrapped, "game") or hasattr(env.unwrapped, "secret_option") else None
        options = {"split": split} if option else {}
        if secret is not None:
            if option is None:
                raise ValueError(f"{env_id} has no secret to force")
            options[option] = int(secret) if option in ("case", "goal") and secret.isdigit() else secret
        obs, info = env.reset(seed=seed, options=options or None)
    except (ValueError, OSError, ImportError) as err:
        raise click.BadParameter(str(err)) from err
    question_game = hasattr(env.unwrapped, "game")
    click.echo(f"{env_id}: ask away." if question_game else obs.rstrip("\n"))
    total = 0.0
    while True:
        line = click.prompt(f"[{info.get('turn', info.get('moves', 0)) + 1}] you", default="", show_default=False, err=True)
        obs, reward, terminated, truncated, info = env.step(line)
        total += reward
        reply = info.get("answer", info.get("response"))
        click.echo(f"    {reply}" if reply is not None else obs)
        if terminated or truncated:
            break
    outcome = "solved" if info.get("success") else "over"
    label = next((k for k in (option, "culprit") if k and k in info), None)
    click.echo(f"{outcome}: " + (f"the {label} was {info[label]!r}; " if label else "") + f"return {total:g}")
    env.close()


@main.command()
@click.argument("env_id")
@click.option("--policy", default="expert", show_default=True, type=click.Choice(["expert", "noisy", "random"]))
@click.option("--split", default="test", show_default=True, type=click.Choice(["train", "test", "all"]))
@click.option("--repeats", default=1, show_default=True, help="Episodes per secret of the split.")
@click.option("--seed", default=0, show_default=True, help="Seed of the policy's random choices.")
@click.option("--batch-size", default=32, show_default=True)
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

    agent = scripted_policy(env_id, policy, seed=seed)
    secrets = split_secrets(env_id, split) * repeats
    start = time.perf_counter()
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


if __name__ == "__main__":
    sys.exit(main())
