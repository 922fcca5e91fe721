"""Training plumbing: the rollout collector, the replay buffer, the metric logger and seeding."""

from __future__ import annotations

import csv
import json
import random
import warnings

import numpy as np
import pytest
import torch

from archer_envs.scripted import scripted_policy
from archer_envs.twenty_questions.knowledge import TwentyQuestionsKnowledgeOracle
from archer_gym.agents.buffer import Batch, ReplayBuffer, Transition
from archer_gym.agents.logger import MetricLogger, progress
from archer_gym.agents.rollout import Rollout, RolloutCollector
from archer_gym.agents.seeding import seed_everything

TQ = "archer/TwentyQuestions-v0"


class Counting:
    """Wraps an agent and counts its calls and the observations it saw."""

    def __init__(self, agent) -> None:
        self.agent = agent
        self.calls = 0
        self.batch_sizes: list[int] = []

    def act(self, observations):
        self.calls += 1
        self.batch_sizes.append(len(observations))
        return self.agent.act(observations)


class Asker:
    """Always asks the same question; reports ``tokens_generated`` like an LM policy does."""

    def __init__(self, question: str = "Is it an animal?", tokens_per_action: int = 5) -> None:
        self.question = question
        self.tokens_per_action = tokens_per_action
        self.tokens_generated = 0

    def act(self, observations):
        self.tokens_generated += self.tokens_per_action * len(observations)
        return [self.question] * len(observations)


@pytest.fixture(scope="module")
def expert():
    return scripted_policy(TQ, "expert")


def check_episodes(rollout: Rollout, first_observation_prefix: str) -> None:
    assert len(rollout.transitions) == sum(rollout.lengths)
    flat = []
    for ep in rollout.episodes:
        ts = ep.transitions
        assert ts[0].observation.startswith(first_observation_prefix)  # episodes are whole
        for a, b in zip(ts, ts[1:]):
            assert a.next_observation == b.observation  # the chain within an episode
            assert not (a.done or a.truncated)
        assert ts[-1].done or ts[-1].truncated
        assert ts[-1].next_observation != ts[-1].observation
        assert ep.ret == pytest.approx(sum(t.reward for t in ts))
        flat.extend(ts)
    assert flat == rollout.transitions


def test_collector_twenty_questions_expert(expert):
    oracle = TwentyQuestionsKnowledgeOracle(cache=False)
    agent = Counting(expert)
    with RolloutCollector(TQ, num_envs=8, seed=0, oracle=oracle) as collector:
        calls_before = oracle.backend_calls
        rollout = collector.collect(agent, num_episodes=20)
        assert len(rollout.episodes) >= 20
        check_episodes(rollout, "Questions:\n")
        assert {t.reward for t in rollout.transitions} <= {-1.0, 0.0}
        for t in rollout.transitions:
            # next_observation is the transcript with this turn appended, also on the last turn (the
            # final observation, not the next episode's first).
            assert t.next_observation.startswith(t.observation)
            assert t.next_observation[len(t.observation):].startswith(t.action + " ")
        for ep in rollout.episodes:
            last = ep.transitions[-1]
            assert ep.success == (last.done and last.reward == 0.0)
            assert last.next_observation.endswith(" Yes.\n") or not ep.success
        assert np.mean(rollout.successes) > 0.9
        # One agent call and one oracle call per vector step, each for all sub-envs.
        assert agent.calls == rollout.agent_calls == rollout.vector_steps > 0
        assert set(agent.batch_sizes) == {8}
        assert oracle.backend_calls - calls_before == rollout.vector_steps
        assert rollout.env_steps == 8 * rollout.vector_steps
        assert rollout.tokens_generated is None
        summary = rollout.summary()
        assert summary["episodes"] == len(rollout.episodes)
        assert summary["mean_return"] == pytest.approx(np.mean(rollout.returns))

        # The next collect continues the stream and still returns whole episodes.
        more = collector.collect(agent, num_episodes=5)
        assert len(more.episodes) == 5
        check_episodes(more, "Questions:\n")
        assert collector.total_episodes == len(rollout.episodes) + 5


def test_collector_same_seed_same_transitions(expert):
    def run(seed):
        with RolloutCollector(TQ, num_envs=4, seed=seed) as c:
            return c.collect(expert, num_episodes=6).transitions + c.collect(expert, num_steps=5).transitions

    first = run(3)
    assert first == run(3)
    assert first != run(4)


