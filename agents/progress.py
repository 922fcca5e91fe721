"""Progress lines of every long command (``archer pipeline``, ``archer train``, ``archer compare``), one
format for all, printed whether or not the output is a terminal (progress bars are extra, on a terminal):

    14:02:11 ArCHer | stage: behaviour data: 250 noisy + 508 expert episodes on the train split
    14:02:40 ArCHer | BC epoch 3/10: loss 1.204 (4,021 utterances)
    14:05:02 ArCHer | iteration 12: 384/2,048 trajectories | train return -5.62, success 0.84 | critic loss 0.41
             | test return -4.10, success 0.90 | rollout 2.2 s, critic 19.2 s, actor 8.0 s | ETA 24 min

A :class:`ProgressLog` is a training ``log`` callback (``log(step, **row)`` gets every metrics row) that
also takes stage messages (:meth:`ProgressLog.stage`; the BC start sends them to any ``log`` that has
one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

# metrics-row key -> label, in the order shown (each algorithm logs its own subset)
LOSSES = (("critic_loss", "critic loss"), ("actor_loss", "actor loss"), ("policy_loss", "policy loss"),
          ("value_loss", "value loss"), ("bc_loss", "bc loss"), ("advantage_mean", "advantage"),
          ("logp_mean", "log pi"), ("kl_to_start", "KL to start"), ("approx_kl", "approx KL"))


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"


class ProgressLog:
    """Formats rows and stages as lines for ``echo`` (``print`` or ``click.echo``), each prefixed by the
    clock and ``name`` (e.g. "ArCHer", "ppo seed 1"). ``budget``: the run's trajectory budget, for the
    ETA; ``bc_epochs``: the BC start's epochs, for "BC epoch 3/10"."""

    def __init__(self, echo: Callable[[str], Any], name: str, budget: int | None = None,
                 bc_epochs: int | None = None) -> None:
        self.echo, self.name, self.budget, self.bc_epochs = echo, name, budget, bc_epochs

    @classmethod
    def for_run(cls, echo: Callable[[str], Any], name: str, cfg: Any) -> ProgressLog:
        """For a run of ``cfg`` (a ``RunConfig``): its budget is the smaller of ``max_trajectories`` and
        ``iterations`` x ``rollouts_per_iteration``."""
        caps = [int(cfg.max_trajectories)] if cfg.max_trajectories else []
        if cfg.iterations:
            caps.append(int(cfg.iterations) * int(cfg.rollouts_per_iteration))
        return cls(echo, name, min(caps) if caps else None, cfg.bc_epochs)

    def say(self, text: str) -> None:
        self.echo(f"{time.strftime('%H:%M:%S')} {self.name} | {text}")

    def stage(self, text: str) -> None:
        self.say(f"stage: {text}")

    def __call__(self, step: int, **row: Any) -> None:
        line = self.format(step, row)
        if line is not None:
            self.say(line)

    def format(self, step: int, row: dict[str, Any]) -> str | None:
        """The line of one metrics row: a BC epoch, a training iteration or a lone evaluation."""
        if "utterances" in row and row.get("bc_loss") is not None:  # a BC epoch (agents.algorithms.bc)
            of = f"/{self.bc_epochs}" if self.bc_epochs else ""
            return f"BC epoch {step}{of}: loss {row['bc_loss']:.3f} ({row['utterances']:,} utterances)"
        if row.get("rollout_s") is not None:  # a training iteration (agents.training.run_training)
            return self._iteration(step, row)
        if row.get("eval_return") is not None:
            return (f"evaluation at iteration {step}: test return {row['eval_return']:.2f}, "
                    f"success {row['eval_success']:.3f}")
        return None

    def _iteration(self, step: int, row: dict[str, Any]) -> str:
        done = int(row["trajectories"])
        parts = [f"iteration {step}: {done:,}" + (f"/{self.budget:,}" if self.budget else "") + " trajectories"]
        if row.get("train_return") is not None:
            parts.append(f"train return {row['train_return']:.2f}, success {row['train_success']:.2f}")
        losses = [f"{label} {row[key]:.4g}" for key, label in LOSSES if row.get(key) is not None]
        if losses:
            parts.append(", ".join(losses))
        if row.get("eval_return") is not None:
            parts.append(f"test return {row['eval_return']:.2f}, success {row['eval_success']:.2f}")
        parts.append(f"rollout {row['rollout_s']:.1f} s, critic {row.get('critic_s') or 0.0:.1f} s, "
                     f"actor {row.get('actor_s') or 0.0:.1f} s")
        elapsed = row.get("elapsed_s")
        if self.budget and elapsed and 0 < done < self.budget:
            parts.append(f"ETA {minutes(elapsed / done * (self.budget - done))}")
        return " | ".join(parts)


def stage(log: Any, text: str) -> None:
    """Send a stage message to ``log`` when it takes them (a :class:`ProgressLog`)."""
    say = getattr(log, "stage", None)
    if callable(say):
        say(text)


__all__ = ["LOSSES", "ProgressLog", "stage"]
