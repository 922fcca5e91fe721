"""Online evaluation over real HTTP: `archer leaderboard serve` in a subprocess on 127.0.0.1 draws the
secrets and runs the env; clients play through the socket (some through a proxy that drops
connections). The submission path's loopholes and the page are in test_leaderboard_limits.py."""

from __future__ import annotations

import json
import re
import socket
import threading

import pytest
from test_leaderboard_server import raw, serving

from archer_envs.benchmark import episode_secrets, evaluate, summarize
from archer_envs.play import play_episodes
from archer_gym.agents.agent_registry import make_agent
from archer_gym.leaderboard.client import finish, open_run, play, request, submit
from archer_gym.leaderboard.online import online_pool
from archer_gym.leaderboard.store import Store
from archer_gym.leaderboard.submission import make_submission, replay

ENV = "archer/TwentyQuestions-v0"
META = {"agent_name": "agent", "algorithm": "scripted", "base_model": "none", "parameters": None,
        "training_trajectories": None, "code_url": "https://example.org/code", "contact": "me@example.org"}
WORST = -20.0  # Twenty Questions: -1 per question, 20 questions


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = tmp_path_factory.mktemp("online") / "lb.sqlite"
    store = Store(db)
    tokens = {"alice": store.create_token("alice"), "bob": store.create_token("bob")}
    with serving(db, "--request-rate", "100000", "--submit-rate", "10000") as srv:
        srv.store, srv.tokens = store, tokens
        yield srv


def stored(srv, submission_id):
    return request("GET", f"{srv.url}/api/submissions/{submission_id}?episodes=true")


def expert_records(secrets):
    """What the expert plays on these secrets, played here (its policy is deterministic)."""
    return play_episodes(make_agent("expert", ENV), ENV, list(secrets), batch_size=32)


class KnowsTheTestSplit:
    """Offline it reads the secret off the episode list; online the best the shipped test split allows
    is to guess its secrets one after another."""

    name = "test-split reader"

    def __init__(self):
        self.secrets = episode_secrets(ENV, "test")

    def act(self, observations):
        return [f"Is it {self.secrets[o.count(chr(10)) - 1]}?" for o in observations]  # a guess per turn


def test_expert_and_random_runs_land_verified_with_the_right_score(server):
    from click.testing import CliRunner

    from archer_gym.cli import main as cli

    result = CliRunner().invoke(cli, ["leaderboard", "play", "--agent", "expert", "--env", ENV, "--url", server.url,
                                      "--token", server.tokens["alice"], "--name", "online expert", "--no-progress"])
    assert result.exit_code == 0, result.output
    sid = int(re.search(r"submission (\d+) verified \(online track\)", result.output).group(1))
    entry = stored(server, sid)
    episodes = entry["episodes"]
    assert entry["track"] == "online" and entry["status"] == "verified" and entry["agent_name"] == "online expert"
    assert (len(episodes) == len(episode_secrets(ENV, "test"))
            and {e["secret"] for e in episodes} <= set(online_pool(ENV)))
    # the score is the env's: the expert's own play on those secrets, turn for turn
    local = expert_records([e["secret"] for e in episodes])
    assert [e["actions"] for e in episodes] == [r.actions for r in local]
    assert (entry["mean_return"] == pytest.approx(sum(r.ret for r in local) / len(local))
            and entry["success_rate"] == 1.0)
    replay({"summary": {"env_id": ENV}, "episodes": episodes})  # every answer the default oracle's
    rnd = play(make_agent("random", ENV), ENV, server.url, server.tokens["alice"], {**META, "agent_name": "random"})
    rnd_entry = stored(server, rnd["id"])
    assert rnd["status"] == "verified" and rnd["mean_return"] == pytest.approx(
        summarize(rnd_entry["episodes"])["mean_return"])
    assert rnd["mean_return"] < entry["mean_return"] and rnd["success_rate"] < 0.5
    online = request("GET", f"{server.url}/api/submissions?env_id={ENV}&track=online")["entries"]
    assert [e["agent_name"] for e in online][:1] == ["online expert"]


