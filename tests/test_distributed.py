"""Data-parallel ArCHer over processes (`accelerate launch`, gloo on CPU): after updates the parameters are
identical on every rank, a whole run trains with one writer, and (slow) two processes learn the toy as
well as one does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("accelerate")

ROOT = Path(__file__).resolve().parents[1]


def launch(modes: str, out: Path, processes: int = 2) -> list[dict]:
    """Run tests/distributed_worker.py under `accelerate launch` with ``processes`` CPU processes."""
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(processes),
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               str(ROOT / "tests" / "distributed_worker.py"), modes, str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}  # CPU processes, gloo
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return [json.loads((out / f"rank-{k}.json").read_text()) for k in range(processes)]


def test_two_processes_keep_identical_parameters_and_train_a_run_with_one_writer(tmp_path):
    ranks = launch("toy:14,run", tmp_path)
    assert [r["world"] for r in ranks] == [2, 2]
    # 14 iterations: 12 of warm-up, then actor steps; every gradient averaged, so every parameter agrees
    assert all(r["toy"]["actor_started"] for r in ranks)
    assert ranks[0]["toy"]["params"] == ranks[1]["toy"]["params"]
    # a whole run: 2 iterations of 4 trajectories, 2 from each rank, counted once; rank 0 alone wrote
    assert [(r["run"]["trajectories"], r["run"]["iterations"]) for r in ranks] == [(8, 2), (8, 2)]
    rows = [json.loads(line) for line in (tmp_path / "run" / "logs" / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [0, 1, 2, 2] and rows[-1]["trajectories"] == 8
    assert (tmp_path / "run" / "eval" / "summary.json").is_file()


@pytest.mark.slow
def test_two_processes_learn_the_toy_as_well_as_one(tmp_path):
    """The single-process actor test's bar (tests/test_archer.py): from about 0.5 to above 0.8."""
    ranks = launch("toy:36", tmp_path)
    assert ranks[0]["toy"]["params"] == ranks[1]["toy"]["params"]
    toy = ranks[0]["toy"]
    assert toy["before"] < 0.6 and toy["after"] > 0.8 and toy["after"] > toy["before"] + 0.25
