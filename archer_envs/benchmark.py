"""The evaluation harness: any agent (``act(observations) -> actions``) on a fixed list of episodes.

    from archer_envs.benchmark import evaluate
    from archer_gym.agents.agent_registry import make_agent

    result = evaluate(make_agent("expert", "archer/TwentyQuestions-v0"), "archer/TwentyQuestions-v0",
                      split="test", out_dir="runs/expert-20q")
    result.summary["mean_return"], result.summary["return_ci95"]

The episode list is a pure function of ``(env_id, split, episodes, seed)`` (:func:`episode_secrets`),
so every agent is scored on the same secrets and the leaderboard can re-derive the list. The files
written to ``out_dir`` (``summary.json``, ``episodes.jsonl``) are specified in
``docs/results_format.md``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from archer_envs import descriptor

FORMAT = "archer-gym/eval"
FORMAT_VERSION = 1
SUMMARY_FILE = "summary.json"
EPISODES_FILE = "episodes.jsonl"

@dataclass
class EvalResult:
    """``summary``: the aggregate numbers and what was run (the content of ``summary.json``);
    ``records``: one dict per episode, in episode-list order (the lines of ``episodes.jsonl``)."""

    summary: dict[str, Any]
    records: list[dict[str, Any]] = field(default_factory=list)
    out_dir: Path | None = None


def _check_episodes(episodes: int | None) -> None:
    if episodes is None:
        return
    if isinstance(episodes, bool) or not isinstance(episodes, (int, np.integer)):
        raise ValueError(f"episodes must be a positive integer or None, got {episodes!r}")
    if episodes < 1:
        raise ValueError(f"episodes must be at least 1, got {episodes}")


def episode_secrets(
    env_id: str, split: str = "test", episodes: int | None = None, seed: int = 0,
    env_kwargs: dict[str, Any] | None = None,
) -> list:
    """The secrets of an evaluation, one per episode, in play order.

    The rule (the leaderboard re-derives exactly this list):

    1. ``base = archer_envs.descriptor(env_id).split_secrets(split, env_kwargs)``: every secret of the split in
       the data file's order (words, cities; Detective: the first 200 case seeds of the split's seed
       range; WebShop: the split's goal indices of the catalogue).
    2. ``episodes is None``: ``base``, each secret once, in that order (``seed`` is not used).
    3. otherwise ``order = list(base); random.Random(seed).shuffle(order)`` (Python's ``random``) and
       the list is ``[order[i % len(order)] for i in range(episodes)]``: the shuffled split repeated
       as often as needed and cut at ``episodes``.

    ``env_kwargs`` matter only for WebShop built from another catalogue (``num_products``,
    ``catalogue_seed``, ``data_path``), whose goal indices then come from that catalogue.
    """
    _check_episodes(episodes)
    base = descriptor(env_id).split_secrets(split, env_kwargs)
    if not base:
        raise ValueError(f"split {split!r} of {env_id} has no secrets")
    if episodes is None:
        return list(base)
    order = list(base)
    random.Random(seed).shuffle(order)
    return [order[i % len(order)] for i in range(int(episodes))]


def episode_list_sha256(secrets: Sequence) -> str:
    """Fingerprint of an episode list: SHA-256 of its compact JSON (``separators=(",", ":")``)."""
    return hashlib.sha256(json.dumps(list(secrets), separators=(",", ":")).encode()).hexdigest()


def _json_safe(value: Any) -> Any:
    """Env kwargs as JSON: plain values as they are, anything else (an Oracle object) as its repr."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return repr(value)


def _finite_or_none(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("archer-gym")
    except Exception:  # not installed (running from a checkout)
        from archer_envs import __version__

        return __version__


def umask_mode(directory: bool = False) -> int:
    """The permissions the user's umask gives a new file (or directory): what ``open()`` would give.
    Temporary files (``tempfile.mkstemp``: 0600, ``mkdtemp``: 0700) are set to this before they are
    renamed into place."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def write_atomic(path: str | os.PathLike, lines: Iterable[str]) -> Path:
    """Write ``lines`` to a temporary file next to ``path``, then ``os.replace`` it into place, so
    readers never see a half-written file (the temporary file is removed on error). The file gets the
    permissions of any other new file (:func:`umask_mode`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            os.fchmod(f.fileno(), umask_mode())
            for line in lines:
                f.write(line)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def read_json_lines(path: str | os.PathLike) -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for each non-blank line of a UTF-8 JSON Lines file. A line that is not
    UTF-8 or not JSON raises ValueError naming the file and the line (lines are decoded one by one)."""
    path = Path(path)
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                raise ValueError(f"{path}, line {lineno}: not UTF-8 text (byte {raw[err.start]:#04x} is byte "
                                 f"{err.start + 1} of the line); the file must be UTF-8 JSON Lines") from None
            if not line.strip():
                continue
            try:
                yield lineno, json.loads(line)
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}, line {lineno}: invalid JSON ({err.msg} at column {err.colno})") from None


def read_json(path: str | os.PathLike) -> Any:
    """The value in a UTF-8 JSON file; ValueError naming the file when it is not UTF-8 or not JSON."""
    try:
        return json.loads(Path(path).read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 text (byte {err.object[err.start]:#04x} at offset {err.start})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: invalid JSON ({err.msg} at line {err.lineno}, column {err.colno})") from None


def episode_record(index: int, result) -> dict[str, Any]:
    """One line of ``episodes.jsonl`` from an :class:`~archer_envs.play.EpisodeResult`."""
    return {
        "format_version": FORMAT_VERSION,
        "index": index,
        "secret": result.secret,
        "actions": list(result.actions),
        "answers": list(result.answers),
        "rewards": [float(r) for r in result.rewards],
        "return": result.ret,
        "success": bool(result.success),
        "turns": result.turns,
    }


def summarize(episodes: Sequence) -> dict[str, Any]:
    """The numbers every summary shows, from episodes (:class:`~archer_envs.play.EpisodeResult` or
    ``episodes.jsonl`` records): the episode count, mean return, its 95% CI half-width
    ``1.96 * std(ddof=1) / sqrt(n)`` (None below two episodes), success rate and mean turns (None
    without episodes). Evaluation, the leaderboard's checks and the scripted-policy tables all use it."""
    records = [e if isinstance(e, dict) else episode_record(i, e) for i, e in enumerate(episodes)]
    n = len(records)
    if n == 0:
        return {"episodes": 0, "mean_return": None, "return_ci95": None, "success_rate": None, "mean_turns": None}
    returns = np.array([r["return"] for r in records], dtype=float)
    ci = 1.96 * returns.std(ddof=1) / math.sqrt(n) if n > 1 else float("nan")
    return {
        "episodes": n,
        "mean_return": _finite_or_none(float(returns.mean())),
        "return_ci95": _finite_or_none(float(ci)),
        "success_rate": float(np.mean([r["success"] for r in records])),
        "mean_turns": float(np.mean([r["turns"] for r in records])),
    }


def evaluate(
    agent,
    env_id: str,
    split: str = "test",
    episodes: int | None = None,
    seed: int = 0,
    out_dir: str | os.PathLike | None = None,
    batch_size: int = 32,
    progress: bool = False,
    **env_kwargs: Any,
) -> EvalResult:
    """Play ``agent`` on the fixed episode list of ``(env_id, split, episodes, seed)`` and score it.

    Args:
        agent: anything with ``act(observations: list[str]) -> list[str]``; its ``name`` and
            ``description`` attributes, when present, go into the summary.
        env_id: a registered ``archer/*`` id.
        split: the split whose secrets are played (``train``, ``test``; ``all`` where the env has it).
        episodes: ``None``: every secret of the split once, in data order; ``N``: the first ``N`` of
            the seed-shuffled split repeated as needed (see :func:`episode_secrets`).
        seed: seed of that shuffle only; it does not reseed the agent (build the agent with its own
            seed, e.g. ``make_agent("noisy", env_id, seed=...)``).
        out_dir: if given, ``summary.json`` and ``episodes.jsonl`` are written there (each to a
            temporary file, then renamed), in the format of ``docs/results_format.md``.
        batch_size: episodes played side by side (one ``agent.act`` call per step for the batch).
        progress: show a tqdm progress bar over episodes.
        **env_kwargs: passed to ``gym.make`` (e.g. ``oracle="openai", oracle_kwargs={...}``).

    Returns:
        :class:`EvalResult` with the summary (mean return, its 95% CI half-width
        ``1.96 * std(ddof=1) / sqrt(n)``, success rate, mean turns, ...) and per-episode records.
    """
    import gymnasium as gym

    import archer_envs  # noqa: F401  (registers the ids)
    from archer_envs.play import knowledge_matcher, make_batched_env, play_episodes

    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    secrets = episode_secrets(env_id, split, episodes, seed, env_kwargs=env_kwargs)
    n = len(secrets)
    started = time.perf_counter()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n, desc=f"eval {env_id} {split}", unit="episode")
    batch = min(int(batch_size), n)
    env = None
    if gym.spec(env_id).vector_entry_point is not None:
        env = make_batched_env(env_id, batch, **env_kwargs)  # one env reused across chunks
    results = []
    try:
        for start in range(0, n, batch):
            chunk = secrets[start : start + batch]
            if env is not None:
                results += play_episodes(agent, env_id, chunk, env=env)
            else:
                results += play_episodes(agent, env_id, chunk, batch_size=batch, **env_kwargs)
            if bar is not None:
                bar.update(len(chunk))
    finally:
        if env is not None:
            env.close()
        if bar is not None:
            bar.close()
    seconds = time.perf_counter() - started

    records = [episode_record(i, r) for i, r in enumerate(results)]
    name = getattr(agent, "name", None)
    summary: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "env_id": env_id,
        "split": split,
        "episodes": n,
        "episodes_requested": None if episodes is None else int(episodes),
        "seed": int(seed),
        "episode_list_sha256": episode_list_sha256(secrets),
        **summarize(records),
        "agent": str(name) if name is not None else type(agent).__qualname__,
        "agent_description": None if getattr(agent, "description", None) is None else str(agent.description),
        "env_kwargs": _json_safe(env_kwargs),
        # "auto" depends on what is installed; the leaderboard replays with the matcher named here
        "knowledge_matcher": knowledge_matcher(env_id, env_kwargs),
        "archer_gym_version": _version(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(seconds, 3),
    }
    result = EvalResult(summary=summary, records=records)
    if out_dir is not None:
        result.out_dir = write_results(result, out_dir)
    return result


def write_results(result: EvalResult, out_dir: str | os.PathLike) -> Path:
    """``out_dir/episodes.jsonl`` (one record per line) then ``out_dir/summary.json``, each
    written whole then renamed into place. Returns ``out_dir``."""
    out = Path(out_dir)
    write_atomic(out / EPISODES_FILE, (json.dumps(r, allow_nan=False) + "\n" for r in result.records))
    write_atomic(out / SUMMARY_FILE, [json.dumps(result.summary, indent=2, allow_nan=False) + "\n"])
    return out


def load_results(out_dir: str | os.PathLike) -> EvalResult:
    """Read back ``summary.json`` and ``episodes.jsonl`` from ``out_dir``."""
    out = Path(out_dir)
    for name in (SUMMARY_FILE, EPISODES_FILE):
        if not (out / name).is_file():
            raise FileNotFoundError(f"no {name} in {out}")
    summary = read_json(out / SUMMARY_FILE)
    if not isinstance(summary, dict):
        raise ValueError(f"{out / SUMMARY_FILE}: expected a JSON object, got {type(summary).__name__}")
    if summary.get("format") != FORMAT or summary.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{out / SUMMARY_FILE}: format {summary.get('format')!r} version {summary.get('format_version')!r}, "
            f"expected {FORMAT!r} version {FORMAT_VERSION}"
        )
    records = [record for _, record in read_json_lines(out / EPISODES_FILE)]
    return EvalResult(summary=summary, records=records, out_dir=out)