def test_secrets_are_told_only_when_their_episode_ends(server):
    token = server.tokens["bob"]
    run = open_run(server.url, token, ENV, META)["run"]
    status, started = raw(server.url, "POST", f"/api/runs/{run}/start", json.dumps({"episodes": [0, 1]}).encode(),
                          {"Authorization": f"Bearer {token}"})
    assert status == 200 and all("secret" not in e for e in started["episodes"])
    status, stepped = raw(server.url, "POST", f"/api/runs/{run}/step",
                          json.dumps({"steps": [{"episode": 0, "turn": 0, "action": "Is it alive?"}]}).encode(),
                          {"Authorization": f"Bearer {token}"})
    assert status == 200 and "secret" not in stepped["results"][0] and not stepped["results"][0]["done"]
    state = request("GET", f"{server.url}/api/runs/{run}", token)
    assert "secret" not in json.dumps(state)
    status, other = raw(server.url, "GET", f"/api/runs/{run}", None,
                        {"Authorization": f"Bearer {server.tokens['alice']}"})
    assert status == 404  # another token's run is not shown, nor told apart from none
    ended = finish(server.url, token, run)
    episodes = stored(server, ended["id"])["episodes"]
    assert episodes[0]["actions"][0] == "Is it alive?" and all(e["forfeited"] for e in episodes)


def test_knowing_the_shipped_test_secrets_gains_nothing_online(server, tmp_path):
    cheat = KnowsTheTestSplit()
    secrets = episode_secrets(ENV, "test")
    # offline the cheat is perfect: it asks each episode's secret at once; replay cannot tell
    records = [{"format_version": 1, "index": i, "secret": s, "actions": [f"Is it {s}?"], "answers": ["Yes."],
                "rewards": [0.0], "return": 0.0, "success": True, "turns": 1} for i, s in enumerate(secrets)]
    expert = evaluate(make_agent("expert", ENV), ENV, out_dir=tmp_path / "expert")
    sub = make_submission(tmp_path / "expert", {**META, "agent_name": "secret reader"})
    replay({"summary": {"env_id": ENV}, "episodes": records})  # answers and rewards are the oracle's
    sub["episodes"] = records
    sub["summary"].update(summarize(records))
    answer = submit(server.url, server.tokens["bob"], sub)
    assert answer["track"] == "offline" and answer["mean_return"] == 0.0  # self-reported, on its own track
    # online it cannot know which secret an episode has
    online = play(cheat, ENV, server.url, server.tokens["bob"], {**META, "agent_name": "secret reader"})
    honest = play(make_agent("expert", ENV), ENV, server.url, server.tokens["bob"], {**META, "agent_name": "expert"})
    assert online["mean_return"] < honest["mean_return"] and online["success_rate"] < 0.5 < honest["success_rate"]
    assert expert.summary["success_rate"] == 1.0
    ranked_online = request("GET", f"{server.url}/api/submissions?env_id={ENV}&track=online")["entries"]
    assert answer["id"] not in [e["id"] for e in ranked_online]
    bobs = [e for e in ranked_online if e["submitter"] == "bob"]  # every run the token played is listed
    assert all(e["token_entries"] == len(bobs) >= 2 for e in bobs)
    reader = next(e for e in ranked_online if e["id"] == online["id"])
    assert reader["rank"] > next(e for e in ranked_online if e["id"] == honest["id"])["rank"]


def test_abandoning_episodes_gains_nothing(server):
    token = server.tokens["bob"]
    expert = make_agent("expert", ENV)
    run = open_run(server.url, token, ENV, {**META, "agent_name": "quitter"})["run"]
    n = len(episode_secrets(ENV, "test"))
    url = server.url
    first = request("POST", f"{url}/api/runs/{run}/start", token, json.dumps({"episodes": list(range(n))}).encode())
    obs = {e["episode"]: e["observation"] for e in first["episodes"]}
    answers = request("POST", f"{url}/api/runs/{run}/step", token, json.dumps({"steps": [
        {"episode": i, "turn": 0, "action": a} for i, a in zip(obs, expert.act(list(obs.values())))]}).encode())
    easy = [r for r in answers["results"] if r["answer"] == "Yes."]
    kept = {r["episode"]: r["observation"] for r in easy}
    turn = 1
    while kept:  # play only the easy ones to their end
        order = list(kept)
        out = request("POST", f"{url}/api/runs/{run}/step", token, json.dumps({"steps": [
            {"episode": i, "turn": turn, "action": a}
            for i, a in zip(order, expert.act([kept[i] for i in order]))]}).encode())
        kept = {r["episode"]: r["observation"] for r in out["results"] if not r["done"]}
        turn += 1
    # starting again does not redraw: the same episode at the same turn
    again = request("POST", f"{url}/api/runs/{run}/start", token, json.dumps({"episodes": [0]}).encode())["episodes"][0]
    assert again["turn"] >= 1
    # opening a new run finishes this one: the abandoned episodes are played out as forfeits
    new_run = open_run(url, token, ENV, {**META, "agent_name": "quitter"})["run"]
    state = request("GET", f"{url}/api/runs/{run}", token)
    assert state["finished"] and state["submission"]
    entry = stored(server, state["submission"])
    abandoned = [e for e in entry["episodes"] if e["forfeited"]]
    assert len(abandoned) == n - len(easy) > 0
    assert all(e["return"] == WORST and not e["success"] for e in abandoned)  # no better than the worst play
    local = expert_records([e["secret"] for e in entry["episodes"]])
    assert entry["mean_return"] <= sum(r.ret for r in local) / n  # the honest score on the same episodes
    status, refused = raw(url, "POST", f"/api/runs/{run}/step", json.dumps({"steps": [
        {"episode": abandoned[0]["index"], "turn": abandoned[0]["turns"], "action": "Is it alive?"}]}).encode(),
        {"Authorization": f"Bearer {token}"})  # an abandoned episode cannot be taken up again
    assert status == 409 and "the episode has ended" in refused["detail"]
    finish(url, token, new_run)


