"""The leaderboard web service: an HTTP API and HTML pages over one SQLite file (FastAPI + uvicorn).

    archer leaderboard token create --db lb.sqlite --name admin --admin
    archer leaderboard serve --db lb.sqlite --port 8000

API (JSON; errors are ``{"detail": "<what is wrong>"}`` with a 4xx status):

=======================================  ============================================================
``POST /api/submissions``                submit (``Authorization: Bearer <token>``; body: a submission)
                                         → 201 ``{id, status, rank, of, url, ...}``
``GET /api/submissions?env_id=ID``       the ranked entries (of one env, or of every env)
``GET /api/submissions/{id}``            one entry with its summary; ``?episodes=true`` adds the episodes
``DELETE /api/submissions/{id}``         remove one (admin token)
``GET /api/envs``                        the ranked envs and their submission counts
``POST /api/runs``                       open an online run (token; body ``{env_id, metadata}``)
``GET /api/runs/{id}``                   a run's state (its token only)
``POST /api/runs/{id}/start``            start episodes ``{"episodes": [i, ...]}``
``POST /api/runs/{id}/step``             play turns ``{"steps": [{episode, turn, action}, ...]}``
``POST /api/runs/{id}/finish``           end the run, forfeiting what was not played
=======================================  ============================================================

The online protocol is described in ``leaderboard/online.py``. Every error, validation errors
included, is one JSON object ``{"detail": "<one string>"}``. Ids are 1 to 2**63 - 1; others are 404.

Pages: ``/`` (every env), ``/envs/<EnvName>`` (the ranked table), ``/submissions/<id>`` (transcripts).

A submission is checked in this order, and the first failure answers without touching the database:
request rate per client address (429), token (401; 403 for a non-admin on admin routes), submission
rate per token (429), size (413), JSON (400), schema (422), duplicate episodes (409), episode list,
arithmetic and replay (422, naming the first diverging episode and turn). Replays run one at a time
in a worker thread (they are CPU-bound; the pages stay responsive meanwhile).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from archer_gym.leaderboard.online import OnlineError, OnlineRuns
from archer_gym.leaderboard.pages import (
    SERVER_LINKS,
    TRACKS,
    env_from_name,
    env_page,
    index_page,
    leaderboard_envs,
    ranked,
    submission_page,
)
from archer_gym.leaderboard.store import DuplicateSubmission, Store, Token
from archer_gym.leaderboard.submission import (
    SubmissionError,
    check_limits,
    check_metadata,
    check_schema,
    fingerprint,
    oracle_setting,
    verify_schema_valid,
)

DEFAULT_MAX_MB = 16.0  # a 1,000-episode Twenty Questions submission is about 1.5 MB
DEFAULT_SUBMIT_RATE = 30  # submissions per minute per token
DEFAULT_REQUEST_RATE = 600  # requests per minute per client address
PUBLIC_HIDDEN = ("contact", "fingerprint")  # stored, shown to admins only
MAX_ID = 2**63 - 1  # SQLite's integer range


def validation_detail(err: RequestValidationError) -> str:
    """FastAPI's list of validation errors as the one string of ``{"detail": ...}``."""
    parts = []
    for e in err.errors():
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
        parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else str(e.get("msg", "invalid")))
    return "; ".join(parts) or "invalid request"


def parse_id(value: str, what: str = "submission") -> int:
    """A path id: digits within 1..MAX_ID, else 404 (as any id that names nothing)."""
    if not value.isascii() or not value.isdigit() or len(value) > 19 or not 1 <= int(value) <= MAX_ID:
        raise HTTPException(404, f"no {what} {value[:40]!r}: ids are integers from 1 to {MAX_ID}")
    return int(value)


