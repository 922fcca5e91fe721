"""Leaderboard submissions: pack a harness result with its metadata, and verify it by replay.

A submission (format ``archer-gym/submission``, version 1; schema: ``submission.schema.json`` next
to this file) is one JSON object: ``metadata`` (agent name, algorithm, base model and parameter
count, trajectories used in training, code URL, contact), the harness's ``summary`` (``summary.json``
of ``archer_envs.benchmark``) and its ``episodes`` (the records of ``episodes.jsonl``). See
docs/results_format.md for the harness files.

:func:`verify_submission` trusts nothing it can check itself:

1. the object matches the schema (versions included);
2. the episodes are exactly the harness's episode list for ``(env_id, split, episodes_requested,
   seed)``: same count, every record's ``index`` and ``secret`` in place, and the summary's
   ``episode_list_sha256`` matches; for the leaderboard (:func:`check_track`) the list must be the
   test split with every secret at least once;
3. every episode is **replayed** through the env with the default deterministic knowledge oracle:
   reset to the episode's secret, step its actions, and compare each turn's answer and reward, the
   end of the episode (it must end at the last action, not before or after) and ``success``; then
   the record's ``return``/``turns`` and the summary's numbers (mean return, its 95% CI, success
   rate, mean turns) are recomputed.

The first mismatch raises :class:`SubmissionError` naming the episode (index and secret) and turn.
The replay uses the question matcher the summary records (``knowledge_matcher``), so a result made
without the optional embedder (lexical matcher) verifies on a server that has it. Results made with
another oracle backend (``env_kwargs`` naming ``oracle="openai"``, ``"hf"``, or other env options)
cannot be replayed; they pass checks 1–2 and the recomputation of the summary from the records, and
get status ``"unverified"``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

FORMAT, FORMAT_VERSION = "archer-gym/submission", 1
SCHEMA_FILE = Path(__file__).parent / "submission.schema.json"
REWARD_TOLERANCE = 1e-9  # rewards are recomputed by the same code; only float printing may differ
# The leaderboard ranks every agent of an env on the same episodes: the test split, each secret once,
# in the data file's order (no --episodes; the seed is then unused and must be the track's).
LEADERBOARD_SPLIT = "test"
TRACK_SEED = 0
MAX_JSON_DEPTH = 8  # a harness result nests 4 deep (submission > episodes > record > actions); env_kwargs a few more
MAX_ENV_KWARGS_BYTES = 4_096  # the free-form field; the others are typed by the schema


class SubmissionError(ValueError):
    """A submission that fails a check; the message names what and where."""


@dataclass
class Verdict:
    status: str  # "verified" (replayed) or "unverified" (another oracle backend: checks 1-2 only)
    env_id: str
    split: str
    episodes: int
    mean_return: float  # the numbers below are recomputed from the episode records
    return_ci95: float | None
    success_rate: float
    mean_turns: float
    seconds: float  # time the verification took


def make_submission(eval_dir: str | Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """A submission object from an ``archer eval --out`` directory and the submitter's metadata."""
    from archer_envs.benchmark import load_results

    result = load_results(eval_dir)
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": dict(metadata),
            "summary": result.summary, "episodes": list(result.records)}


