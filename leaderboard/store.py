"""The leaderboard's storage: one SQLite file holding the submitters' tokens and the accepted submissions.

Every write is one transaction, so a rejected or failed request leaves the file as it was, and a
submission that landed survives a restart. Each operation opens its own connection (SQLite
connections are not shared between the server's threads); WAL mode lets readers run beside a writer.

Tokens are 256-bit random strings shown once at creation and stored as their SHA-256: with that much
entropy a fast hash is as safe as a slow one, and it lets a request's token be looked up directly.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

TOKEN_PREFIX = "alb_"  # makes a leaked token recognisable (e.g. by secret scanners)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    name        TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL UNIQUE,
    admin       INTEGER NOT NULL,
    created     TEXT NOT NULL,
    revoked     TEXT
);
CREATE TABLE IF NOT EXISTS submissions (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    env_id                TEXT NOT NULL,
    split                 TEXT NOT NULL,
    status                TEXT NOT NULL CHECK (status IN ('verified', 'unverified')),
    track                 TEXT NOT NULL DEFAULT 'offline' CHECK (track IN ('online', 'offline')),
    oracle                TEXT NOT NULL DEFAULT '',
    agent_name            TEXT NOT NULL,
    algorithm             TEXT NOT NULL,
    base_model            TEXT NOT NULL,
    parameters            INTEGER,
    training_trajectories INTEGER,
    code_url              TEXT NOT NULL,
    contact               TEXT NOT NULL,
    episodes              INTEGER NOT NULL,
    mean_return           REAL NOT NULL,
    return_ci95           REAL,
    success_rate          REAL NOT NULL,
    mean_turns            REAL NOT NULL,
    verify_seconds        REAL NOT NULL,
    submitted             TEXT NOT NULL,
    submitter             TEXT NOT NULL,
    fingerprint           TEXT NOT NULL UNIQUE,
    payload               BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_env ON submissions (env_id, split);
CREATE TABLE IF NOT EXISTS runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    env_id      TEXT NOT NULL,
    submitter   TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    episodes    INTEGER NOT NULL,
    created     TEXT NOT NULL,
    finished    TEXT,
    submission  INTEGER
);
CREATE TABLE IF NOT EXISTS run_episodes (
    run_id      INTEGER NOT NULL REFERENCES runs (id),
    idx         INTEGER NOT NULL,
    secret      TEXT NOT NULL,
    started     INTEGER NOT NULL DEFAULT 0,
    actions     TEXT NOT NULL DEFAULT '[]',
    answers     TEXT NOT NULL DEFAULT '[]',
    rewards     TEXT NOT NULL DEFAULT '[]',
    observation TEXT NOT NULL DEFAULT '',
    done        INTEGER NOT NULL DEFAULT 0,
    success     INTEGER NOT NULL DEFAULT 0,
    forfeited   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, idx)
);
"""
# Columns added after the first release: (name, definition), added to an older file when it is opened.
ADDED_COLUMNS = (("track", "TEXT NOT NULL DEFAULT 'offline'"), ("oracle", "TEXT NOT NULL DEFAULT ''"))

# Columns of a listed submission (everything but the stored payload).
ENTRY_COLUMNS = ("id", "env_id", "split", "status", "track", "oracle", "agent_name", "algorithm", "base_model",
                 "parameters", "training_trajectories", "code_url", "contact", "episodes", "mean_return", "return_ci95",
                 "success_rate", "mean_turns", "verify_seconds", "submitted", "submitter", "fingerprint")


class DuplicateSubmission(ValueError):
    """The same episodes (same fingerprint) are already stored; ``existing`` is their submission id."""

    def __init__(self, existing: int) -> None:
        super().__init__(f"these episodes were already submitted (submission {existing})")
        self.existing = existing


