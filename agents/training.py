"""What every online algorithm shares: the run config and the training loop.

ArCHer, PPO, online filtered BC and CHAI differ only in what they learn from a batch of fresh
trajectories. Everything else is here, once:

    RunConfig        the fields every algorithm has (env, seeds, BC start, budget, evaluation, checkpoints);
                     its presets are built by :func:`archer_gym.agents.config.make_config`
    run_training     collect → ``learner.update(rollout)`` → evaluate / log / checkpoint, resumable;
                     it starts from :func:`archer_gym.agents.algorithms.bc.bc_start`, the behaviour-cloning
                     checkpoint all algorithms share (made when missing)
    Sampler          an agent sampling the policy at a fixed temperature (rollouts, evaluation)
    evaluate_agent   the shared harness on the run's test episodes, under the run's evaluation seed

A learner (:class:`Learner`) owns the policy being trained and whatever else it learns (critics, a
value head, a replay or trajectory buffer); :func:`run_training` owns the envs, the budget (iterations,
wall time, trajectories), the test-split evaluations through the shared harness, the metrics log
(``out/logs/metrics.jsonl|csv``: one row per iteration, the same columns for every algorithm plus the
algorithm's own) and atomic checkpoints (``out/checkpoint``) from which a run resumes.
"""

from __future__ import annotations

import contextlib
import json
import resource
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Protocol

import numpy as np
import torch

from archer_envs import ENVS
from archer_envs.descriptor import DEFAULT_GAMMA
from archer_gym.agents.progress import stage

CHECKPOINT_DIR, LOG_DIR, BC_DIR, BEHAVIOUR_FILE, EVAL_DIR = "checkpoint", "logs", "bc", "behaviour.jsonl", "eval"
# Fields a resumed run may change: its budgets, how often it evaluates and saves, where it lives and runs.
RESUMABLE_CHANGES = ("out", "device", "iterations", "max_minutes", "max_trajectories", "eval_every", "checkpoint_every",
                     "ray_workers", "extra")


