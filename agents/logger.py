"""Training metrics: one JSON line and one CSV row per ``log`` call, a console line, optionally TensorBoard.

    with MetricLogger("runs/archer-20q") as logger:
        for step in progress(range(iterations), total=iterations, desc="archer"):
            ...
            logger.log(step, critic_loss=..., actor_loss=..., **rollout.summary())

Files in ``out_dir``
    ``metrics.jsonl``  every key of every call (``{"step": ..., "time": ..., **metrics}``), the full record.
    ``metrics.csv``    the same rows for spreadsheets, with columns fixed by the FIRST call's keys: a CSV
                       header cannot grow, so keys that appear later are written only to the JSONL (a
                       warning names them once), and keys missing from a later call are left empty.
Both files are appended to, so a resumed run continues them (the CSV then keeps its existing header).
Values are written as plain numbers (numpy and 0-d torch scalars are converted); NaN and infinity
appear in the JSONL as ``NaN``/``Infinity``, which Python's ``json`` reads back.
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
import warnings
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def _plain(value: Any) -> Any:
    """numpy / torch scalars -> Python numbers; other values unchanged (strings, bools, None)."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def _short(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


class MetricLogger:
    def __init__(self, out_dir: str | os.PathLike, use_tensorboard: bool = False, console: bool = True) -> None:
        self.out_dir = os.fspath(out_dir)
        self.jsonl_path = os.path.join(self.out_dir, "metrics.jsonl")
        self.csv_path = os.path.join(self.out_dir, "metrics.csv")
        self.console = console
        self._start = time.time()
        self._jsonl = self._csv_file = None  # opened at the first record: a run that fails first leaves no folder
        self._columns: list[str] | None = None
        self._csv: csv.DictWriter | None = None
        self._warned: set[str] = set()
        self.writer = None
        if use_tensorboard:  # (TensorBoard's writer makes the folder at once)
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as e:  # torch without the tensorboard package
                warnings.warn(f"TensorBoard logging disabled ({e}); pip install tensorboard to enable it", stacklevel=2)
            else:
                self.writer = SummaryWriter(log_dir=self.out_dir)

    def _open(self) -> None:
        os.makedirs(self.out_dir, exist_ok=True)
        self._jsonl = open(self.jsonl_path, "a", encoding="utf-8")
        if os.path.exists(self.csv_path) and os.path.getsize(self.csv_path) > 0:
            with open(self.csv_path, newline="", encoding="utf-8") as f:
                self._columns = next(csv.reader(f), None)
        self._csv_file = open(self.csv_path, "a", newline="", encoding="utf-8")
        if self._columns:
            self._csv = csv.DictWriter(self._csv_file, fieldnames=self._columns, extrasaction="ignore")

    def log(self, step: int, /, **metrics: Any) -> dict[str, Any]:
        """Record ``metrics`` at ``step`` (an int, e.g. the iteration or env steps). Returns the record."""
        if not isinstance(step, int) or isinstance(step, bool):
            step = _plain(step)
            if not isinstance(step, int) or isinstance(step, bool):
                raise ValueError(f"step must be an integer, got {step!r}")
        for reserved in ("step", "time"):
            if reserved in metrics:
                raise ValueError(f"{reserved!r} is written by the logger; "
                                 f"rename the metric {reserved}={metrics[reserved]!r}")
        record = {"step": step, "time": round(time.time() - self._start, 3),
                  **{k: _plain(v) for k, v in metrics.items()}}
        if self._jsonl is None:
            self._open()
        self._jsonl.write(json.dumps(record, default=str) + "\n")
        self._jsonl.flush()

        if self._csv is None:
            self._columns = list(record)
            self._csv = csv.DictWriter(self._csv_file, fieldnames=self._columns, extrasaction="ignore")
            self._csv.writeheader()
        extra = [k for k in record if k not in self._columns and k not in self._warned]
        if extra:
            self._warned.update(extra)
            warnings.warn(f"metric(s) {extra} first logged after the CSV header was written: "
                          "they go to metrics.jsonl only", stacklevel=2)
        self._csv.writerow(record)
        self._csv_file.flush()

        if self.writer is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                    self.writer.add_scalar(key, value, global_step=step)
        if self.console:
            print(f"step {step} | " + " | ".join(f"{k} {_short(v)}" for k, v in record.items() if k != "step"),
                  flush=True)
        return record

    def close(self) -> None:
        for f in (self._jsonl, self._csv_file):
            if f is not None and not f.closed:
                f.close()
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def __enter__(self) -> MetricLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress(iterable: Iterable[T], total: int | None = None, desc: str | None = None) -> Iterable[T]:
    """``tqdm(iterable, total=total, desc=desc)`` (so ``.set_postfix`` works), or the iterable itself
    when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, dynamic_ncols=True)
