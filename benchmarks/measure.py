"""What every benchmark here shares: pinning to one core, naming the CPU, timing env steps, printing rates.

Run the benchmarks as scripts (``python benchmarks/NAME.py``): this folder is then on ``sys.path``.
"""

from __future__ import annotations

import os
import platform
import time
from collections import Counter


def pin_one_core(cpu: int | None = None) -> str:
    """Pin this process to one CPU (default: its first allowed one; where supported) and torch to one thread."""
    where = "not pinned (os.sched_setaffinity unavailable)"
    if hasattr(os, "sched_setaffinity"):
        try:
            cpu = min(os.sched_getaffinity(0)) if cpu is None else cpu
            os.sched_setaffinity(0, {cpu})
            where = f"pinned to CPU {cpu}"
        except OSError as err:
            where = f"not pinned ({err})"
    import torch

    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # already set / parallel work already started
    return where


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_single(
    env, questions: list[str], seed: int, repeats: int = 1, count: bool = True
) -> tuple[int, float, Counter]:
    """Step ``env`` through ``questions`` (reset(seed) first, reset() when an episode ends), the
    whole sequence ``repeats`` times. Returns (steps, seconds, answer counts if ``count``).
    Resets are timed."""
    answers: Counter = Counter()
    steps = 0
    t0 = time.perf_counter()
    for _ in range(repeats):
        env.reset(seed=seed)
        for q in questions:
            _, _, terminated, truncated, info = env.step(q)
            if count:
                answers[info["answer"]] += 1
            steps += 1
            if terminated or truncated:
                env.reset()
    return steps, time.perf_counter() - t0, answers


def run_vector(venv, batches: list[list[str]], seed: int, repeats: int = 1) -> tuple[int, int, float, Counter]:
    """Step a vector env (autoreset SameStep, so every sub-env answers every step) through
    ``batches``. Returns (vector steps, sub-env steps answered, seconds, answer counts)."""
    answers: Counter = Counter()
    vsteps = substeps = 0
    t0 = time.perf_counter()
    for _ in range(repeats):
        venv.reset(seed=seed)
        for actions in batches:
            _, _, _, _, info = venv.step(actions)
            mask = info.get("_answer", [True] * len(actions))
            live = [str(a) for a, m in zip(info["answer"], mask) if m]
            answers.update(live)
            substeps += len(live)
            vsteps += 1
    return vsteps, substeps, time.perf_counter() - t0, answers


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}" if x >= 10 else f"{x:,.2f}"
