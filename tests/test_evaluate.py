"""The evaluation harness, the agent registry and the zero-shot chat agent, offline (the chat
agent talks to a real chat-completions server on 127.0.0.1)."""

from __future__ import annotations

import json
import math
import os
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from archer_envs.benchmark import EvalResult, episode_list_sha256, episode_secrets, evaluate, load_results
from archer_envs.scripted import split_secrets
from archer_gym.agents.agent_registry import make_agent
from archer_gym.agents.chat_agent import ChatAgent, first_line
from archer_gym.cli import main

ENV_ID = "archer/TwentyQuestions-v0"


# --- the episode list ---------------------------------------------------------------------------


def test_episode_list_is_the_split_once_by_default():
    assert episode_secrets(ENV_ID, "test") == split_secrets(ENV_ID, "test")
    assert episode_secrets(ENV_ID, "test", None, seed=5) == split_secrets(ENV_ID, "test")


def test_episode_list_follows_the_documented_rule():
    base = split_secrets(ENV_ID, "test")
    order = list(base)
    random.Random(3).shuffle(order)
    expected = [order[i % len(order)] for i in range(70)]
    assert episode_secrets(ENV_ID, "test", 70, seed=3) == expected


def test_episode_list_is_deterministic_per_seed_and_differs_across_seeds():
    a = episode_secrets(ENV_ID, "test", 40, seed=0)
    assert a == episode_secrets(ENV_ID, "test", 40, seed=0)
    assert a != episode_secrets(ENV_ID, "test", 40, seed=1)
    assert len(a) == 40
    n = len(split_secrets(ENV_ID, "test"))
    assert sorted(a[:n]) == sorted(split_secrets(ENV_ID, "test"))  # every secret before any repeats
    assert a[n:] == a[: 40 - n]


def test_episode_list_for_seeded_envs():
    assert (episode_secrets("archer/Detective-v0", "test", 3, seed=0)
            == episode_secrets("archer/Detective-v0", "test", 3))
    assert all(isinstance(s, int) for s in episode_secrets("archer/WebShop-v0", "test", 5))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(env_id="archer/Nope-v0"), r"unknown env 'archer/Nope-v0'.*archer/TwentyQuestions-v0"),
        (dict(split="validation"), r"unknown split 'validation'"),
        (dict(episodes=0), r"episodes must be at least 1, got 0"),
        (dict(episodes=-3), r"at least 1"),
        (dict(episodes=2.5), r"positive integer"),
        (dict(env_id="archer/JerichoDetective-v0", split="dev"),
         r"unknown split 'dev': expected one of train, test, all"),
    ],
)
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(env_id=ENV_ID, split="test", episodes=None)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate(make_agent("random", ENV_ID), args.pop("env_id"), **args)


# --- evaluate -----------------------------------------------------------------------------------


def test_expert_on_twenty_questions_test():
    result = evaluate(make_agent("expert", ENV_ID), ENV_ID, split="test")
    s = result.summary
    assert isinstance(result, EvalResult)
    assert s["episodes"] == len(split_secrets(ENV_ID, "test")) == len(result.records)
    assert s["success_rate"] == 1.0
    assert s["mean_return"] == pytest.approx(-6.97, abs=0.005)
    assert 0 < s["return_ci95"] < 1
    returns = [r["return"] for r in result.records]
    mean = sum(returns) / len(returns)
    std = math.sqrt(sum((x - mean) ** 2 for x in returns) / (len(returns) - 1))
    assert s["return_ci95"] == pytest.approx(1.96 * std / math.sqrt(len(returns)))
    assert s["mean_turns"] == pytest.approx(sum(r["turns"] for r in result.records) / len(returns))
    assert s["agent"] == "expert" and "expert" in s["agent_description"]
    assert (s["env_id"], s["split"], s["seed"], s["episodes_requested"]) == (ENV_ID, "test", 0, None)
    assert s["archer_gym_version"]
    rec = result.records[0]
    assert rec["index"] == 0 and rec["secret"] == split_secrets(ENV_ID, "test")[0]
    assert rec["turns"] == len(rec["actions"]) == len(rec["answers"]) == len(rec["rewards"])
    assert rec["return"] == sum(rec["rewards"]) and rec["success"] is True
    assert rec["answers"][-1] == "Yes."


