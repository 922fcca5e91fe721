"""The self-reported track's loopholes (issue 19) over real HTTP: each is refused with its 4xx in the
one error shape and leaves the database as it was; a non-default oracle is shown beside its entry;
and the page shows the two tracks apart, laid out to fit 1280x900 (headless Chromium)."""

from __future__ import annotations

import copy
import json
import re
import urllib.request

import pytest
from test_leaderboard_server import raw, serving

from archer_envs.benchmark import evaluate
from archer_gym.agents.agent_registry import make_agent
from archer_gym.leaderboard.client import play, request, submit
from archer_gym.leaderboard.store import Store
from archer_gym.leaderboard.submission import make_submission

ENV = "archer/TwentyQuestions-v0"
META = {"agent_name": "agent", "algorithm": "scripted", "base_model": "none", "parameters": None,
        "training_trajectories": None, "code_url": "https://example.org/code", "contact": "me@example.org"}


@pytest.fixture(scope="module")
def subs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evals")
    out = {}
    for name, policy, kwargs in [("expert", "expert", {}), ("noisy", "noisy", {}),
                                 ("searched seed", "expert", {"episodes": 40, "seed": 7}),
                                 ("threshold 0", "expert",
                                  {"oracle": "knowledge", "oracle_kwargs": {"threshold": 0.0}})]:
        evaluate(make_agent(policy, ENV), ENV, out_dir=folder / name, **kwargs)
        out[name] = make_submission(folder / name, {**META, "agent_name": name})
    return out


def snapshot(store: Store):
    return store.entries(), store.tokens()


def nested(depth: int):
    value: dict = {}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("lb") / "lb.sqlite"
    store = Store(db)
    token = store.create_token("mallory")
    with serving(db, "--request-rate", "100000", "--submit-rate", "10000") as srv:
        srv.store, srv.token = store, token
        yield srv


def test_each_loophole_is_refused_with_its_4xx_and_changes_nothing(server, subs):
    store, token, srv = server.store, server.token, server
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    off_by_a_little = copy.deepcopy(subs["noisy"])
    off_by_a_little["episodes"][0]["return"] += 1e-7  # within the old 1e-6, ranked on the claim
    trailing_space = copy.deepcopy(subs["expert"])
    trailing_space["episodes"][0]["actions"][0] += " "
    deep = copy.deepcopy(subs["noisy"])
    deep["summary"]["env_kwargs"] = {"oracle": "openai", "oracle_kwargs": nested(300)}  # the unverified path
    big = copy.deepcopy(subs["noisy"])
    big["summary"]["env_kwargs"] = {"oracle": "openai", "oracle_kwargs": {"prompt": "x" * 10_000}}
    first = submit(srv.url, token, subs["expert"])
    post = [
        ("searched seed", subs["searched seed"], 422, "episodes_requested 40 with seed 7"),
        ("return off by 1e-7", off_by_a_little, 422, r"episode 0 .*return .* is not the sum of its rewards"),
        ("trailing space", trailing_space, 409, f"already submitted \\(submission {first['id']}\\)"),
        ("nested 300 deep", deep, 422, "nests deeper than 8 levels"),
        ("10 kB env_kwargs", big, 422, "env_kwargs is 10,0.. bytes of JSON; at most 4,096"),
    ]
    runs = [
        ("/api/runs", {"env_id": ENV, "metadata": {**META, "agent_name": nested(300)}}, 422, "nests deeper"),
        ("/api/runs", {"env_id": ENV, "metadata": {**META, "agent_name": "x" * 201}}, 422, "metadata: at agent_name"),
        ("/api/runs", {"env_id": "archer/Nope-v0", "metadata": META}, 422, "env_id 'archer/Nope-v0': expected"),
        ("/api/runs/99999999999999999999999/step", {"steps": []}, 404, "ids are integers from 1 to"),
        ("/api/runs/0/start", {"episodes": [0]}, 404, "ids are integers from 1 to"),
    ]
    gets = [
        ("GET", "/api/submissions/99999999999999999999999", 404, "ids are integers from 1 to 9223372036854775807"),
        ("GET", "/api/submissions/-1", 404, "ids are integers"),
        ("GET", "/submissions/99999999999999999999999", 404, "ids are integers"),
        ("DELETE", "/api/submissions/99999999999999999999999", 401, "a token is needed"),
        ("GET", f"/api/submissions/{first['id']}?episodes=maybe", 422, "query.episodes: .*bool"),
        ("GET", "/api/submissions?track=both", 422, "track 'both': expected one of online, offline"),
    ]
    cases = [(what, "POST", "/api/submissions", json.dumps(body).encode(), status, message)
             for what, body, status, message in post]
    cases += [(path, "POST", path, json.dumps(body).encode(), status, message) for path, body, status, message in runs]
    cases += [(f"{method} {path}", method, path, None, status, message) for method, path, status, message in gets]
    for what, method, path, body, status, message in cases:
        before = snapshot(store)
        got, answer = raw(srv.url, method, path, body, auth if method == "POST" else {})
        assert got == status, (what, answer)
        assert isinstance(answer["detail"], str), (what, answer)  # one error shape, validation errors too
        assert re.search(message, answer["detail"]), (what, answer["detail"])
        assert snapshot(store) == before, what
    assert [e["id"] for e in store.entries()] == [first["id"]] and not store.open_runs("mallory", ENV)


