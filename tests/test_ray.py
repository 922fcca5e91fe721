"""Scale-out on Ray (the ``ray`` extra), on a local Ray instance with 2 CPUs: rollout envs in Ray actors
give the in-process trajectories, a comparison run as Ray tasks lands the in-process results file, and a
run whose worker is killed is re-run while the finished run is not."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from test_baselines import tiny_config_dir  # noqa: E402  (after the skip: it imports torch)

from archer_envs.scripted import scripted_policy  # noqa: E402
from archer_gym.agents.rollout import RolloutCollector, shard_bounds  # noqa: E402
from archer_gym.baselines.compare import compare  # noqa: E402

TQ = "archer/TwentyQuestions-v0"
LEXICAL = {"oracle_kwargs": {"matcher": "lexical"}}  # no sentence embedder to load in each actor


@pytest.fixture(scope="module")
def local_ray():
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_shards_cover_the_sub_envs_in_order():
    assert shard_bounds(7, 3) == [(0, 3), (3, 5), (5, 7)]
    assert shard_bounds(4, 4) == [(0, 1), (1, 2), (2, 3), (3, 4)]
    with pytest.raises(ValueError, match="ray_workers"):
        RolloutCollector(TQ, num_envs=2, ray_workers=-1)


@pytest.mark.parametrize("env_id, env_kwargs", [(TQ, LEXICAL), ("archer/WebShop-v0", {})])
def test_rollouts_through_ray_actors_equal_the_in_process_rollouts(local_ray, env_id, env_kwargs):
    """The vector-entry-point path (20Q: one oracle call per shard step) and the side-by-side one (WebShop)."""
    rollouts = {}
    for workers in (0, 2):
        agent = scripted_policy(env_id, "noisy", seed=3)
        with RolloutCollector(env_id, num_envs=5, seed=11, ray_workers=workers, **env_kwargs) as collector:
            # two calls: the second continues every sub-env's stream, with held-back episodes in between
            rollouts[workers] = [collector.collect(agent, num_episodes=6), collector.collect(agent, num_episodes=3)]
            observations = collector.observations
        rollouts[workers].append(observations)
    local, remote = rollouts[0], rollouts[2]
    for mine, theirs in zip(local[:2], remote[:2]):
        assert mine.transitions == theirs.transitions and len(mine.transitions) > 6
        assert [(e.env_index, e.success) for e in mine.episodes] == [(e.env_index, e.success) for e in theirs.episodes]
    assert local[2] == remote[2]


def test_more_ray_workers_than_envs_is_refused(local_ray):
    with pytest.raises(ValueError, match="ray_workers=3 is more than num_envs=2"):
        RolloutCollector(TQ, num_envs=2, ray_workers=3, **LEXICAL)


def without_timings(results: dict) -> dict:
    """A results file less what differs between two executions of the same runs (wall times, dates)."""
    timing = {"wall_time_s", "eval_s", "iteration_s", "minutes", "created", "command", "wall_time_min",
              "seconds_per_iteration"}

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in timing}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(results)


def parent_pid(pid: int) -> int:
    """The parent of ``pid`` (0 when it is gone), from /proc/<pid>/stat (the command may hold spaces)."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def descends_from_this_process(pid: int) -> bool:
    """Whether ``pid`` was started (through any chain of parents) by this test process: the Ray instance
    of the ``local_ray`` fixture and its workers are; a user's comparison running beside the suite is not."""
    me = os.getpid()
    while pid > 1:
        pid = parent_pid(pid)
        if pid == me:
            return True
    return False


def run_processes() -> list[int]:
    """PIDs of this test's Ray workers executing a comparison run (Ray titles them 'ray::run_one'); never
    those of another Ray instance on the machine, which the test must not kill."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "cmdline").read_bytes().startswith(b"ray::run_one"):
                pids.append(int(proc.name))
        except OSError:
            continue
    return [pid for pid in pids if descends_from_this_process(pid)]


def kill_a_run_once_it_has_started(run_dir: Path, killed: list[int]) -> None:
    """SIGKILL the Ray worker running a comparison run once ``run_dir`` has its first metrics line."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not killed:
        if (run_dir / "logs" / "metrics.jsonl").is_file():
            pids = run_processes()
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_ray_tasks_land_the_in_process_results_and_a_killed_worker_loses_no_finished_run(local_ray, tmp_path):
    config_dir = tiny_config_dir(tmp_path)
    kwargs = dict(seeds=2, budget=4, config_dir=config_dir, echo=lambda _: None, cpus_per_run=1)
    here = compare(TQ, ["filtered_bc"], out=tmp_path / "here", **kwargs)
    out = tmp_path / "ray"
    out.mkdir()
    for shared in ("bc", "behaviour.jsonl"):  # the same BC start (it is made before the runs, in this process)
        (shutil.copytree if (tmp_path / "here" / shared).is_dir() else shutil.copy)(tmp_path / "here" / shared,
                                                                                     out / shared)
    there = compare(TQ, ["filtered_bc"], out=out, ray=True, **kwargs)
    assert [r["seeds"] for r in there["algorithms"]] == [[0, 1]]
    assert without_timings(there) == without_timings(here)
    on_disk = json.loads((out / "results.json").read_text())
    assert without_timings(on_disk) == without_timings(json.loads((tmp_path / "here" / "results.json").read_text()))

    # Seed 1 starts over and its worker is killed mid-run: Ray re-runs it (from its checkpoint when it has
    # one), and seed 0, finished, is read back and never re-run.
    seed_0 = out / "filtered_bc" / "seed-0" / "checkpoint" / "training_state.pt"
    stamp = seed_0.stat().st_mtime
    shutil.rmtree(out / "filtered_bc" / "seed-1")
    killed: list[int] = []
    killer = threading.Thread(target=kill_a_run_once_it_has_started, args=(out / "filtered_bc" / "seed-1",
                                                                               killed), daemon=True)
    killer.start()
    again = compare(TQ, ["filtered_bc"], out=out, ray=True, retries=2, **kwargs)
    killer.join()
    assert killed, "no run was killed: the test did not test anything"
    (row,) = again["algorithms"]
    assert row["seeds"] == [0, 1] and row["trajectories"] == 4 and len(row["per_seed_return"]) == 2
    assert seed_0.stat().st_mtime == stamp
    assert row["per_seed_return"][0] == there["algorithms"][0]["per_seed_return"][0]
