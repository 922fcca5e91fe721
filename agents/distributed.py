"""Data-parallel training over processes: ``accelerate launch`` (or ``torchrun``) starts one process per
device, each collects its own share of the trajectories, and every gradient is averaged over the
processes before each optimizer step, so the parameters stay identical on every rank.

    accelerate launch --num_processes 2 -m archer_gym train archer --preset paper --env archer/TwentyQuestions-v0
    accelerate launch --cpu --num_processes 2 -m archer_gym train archer ...   # CPU processes (gloo)

:func:`process_group` joins the launcher's process group (through accelerate's ``PartialState``: gloo on
CPU, NCCL on CUDA) and returns a :class:`Group`; outside a launcher it is a group of one whose
operations do nothing. What the learners and the training loop ask of it:

- ``average_gradients(params)`` after each backward pass, before clipping and stepping;
- ``mean(x)`` / ``total(n)`` for the numbers every rank must agree on (the critic loss the actor's gate
  reads, the trajectory count the budget reads), so that every data-dependent decision is taken alike on
  every rank (a rank that skipped a step would leave the others waiting in an all-reduce);
- ``agree(flag)``: rank 0's decision (wall-time budgets), ``share(obj)``: rank 0's evaluation, and
  ``barrier()``.
"""

from __future__ import annotations

import os

import torch


class Group:
    """The processes of one data-parallel run (rank 0 writes the files)."""

    def __init__(self) -> None:
        import torch.distributed as dist

        self._dist = dist if dist.is_available() and dist.is_initialized() else None
        self.rank = self._dist.get_rank() if self._dist else 0
        self.world = self._dist.get_world_size() if self._dist else 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def average_gradients(self, params) -> None:
        if self.world == 1:
            return
        for p in params:
            if p.grad is not None:
                self._dist.all_reduce(p.grad)
                p.grad /= self.world

    def broadcast(self, module: torch.nn.Module) -> None:
        """Rank 0's parameters and buffers on every rank."""
        if self.world > 1:
            for tensor in [*module.parameters(), *module.buffers()]:
                self._dist.broadcast(tensor.data, src=0)

    def _reduce(self, value: float) -> float:
        t = torch.tensor([float(value)], dtype=torch.float64)
        self._dist.all_reduce(t)
        return float(t.item())

    def mean(self, value: float) -> float:
        return float(value) if self.world == 1 else self._reduce(value) / self.world

    def total(self, value: int) -> int:
        return int(value) if self.world == 1 else int(round(self._reduce(value)))

    def agree(self, flag: bool) -> bool:
        """Rank 0's ``flag`` on every rank."""
        if self.world == 1:
            return bool(flag)
        t = torch.tensor([1.0 if flag else 0.0], dtype=torch.float64)
        self._dist.broadcast(t, src=0)
        return bool(t.item())

    def share(self, obj):
        """Rank 0's ``obj`` (anything picklable) on every rank."""
        if self.world == 1:
            return obj
        box = [obj]
        self._dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.world > 1:
            self._dist.barrier()


def process_group() -> Group:
    """The launcher's process group (joined once, through accelerate), or a group of one without a launcher."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        import torch.distributed as dist

        if not dist.is_initialized():
            try:
                from accelerate import PartialState
            except ModuleNotFoundError as err:
                raise ModuleNotFoundError("training over several processes needs accelerate: "
                                          "pip install 'archer-gym[accelerate]'", name="accelerate") from err
            PartialState()
    return Group()


__all__ = ["Group", "process_group"]