def test_a_non_default_oracle_is_shown_beside_its_entry_and_ranked_after_the_default(server, subs):
    srv, token = server, server.token
    default = submit(srv.url, token, subs["noisy"])
    loose = submit(srv.url, token, subs["threshold 0"])
    entries = request("GET", f"{srv.url}/api/submissions?env_id={ENV}&track=offline")["entries"]
    by_id = {e["id"]: e for e in entries}
    assert (by_id[default["id"]]["oracle"] == ""
            and by_id[loose["id"]]["oracle"] == '{"oracle_kwargs":{"threshold":0.0}}')
    assert loose["mean_return"] > default["mean_return"]  # better numbers, made on another oracle setting:
    assert by_id[loose["id"]]["rank"] > by_id[default["id"]]["rank"]  # ranked after the default's
    html = urllib.request.urlopen(srv.url + "/envs/TwentyQuestions-v0").read().decode()
    assert "{&#34;oracle_kwargs&#34;:{&#34;threshold&#34;:0.0}}" in html


def test_the_page_shows_the_two_tracks_apart_and_fits_1280x900(tmp_path, subs, browser):
    db = tmp_path / "lb.sqlite"
    token = Store(db).create_token("dave")
    long = copy.deepcopy(subs["noisy"])
    long["metadata"].update(agent_name="a rather long agent name for the table", algorithm="ArCHer (hierarchical)",
                            base_model="gpt2-medium with a value head", parameters=354_823_168,
                            training_trajectories=1_000_000)
    with serving(db, "--request-rate", "100000") as srv:
        offline = submit(srv.url, token, long)
        online = play(make_agent("expert", ENV), ENV, srv.url, token, {**META, "agent_name": "online expert"})
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(srv.url + "/envs/TwentyQuestions-v0")
        on, off = page.locator("#ranking-online tbody tr"), page.locator("#ranking-offline tbody tr")
        assert on.count() == 1 and off.count() == 1
        assert (on.first.get_attribute("data-id") == str(online["id"])
                and off.first.get_attribute("data-id") == str(offline["id"]))
        titles = page.locator("h2.track").all_inner_texts()
        assert titles[0].startswith("Online evaluation") and titles[1] == "Self-reported, replay-checked"
        assert "replay-checked" in off.first.inner_text() and "verified" in on.first.inner_text()
        # nothing overflows sideways; the CI and the nav links stay on one line
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        for table in ("#ranking-online", "#ranking-offline"):
            assert page.evaluate(f"document.querySelector('{table}').getBoundingClientRect().right "
                                 "<= window.innerWidth")
        lines = "(el) => { const r = document.createRange(); r.selectNodeContents(el); " \
                "return new Set(Array.from(r.getClientRects()).map(x => Math.round(x.top))).size; }"
        assert page.locator("#ranking-offline td.ci").evaluate(lines) == 1
        assert all(a.evaluate(lines) == 1 for a in page.locator("nav a").all())
        assert "WebShop-v0" in page.locator("nav").inner_text()
        # the agent's name leads to its submission, the code URL has its own link
        off.first.locator("td.agent a").click()
        page.wait_for_url(f"**/submissions/{offline['id']}")
        assert "Self-reported, replay-checked" in page.locator("dl.meta").inner_text()
        page.close()


def test_an_older_database_file_gains_the_track_and_oracle_columns(tmp_path):
    import sqlite3

    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as conn:  # the submissions table as the first release made it, one row in it
        conn.execute("CREATE TABLE submissions (id INTEGER PRIMARY KEY AUTOINCREMENT, env_id TEXT NOT NULL, "
                     "split TEXT NOT NULL, status TEXT NOT NULL, agent_name TEXT NOT NULL, algorithm TEXT NOT NULL, "
                     "base_model TEXT NOT NULL, parameters INTEGER, training_trajectories INTEGER, "
                     "code_url TEXT NOT NULL, contact TEXT NOT NULL, episodes INTEGER NOT NULL, "
                     "mean_return REAL NOT NULL, return_ci95 REAL, "
                     "success_rate REAL NOT NULL, mean_turns REAL NOT NULL, verify_seconds REAL NOT NULL, "
                     "submitted TEXT NOT NULL, submitter TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE, "
                     "payload BLOB NOT NULL)")
        conn.execute("INSERT INTO submissions VALUES (1, ?, 'test', 'verified', 'old', 'a', 'b', NULL, NULL, '', '', "
                     "31, -7.0, 0.2, 1.0, 8.0, 0.1, '2026-01-01', 'x', 'f', x'00')", (ENV,))
    entries = Store(db).entries(ENV)
    assert [(e["agent_name"], e["track"], e["oracle"]) for e in entries] == [("old", "offline", "")]
