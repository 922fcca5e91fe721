"""Learning-curve plots from a run's ``logs/metrics.jsonl`` (matplotlib, no display needed).

    plot_learning_curve("runs/main/logs/metrics.jsonl", "runs/main/learning_curve.png",
                        references={"BC": -19.6, "expert": -6.97})

x: trajectories collected by the RL algorithm; y: mean return. The training episodes' return
(sampled policy, train split; a moving average over ``window`` iterations) is a line, the test-split
evaluations are markers, ``references`` are dashed horizontal lines, and a dotted vertical line marks
the first actor update (the end of the critic-only warm-up).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path


def read_metrics(path: str | os.PathLike) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no metrics log at {path}")
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise ValueError(f"{path}, line {n}: not JSON ({err})") from err
    return rows


def _number(value) -> float | None:
    return (float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            else None)


def pyplot():
    """``matplotlib.pyplot`` on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` (its folder created; the format from the suffix) and free it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    pyplot().close(fig)
    return path


def plot_learning_curve(metrics: str | os.PathLike, out: str | os.PathLike, references: dict[str, float] | None = None,
                        title: str | None = None, window: int = 5) -> Path:
    """Write the curve to ``out`` (PNG, or any format matplotlib knows from the suffix)."""
    plt = pyplot()
    rows = read_metrics(metrics)
    train = [(r["trajectories"], _number(r.get("train_return"))) for r in rows
             if _number(r.get("train_return")) is not None]
    evals = [(r["trajectories"], _number(r.get("eval_return"))) for r in rows
             if _number(r.get("eval_return")) is not None]
    if not train and not evals:
        raise ValueError(f"{metrics} holds no returns to plot")
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    if train:
        xs = [x for x, _ in train]
        ys = [y for _, y in train]
        smooth = [sum(ys[max(0, i - window + 1) : i + 1]) / len(ys[max(0, i - window + 1) : i + 1])
                  for i in range(len(ys))]
        ax.plot(xs, ys, color="tab:blue", alpha=0.25, linewidth=1)
        ax.plot(xs, smooth, color="tab:blue", linewidth=2, label=f"train episodes (moving mean of {window})")
    if evals:
        ax.plot([x for x, _ in evals], [y for _, y in evals], "o-", color="tab:red",
                label="evaluation (the protocol's split)")
    actor_start = next((r["trajectories"] for r in rows if _number(r.get("actor_loss")) is not None), None)
    if actor_start is not None:
        ax.axvline(actor_start, color="black", linestyle=":", linewidth=1, label="actor starts (end of warm-up)")
    colors = ["tab:gray", "tab:green", "tab:purple", "tab:orange", "tab:brown"]
    for (name, value), color in zip((references or {}).items(), colors * 4):
        ax.axhline(value, linestyle="--", color=color, linewidth=1.2, label=f"{name} ({value:.2f})")
    ax.set_xlabel("trajectories collected")
    ax.set_ylabel("mean return")
    ax.set_title(title or "ArCHer learning curve")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return save_figure(fig, out)