def test_files_are_written_and_parse_back(tmp_path):
    out = tmp_path / "run"
    result = evaluate(make_agent("noisy", ENV_ID), ENV_ID, split="test", episodes=12, seed=4, out_dir=out, batch_size=5)
    assert result.out_dir == out
    assert sorted(p.name for p in out.iterdir()) == ["episodes.jsonl", "summary.json"]  # no temp files left
    summary = json.loads((out / "summary.json").read_text())
    assert summary == result.summary
    assert summary["format"] == "archer-gym/eval" and summary["format_version"] == 1
    assert summary["episodes"] == summary["episodes_requested"] == 12 and summary["seed"] == 4
    assert summary["episode_list_sha256"] == episode_list_sha256(episode_secrets(ENV_ID, "test", 12, seed=4))
    lines = (out / "episodes.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert records == result.records and len(records) == 12
    assert all(r["format_version"] == 1 for r in records)
    assert [r["secret"] for r in records] == episode_secrets(ENV_ID, "test", 12, seed=4)
    assert [r["index"] for r in records] == list(range(12))
    loaded = load_results(out)
    assert loaded.summary == summary and loaded.records == records


def test_damaged_result_files_are_named(tmp_path):
    out = tmp_path / "run"
    evaluate(make_agent("expert", ENV_ID), ENV_ID, episodes=2, out_dir=out)
    episodes = out / "episodes.jsonl"
    episodes.write_bytes(episodes.read_bytes().replace(b'"secret"', b'"s\xe9cret"', 1))
    with pytest.raises(ValueError, match=r"episodes\.jsonl, line 1: not UTF-8 text"):
        load_results(out)
    (out / "summary.json").write_bytes(b'{"format": "archer-gym/eval", "note": "caf\xe9"}')
    with pytest.raises(ValueError, match=r"summary\.json: not UTF-8 text"):
        load_results(out)
    (out / "summary.json").write_text("")
    with pytest.raises(ValueError, match=r"summary\.json: invalid JSON"):
        load_results(out)


def test_single_episode_has_no_ci_and_strict_json(tmp_path):
    result = evaluate(make_agent("expert", ENV_ID), ENV_ID, episodes=1, out_dir=tmp_path)
    assert result.summary["return_ci95"] is None
    json.loads((tmp_path / "summary.json").read_text(), parse_constant=lambda c: pytest.fail(f"non-JSON {c}"))


def test_same_seed_gives_identical_records():
    def run(seed):
        return evaluate(make_agent("noisy", ENV_ID, seed=seed), ENV_ID, split="test", episodes=20, seed=seed,
                        batch_size=7).records

    assert run(1) == run(1)
    assert run(1) != run(2)
    expert = [evaluate(make_agent("expert", ENV_ID), ENV_ID, episodes=15, seed=9).records for _ in range(2)]
    assert expert[0] == expert[1]


def test_batch_size_does_not_change_the_results():
    a = evaluate(make_agent("expert", ENV_ID), ENV_ID, episodes=10, batch_size=3).records
    b = evaluate(make_agent("expert", ENV_ID), ENV_ID, episodes=10, batch_size=32).records
    assert a == b


def test_side_by_side_env_and_progress_bar(capsys):
    result = evaluate(make_agent("expert", "archer/WebShop-v0"), "archer/WebShop-v0", episodes=6, batch_size=4,
                      progress=True)
    assert result.summary["episodes"] == 6 and all(r["turns"] >= 1 for r in result.records)
    assert "6/6" in capsys.readouterr().err


def test_agent_without_name_is_named_by_class():
    class Asker:
        def act(self, observations):
            return ["Is it alive?"] * len(observations)

    result = evaluate(Asker(), ENV_ID, episodes=2)
    assert result.summary["agent"].endswith("Asker") and result.summary["agent_description"] is None
    assert all(r["turns"] == 20 and r["return"] == -20.0 for r in result.records)


def test_cli_eval_writes_files(tmp_path):
    out = tmp_path / "tmp"
    res = CliRunner().invoke(
        main, ["eval", "--agent", "expert", "--env", ENV_ID, "--episodes", "10", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "mean return" in res.output and "success rate 1.000" in res.output and "±" in res.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["episodes"] == 10 and summary["agent"] == "expert"
    assert len((out / "episodes.jsonl").read_text().splitlines()) == 10


@pytest.mark.parametrize(
    "args, match",
    [
        (["--agent", "bogus", "--env", ENV_ID], "unknown agent 'bogus'"),
        (["--agent", "expert", "--env", "archer/Nope-v0"], "unknown env"),
        (["--agent", "expert", "--env", ENV_ID, "--split", "dev"], "unknown split 'dev'"),
        (["--agent", "expert", "--env", ENV_ID, "--episodes", "0"], "--episodes"),
    ],
)
def test_cli_eval_bad_input(args, match):
    res = CliRunner().invoke(main, ["eval", *args])
    assert res.exit_code == 2 and match in res.output, res.output


# --- the agent registry ---------------------------------------------------------------------------


def test_make_agent_scripted_have_names():
    for spec in ("expert", "noisy", "random"):
        agent = make_agent(spec, "archer/GuessMyCity-v0", seed=1)
        assert agent.name == spec
        assert len(agent.act(["Questions:\n"] * 2)) == 2


def test_make_agent_loads_a_checkpoint_directory_lazily(tmp_path, monkeypatch):
    import sys
    import types

    loaded = []

    class FakePolicy:
        @classmethod
        def from_pretrained(cls, path, device=None):
            loaded.append(path)
            return cls()

        def act(self, observations):
            return ["Is it alive?"] * len(observations)

    monkeypatch.setitem(sys.modules, "archer_gym.agents.lm_policy", types.SimpleNamespace(LMPolicy=FakePolicy))
    agent = make_agent(str(tmp_path), ENV_ID)
    assert loaded == [str(tmp_path)] and agent.name == str(tmp_path)
    assert evaluate(agent, ENV_ID, episodes=1).summary["agent"] == str(tmp_path)


def test_make_agent_rejects_unknown_specs(tmp_path):
    with pytest.raises(ValueError, match=r"unknown agent 'bogus'.*expert.*chat:<model>.*checkpoint"):
        make_agent("bogus", ENV_ID)
    with pytest.raises(ValueError, match="no such directory"):
        make_agent(str(tmp_path / "missing"), ENV_ID)
    with pytest.raises(ValueError, match="names no model"):
        make_agent("chat:", ENV_ID)
    with pytest.raises(ValueError, match="unknown env"):
        make_agent("expert", "archer/Nope-v0")


# --- the chat agent, against a real local server -----------------------------------------------

REPLY = "Is it a cat?\nblah"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with self.server.lock:
            self.server.bodies.append(body)
        payload = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": REPLY}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload).encode()
        self.send_response(200 if self.path == "/v1/chat/completions" else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    block_on_close = False


@pytest.fixture
def chat_server(monkeypatch):
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.bodies, server.lock = [], threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    server.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_chat_agent_returns_the_first_line_and_caches(chat_server, tmp_path):
    cache = tmp_path / "chat.sqlite"
    observations = ["Questions:\n", "Questions:\nIs it alive? No.\n", "Questions:\nIs it red? Yes.\n"]
    with ChatAgent("test-model", base_url=chat_server.base_url, env_id=ENV_ID, cache_path=cache) as agent:
        assert agent.name == "chat:test-model"
        assert agent.act(observations) == ["Is it a cat?"] * 3
        assert agent.requests_sent == 3 and len(chat_server.bodies) == 3
    body = chat_server.bodies[0]
    assert body["model"] == "test-model" and body["temperature"] == 0.0 and body["max_tokens"] == 64
    system, user = body["messages"]
    assert system["role"] == "system" and "yes/no" in system["content"] and "Is it a ...?" in system["content"]
    assert user["role"] == "user" and user["content"].startswith("Questions:")
    with ChatAgent("test-model", base_url=chat_server.base_url, env_id=ENV_ID, cache_path=cache) as again:
        assert again.act(observations) == ["Is it a cat?"] * 3
        assert again.requests_sent == 0
    assert len(chat_server.bodies) == 3  # no new requests


def test_chat_agent_prompts_per_env_family(chat_server, tmp_path):
    prompts = {}
    for env_id in ("archer/GuessMyCity-v0", "archer/Detective-v0", "archer/WebShop-v0"):
        with ChatAgent("m", base_url=chat_server.base_url, env_id=env_id, cache_path=None) as agent:
            agent.act(["obs"])
        prompts[env_id] = chat_server.bodies[-1]["messages"][0]["content"]
    assert "Guess My City" in prompts["archer/GuessMyCity-v0"]
    assert "accuse" in prompts["archer/Detective-v0"]
    assert "search[" in prompts["archer/WebShop-v0"] and "click[" in prompts["archer/WebShop-v0"]
    with ChatAgent("m", base_url=chat_server.base_url, system_prompt="Be brief.", cache_path=None) as agent:
        agent.act(["obs"])
    assert chat_server.bodies[-1]["messages"][0]["content"] == "Be brief."


def test_chat_agent_plays_an_evaluation_via_the_registry(chat_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHER_CACHE_DIR", str(tmp_path))
    agent = make_agent(f"chat:test-model@{chat_server.base_url}", ENV_ID)
    assert agent.name == "chat:test-model"
    result = evaluate(agent, ENV_ID, episodes=3, out_dir=tmp_path / "run")
    agent.close()
    assert (tmp_path / "chat-agent.sqlite").is_file()
    assert result.summary["agent"] == "chat:test-model"
    for rec in result.records:  # "cat" is not a test word: 20 questions, return -20
        assert rec["actions"] == ["Is it a cat?"] * 20 and rec["return"] == -20.0


def test_chat_agent_needs_a_key_or_a_base_url(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(ValueError, match="OPENAI_API_KEY"):
        ChatAgent("gpt-4o-mini", cache_path=None)


@pytest.mark.parametrize("reply, expected", [("Is it a cat?\nblah", "Is it a cat?"),
                                             ("\n  go to the hall \n", "go to the hall"), ("", ""), (None, "")])
def test_first_line(reply, expected):
    assert first_line(reply) == expected


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_results_and_datasets_get_the_permissions_the_umask_gives_any_file(tmp_path, umask, mode):
    from archer_envs.benchmark import write_atomic

    previous = os.umask(umask)
    try:
        write_atomic(tmp_path / "episodes.jsonl", ["{}\n"])
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(previous)
    assert ((tmp_path / "episodes.jsonl").stat().st_mode & 0o777 == mode
            == (tmp_path / "plain.txt").stat().st_mode & 0o777)
