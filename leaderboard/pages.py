"""The leaderboard shown: HTML pages (served, or exported as a static site) and Markdown tables.

The same templates (``templates/*.html``, Jinja2 with autoescaping on, so every submitted string is
shown as text) render the server's pages and the static export; only the links differ
(:data:`SERVER_LINKS` vs :data:`STATIC_LINKS`). Markdown escapes user text itself (see :func:`md_text`).
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from archer_envs import env_name
from archer_gym.leaderboard.ranking import rank
from archer_gym.leaderboard.store import Store

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def leaderboard_envs() -> tuple[str, ...]:
    """The env ids that have a test split to rank on (every registered env but the fixed Jericho game)."""
    from archer_envs import ENVS
    from archer_envs.benchmark import episode_secrets

    envs = []
    for env_id in ENVS:
        try:
            episode_secrets(env_id, "test")
        except ValueError:
            continue
        envs.append(env_id)
    return tuple(envs)


def env_from_name(name: str) -> str | None:
    return next((e for e in leaderboard_envs() if env_name(e) == name), None)


@dataclass(frozen=True)
class Links:
    """Where the pages link: the running server's routes, or the exported site's files."""

    index_page: str
    env_page: str  # with {name}: the env's short name
    submission_page: str  # with {id}

    def index(self) -> str:
        return self.index_page

    def env(self, env_id: str) -> str:
        return self.env_page.format(name=env_name(env_id))

    def submission(self, submission_id: int) -> str:
        return self.submission_page.format(id=submission_id)


SERVER_LINKS = Links("/", "/envs/{name}", "/submissions/{id}")
STATIC_LINKS = Links("index.html", "{name}.html", "submission-{id}.html")  # every page in one folder


def signed(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{x:+.2f}".replace("-", "−")


def count_or_dash(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def http_url(url: str | None) -> bool:
    """Only http(s) links are made clickable (no ``javascript:`` or ``data:`` URLs)."""
    return bool(url) and re.match(r"^https?://[^\s\"'<>]+$", url, re.IGNORECASE) is not None


@lru_cache(maxsize=1)
def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(signed=signed, count_or_dash=count_or_dash, http_url=http_url)
    env.globals.update(zip=zip)
    return env


def _render(template: str, links, **context: Any) -> str:
    return _jinja().get_template(template).render(links=links, env_ids=leaderboard_envs(), **context)


TRACKS = ("online", "offline")  # shown in this order, each ranked on its own
TRACK_TITLES = {"online": "Online evaluation (verified: played on the server)",
                "offline": "Self-reported, replay-checked"}


def ranked(store: Store, env_id: str, track: str = "online") -> list[dict[str, Any]]:
    """The ranked entries of one env and track, each with ``token_entries``: how many entries of this
    track and env its submitter's token has (a best-of-many is visible as such)."""
    entries = store.entries(env_id, track)
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["submitter"]] = counts.get(e["submitter"], 0) + 1
    return [{**e, "token_entries": counts[e["submitter"]]} for e in rank(entries)] if entries else []


def index_page(store: Store, links) -> str:
    envs = []
    for env_id in leaderboard_envs():
        tracks = {t: ranked(store, env_id, t) for t in TRACKS}
        envs.append({"env_id": env_id, "counts": {t: len(v) for t, v in tracks.items()},
                     "leaders": {t: v[0] if v else None for t, v in tracks.items()}})
    return _render("index.html", links, envs=envs, tracks=TRACKS)


def env_page(store: Store, env_id: str, links) -> str:
    return _render("env.html", links, env_id=env_id, tracks=[(t, TRACK_TITLES[t], ranked(store, env_id, t))
                                                              for t in TRACKS])


def submission_page(store: Store, submission_id: int, links) -> str | None:
    entry, submission = store.entry(submission_id), store.submission(submission_id)
    if entry is None or submission is None:
        return None
    return _render("submission.html", links, e=entry, episodes=submission["episodes"],
                   track_title=TRACK_TITLES[entry["track"]])


# Markdown ---------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>-])")


def md_text(text: Any) -> str:
    """User text for a Markdown table cell: HTML-escaped (GitHub renders inline HTML), Markdown
    punctuation backslash-escaped, and line breaks folded into spaces."""
    flat = " ".join(str(text).split())
    return _MD_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def markdown(store: Store, env_ids: list[str] | None = None) -> str:
    """A ranked Markdown table per env (for a README)."""
    out = []
    for env_id in env_ids or leaderboard_envs():
        out.append(f"### {env_id}\n")
        for track in TRACKS:
            entries = ranked(store, env_id, track)
            out.append(f"#### {TRACK_TITLES[track]}\n")
            if not entries:
                out.append("No submissions yet.\n")
                continue
            out.append("| Rank | Agent | Status | Mean return (95% CI) | Success | Mean turns | Training trajectories "
                       "| Algorithm | Base model | Parameters | Oracle |")
            out.append("|---:|---|---|---:|---:|---:|---:|---|---|---:|---|")
            for e in entries:
                ci = "" if e["return_ci95"] is None else f" ± {e['return_ci95']:.2f}"
                out.append(f"| {e['rank']} | {md_text(e['agent_name'])} | {e['status']} "
                           f"| {signed(e['mean_return'])}{ci} | {e['success_rate']:.3f} | {e['mean_turns']:.2f} "
                           f"| {count_or_dash(e['training_trajectories'])} | {md_text(e['algorithm'])} "
                           f"| {md_text(e['base_model'])} | {count_or_dash(e['parameters'])} "
                           f"| {md_text(e['oracle']) if e['oracle'] else 'default'} |")
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def export_site(store: Store, out_dir: str | Path) -> list[Path]:
    """The whole leaderboard as static HTML in ``out_dir``: index.html, a page per env and one per
    submission (its transcripts). Returns the files written."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file; the HTML export writes a folder of pages")
    out.mkdir(parents=True, exist_ok=True)
    links = STATIC_LINKS
    pages = {out / links.index(): index_page(store, links)}
    for env_id in leaderboard_envs():
        pages[out / links.env(env_id)] = env_page(store, env_id, links)
    for entry in store.entries():
        pages[out / links.submission(entry["id"])] = submission_page(store, entry["id"], links)
    for path, text in pages.items():
        path.write_text(text, encoding="utf-8")
    return list(pages)
