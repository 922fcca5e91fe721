"""The leaderboard's commands of ``archer``:
``archer leaderboard pack|verify|serve|submit|play|delete|export|token``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from archer_envs.commands import needs_extra


@click.group()
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
        click.option("--trajectories", type=click.IntRange(min=0), default=None,
                     help="Env trajectories used in training."),
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
def leaderboard_pack(
    eval_dir, out, agent_name, algorithm, base_model, parameters, trajectories, code_url, contact
) -> None:
    """Turn an `archer eval --out EVAL_DIR` result into a submission file, checked before it is written."""
    from archer_envs.benchmark import write_atomic
    from archer_gym.leaderboard.submission import SubmissionError, check_schema, make_submission

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
    from archer_gym.leaderboard.submission import SubmissionError, load_submission, verify_submission

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
    from archer_gym.leaderboard.store import Store

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
    with needs_extra("leaderboard", "fastapi", "uvicorn", "starlette", "jinja2"):
        from archer_gym.leaderboard.server import Limits, serve

    store = _store(db)
    if not any(t.admin and t.revoked is None for t in store.tokens()):
        click.echo(f"note: {db} has no admin token yet: archer leaderboard token create --db {db} --name admin --admin",
                   err=True)
    with needs_extra("leaderboard", "fastapi", "uvicorn", "starlette", "jinja2"):
        serve(db, host=host, port=port, limits=Limits(int(max_mb * 2**20), submit_rate, request_rate))


@leaderboard.command("submit")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--url", required=True, help="The leaderboard server, e.g. http://127.0.0.1:8000")
@token_option
def leaderboard_submit(results, url, token) -> None:
    """Submit a submission file (from `archer leaderboard pack`) to the server at --url."""
    from archer_gym.leaderboard.client import LeaderboardError, submit

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
    from archer_gym.agents.agent_registry import make_agent
    from archer_gym.leaderboard.client import LeaderboardError, open_run, play

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
            click.echo(f"run {run_id} opened on {env_id}; if the connection drops, resume with --run {run_id}",
                       err=True)
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
    from archer_gym.leaderboard.client import LeaderboardError, delete

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
    from archer_gym.leaderboard.pages import export_site, leaderboard_envs, markdown

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


COMMANDS = (leaderboard,)
