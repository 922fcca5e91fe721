"""The leaderboard service over real HTTP: the server runs as `archer leaderboard serve` on 127.0.0.1
(a subprocess, its own SQLite file), requests go through the socket, and the page is read in headless
Chromium. Nothing is mocked."""

from __future__ import annotations

import copy
import http.client
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from archer_envs.benchmark import evaluate, summarize
from archer_gym.agents.agent_registry import make_agent
from archer_gym.leaderboard.client import LeaderboardError, delete, request, submit
from archer_gym.leaderboard.local import serving
from archer_gym.leaderboard.server import RateLimiter
from archer_gym.leaderboard.store import Store
from archer_gym.leaderboard.submission import fingerprint, make_submission

ENV = "archer/TwentyQuestions-v0"
PAGE = "/envs/TwentyQuestions-v0"
META = {"agent_name": "agent", "algorithm": "scripted", "base_model": "none", "parameters": None,
        "training_trajectories": None, "code_url": "https://example.org/code", "contact": "me@example.org"}
CONCURRENT = 50


def raw(url: str, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    """A request exactly as given (no client-side JSON encoding); (status, decoded JSON answer)."""
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None
    finally:
        conn.close()


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Honest submissions: the expert's, and noisy players' with distinct seeds (distinct episodes)."""
    folder = tmp_path_factory.mktemp("evals")
    subs = {}
    for name, agent in [("expert", make_agent("expert", ENV))] + [
            (f"noisy-{seed}", make_agent("noisy", ENV, seed=seed)) for seed in range(CONCURRENT + 6)]:
        result = evaluate(agent, ENV, out_dir=folder / name)  # the whole test split: the leaderboard's list
        subs[name] = make_submission(result.out_dir, {**META, "agent_name": name})
    assert len({fingerprint(s) for s in subs.values()}) == len(subs)
    return subs


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("lb") / "leaderboard.sqlite"
    store = Store(db)
    tokens = {"alice": store.create_token("alice"), "admin": store.create_token("root", admin=True)}
    with serving(db, "--max-mb", "1", "--submit-rate", "10000", "--request-rate", "100000") as srv:
        srv.store, srv.tokens = store, tokens
        yield srv


def snapshot(store: Store):
    return store.entries(), store.tokens()


def test_submit_list_get_and_delete(server, results):
    answer = submit(server.url, server.tokens["alice"], results["noisy-0"])
    assert answer["status"] == "verified" and answer["env_id"] == ENV
    assert answer["mean_return"] == pytest.approx(results["noisy-0"]["summary"]["mean_return"])
    sid = answer["id"]
    listed = request("GET", f"{server.url}/api/submissions?env_id={ENV}")["entries"]
    mine = next(e for e in listed if e["id"] == sid)
    assert mine["agent_name"] == "noisy-0" and mine["submitter"] == "alice" and "contact" not in mine
    one = request("GET", f"{server.url}/api/submissions/{sid}?episodes=true")
    assert one["episodes"] == results["noisy-0"]["episodes"] and one["summary"] == results["noisy-0"]["summary"]
    assert request("GET", f"{server.url}/api/submissions/{sid}", server.tokens["admin"])["contact"] == "me@example.org"
    with pytest.raises(LeaderboardError, match="403.*not an admin token"):
        delete(server.url, server.tokens["alice"], sid)
    assert delete(server.url, server.tokens["admin"], sid) == {"deleted": sid}
    with pytest.raises(LeaderboardError, match="404: no submission"):
        request("GET", f"{server.url}/api/submissions/{sid}")
    with pytest.raises(LeaderboardError, match="404: no submission"):
        delete(server.url, server.tokens["admin"], sid)


def _tampered(results, how):
    sub = copy.deepcopy(results["noisy-2"])  # not on this server yet (else: a duplicate, refused before replay)
    if how == "reward":
        sub["episodes"][4]["rewards"][1] = 0.0
    elif how == "action":  # a won episode's winning guess replaced by a wrong one
        record = next(r for r in sub["episodes"] if r["success"])
        record["actions"][-1] = "Is it a xylophone?"
    for record in sub["episodes"]:
        record["return"] = sum(record["rewards"])
    sub["summary"].update(summarize(sub["episodes"]))  # totals made consistent: only the replay can tell
    return json.dumps(sub).encode()


def test_each_rejection_names_the_problem_and_leaves_the_database_unchanged(server, results):
    alice = {"Authorization": f"Bearer {server.tokens['alice']}", "Content-Type": "application/json"}
    good = results["noisy-1"]
    first = submit(server.url, server.tokens["alice"], good)  # so that a resubmission is a duplicate
    wrong_version = {**good, "format_version": 2}
    missing = copy.deepcopy(good)
    del missing["episodes"][-3:]
    revoked = server.store.create_token("mallory")
    server.store.revoke_token("mallory")
    cases = [
        ("malformed JSON", alice, b'{"format": "archer-gym/submission", ', 400, "malformed JSON: .*line 1"),
        ("NaN", alice, b'{"x": NaN}', 400, "NaN is not valid JSON"),
        ("wrong schema version", alice, json.dumps(wrong_version).encode(), 422, "version 2: expected"),
        ("missing episodes", alice, json.dumps(missing).encode(), 422, "expected 31 episodes .* 28 records"),
        ("tampered reward", alice, _tampered(results, "reward"), 422, r"episode 4 \(.*\), turn 1: the reward is"),
        ("tampered action", alice, _tampered(results, "action"), 422,
         r"episode \d+ \(.*\), turn \d+: action 'Is it a xylophone\?' gets"),
        ("duplicate", alice, json.dumps(good).encode(), 409, f"already submitted \\(submission {first['id']}\\)"),
        ("oversize", alice, b"[" + b"0," * 600_000 + b"0]", 413, "larger than this server's limit of 1,048,576"),
        ("no token", {"Content-Type": "application/json"}, json.dumps(good).encode(), 401, "a token is needed"),
        ("wrong token", {"Authorization": "Bearer alb_not-a-token"}, json.dumps(good).encode(), 401, "unknown"),
        ("revoked token", {"Authorization": f"Bearer {revoked}"}, json.dumps(good).encode(), 401, "revoked"),
    ]
    for what, headers, body, status, message in cases:
        before = snapshot(server.store)
        got, answer = raw(server.url, "POST", "/api/submissions", body, headers)
        assert got == status, (what, answer)
        assert re.search(message, answer["detail"]), (what, answer["detail"])
        assert snapshot(server.store) == before, what
    got, answer = raw(server.url, "DELETE", f"/api/submissions/{first['id']}")
    assert got == 401 and server.store.entry(first["id"]) is not None


def test_fifty_concurrent_submissions_all_land_once(server, results):
    names = [f"noisy-{seed}" for seed in range(6, 6 + CONCURRENT)]
    before = server.store.count()
    start = threading.Barrier(CONCURRENT + 5)

    def send(name):
        start.wait()
        try:
            return submit(server.url, server.tokens["alice"], results[name])
        except LeaderboardError as err:
            return err.status

    # 50 distinct submissions plus the same one 5 more times, all at once
    with ThreadPoolExecutor(CONCURRENT + 5) as pool:
        answers = list(pool.map(send, names + ["expert"] * 5))
    distinct, same = answers[:CONCURRENT], answers[CONCURRENT:]
    assert all(isinstance(a, dict) and a["status"] == "verified" for a in distinct)
    assert len({a["id"] for a in distinct}) == CONCURRENT
    assert (sum(isinstance(a, dict) for a in same) == 1
            and sorted(a for a in same if not isinstance(a, dict)) == [409] * 4)
    assert server.store.count() == before + CONCURRENT + 1
    stored = {e["agent_name"] for e in server.store.entries(ENV)}
    assert set(names) | {"expert"} <= stored


def test_unverified_results_rank_below_verified_ones(server, results):
    sub = copy.deepcopy(results["expert"])  # the best return here, but made with another oracle
    sub["metadata"]["agent_name"] = "gpt-answered expert"
    sub["summary"]["env_kwargs"] = {"oracle": "openai", "oracle_kwargs": {"model": "gpt-4o-mini"}}
    answer = submit(server.url, server.tokens["alice"], sub)
    entries = request("GET", f"{server.url}/api/submissions?env_id={ENV}")["entries"]
    assert answer["status"] == "unverified" and answer["rank"] == answer["of"] == len(entries)
    verified = [e for e in entries if e["status"] == "verified"]
    assert all(e["mean_return"] <= sub["summary"]["mean_return"] for e in verified)


def test_rate_limits_and_restart(tmp_path, results):
    db = tmp_path / "lb.sqlite"
    token = Store(db).create_token("bob")
    sub = copy.deepcopy(results["noisy-2"])  # another backend's result: stored without a replay, so the
    sub["summary"]["env_kwargs"] = {"oracle": "openai"}  # requests below come well within a refill (12 s)
    with serving(db, "--submit-rate", "1", "--request-rate", "5") as srv:
        first = submit(srv.url, token, sub)  # request 2 (1: the start-up probe)
        with pytest.raises(LeaderboardError, match="429: token 'bob' may submit 1 times a minute"):
            submit(srv.url, token, results["noisy-3"])  # request 3
        request("GET", srv.url + "/healthz")  # request 4
        request("GET", srv.url + "/api/envs")  # request 5
        status, answer = raw(srv.url, "GET", "/healthz")
        assert status == 429 and "at most 5 a minute" in answer["detail"]
    assert Store(db).count() == 1
    with serving(db) as srv:  # the same file after a restart
        entries = request("GET", f"{srv.url}/api/submissions?env_id={ENV}")["entries"]
        assert [e["id"] for e in entries] == [first["id"]] and entries[0]["agent_name"] == "noisy-2"


def test_the_page_shows_a_new_result_in_its_rank(tmp_path, results, browser):
    db = tmp_path / "lb.sqlite"
    token = Store(db).create_token("carol")
    with serving(db) as srv:
        for name in ("noisy-4", "noisy-5"):
            submit(srv.url, token, results[name])
        answer = submit(srv.url, token, results["expert"])  # the best return of the three
        page = browser.new_page()
        page.goto(srv.url + PAGE)
        rows = page.locator("#ranking-offline tbody tr")
        assert rows.count() == 3
        ranks = [int(rows.nth(i).get_attribute("data-rank")) for i in range(3)]
        agents = [rows.nth(i).locator("td.agent a").inner_text() for i in range(3)]
        assert ranks == [1, 2, 3] and agents[0] == "expert" == results["expert"]["metadata"]["agent_name"]
        returns = {n: results[n]["summary"]["mean_return"] for n in agents}
        assert returns[agents[1]] >= returns[agents[2]]
        assert answer["rank"] == 1
        rows.first.locator("td.agent a").click()  # the agent's name leads to its transcripts
        page.wait_for_url(f"**/submissions/{answer['id']}")
        first = results["expert"]["episodes"][0]
        episode = page.locator("#episode-0")
        assert first["actions"][0] in episode.inner_text() and first["answers"][0] in episode.inner_text()
        page.close()


def test_html_in_an_agent_name_is_shown_as_text(tmp_path, results, browser):
    db = tmp_path / "lb.sqlite"
    token = Store(db).create_token("eve")
    evil = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'
    sub = copy.deepcopy(results["noisy-0"])
    sub["metadata"].update(agent_name=evil, algorithm="<i>x</i>", code_url="javascript:window.pwned=3")
    with serving(db) as srv:
        answer = submit(srv.url, token, sub)
        page = browser.new_page()
        for path in (PAGE, f"/submissions/{answer['id']}", "/"):
            page.goto(srv.url + path)
            assert evil in page.locator("body").inner_text()
            assert page.evaluate("window.pwned") is None
            assert page.locator("img, b, script").count() == 0
        page.goto(srv.url + PAGE)
        assert page.locator("td.code a").count() == 0  # a javascript: code URL is not made a link
        page.close()


def test_cli_tokens_submit_and_export(tmp_path, results):
    from click.testing import CliRunner

    from archer_gym.cli import main as cli

    runner = CliRunner()
    db = str(tmp_path / "lb.sqlite")
    created = runner.invoke(cli, ["leaderboard", "token", "create", "--db", db, "--name", "dave"])
    token = created.output.strip()
    assert created.exit_code == 0 and token.startswith("alb_")
    assert token not in (tmp_path / "lb.sqlite").read_bytes().decode("latin-1")  # only its hash is stored
    again = runner.invoke(cli, ["leaderboard", "token", "create", "--db", db, "--name", "dave"])
    assert again.exit_code == 2 and "already exists" in again.output
    sub = copy.deepcopy(results["noisy-0"])
    sub["metadata"]["agent_name"] = "a|b *c*"
    path = tmp_path / "sub.json"
    path.write_text(json.dumps(sub))
    with serving(Path(db)) as srv:
        ok = runner.invoke(cli, ["leaderboard", "submit", str(path), "--url", srv.url],
                           env={"ARCHER_LEADERBOARD_TOKEN": token})
        assert ok.exit_code == 0 and ok.output.startswith(
            "submission 1 verified: archer/TwentyQuestions-v0 rank 1 of 1")
        dup = runner.invoke(cli, ["leaderboard", "submit", str(path), "--url", srv.url, "--token", token])
        assert dup.exit_code == 1 and "HTTP 409" in dup.output
        assert runner.invoke(cli, ["leaderboard", "token", "revoke", "--db", db, "--name", "dave"]).exit_code == 0
        gone = runner.invoke(cli, ["leaderboard", "submit", str(path), "--url", srv.url, "--token", token])
        assert gone.exit_code == 1 and "HTTP 401: unknown or revoked token" in gone.output
    listed = runner.invoke(cli, ["leaderboard", "token", "list", "--db", db])
    assert listed.output.startswith("dave\tsubmit\tcreated") and "revoked" in listed.output
    md = runner.invoke(cli, ["leaderboard", "export", "--db", db, "--format", "md", "--env", ENV])
    mean = sub["summary"]["mean_return"]
    assert md.exit_code == 0 and f"| 1 | a\\|b \\*c\\* | verified | {mean:+.2f}".replace("-", "−") in md.output
    assert (md.output.index("Online evaluation") < md.output.index("Self-reported, replay-checked")
            < md.output.index("| 1 |"))
    site = runner.invoke(cli, ["leaderboard", "export", "--db", db, "--format", "html",
                               "--out", str(tmp_path / "site")])
    assert site.exit_code == 0 and "a|b *c*" in (tmp_path / "site" / "TwentyQuestions-v0.html").read_text()
    assert 'href="submission-1.html"' in (tmp_path / "site" / "TwentyQuestions-v0.html").read_text()
    assert (tmp_path / "site" / "submission-1.html").is_file()


def test_rate_limiter_refills_at_its_rate():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert all(limiter.wait("k") == 0 for _ in range(60))  # a burst of a minute's worth
    assert limiter.wait("k") == pytest.approx(1.0)  # then one a second
    assert limiter.wait("other") == 0  # keys are independent
    now[0] += 1.0
    assert limiter.wait("k") == 0 and limiter.wait("k") > 0