def test_collector_num_steps_keeps_unfinished_episodes(expert):
    with RolloutCollector(TQ, num_envs=4, seed=1) as collector:
        rollout = collector.collect(expert, num_steps=3)  # the expert needs about 8 turns
        assert (rollout.vector_steps, rollout.agent_calls, rollout.env_steps) == (3, 3, 12)
        assert rollout.episodes == [] and rollout.transitions == []
        assert collector.running_transitions == 12
        rollout = collector.collect(expert, num_steps=10)
        assert len(rollout.episodes) >= 4
        check_episodes(rollout, "Questions:\n")  # includes the 3 steps of the previous call
        assert rollout.vector_steps == 10
        assert collector.total_vector_steps == 13


def test_collector_truncation_and_tokens():
    agent = Asker(tokens_per_action=5)
    with RolloutCollector(TQ, num_envs=3, seed=0, max_turns=4) as collector:
        rollout = collector.collect(agent, num_episodes=6)
    assert len(rollout.episodes) == 6
    check_episodes(rollout, "Questions:\n")
    assert rollout.lengths == [4] * 6 and rollout.returns == [-4.0] * 6
    last = [ep.transitions[-1] for ep in rollout.episodes]
    assert all(t.truncated and not t.done for t in last)  # the time limit is not termination
    assert not any(rollout.successes)
    assert rollout.tokens_generated == 5 * 3 * rollout.vector_steps == agent.tokens_generated
    assert rollout.summary()["tokens_generated"] == rollout.tokens_generated


def test_collector_split_applies_to_autoreset_episodes(expert):
    with RolloutCollector(TQ, num_envs=4, split="test", seed=0) as collector:
        collector.collect(expert, num_episodes=8)
        game = collector.env.unwrapped.game
        test_words = set(game.secrets("test"))
        assert {e.secret for e in collector.env.unwrapped.episodes} <= test_words
    with pytest.raises(ValueError, match="nope"):
        RolloutCollector(TQ, num_envs=2, split="nope")


def test_collector_side_by_side_detective():
    agent = Counting(scripted_policy("archer/Detective-v0", "expert"))
    with RolloutCollector("archer/Detective-v0", num_envs=2, seed=0) as collector:
        assert not collector.vectorized and len(collector.env) == 2
        rollout = collector.collect(agent, num_episodes=4)
    assert len(rollout.episodes) == 4
    check_episodes(rollout, "You are the detective.")
    assert all(rollout.successes)
    assert all(ep.transitions[-1].done and ep.ret > 1.0 for ep in rollout.episodes)
    assert agent.calls == rollout.agent_calls and set(agent.batch_sizes) == {2}


def test_collector_errors(expert):
    with pytest.raises(ValueError, match="autoreset_mode"):
        RolloutCollector(TQ, num_envs=2, autoreset_mode="NextStep")
    with pytest.raises(ValueError, match="num_envs"):
        RolloutCollector(TQ, num_envs=0)
    with RolloutCollector(TQ, num_envs=2) as collector:
        with pytest.raises(ValueError, match="neither"):
            collector.collect(expert)
        with pytest.raises(ValueError, match="num_episodes"):
            collector.collect(expert, num_episodes=0)
        with pytest.raises(ValueError, match="1 actions for 2"):
            collector.collect(type("One", (), {"act": lambda self, obs: ["Is it red?"]})(), num_steps=1)


# --- ReplayBuffer -------------------------------------------------------------------------------------


def tr(i: int, done: bool = False) -> Transition:
    return Transition(f"s{i}", f"a{i}", -float(i), f"s{i + 1}", done)


def test_buffer_ring_overwrite_order():
    buffer = ReplayBuffer(capacity=3)
    buffer.extend(tr(i) for i in range(2))
    assert [t.action for t in buffer] == ["a0", "a1"]
    buffer.extend(tr(i) for i in range(2, 5))
    assert len(buffer) == 3 and buffer.total_added == 5
    assert [t.action for t in buffer] == ["a2", "a3", "a4"]  # oldest first
    assert buffer[0].action == "a2" and buffer[-1].action == "a4"
    with pytest.raises(IndexError):
        buffer[3]
    # Only stored transitions are sampled.
    assert set(buffer.sample(200).actions) == {"a2", "a3", "a4"}