@dataclass
class RunConfig:
    """The fields every online algorithm has. Algorithm configs subclass it (``ArcherConfig``, ...) and
    declare their presets in the two tables that :func:`archer_gym.agents.config.make_config` reads."""

    # preset name → field overrides of the defaults (the defaults are the ``cpu`` preset)
    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {"cpu": {}}
    # (preset, env id) → further field overrides (the paper's per-env table)
    PRESET_ENV_OVERRIDES: ClassVar[dict[tuple[str, str], dict[str, Any]]] = {}

    env_id: str = "archer/TwentyQuestions-v0"
    out: str = "runs/run"  # run directory: checkpoint/, logs/, bc/ (when made here), eval/
    preset: str = "cpu"
    # "paper": train and evaluate on the same secrets, as the paper's code does (20Q/City: all of them);
    # "generalisation": train on the train split, evaluate on the held-out test split (archer_envs.protocols)
    protocol: str = "paper"
    seed: int = 0
    device: str | None = None  # default: CUDA when present
    # --- starting policy (behaviour cloning, shared by all algorithms) -------------------------
    init: str | None = None  # a BC checkpoint / policy dir; None: make one (behaviour data + BC) in out/bc
    behaviour_data: str | None = None  # behaviour dataset (JSONL); None: out/behaviour.jsonl, made when missing
    behaviour_policy: str = "noisy"  # scripted player whose episodes the BC start is trained on
    behaviour_episodes: int = 250  # episodes of behaviour data (train split)
    expert_episodes: int = 508  # scripted-expert episodes mixed into that data (LMRL-Gym's data mix good and poor play)
    bc_epochs: int = 10
    bc_lr: float = 1e-3
    bc_batch_size: int = 64
    policy_model: str | None = None  # BC's initial model: None = small GPT-2 from config; "gpt2", a path, ...
    policy_layers: int = 2  # small GPT-2 from config: layers, width, heads
    policy_width: int = 128
    policy_heads: int = 4
    max_new_tokens: int = 32  # longest utterance
    # --- budget and acting ---------------------------------------------------------------------
    iterations: int = 1000  # at most this many iterations (max_minutes / max_trajectories may stop earlier)
    max_minutes: float | None = None  # wall-time budget of the RL phase (None: no limit; not reproducible)
    max_trajectories: int | None = 2048  # stop once this many trajectories were collected (None: no limit)
    rollouts_per_iteration: int = 32  # trajectories collected per iteration
    num_envs: int = 32  # episodes played side by side while collecting
    ray_workers: int = 0  # >= 1: the collecting envs (and their oracles) run in this many Ray actors
    gamma: float | None = None  # discount; None: per env (0.95; Detective 0.98; WebShop 0.9)
    temperature: float = 1.0  # sampling temperature of rollouts
    grad_clip: float = 1.0  # max gradient norm of every update
    # --- evaluation, logging, checkpoints ------------------------------------------------------
    eval_every: int = 10  # evaluate on the test split every this many iterations (0: only at the end)
    eval_episodes: int | None = 62  # test episodes per evaluation (None: every test secret once)
    eval_temperature: float = 1.0  # 0: greedy
    checkpoint_every: int = 5  # iterations between checkpoints (and one at the end)
    extra: dict = field(default_factory=dict)  # free-form notes saved with the run

    def checks(self) -> dict[str, bool]:
        """Field name → whether its value is valid; subclasses add their own fields."""
        return {
            "iterations": self.iterations >= 1, "rollouts_per_iteration": self.rollouts_per_iteration >= 1,
            "num_envs": self.num_envs >= 1, "grad_clip": self.grad_clip > 0,
            "ray_workers": 0 <= self.ray_workers <= self.num_envs,
            "temperature": self.temperature > 0, "eval_temperature": self.eval_temperature >= 0,
            "eval_every": self.eval_every >= 0, "checkpoint_every": self.checkpoint_every >= 1,
            "behaviour_episodes": self.behaviour_episodes >= 1, "expert_episodes": self.expert_episodes >= 0,
            "bc_epochs": self.bc_epochs >= 1, "max_new_tokens": self.max_new_tokens >= 1,
            "gamma": self.gamma is None or 0.0 <= self.gamma <= 1.0,
            "max_minutes": self.max_minutes is None or self.max_minutes > 0,
            "max_trajectories": self.max_trajectories is None or self.max_trajectories >= 1,
        }

    def __post_init__(self) -> None:
        from archer_envs.protocols import PROTOCOLS

        if self.protocol not in PROTOCOLS:  # named with the choices, which the generic message below lacks
            raise ValueError(f"invalid {type(self).__name__}: protocol={self.protocol!r} (expected one of "
                             f"{', '.join(PROTOCOLS)})")
        bad = [k for k, ok in self.checks().items() if not ok]
        if bad:
            raise ValueError(f"invalid {type(self).__name__}: " + ", ".join(f"{k}={getattr(self, k)!r}" for k in bad))
        problem = self.budget_problem()
        if problem:
            raise ValueError(f"invalid {type(self).__name__}: {problem}")

    @property
    def budget_iterations(self) -> int:
        """The most iterations the budget allows (``iterations`` and ``max_trajectories``; a wall-time
        limit may stop earlier)."""
        if self.max_trajectories is None:
            return self.iterations
        return min(self.iterations, -(-self.max_trajectories // self.rollouts_per_iteration))

    def budget_problem(self) -> str | None:
        """Why the budget cannot be met as asked (None: it can); subclasses add their own reasons."""
        if self.max_trajectories is not None and self.max_trajectories < self.rollouts_per_iteration:
            return (f"max_trajectories={self.max_trajectories} is less than one iteration "
                    f"(rollouts_per_iteration={self.rollouts_per_iteration}): give at least "
                    f"{self.rollouts_per_iteration} trajectories or lower rollouts_per_iteration")
        return None

    @property
    def discount(self) -> float:
        if self.gamma is not None:
            return float(self.gamma)
        return ENVS[self.env_id].gamma if self.env_id in ENVS else DEFAULT_GAMMA

    @property
    def train_split(self) -> str:
        """The split behaviour data and rollouts draw their secrets from (see archer_envs.protocols)."""
        from archer_envs.protocols import protocol_splits

        return protocol_splits(self.env_id, self.protocol)[0]

    @property
    def eval_split(self) -> str:
        """The split every evaluation of the run plays."""
        from archer_envs.protocols import protocol_splits

        return protocol_splits(self.env_id, self.protocol)[1]

    @property
    def behaviour_path(self) -> Path:
        return Path(self.behaviour_data) if self.behaviour_data else Path(self.out) / BEHAVIOUR_FILE


class Sampler:
    """An agent that samples from an :class:`~agents.lm_policy.LMPolicy` at a fixed temperature
    (greedy at 0), without changing the policy's own setting."""

    def __init__(self, policy, temperature: float, name: str | None = None) -> None:
        self.policy = policy
        self.temperature = float(temperature)
        self.name = name

    @property
    def tokens_generated(self) -> int:
        return self.policy.tokens_generated

    def act(self, observations: list[str]) -> list[str]:
        if self.temperature == 0:
            return self.policy.generate(observations, greedy=True)
        return self.policy.generate(observations, temperature=self.temperature)


# --- evaluation -----------------------------------------------------------------------------------
def evaluate_agent(agent, cfg: RunConfig, out_dir: str | Path | None = None, progress: bool = False):
    """The shared harness on the run's episode list (``eval_split`` of the protocol, ``eval_episodes``,
    ``seed``).

    The sampling noise comes from the run's evaluation seed (torch seeded with ``cfg.seed`` inside a
    forked RNG): the same policy gets the same score wherever it is evaluated (the learning curve,
    the pipeline's table, a comparison's BC start, a re-run of a finished job), and evaluating does
    not shift the training's random stream."""
    from archer_envs.benchmark import evaluate

    with torch.random.fork_rng(devices=list(range(torch.cuda.device_count()))):
        torch.manual_seed(cfg.seed)
        return evaluate(agent, cfg.env_id, split=cfg.eval_split, episodes=cfg.eval_episodes, seed=cfg.seed,
                        out_dir=out_dir, batch_size=cfg.num_envs, progress=progress)


def evaluate_policy(policy, cfg: RunConfig, out_dir: str | Path | None = None, name: str = "policy"):
    """:func:`evaluate_agent` for ``policy`` sampled at ``eval_temperature``."""
    return evaluate_agent(Sampler(policy, cfg.eval_temperature, name=name), cfg, out_dir)


# --- the loop -------------------------------------------------------------------------------------
class Learner(Protocol):
    """What :func:`run_training` drives. ``update`` returns metrics for the log row, including the
    seconds it spent in ``critic_s`` / ``actor_s`` (whichever apply)."""

    policy: Any  # the LMPolicy being trained (saved in the checkpoint)
    metric_columns: tuple[str, ...]  # the algorithm's own columns of the metrics log
    trains_policy: bool  # False where the policy stays frozen by design (CHAI acts through its critic)

    def acting_agent(self) -> Any: ...  # what collects the rollouts

    def evaluation_agent(self) -> Any: ...  # what the test split evaluates

    def update(self, rollout, iteration: int) -> dict[str, float]: ...  # iteration counts from 1

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


# A learner factory: (policy, cfg) -> a fresh Learner. run_training then restores the saved state of a
# resumed run, or, for a fresh run whose config sets ``prefill_buffer``, calls ``learner.prefill()``.
LearnerFactory = Callable[[Any, RunConfig], Learner]


class SampledPolicyAgents:
    """``acting_agent`` / ``evaluation_agent`` for learners that act by sampling their own policy
    (ArCHer, PPO, filtered BC): at ``cfg.temperature`` in rollouts, ``cfg.eval_temperature`` in evaluation."""

    agent_name = "policy"
    trains_policy = True

    def acting_agent(self) -> Sampler:
        return Sampler(self.policy, self.cfg.temperature)

    def evaluation_agent(self) -> Sampler:
        return Sampler(self.policy, self.cfg.eval_temperature, name=self.agent_name)

# actor_updates: gradient steps taken on the policy so far (cumulative; learners report each update's in
# the same key). A run that took none still acts with its BC start.
COMMON_COLUMNS = ("trajectories", "actor_updates", "train_return", "train_success", "train_length", "eval_return",
                  "eval_success")
TIMING_COLUMNS = ("rollout_s", "critic_s", "actor_s", "eval_s", "elapsed_s", "peak_memory_mb", "final")
TIMINGS = ("rollout", "critic", "actor", "eval")


@dataclass
class TrainResult:
    checkpoint: Path
    iterations: int
    trajectories: int  # trajectories collected by the algorithm (behaviour data excluded)
    seconds: float  # wall time of the RL phase (over all resumes)
    final_eval: dict[str, Any]  # the test-split summary of the final agent
    bc_checkpoint: Path
    timings: dict[str, float]  # seconds spent in rollout / critic / actor / eval over the run
    peak_memory_mb: float
    actor_updates: int = 0  # gradient steps taken on the policy (0: the final policy is the BC start)
    trains_policy: bool = True  # False for learners whose policy stays frozen by design (CHAI)

    @property
    def policy_is_bc_start(self) -> bool:
        """True when the algorithm trains its policy but took no step on it: it acts as its BC start."""
        return self.trains_policy and self.actor_updates == 0


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def run_training(cfg: RunConfig, build_learner: LearnerFactory, name: str, log=None,
                 progress: bool = False) -> TrainResult:
    """Run (or resume) one algorithm as configured. Each iteration: collect
    ``rollouts_per_iteration`` trajectories with ``learner.acting_agent()`` → ``learner.update`` →
    evaluate every ``eval_every`` iterations → log → checkpoint every ``checkpoint_every``. Stops at
    ``iterations``, ``max_minutes`` or ``max_trajectories``, whichever first, then evaluates the
    final agent into ``out/eval``. ``log(step, **row)`` gets every row of the metrics log.

    Under ``accelerate launch`` (:mod:`archer_gym.agents.distributed`), every process runs this loop:
    each collects its share of ``rollouts_per_iteration`` with its own env and sampling streams, the
    learner averages every gradient over the processes, and rank 0 alone makes the BC start, evaluates,
    logs and writes checkpoints."""
    from archer_envs.benchmark import write_results
    from archer_gym.agents.algorithms.bc import bc_start
    from archer_gym.agents.checkpoint import (
        check_resumable,
        is_checkpoint,
        load_checkpoint,
        load_policy,
        save_checkpoint,
    )
    from archer_gym.agents.distributed import process_group
    from archer_gym.agents.logger import MetricLogger
    from archer_gym.agents.rollout import RolloutCollector
    from archer_gym.agents.seeding import seed_everything

    group = process_group()
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(cfg.seed)
    ckpt = out / CHECKPOINT_DIR
    if not group.main:
        log = None  # rank 0 reports
        group.barrier()  # rank 0 makes the BC start; here it is then found finished
    bc_dir = bc_start(cfg, log=log)
    if group.main:
        group.barrier()
    if is_checkpoint(ckpt):
        policy, saved, state = load_checkpoint(ckpt, device=cfg.device)
        check_resumable(ckpt, saved, asdict(cfg), ignore=RESUMABLE_CHANGES)
        if group.main:
            truncate_logs(out / LOG_DIR, state["iteration"])
    else:
        policy = load_policy(bc_dir, device=cfg.device)
        state = {"iteration": 0, "trajectories": 0, "seconds": 0.0, "timings": {}, "actor_updates": 0}
    policy.max_new_tokens = cfg.max_new_tokens
    policy.model.eval()
    learner = build_learner(policy, cfg)
    if group.world > 1:
        if not getattr(learner, "data_parallel", False):
            raise ValueError(f"{name} does not train over several processes yet (ArCHer does): launch it alone")
        group.broadcast(policy.model)  # identical starts (they are: the same checkpoint and seed; made sure)
        for module in (getattr(learner, attr, None) for attr in ("critic", "target_critic", "baseline")):
            if module is not None:
                group.broadcast(module)
    if "learner" in state:
        learner.load_state_dict(state["learner"])
    elif getattr(cfg, "prefill_buffer", False):
        learner.prefill()
    if group.world > 1:  # each rank its own sampling, replay and env streams from here on
        rank_seed = cfg.seed + 7919 * group.rank
        torch.manual_seed(rank_seed)
        if hasattr(learner, "buffer"):
            learner.buffer.rng = np.random.default_rng(rank_seed)
            learner.pool_rng = np.random.default_rng(rank_seed + 7)
    columns = COMMON_COLUMNS + tuple(c for c in learner.metric_columns if c not in COMMON_COLUMNS) + TIMING_COLUMNS
    timings = {k: float(state["timings"].get(k, 0.0)) for k in TIMINGS}
    # A resumed run restarts the env stream from a seed derived from its iteration: reproducible,
    # though not bit-identical to an uninterrupted run.
    collector = RolloutCollector(cfg.env_id, num_envs=cfg.num_envs, split=cfg.train_split,
                                 seed=cfg.seed + 1000 * state["iteration"] + 7919 * group.rank,
                                 ray_workers=cfg.ray_workers)
    rollouts_per_rank = -(-cfg.rollouts_per_iteration // group.world)  # ceil: at least the configured total
    iteration, trajectories, elapsed_before = state["iteration"], state["trajectories"], state["seconds"]
    actor_updates = int(state.get("actor_updates", 0))
    resumed_at = iteration
    start = time.perf_counter()
    last_eval: dict[str, Any] | None = state.get("last_eval")

    def save() -> None:
        if not group.main:
            return
        state.update(iteration=iteration, trajectories=trajectories, timings=timings, last_eval=last_eval,
                     actor_updates=actor_updates, seconds=elapsed_before + time.perf_counter() - start,
                     trains_policy=bool(getattr(learner, "trains_policy", True)), learner=learner.state_dict())
        save_checkpoint(ckpt, policy, asdict(cfg), state)

    def budget_left() -> bool:
        if iteration >= cfg.iterations:
            return False
        if cfg.max_trajectories is not None and trajectories >= cfg.max_trajectories:
            return False
        # wall time differs between processes: rank 0's clock decides for all
        return group.agree(cfg.max_minutes is None
                           or elapsed_before + time.perf_counter() - start < 60.0 * cfg.max_minutes)

    bar = None
    if progress and group.main:
        from tqdm import tqdm

        bar = tqdm(total=cfg.iterations, initial=iteration, desc=name, unit="it")
    logs = MetricLogger(out / LOG_DIR, console=False) if group.main else contextlib.nullcontext()
    with logs as logger, collector:
        def emit(step: int, row: dict[str, Any]) -> None:
            if not group.main:
                return
            unknown = set(row) - set(columns)
            if unknown:
                raise KeyError(f"{name} metrics {sorted(unknown)} are not among the log's columns")
            logger.log(step, **{k: row.get(k) for k in columns})
            if log is not None:
                log(step, **row)

        evaluated: dict[str, Any] = {}  # this process's latest evaluation: its iteration and result

        def run_eval(row: dict[str, Any], out_dir: Path | None = None) -> dict[str, Any]:
            """Evaluate, add the time to ``timings`` and the scores to ``row``; returns the summary
            (rank 0 evaluates; the other ranks wait for its summary)."""
            if not group.main:
                summary = group.share(None)
                row.update(eval_return=summary["mean_return"], eval_success=summary["success_rate"])
                return summary
            t = time.perf_counter()
            if evaluated.get("iteration") == iteration:
                # Nothing has learned since this iteration's evaluation and the seed is the same, so
                # playing the episodes again would give the same result: keep (and write) that one.
                result = evaluated["result"]
                if out_dir is not None:
                    write_results(result, out_dir)
            else:
                result = evaluate_agent(learner.evaluation_agent(), cfg, out_dir=out_dir)
                evaluated.update(iteration=iteration, result=result)
            summary = result.summary
            row["eval_s"] = time.perf_counter() - t
            timings["eval"] += row["eval_s"]
            row.update(eval_return=summary["mean_return"], eval_success=summary["success_rate"])
            return group.share(summary)

        if iteration == 0 and last_eval is None:
            row = {"trajectories": 0, "actor_updates": 0}
            last_eval = run_eval(row)
            emit(0, row)
        while budget_left():
            row: dict[str, Any] = {}
            t = time.perf_counter()
            rollout = collector.collect(learner.acting_agent(), num_episodes=rollouts_per_rank)
            trajectories += group.total(len(rollout.episodes))
            row["rollout_s"] = time.perf_counter() - t
            summary = rollout.summary()
            row.update(trajectories=trajectories, train_return=group.mean(summary["mean_return"]),
                       train_success=group.mean(summary["success_rate"]),
                       train_length=group.mean(summary["mean_length"]))
            iteration += 1
            row.update(learner.update(rollout, iteration))
            actor_updates += int(row.get("actor_updates") or 0)
            row["actor_updates"] = actor_updates
            for key in ("rollout", "critic", "actor"):
                timings[key] += float(row.get(f"{key}_s") or 0.0)
            if cfg.eval_every and iteration % cfg.eval_every == 0:
                last_eval = run_eval(row)
            row.update(elapsed_s=elapsed_before + time.perf_counter() - start, peak_memory_mb=peak_memory_mb())
            emit(iteration, row)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(ret=f"{summary['mean_return']:.2f}", traj=trajectories)
            if iteration % cfg.checkpoint_every == 0:
                save()
        finished_before = group.agree(iteration == resumed_at and (last_eval or {}).get("iteration") == iteration
                                      and (out / EVAL_DIR / "summary.json").is_file())
        if not finished_before:  # a re-run of a finished run changes nothing: its final evaluation stands
            stage(log, f"final evaluation: {cfg.eval_episodes or 'every'} episodes of the {cfg.eval_split} split")
            row = {"trajectories": trajectories, "actor_updates": actor_updates, "final": True}
            last_eval = {**run_eval(row, out_dir=out / EVAL_DIR), "iteration": iteration}
            row["elapsed_s"] = elapsed_before + time.perf_counter() - start
            emit(iteration, row)
            save()
    if bar is not None:
        bar.close()
    result = TrainResult(ckpt, iteration, trajectories, state["seconds"], last_eval, bc_dir, dict(timings),
                         peak_memory_mb(), actor_updates, bool(getattr(learner, "trains_policy", True)))
    if result.policy_is_bc_start and group.main:
        warn_no_actor_step(name, result, cfg)
    return result


def warn_no_actor_step(name: str, result: TrainResult, cfg: RunConfig) -> str:
    """Say loudly (stderr) that a run never stepped its policy; returns the message."""
    warmup = getattr(cfg, "warmup_iterations", None)
    why = f" (warm-up {warmup} iterations, {result.iterations} run)" if warmup is not None else ""
    message = (f"WARNING: {name} took no actor step in {result.iterations} iterations{why}: its policy is "
               f"the BC start, and its evaluation is the BC policy's. Give it a larger budget.")
    print(message, file=sys.stderr, flush=True)
    return message


def truncate_logs(log_dir: Path, iteration: int) -> None:
    """Drop log rows of iterations after the checkpoint a run resumes from (they are redone), so the
    learning curve has one row per iteration."""
    from archer_envs.benchmark import write_atomic

    for name in ("metrics.jsonl", "metrics.csv"):
        path = log_dir / name
        if not path.is_file():
            continue
        lines = path.read_text().splitlines(keepends=True)
        if name.endswith(".jsonl"):
            kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= iteration]
        else:
            header = lines[:1]
            rows = [line for line in lines[1:] if line.strip()]
            kept = header + [line for line in rows if int(float(line.split(",", 1)[0])) <= iteration]
        if len(kept) != len(lines):
            write_atomic(path, kept)


def mean_stats(rows: list[dict[str, float]]) -> dict[str, float]:
    """The mean of each key over a list of per-step metric dicts ({} for no steps)."""
    if not rows:
        return {}
    return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


__all__ = [
    "DEFAULT_GAMMA", "Learner", "RunConfig", "SampledPolicyAgents", "Sampler", "TrainResult",
    "evaluate_agent", "evaluate_policy", "mean_stats", "run_training",
]