class DroppingProxy:
    """A TCP proxy to the server that forwards each request but throws away every ``k``-th answer (the
    server has acted on it; the client sees the connection die)."""

    def __init__(self, target: str, k: int) -> None:
        host, port = target.removeprefix("http://").split(":")
        self.target, self.k, self.count, self.dropped = (host, int(port)), k, 0, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.relay, args=(client,), daemon=True).start()

    def relay(self, client):
        with client, socket.create_connection(self.target) as upstream:
            data = b""
            while b"\r\n\r\n" not in data:
                data += client.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(re.search(rb"content-length: *(\d+)", head, re.IGNORECASE).group(1)) \
                if re.search(rb"content-length", head, re.IGNORECASE) else 0
            while len(body) < length:
                body += client.recv(65536)
            upstream.sendall(head + b"\r\n\r\n" + body)
            answer = b""
            while chunk := upstream.recv(65536):
                answer += chunk
            self.count += 1
            if self.count % self.k == 0:
                self.dropped += 1
                client.shutdown(socket.SHUT_RDWR)  # the answer is lost
                return
            client.sendall(answer)

    def close(self):
        self.sock.close()


class CrashesAfter:
    def __init__(self, calls):
        self.expert, self.left = make_agent("expert", ENV), calls

    def act(self, observations):
        self.left -= 1
        if self.left < 0:
            raise KeyboardInterrupt("the client died")
        return self.expert.act(observations)


def test_a_dropped_connection_or_a_crashed_client_resumes(server):
    token = server.tokens["alice"]
    proxy = DroppingProxy(server.url, k=3)
    try:
        answer = play(make_agent("expert", ENV), ENV, proxy.url, token, {**META, "agent_name": "through a bad line"},
                      batch_size=8, retry_wait=0.01)
    finally:
        proxy.close()
    assert proxy.dropped >= 3
    entry = stored(server, answer["id"])
    local = expert_records([e["secret"] for e in entry["episodes"]])
    assert [e["actions"] for e in entry["episodes"]] == [r.actions for r in local]  # no turn lost or played twice
    assert answer["success_rate"] == 1.0 and not any(e["forfeited"] for e in entry["episodes"])
    # a client that dies mid-run, resumed by a new one with --run
    run = open_run(server.url, token, ENV, {**META, "agent_name": "resumed"})["run"]
    with pytest.raises(KeyboardInterrupt):
        play(CrashesAfter(3), ENV, server.url, token, run=run, batch_size=8)
    partial = request("GET", f"{server.url}/api/runs/{run}", token)
    assert not partial["finished"] and any(s["turns"] for s in partial["status"])
    resumed = play(make_agent("expert", ENV), ENV, server.url, token, run=run, batch_size=8)
    entry = stored(server, resumed["id"])
    local = expert_records([e["secret"] for e in entry["episodes"]])
    assert [e["actions"] for e in entry["episodes"]] == [r.actions for r in local] and resumed["success_rate"] == 1.0


def test_online_secrets_are_outside_what_the_client_can_enumerate():
    from archer_envs.scripted import split_secrets
    from archer_gym.leaderboard.online import draw_secrets

    words = draw_secrets(ENV)  # the whole set, not the shipped test split
    assert len(words) == len(split_secrets(ENV, "test")) == len(set(words)) and set(words) <= set(online_pool(ENV))
    assert online_pool(ENV) == split_secrets(ENV, "all") and draw_secrets(ENV) != words  # drawn afresh
    shipped = set(split_secrets("archer/Detective-v0", "test")) | {0}
    cases = draw_secrets("archer/Detective-v0")  # generated cases: fresh seeds, none of any split
    assert len(cases) == 200 and min(cases) >= 2**32 and not shipped & set(cases)