def test_buffer_sampling_is_reproducible():
    def batch(seed):
        buffer = ReplayBuffer(capacity=50, seed=seed)
        buffer.extend(tr(i, done=i % 4 == 0) for i in range(40))
        return buffer.sample(16)

    a, b = batch(7), batch(7)
    assert isinstance(a, Batch) and len(a) == 16
    assert a.actions == b.actions and np.array_equal(a.rewards, b.rewards)
    assert a.actions != batch(8).actions
    assert a.rewards.dtype == a.dones.dtype == np.float32
    for obs, act, r, nxt, d in zip(a.observations, a.actions, a.rewards, a.next_observations, a.dones):
        i = int(act[1:])
        assert (obs, r, nxt, d) == (f"s{i}", -float(i), f"s{i + 1}", float(i % 4 == 0))
    assert torch.as_tensor(a.dones).dtype == torch.float32


def test_buffer_accepts_mappings_and_rollout_transitions():
    buffer = ReplayBuffer(capacity=10)
    buffer.add({"observation": "o", "action": "a", "reward": 0, "next_observation": "o2", "done": True})
    assert buffer[0] == Transition("o", "a", 0.0, "o2", True, False)
    with pytest.raises(ValueError, match="reward"):
        buffer.add({"observation": "o", "action": "a", "next_observation": "o2", "done": True})


def test_buffer_errors():
    for bad in (0, -3, 2.5, True, "10"):
        with pytest.raises(ValueError, match=repr(bad).replace(".", r"\.")):
            ReplayBuffer(capacity=bad)
    buffer = ReplayBuffer(capacity=4)
    with pytest.raises(ValueError, match="empty"):
        buffer.sample(2)
    buffer.add(tr(0))
    for bad in (0, -1, 1.0):
        with pytest.raises(ValueError, match="batch_size"):
            buffer.sample(bad)


# --- MetricLogger, progress, seeding ------------------------------------------------------------------


def test_metric_logger_writes_jsonl_and_csv(tmp_path, capsys):
    out = tmp_path / "run"
    with MetricLogger(out) as logger:
        logger.log(0, loss=1.5, acc=np.float32(0.25), name="x")
        with pytest.warns(UserWarning, match="new_key"):
            logger.log(1, loss=torch.tensor(2.0), new_key=3)
        with pytest.raises(ValueError, match="step"):
            logger.log("one", loss=1.0)
        with pytest.raises(ValueError, match="'step'"):
            logger.log(2, step=3)
    assert "step 0 | " in capsys.readouterr().out
    lines = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == [0, 1]
    assert lines[0]["acc"] == 0.25 and lines[1]["loss"] == 2.0 and lines[1]["new_key"] == 3
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["step", "time", "loss", "acc", "name"]  # fixed by the first call
    assert rows[0]["loss"] == "1.5" and rows[1]["acc"] == "" and rows[1]["loss"] == "2.0"

    # A second logger on the same folder appends under the existing header.
    with MetricLogger(out, console=False) as logger:
        logger.log(2, loss=0.5)
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["step"] for r in rows] == ["0", "1", "2"] and rows[2]["loss"] == "0.5"
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3


def test_metric_logger_tensorboard_optional(tmp_path):
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        with pytest.warns(UserWarning, match="TensorBoard"):
            logger = MetricLogger(tmp_path, use_tensorboard=True, console=False)
        assert logger.writer is None
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logger = MetricLogger(tmp_path, use_tensorboard=True, console=False)
        assert logger.writer is not None
    logger.log(0, loss=1.0)
    logger.close()
    logger.close()  # twice is fine


def test_progress_yields_everything():
    assert list(progress(range(3), total=3, desc="test")) == [0, 1, 2]


def test_seed_everything_is_reproducible():
    rng = seed_everything(123)
    first = (torch.rand(3), np.random.rand(), random.random(), rng.random())
    rng = seed_everything(123)
    second = (torch.rand(3), np.random.rand(), random.random(), rng.random())
    assert torch.equal(first[0], second[0]) and first[1:] == second[1:]
    seed_everything(124)
    assert not torch.equal(torch.rand(3), first[0])
    for bad in (-1, 2**32, 1.5, True):
        with pytest.raises(ValueError, match="seed"):
            seed_everything(bad)