@dataclass(frozen=True)
class Token:
    name: str
    admin: bool
    created: str
    revoked: str | None = None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Store:
    """The leaderboard database at ``path`` (created with its tables if missing)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise ValueError(f"--db {self.path} is a directory; expected a database file path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            have = {r["name"] for r in db.execute("PRAGMA table_info(submissions)")}
            if have:  # an older file: add the new columns before the schema's indexes use them
                for name, definition in ADDED_COLUMNS:
                    if name not in have:
                        db.execute(f"ALTER TABLE submissions ADD COLUMN {name} {definition}")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        db.row_factory = sqlite3.Row
        try:
            with db:  # one transaction: committed on success, rolled back on any exception
                yield db
        finally:
            db.close()

    # tokens -----------------------------------------------------------------------------------
    def create_token(self, name: str, admin: bool = False) -> str:
        """A new token for ``name`` (returned once; only its hash is stored)."""
        name = name.strip()
        if not name:
            raise ValueError("a token needs a non-empty --name")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self._connect() as db:
                db.execute("INSERT INTO tokens (name, sha256, admin, created) VALUES (?, ?, ?, ?)",
                           (name, hash_token(token), int(admin), _now()))
        except sqlite3.IntegrityError:
            raise ValueError(f"a token named {name!r} already exists; pick another name or revoke it first") from None
        return token

    def revoke_token(self, name: str) -> None:
        with self._connect() as db:
            cursor = db.execute("UPDATE tokens SET revoked = ? WHERE name = ? AND revoked IS NULL", (_now(), name))
        if cursor.rowcount == 0:
            raise ValueError(f"no active token named {name!r}")

    def tokens(self) -> list[Token]:
        with self._connect() as db:
            rows = db.execute("SELECT name, admin, created, revoked FROM tokens ORDER BY created, name").fetchall()
        return [Token(r["name"], bool(r["admin"]), r["created"], r["revoked"]) for r in rows]

    def authenticate(self, token: str) -> Token | None:
        """The active token matching ``token``, or None."""
        with self._connect() as db:
            row = db.execute("SELECT name, admin, created, revoked FROM tokens WHERE sha256 = ? AND revoked IS NULL",
                             (hash_token(token),)).fetchone()
        return None if row is None else Token(row["name"], bool(row["admin"]), row["created"])

    # submissions ------------------------------------------------------------------------------
    def add_submission(self, submission: dict[str, Any], verdict, fingerprint: str, submitter: str,
                       track: str = "offline", oracle: str = "") -> int:
        """Store a verified submission; its id. Raises DuplicateSubmission (nothing written) for a
        fingerprint already stored. ``track``: "offline" (submitted, replay-checked) or "online" (played
        on the server); ``oracle``: the non-default oracle settings as compact JSON ("" for the default)."""
        try:
            with self._connect() as db:
                return self._insert_submission(db, submission, verdict, fingerprint, submitter, track, oracle)
        except sqlite3.IntegrityError:
            existing = self.find_fingerprint(fingerprint)
            if existing is None:  # not the fingerprint after all: a real error
                raise
            raise DuplicateSubmission(existing) from None

    @staticmethod
    def _insert_submission(db, submission, verdict, fingerprint, submitter, track, oracle) -> int:
        m = submission["metadata"]
        payload = zlib.compress(json.dumps(submission, separators=(",", ":"), allow_nan=False).encode(), 6)
        values = {
            "env_id": verdict.env_id, "split": verdict.split, "status": verdict.status,
            "agent_name": m["agent_name"], "algorithm": m["algorithm"], "base_model": m["base_model"],
            "parameters": m.get("parameters"), "training_trajectories": m.get("training_trajectories"),
            "code_url": m.get("code_url", ""), "contact": m.get("contact", ""), "episodes": verdict.episodes,
            "mean_return": verdict.mean_return, "return_ci95": verdict.return_ci95,
            "success_rate": verdict.success_rate, "mean_turns": verdict.mean_turns,
            "verify_seconds": verdict.seconds, "submitted": _now(), "submitter": submitter,
            "fingerprint": fingerprint, "payload": payload, "track": track, "oracle": oracle,
        }
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = db.execute(f"INSERT INTO submissions ({columns}) VALUES ({marks})", tuple(values.values()))
        return int(cursor.lastrowid)

    def find_fingerprint(self, fingerprint: str) -> int | None:
        with self._connect() as db:
            row = db.execute("SELECT id FROM submissions WHERE fingerprint = ?", (fingerprint,)).fetchone()
        return None if row is None else int(row["id"])

    def entries(self, env_id: str | None = None, track: str | None = None) -> list[dict[str, Any]]:
        """Stored submissions (without their episodes), of one env or all, of one track or both, in
        submission order."""
        query = f"SELECT {', '.join(ENTRY_COLUMNS)} FROM submissions WHERE 1"
        args: tuple = ()
        if env_id is not None:
            query, args = query + " AND env_id = ?", args + (env_id,)
        if track is not None:
            query, args = query + " AND track = ?", args + (track,)
        with self._connect() as db:
            return [dict(r) for r in db.execute(query + " ORDER BY id", args).fetchall()]

    def entry(self, submission_id: int) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute(f"SELECT {', '.join(ENTRY_COLUMNS)} FROM submissions WHERE id = ?",
                             (submission_id,)).fetchone()
        return None if row is None else dict(row)

    def submission(self, submission_id: int) -> dict[str, Any] | None:
        """The submission as it was submitted (metadata, summary, episodes)."""
        with self._connect() as db:
            row = db.execute("SELECT payload FROM submissions WHERE id = ?", (submission_id,)).fetchone()
        return None if row is None else json.loads(zlib.decompress(row["payload"]))

    def delete(self, submission_id: int) -> bool:
        with self._connect() as db:
            return db.execute("DELETE FROM submissions WHERE id = ?", (submission_id,)).rowcount > 0

    # online runs (see leaderboard/online.py) ------------------------------------------------------
    def create_run(self, env_id: str, submitter: str, metadata: dict[str, Any], secrets: list) -> int:
        with self._connect() as db:
            run_id = int(db.execute("INSERT INTO runs (env_id, submitter, metadata, episodes, created) "
                                    "VALUES (?, ?, ?, ?, ?)",
                                    (env_id, submitter, json.dumps(metadata), len(secrets), _now())).lastrowid)
            db.executemany("INSERT INTO run_episodes (run_id, idx, secret) VALUES (?, ?, ?)",
                           [(run_id, i, json.dumps(s)) for i, s in enumerate(secrets)])
        return run_id

    def run(self, run_id: int) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            return None
        return {**dict(row), "metadata": json.loads(row["metadata"])}

    def open_runs(self, submitter: str, env_id: str) -> list[int]:
        with self._connect() as db:
            rows = db.execute("SELECT id FROM runs WHERE submitter = ? AND env_id = ? AND finished IS NULL ORDER BY id",
                              (submitter, env_id)).fetchall()
        return [int(r["id"]) for r in rows]

    def run_episodes(self, run_id: int, indices: list[int] | None = None) -> list[dict[str, Any]]:
        """The episodes of a run (all, or those at ``indices``), their lists decoded, in index order."""
        query, args = "SELECT * FROM run_episodes WHERE run_id = ?", [run_id]
        if indices is not None:
            query += f" AND idx IN ({', '.join('?' for _ in indices)})"
            args += list(indices)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY idx", args).fetchall()
        out = []
        for r in rows:
            e = dict(r)
            for key in ("secret", "actions", "answers", "rewards"):
                e[key] = json.loads(e[key])
            for key in ("started", "done", "success", "forfeited"):
                e[key] = bool(e[key])
            out.append(e)
        return out

    def save_run_episodes(self, run_id: int, episodes: list[dict[str, Any]]) -> None:
        """Write the played state of these episodes (one transaction)."""
        with self._connect() as db:
            db.executemany(
                "UPDATE run_episodes SET started = ?, actions = ?, answers = ?, rewards = ?, observation = ?, "
                "done = ?, success = ?, forfeited = ? WHERE run_id = ? AND idx = ?",
                [(int(e["started"]), json.dumps(e["actions"]), json.dumps(e["answers"]), json.dumps(e["rewards"]),
                  e["observation"], int(e["done"]), int(e["success"]), int(e["forfeited"]), run_id, e["idx"])
                 for e in episodes])

    def finish_run(self, run_id: int, episodes: list[dict[str, Any]], submission: dict[str, Any], verdict,
                   fingerprint: str) -> int:
        """Save the last episodes, store the run's result as an online submission and mark the run
        finished, all in one transaction; the submission's id."""
        self.save_run_episodes(run_id, episodes)  # idempotent: repeated if the transaction below fails
        with self._connect() as db:
            row = db.execute("SELECT submitter, submission FROM runs WHERE id = ?", (run_id,)).fetchone()
            if row["submission"] is not None:
                return int(row["submission"])
            new_id = self._insert_submission(db, submission, verdict, fingerprint, row["submitter"], "online", "")
            db.execute("UPDATE runs SET finished = ?, submission = ? WHERE id = ?", (_now(), new_id, run_id))
        return new_id

    def count(self) -> int:
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0])