def load_submission(path: str | Path) -> dict[str, Any]:
    """Read a submission file; raises SubmissionError for a missing file or malformed JSON."""
    p = Path(path)
    if not p.is_file():
        raise SubmissionError(f"no submission file at {p}")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SubmissionError(f"{p}: not valid JSON ({err})") from None


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests deeper than ``limit`` containers (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth > limit:
                return True
            stack.extend((c, depth + 1) for c in (v.values() if isinstance(v, dict) else v))
    return False


def check_limits(value: Any, what: str = "the submission", max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise SubmissionError if ``value`` nests deeper than ``max_depth`` (deep JSON breaks the pages)."""
    if json_depth_exceeds(value, max_depth):
        raise SubmissionError(f"{what} nests deeper than {max_depth} levels of objects and arrays")


def check_metadata(metadata: Any) -> None:
    """The submitter's metadata against the schema's ``metadata`` part (an online run takes it alone)."""
    import jsonschema

    schema = _validator().schema["properties"]["metadata"]
    error = next(iter(sorted(jsonschema.Draft202012Validator(schema).iter_errors(metadata),
                             key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise SubmissionError(f"metadata: at {where}: {error.message}")


def check_schema(submission: Any) -> None:
    """Raise SubmissionError naming the first schema violation (path in the object and the reason),
    or a submission nesting deeper than :data:`MAX_JSON_DEPTH` or whose ``env_kwargs`` is larger than
    :data:`MAX_ENV_KWARGS_BYTES`."""
    if not isinstance(submission, dict):
        raise SubmissionError(f"a submission is a JSON object, got {type(submission).__name__}")
    check_limits(submission)
    if submission.get("format") != FORMAT or submission.get("format_version") != FORMAT_VERSION:
        raise SubmissionError(f"format {submission.get('format')!r} version {submission.get('format_version')!r}: "
                              f"expected {FORMAT!r} version {FORMAT_VERSION}")
    error = next(iter(sorted(_validator().iter_errors(submission), key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise SubmissionError(f"schema: at {where}: {error.message}")
    size = len(json.dumps(submission["summary"]["env_kwargs"], separators=(",", ":")))
    if size > MAX_ENV_KWARGS_BYTES:
        raise SubmissionError(f"summary: env_kwargs is {size:,} bytes of JSON; at most {MAX_ENV_KWARGS_BYTES:,}")


def check_episode_list(submission: dict[str, Any]) -> list:
    """The harness's episode list for the summary's arguments, checked against the records."""
    from archer_envs.benchmark import episode_list_sha256, episode_secrets

    s, records = submission["summary"], submission["episodes"]
    requested = s["episodes_requested"]
    if requested is not None and requested != len(records):  # checked first: the list is built from it
        raise SubmissionError(f"summary: episodes_requested is {requested} but there are {len(records)} records")
    try:
        secrets = episode_secrets(s["env_id"], s["split"], s["episodes_requested"], s["seed"])
    except (ValueError, KeyError) as err:
        raise SubmissionError(f"summary: cannot derive the episode list ({err})") from None
    if episode_list_sha256(secrets) != s["episode_list_sha256"]:
        raise SubmissionError("summary: episode_list_sha256 is not the harness's fingerprint for "
                              f"{s['env_id']} {s['split']} episodes={s['episodes_requested']} seed={s['seed']}")
    if s["episodes"] != len(secrets) or len(records) != len(secrets):
        raise SubmissionError(f"expected {len(secrets)} episodes for this episode list, the summary says "
                              f"{s['episodes']} and there are {len(records)} records")
    for i, (record, secret) in enumerate(zip(records, secrets)):
        if record["index"] != i or record["secret"] != secret:
            raise SubmissionError(f"episode {i}: expected index {i} with secret {secret!r}, got index "
                                  f"{record['index']} with secret {record['secret']!r}")
    return secrets


def check_track(submission: dict[str, Any]) -> None:
    """The leaderboard's episode list: the test split, each secret once in data order (evaluated without
    ``--episodes``) and the track's seed. A subset, or a longer list whose repeats depend on the seed
    or the count, would let a submitter search for the list that suits the agent."""
    s = submission["summary"]
    if s["split"] != LEADERBOARD_SPLIT:
        raise SubmissionError(f"summary: split {s['split']!r}: the leaderboard ranks results on the "
                              f"{LEADERBOARD_SPLIT!r} split")
    if s["episodes_requested"] is not None or s["seed"] != TRACK_SEED:
        raise SubmissionError(f"summary: episodes_requested {s['episodes_requested']} with seed {s['seed']}: the "
                              f"leaderboard's list is every {s['split']} secret once in data order, with seed "
                              f"{TRACK_SEED} (evaluate without --episodes and without --seed)")


def normalised_action(action: str) -> str:
    """An action as the envs read it: whitespace runs folded to one space, ends stripped (see
    ``archer_envs.text.sanitize``), and case folded."""
    return " ".join(str(action).split()).casefold()


def fingerprint(submission: dict[str, Any]) -> str:
    """SHA-256 of what was played: env, split, oracle settings and every episode's secret and
    normalised actions (:func:`normalised_action`). Two submissions with one fingerprint are the same
    result, whatever their metadata say."""
    s = submission["summary"]
    played = [s["env_id"], s["split"], s.get("env_kwargs") or {},
              [[r["secret"], [normalised_action(a) for a in r["actions"]]] for r in submission["episodes"]]]
    return hashlib.sha256(json.dumps(played, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_records(submission: dict[str, Any]) -> dict[str, float | None]:
    """Each record's return/turns and the summary's numbers agree with the records' own turns;
    returns the numbers recomputed from the records (what the leaderboard shows)."""
    from archer_envs.benchmark import summarize

    s, records = submission["summary"], submission["episodes"]
    for r in records:
        n = len(r["actions"])
        if not n == len(r["answers"]) == len(r["rewards"]) == r["turns"]:
            raise SubmissionError(f"episode {r['index']} ({r['secret']!r}): {n} actions, {len(r['answers'])} answers, "
                                  f"{len(r['rewards'])} rewards but turns = {r['turns']}")
        if abs(float(sum(r["rewards"])) - r["return"]) > REWARD_TOLERANCE:
            raise SubmissionError(f"episode {r['index']} ({r['secret']!r}): return {r['return']} is not the sum of "
                                  f"its rewards ({sum(r['rewards'])})")
    # ranked on returns recomputed from the rewards, never the claimed ones
    recomputed = summarize([{**r, "return": float(sum(r["rewards"]))} for r in records])
    for key, value in recomputed.items():
        claimed = s.get(key)
        if value is None or claimed is None:
            if key != "return_ci95" or (value is None) != (claimed is None):
                raise SubmissionError(f"summary: {key} {claimed} does not match the episodes ({value})")
        elif not math.isclose(claimed, value, abs_tol=1e-6):
            raise SubmissionError(f"summary: {key} {claimed} does not match the episodes ({value})")
    return recomputed


def replay_kwargs(summary: dict[str, Any]) -> dict[str, Any] | None:
    """``gym.make`` kwargs that rebuild the env a result was played on, answered by the knowledge
    oracle with the question matcher the summary names (``auto`` differs between machines with and
    without the embedder); None where another backend answered, so the result cannot be replayed."""
    env_kwargs = summary.get("env_kwargs") or {}
    if set(env_kwargs) - {"oracle", "oracle_kwargs"} or env_kwargs.get("oracle", "knowledge") != "knowledge":
        return None
    oracle_kwargs = dict(env_kwargs.get("oracle_kwargs") or {})
    matcher = summary.get("knowledge_matcher")
    if matcher is not None and oracle_kwargs.get("matcher", "auto") == "auto":
        oracle_kwargs["matcher"] = matcher
    return {"oracle": "knowledge", "oracle_kwargs": oracle_kwargs} if oracle_kwargs else {}


def oracle_setting(summary: dict[str, Any]) -> str:
    """The non-default oracle settings a result was made with, as compact JSON ("" for the default
    knowledge oracle with its default settings): shown beside the entry on every page."""
    env_kwargs = summary.get("env_kwargs") or {}
    setting = dict(env_kwargs)
    if setting.get("oracle") == "knowledge":
        del setting["oracle"]
    if not setting.get("oracle_kwargs"):
        setting.pop("oracle_kwargs", None)
    return json.dumps(setting, sort_keys=True, separators=(",", ":")) if setting else ""


def replay(submission: dict[str, Any], env_kwargs: dict[str, Any] | None = None) -> None:
    """Step every episode's actions through a fresh env (knowledge oracle, built with ``env_kwargs``);
    raise at the first turn whose answer, reward or ending differs, or an episode whose success differs."""
    import gymnasium as gym

    import archer_envs  # noqa: F401  (registers the ids)
    from archer_envs.play import secret_option

    env_id = submission["summary"]["env_id"]
    try:
        env = gym.make(env_id, **(env_kwargs or {}))
    except (ValueError, TypeError) as err:
        raise SubmissionError(f"cannot rebuild {env_id} with {env_kwargs} to replay the episodes: {err}") from None
    option = secret_option(env)
    try:
        for r in submission["episodes"]:
            where = f"episode {r['index']} ({r['secret']!r})"
            env.reset(options={option: r["secret"]})
            ended, info = False, {}
            for turn, (action, answer, reward) in enumerate(zip(r["actions"], r["answers"], r["rewards"])):
                if ended:
                    raise SubmissionError(f"{where}, turn {turn}: the episode had already ended at turn {turn - 1}; "
                                          f"{r['turns']} turns were submitted")
                _, true_reward, terminated, truncated, info = env.step(action)
                true_answer = str(info.get("answer", info.get("response", "")))
                if true_answer != answer:
                    raise SubmissionError(f"{where}, turn {turn}: action {action!r} gets the answer {true_answer!r}, "
                                          f"the submission says {answer!r}")
                if abs(float(true_reward) - float(reward)) > REWARD_TOLERANCE:
                    raise SubmissionError(f"{where}, turn {turn}: the reward is {float(true_reward)}, "
                                          f"the submission says {reward}")
                ended = bool(terminated or truncated)
            if not ended:
                raise SubmissionError(f"{where}: the episode had not ended after its {r['turns']} submitted turns")
            if bool(info.get("success", False)) != bool(r["success"]):
                raise SubmissionError(f"{where}: success is {bool(info.get('success', False))}, "
                                      f"the submission says {r['success']}")
    finally:
        env.close()


def verify_submission(submission: Any, leaderboard: bool = True) -> Verdict:
    """All checks (see the module docstring); the verdict, or SubmissionError at the first failure.
    ``leaderboard=False`` skips :func:`check_track` (any split and episode count of the harness)."""
    start = time.perf_counter()
    check_schema(submission)
    return verify_schema_valid(submission, leaderboard, start)


def verify_schema_valid(submission: dict[str, Any], leaderboard: bool = True, start: float | None = None) -> Verdict:
    """The checks after the schema's, for an object that passed :func:`check_schema` (a server checks
    the schema first and refuses duplicates before these costlier checks). ``start``: the
    ``time.perf_counter()`` the verdict's ``seconds`` count from (default: now)."""
    start = time.perf_counter() if start is None else start
    check_episode_list(submission)
    if leaderboard:
        check_track(submission)
    numbers = check_records(submission)
    s = submission["summary"]
    status = "unverified"
    kwargs = replay_kwargs(s)
    if kwargs is not None:
        replay(submission, kwargs)
        status = "verified"
    return Verdict(status, s["env_id"], s["split"], s["episodes"], numbers["mean_return"], numbers["return_ci95"],
                   numbers["success_rate"], numbers["mean_turns"], time.perf_counter() - start)


__all__ = ["FORMAT", "FORMAT_VERSION", "LEADERBOARD_SPLIT", "SubmissionError", "Verdict", "check_schema",
           "check_limits", "check_metadata", "check_track", "fingerprint", "load_submission", "oracle_setting",
           "make_submission", "replay", "replay_kwargs", "verify_schema_valid", "verify_submission"]