@dataclass
class Limits:
    max_bytes: int = int(DEFAULT_MAX_MB * 2**20)
    submit_per_minute: int = DEFAULT_SUBMIT_RATE
    request_per_minute: int = DEFAULT_REQUEST_RATE

    def __post_init__(self) -> None:
        for name in ("max_bytes", "submit_per_minute", "request_per_minute"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")


class RateLimiter:
    """A token bucket per key: up to ``per_minute`` requests at once, refilled at ``per_minute`` a minute."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity, self.rate, self.clock = float(per_minute), per_minute / 60.0, clock
        self.buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, time of last update)
        self.lock = threading.Lock()

    def wait(self, key: str) -> float:
        """0 and one request counted if ``key`` may go on now, else the seconds until it may."""
        with self.lock:
            now = self.clock()
            left, then = self.buckets.get(key, (self.capacity, now))
            left = min(self.capacity, left + (now - then) * self.rate)
            if left < 1.0:
                self.buckets[key] = (left, now)
                return (1.0 - left) / self.rate
            self.buckets[key] = (left - 1.0, now)
            if len(self.buckets) > 10_000:  # forget keys whose bucket has refilled
                full = [k for k, (n, t) in self.buckets.items() if n + (now - t) * self.rate >= self.capacity]
                for k in full:
                    del self.buckets[k]
            return 0.0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("archer-gym")
    except PackageNotFoundError:
        return "unknown"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> Any:
    """The request body as JSON; ValueError naming the problem (NaN/Infinity are not JSON)."""
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as err:
        raise ValueError(f"the body is not UTF-8 ({err.reason} at byte {err.start})") from None
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"{err.msg} at line {err.lineno} column {err.colno}") from None


def public(entry: dict[str, Any], admin: bool = False) -> dict[str, Any]:
    return dict(entry) if admin else {k: v for k, v in entry.items() if k not in PUBLIC_HIDDEN}


def create_app(db: str | Path | Store, limits: Limits | None = None) -> FastAPI:
    """The FastAPI application over the database ``db`` (a path or a :class:`Store`)."""
    store = db if isinstance(db, Store) else Store(db)
    limits = limits or Limits()
    submit_limiter = RateLimiter(limits.submit_per_minute)
    request_limiter = RateLimiter(limits.request_per_minute)
    replay_lock = threading.Lock()
    links = SERVER_LINKS
    app = FastAPI(title="archer-gym leaderboard", version=_version(),
                  description="Submit, verify (by replay) and rank archer-gym evaluation results.")
    app.state.store, app.state.limits = store, limits
    runs = OnlineRuns(store)
    app.state.runs = runs

    @app.exception_handler(RequestValidationError)
    async def one_error_shape(request: Request, err: RequestValidationError):
        return JSONResponse({"detail": validation_detail(err)}, status_code=422)

    @app.middleware("http")
    async def limit_request_rate(request: Request, call_next):
        client = request.client.host if request.client else "unknown"
        wait = request_limiter.wait(client)
        if wait > 0:
            return JSONResponse({"detail": f"too many requests from {client}: at most {limits.request_per_minute} "
                                           f"a minute; retry in {wait:.0f} s"},
                                status_code=429, headers={"Retry-After": str(max(1, round(wait)))})
        return await call_next(request)

    def authenticate(request: Request, admin: bool = False) -> Token:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HTTPException(401, "a token is needed: send the header 'Authorization: Bearer <token>' "
                                     "(tokens come from `archer leaderboard token create`)",
                                headers={"WWW-Authenticate": "Bearer"})
        found = store.authenticate(token.strip())
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        if admin and not found.admin:
            raise HTTPException(403, f"token {found.name!r} is not an admin token")
        return found

    def optional_admin(request: Request) -> bool:
        if "authorization" not in request.headers:
            return False
        return authenticate(request).admin

    async def read_body(request: Request) -> bytes:
        too_big = HTTPException(413, f"the submission is larger than this server's limit of {limits.max_bytes:,} bytes")
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limits.max_bytes:
            raise too_big
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limits.max_bytes:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)

    def verify(submission: Any) -> tuple[Any, str]:
        try:
            started = time.perf_counter()
            check_schema(submission)
            schema_seconds = time.perf_counter() - started
            fp = fingerprint(submission)
            existing = store.find_fingerprint(fp)
            if existing is not None:
                raise DuplicateSubmission(existing)
            with replay_lock:  # verify_seconds: the schema check plus these checks, not the wait for the lock
                return verify_schema_valid(submission, start=time.perf_counter() - schema_seconds), fp
        except SubmissionError as err:
            raise HTTPException(422, f"rejected: {err}") from None
        except DuplicateSubmission as err:
            raise HTTPException(409, f"rejected: {err}") from None

    @app.post("/api/submissions", status_code=201)
    async def submit(request: Request) -> dict[str, Any]:
        token = authenticate(request)
        wait = submit_limiter.wait(token.name)
        if wait > 0:
            raise HTTPException(429, f"token {token.name!r} may submit {limits.submit_per_minute} times a minute; "
                                     f"retry in {wait:.0f} s", headers={"Retry-After": str(max(1, round(wait)))})
        body = await read_body(request)
        try:
            submission = await run_in_threadpool(parse_json, body)  # megabytes: off the event loop
        except ValueError as err:
            raise HTTPException(400, f"malformed JSON: {err}") from None
        verdict, fp = await run_in_threadpool(verify, submission)
        try:
            new_id = await run_in_threadpool(store.add_submission, submission, verdict, fp, token.name, "offline",
                                             oracle_setting(submission["summary"]))
        except DuplicateSubmission as err:  # the same episodes landed while these were replayed
            raise HTTPException(409, f"rejected: {err}") from None
        entries = ranked(store, verdict.env_id, "offline")
        position = next(e["rank"] for e in entries if e["id"] == new_id)
        return {"id": new_id, "status": verdict.status, "track": "offline", "env_id": verdict.env_id, "rank": position,
                "of": len(entries), "mean_return": verdict.mean_return, "return_ci95": verdict.return_ci95,
                "success_rate": verdict.success_rate, "mean_turns": verdict.mean_turns,
                "verify_seconds": round(verdict.seconds, 4), "url": links.submission(new_id)}

    @app.get("/api/envs")
    def list_envs() -> list[dict[str, Any]]:
        return [{"env_id": e, "submissions": len(store.entries(e)),
                 **{f"{t}_submissions": len(store.entries(e, t)) for t in TRACKS}, "page": links.env(e)}
                for e in leaderboard_envs()]

    @app.get("/api/submissions")
    def list_submissions(request: Request, env_id: str | None = None, track: str | None = None) -> dict[str, Any]:
        admin = optional_admin(request)
        if env_id is not None and env_id not in leaderboard_envs():
            raise HTTPException(404, f"no leaderboard for env {env_id!r}: "
                                     f"expected one of {', '.join(leaderboard_envs())}")
        if track is not None and track not in TRACKS:
            raise HTTPException(422, f"track {track[:40]!r}: expected one of {', '.join(TRACKS)}")
        envs = [env_id] if env_id is not None else leaderboard_envs()
        tracks = [track] if track is not None else TRACKS
        return {"entries": [public(e, admin) for env in envs for t in tracks for e in ranked(store, env, t)]}

    @app.get("/api/submissions/{submission_id}")
    def get_submission(request: Request, submission_id: str, episodes: bool = False) -> dict[str, Any]:
        admin = optional_admin(request)
        submission_id = parse_id(submission_id)
        entry = store.entry(submission_id)
        if entry is None:
            raise HTTPException(404, f"no submission {submission_id}")
        position = next(e["rank"] for e in ranked(store, entry["env_id"], entry["track"]) if e["id"] == submission_id)
        submission = store.submission(submission_id)
        out = {**public(entry, admin), "rank": position, "summary": submission["summary"]}
        if episodes:
            out["episodes"] = submission["episodes"]
        return out

    @app.delete("/api/submissions/{submission_id}")
    def delete_submission(request: Request, submission_id: str) -> dict[str, Any]:
        authenticate(request, admin=True)
        submission_id = parse_id(submission_id)
        if not store.delete(submission_id):
            raise HTTPException(404, f"no submission {submission_id}")
        return {"deleted": submission_id}

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return index_page(store, links)

    @app.get("/envs/{name}", response_class=HTMLResponse)
    def env(name: str) -> str:
        env_id = env_from_name(name)
        if env_id is None:
            raise HTTPException(404, f"no leaderboard for {name!r}")
        return env_page(store, env_id, links)

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def transcripts(submission_id: str) -> str:
        page = submission_page(store, parse_id(submission_id), links)
        if page is None:
            raise HTTPException(404, f"no submission {submission_id}")
        return page

    # online evaluation (leaderboard/online.py) -----------------------------------------------------
    async def json_body(request: Request) -> Any:
        body = await read_body(request)
        try:
            value = parse_json(body)
        except ValueError as err:
            raise HTTPException(400, f"malformed JSON: {err}") from None
        try:
            check_limits(value, "the request")
        except SubmissionError as err:
            raise HTTPException(422, str(err)) from None
        return value

    def online(call, *args):
        try:
            return call(*args)
        except OnlineError as err:
            raise HTTPException(err.status, str(err)) from None

    @app.post("/api/runs", status_code=201)
    async def open_run(request: Request) -> dict[str, Any]:
        token = authenticate(request)
        wait = submit_limiter.wait(token.name)  # a run becomes a submission; opening one may forfeit another
        if wait > 0:
            raise HTTPException(429, f"token {token.name!r} may open runs and submit {limits.submit_per_minute} times "
                                     f"a minute; retry in {wait:.0f} s",
                                headers={"Retry-After": str(max(1, round(wait)))})
        body = await json_body(request)
        if not isinstance(body, dict) or set(body) != {"env_id", "metadata"}:
            raise HTTPException(422, "a run is opened with an object of exactly env_id and metadata")
        env_id = body["env_id"]
        if not isinstance(env_id, str) or env_id not in leaderboard_envs():
            raise HTTPException(422, f"env_id {str(env_id)[:60]!r}: expected one of {', '.join(leaderboard_envs())}")
        try:
            check_metadata(body["metadata"])
        except SubmissionError as err:
            raise HTTPException(422, str(err)) from None
        return await run_in_threadpool(online, runs.create, token.name, env_id, body["metadata"])

    @app.get("/api/runs/{run_id}")
    def run_state(request: Request, run_id: str) -> dict[str, Any]:
        token = authenticate(request)
        return online(runs.state, parse_id(run_id, "run"), token.name)

    async def run_call(request: Request, run_id: str, key: str, shape: str, method: Callable[..., Any]) -> Any:
        """``method(run id, token name, body[key])`` in the thread pool, for a body of exactly ``{key: ...}``."""
        token = authenticate(request)
        rid = parse_id(run_id, "run")
        body = await json_body(request)
        if not isinstance(body, dict) or set(body) != {key}:
            raise HTTPException(422, f"expected {shape}")
        return await run_in_threadpool(online, method, rid, token.name, body[key])

    @app.post("/api/runs/{run_id}/start")
    async def run_start(request: Request, run_id: str) -> dict[str, Any]:
        return {"episodes": await run_call(request, run_id, "episodes", '{"episodes": [index, ...]}', runs.start)}

    @app.post("/api/runs/{run_id}/step")
    async def run_step(request: Request, run_id: str) -> dict[str, Any]:
        answer = await run_call(request, run_id, "steps",
                                '{"steps": [{"episode": i, "turn": t, "action": "..."}, ...]}', runs.step)
        if "finished" in answer:
            answer["finished"]["url"] = links.submission(answer["finished"]["id"])
        return answer

    @app.post("/api/runs/{run_id}/finish")
    async def run_finish(request: Request, run_id: str) -> dict[str, Any]:
        token = authenticate(request)
        answer = await run_in_threadpool(online, runs.finish, parse_id(run_id, "run"), token.name)
        return {**answer, "url": links.submission(answer["id"])}

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return {"ok": True, "submissions": store.count()}

    return app


def serve(db: str | Path, host: str = "127.0.0.1", port: int = 8000, limits: Limits | None = None) -> None:
    """Run the service until interrupted (uvicorn, one process)."""
    import uvicorn

    app = create_app(db, limits)
    uvicorn.run(app, host=host, port=port, log_level="info")
