"""Online evaluation: the server holds the secrets and runs the env; a client only sends actions.

Replaying a submitted result proves that the recorded answers are the oracle's, not that the agent
played without knowing the secret (the test split ships with the package). Online, the agent cannot
know it: the server draws each run's episode list with the operating system's random source, keeps
it in its database, and tells a secret only in the answer to the turn that ends its episode.

The protocol (JSON over HTTP, every route needs the run owner's token; see docs/leaderboard.md):

``POST /api/runs`` ``{"env_id", "metadata"}``
    opens a run of :func:`run_size` episodes whose secrets are drawn from :func:`online_pool` (the
    env's whole secret set where it has one, so knowing the shipped test split narrows nothing; for
    an env whose secret is a generating seed, fresh seeds outside every split: its descriptor's
    ``fresh_seeds``).
    Any run the same token still has open on that env is finished first, its unplayed episodes
    forfeited, so opening runs and keeping only the good ones gains nothing.
``GET /api/runs/{id}``
    the run's state: per episode whether it started and ended and its turn count (for resuming).
``POST /api/runs/{id}/start`` ``{"episodes": [i, ...]}``
    starts those episodes (or, for started ones, tells their current turn and observation).
``POST /api/runs/{id}/step`` ``{"steps": [{"episode": i, "turn": t, "action": "..."}, ...]}``
    plays turn ``t`` of each episode. ``t`` must be the episode's next turn; a turn already played is
    answered from the record without playing it again, so a client that lost an answer resends the
    same request (requests are idempotent). Each answer carries the observation, the oracle's answer,
    the reward, ``done`` and ``success``, and, once ``done``, the ``secret``.
``POST /api/runs/{id}/finish``
    ends the run: episodes not played to their end are **forfeited** (played out on the server with
    the empty action, which the env answers as an invalid question, until the env ends them), so an
    abandoned episode scores no better than the worst play. A run also finishes by itself when its
    last episode ends.

Every turn is written to the database before it is answered, and the env of an episode is rebuilt
from its recorded actions when it is not in memory (the knowledge oracle is deterministic), so a
server restart loses nothing. The finished run is stored as a submission of the ``online`` track,
status ``verified``: the env's own rules and the default oracle ran on the server.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from archer_envs import descriptor
from archer_gym.leaderboard.store import Store

ONLINE_SPLIT = "online"  # the split a finished run is stored under
FORFEIT_ACTION = ""  # what an abandoned episode is played out with
MAX_STEPS_PER_REQUEST = 256
MAX_ACTION_CHARS = 2_000  # the envs cut questions to a few hundred characters anyway
MAX_FORFEIT_TURNS = 1_000  # a safety stop for an env that would never end an episode


class OnlineError(ValueError):
    """A refused online request; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def online_pool(env_id: str) -> list:
    """The secrets online episodes are drawn from: the env's whole set (split ``all``) where it has
    one, else its test split."""
    from archer_envs.scripted import split_secrets

    try:
        return list(split_secrets(env_id, "all"))
    except ValueError:
        return list(split_secrets(env_id, "test"))


def run_size(env_id: str) -> int:
    """Episodes per online run: as many as the env's test split has secrets."""
    from archer_envs.benchmark import episode_secrets

    return len(episode_secrets(env_id, "test"))




def draw_secrets(env_id: str) -> list:
    """A run's episode list, drawn without replacement (repeated draws once the pool is used up) from
    the OS's random source: nothing a client has can predict it."""
    rng = random.SystemRandom()
    n = run_size(env_id)
    # Envs whose secret is a seed that generates the episode declare a fresh-seed range no split uses, so a
    # client cannot precompute the shipped split's episodes and recognise one from its first observation.
    fresh = descriptor(env_id).fresh_seeds
    if fresh is not None:
        low, high = fresh
        return [rng.randrange(low, high) for _ in range(n)]
    pool = online_pool(env_id)
    out: list = []
    while len(out) < n:
        out += rng.sample(pool, min(len(pool), n - len(out)))
    return out


@dataclass
class _Live:
    env: Any
    turns: int


class OnlineRuns:
    """The runs of one server: the store holds every turn; live envs are a cache rebuilt on demand."""

    def __init__(self, store: Store, max_live: int = 4096) -> None:
        self.store, self.max_live = store, max_live
        self.live: OrderedDict[tuple[int, int], _Live] = OrderedDict()
        self.lock = threading.Lock()  # guards self.live and run_locks
        self.run_locks: dict[int, threading.Lock] = {}
        self.seconds_stepping = 0.0  # server time spent in env.step, for the benchmark
        self.turns_stepped = 0

    # helpers ------------------------------------------------------------------------------------
    def _run_lock(self, run_id: int) -> threading.Lock:
        with self.lock:
            return self.run_locks.setdefault(run_id, threading.Lock())

    def _owned_run(self, run_id: int, submitter: str) -> dict[str, Any]:
        run = self.store.run(run_id)
        if run is None or run["submitter"] != submitter:  # another token's run is not told apart from none
            raise OnlineError(404, f"no run {run_id} of token {submitter!r}")
        return run

    def _env(self, run: dict[str, Any], episode: dict[str, Any]):
        """The episode's env at its recorded turn (from the cache, or rebuilt by replaying its actions)."""
        import gymnasium as gym

        import archer_envs  # noqa: F401  (registers the ids)
        from archer_envs.play import secret_option

        key = (run["id"], episode["idx"])
        with self.lock:
            live = self.live.get(key)
            if live is not None and live.turns == len(episode["actions"]):
                self.live.move_to_end(key)
                return live.env
        env = gym.make(run["env_id"])
        env.reset(options={secret_option(env): episode["secret"]})
        for action in episode["actions"]:
            env.step(action)
        self._keep(key, env, len(episode["actions"]))
        return env

    def _keep(self, key: tuple[int, int], env, turns: int) -> None:
        with self.lock:
            self.live[key] = _Live(env, turns)
            self.live.move_to_end(key)
            while len(self.live) > self.max_live:
                _, old = self.live.popitem(last=False)
                old.env.close()

    def _drop(self, key: tuple[int, int]) -> None:
        with self.lock:
            live = self.live.pop(key, None)
        if live is not None:
            live.env.close()

    @staticmethod
    def _indices(values: Any, n: int, what: str) -> list[int]:
        if not isinstance(values, list) or not values:
            raise OnlineError(422, f"{what}: expected a non-empty list")
        if len(values) > MAX_STEPS_PER_REQUEST:
            raise OnlineError(422, f"{what}: at most {MAX_STEPS_PER_REQUEST} per request, got {len(values)}")
        for i in values:
            if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
                raise OnlineError(422, f"{what}: episode {i!r} is not an episode index of this run (0 to {n - 1})")
        if len(set(values)) != len(values):
            raise OnlineError(422, f"{what}: an episode is named twice")
        return list(values)

    # the protocol -------------------------------------------------------------------------------
    def create(self, submitter: str, env_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
        for old in self.store.open_runs(submitter, env_id):
            self.finish(old, submitter)
        secrets = draw_secrets(env_id)
        run_id = self.store.create_run(env_id, submitter, metadata, secrets)
        return {"run": run_id, "env_id": env_id, "episodes": len(secrets)}

    def state(self, run_id: int, submitter: str) -> dict[str, Any]:
        run = self._owned_run(run_id, submitter)
        episodes = self.store.run_episodes(run_id)
        return {"run": run_id, "env_id": run["env_id"], "episodes": run["episodes"], "finished": run["finished"],
                "submission": run["submission"],
                "status": [{"episode": e["idx"], "started": e["started"], "done": e["done"], "turns": len(e["actions"])}
                           for e in episodes]}

    def start(self, run_id: int, submitter: str, indices: Any) -> list[dict[str, Any]]:
        with self._run_lock(run_id):
            run = self._owned_run(run_id, submitter)
            indices = self._indices(indices, run["episodes"], "episodes")
            if run["finished"]:
                raise OnlineError(409, f"run {run_id} has finished (submission {run['submission']})")
            episodes = self.store.run_episodes(run_id, indices)
            fresh = [e for e in episodes if not e["started"]]
            for e in fresh:
                e["observation"], e["started"] = self._first_obs(self._env(run, e), e), True
            if fresh:
                self.store.save_run_episodes(run_id, fresh)
            return [{"episode": e["idx"], "turn": len(e["actions"]), "observation": e["observation"], "done": e["done"]}
                    for e in episodes]

    @staticmethod
    def _first_obs(env, episode) -> str:
        from archer_envs.play import secret_option

        obs, _ = env.reset(options={secret_option(env): episode["secret"]})
        return str(obs)

    def step(self, run_id: int, submitter: str, steps: Any) -> dict[str, Any]:
        with self._run_lock(run_id):
            run = self._owned_run(run_id, submitter)
            if not isinstance(steps, list) or not steps:
                raise OnlineError(422, "steps: expected a non-empty list of {episode, turn, action}")
            for s in steps:
                if not isinstance(s, dict) or set(s) != {"episode", "turn", "action"}:
                    raise OnlineError(422, "steps: each step is an object with exactly episode, turn and action")
                if isinstance(s["turn"], bool) or not isinstance(s["turn"], int) or s["turn"] < 0:
                    raise OnlineError(422, f"steps: turn {s['turn']!r} is not a turn number (0, 1, ...)")
                if not isinstance(s["action"], str) or len(s["action"]) > MAX_ACTION_CHARS:
                    raise OnlineError(422, f"steps: an action is a string of at most {MAX_ACTION_CHARS} characters")
            indices = self._indices([s["episode"] for s in steps], run["episodes"], "steps")
            episodes = {e["idx"]: e for e in self.store.run_episodes(run_id, indices)}
            for s in steps:  # check every step before playing any, so a refused request changes nothing
                e = episodes[s["episode"]]
                if not e["started"]:
                    raise OnlineError(409, f"episode {e['idx']} has not started: POST /api/runs/{run_id}/start first")
                played = len(e["actions"])
                if s["turn"] > played or (s["turn"] == played and e["done"]):
                    raise OnlineError(409, f"episode {e['idx']}: turn {s['turn']} cannot be played next; "
                                           f"{played} turns played" + (", the episode has ended" if e["done"] else ""))
                if s["turn"] == played and run["finished"]:
                    raise OnlineError(409, f"run {run_id} has finished (submission {run['submission']})")
            answers, changed = [], []
            for s in steps:
                e = episodes[s["episode"]]
                t = s["turn"]
                if t == len(e["actions"]):
                    self._play(run, e, s["action"])
                    changed.append(e)
                answers.append(self._turn(e, t))
            if changed:
                self.store.save_run_episodes(run_id, changed)
            out: dict[str, Any] = {"results": answers}
            if changed and all(e["done"] for e in self.store.run_episodes(run_id)):
                out["finished"] = self._finalise(run)
            return out

    def _play(self, run: dict[str, Any], e: dict[str, Any], action: str) -> None:
        env = self._env(run, e)
        started = time.perf_counter()
        obs, reward, terminated, truncated, info = env.step(action)
        self.seconds_stepping += time.perf_counter() - started
        self.turns_stepped += 1
        e["actions"].append(action)
        e["answers"].append(str(info.get("answer", info.get("response", ""))))
        e["rewards"].append(float(reward))
        e["observation"], e["success"] = str(obs), bool(info.get("success", False))
        key = (run["id"], e["idx"])
        if terminated or truncated:
            e["done"] = True
            self._drop(key)
        else:
            self._keep(key, env, len(e["actions"]))

    @staticmethod
    def _turn(e: dict[str, Any], t: int) -> dict[str, Any]:
        last = t == len(e["actions"]) - 1
        done = last and e["done"]
        out = {"episode": e["idx"], "turn": t, "action": e["actions"][t], "answer": e["answers"][t],
               "reward": e["rewards"][t], "done": done, "success": done and e["success"]}
        if last:  # the observation after the latest turn (earlier ones are not kept)
            out["observation"] = e["observation"]
        if done:
            out["secret"] = e["secret"]
        return out

    def finish(self, run_id: int, submitter: str) -> dict[str, Any]:
        with self._run_lock(run_id):
            run = self._owned_run(run_id, submitter)
            return self._finalise(run)

    def _finalise(self, run: dict[str, Any]) -> dict[str, Any]:
        """Forfeit what is left, store the result (once), and answer with the stored entry."""
        if run["submission"] is None:
            episodes = self.store.run_episodes(run["id"])
            for e in episodes:
                if e["done"]:
                    continue
                if not e["started"]:
                    e["observation"], e["started"] = self._first_obs(self._env(run, e), e), True
                e["forfeited"] = True
                for _ in range(MAX_FORFEIT_TURNS):
                    self._play(run, e, FORFEIT_ACTION)
                    if e["done"]:
                        break
                else:
                    raise RuntimeError(f"{run['env_id']} did not end episode {e['idx']} in {MAX_FORFEIT_TURNS} turns")
            submission, verdict = result_of(run, episodes)
            fp = hashlib.sha256(f"online-run:{run['id']}:{run['created']}".encode()).hexdigest()
            submission_id = self.store.finish_run(run["id"], [e for e in episodes if e["forfeited"]], submission,
                                                  verdict, fp)
        else:
            submission_id = run["submission"]
        entry = self.store.entry(submission_id)
        if entry is None:
            raise OnlineError(410, f"run {run['id']} finished as submission {submission_id}, which an admin deleted")
        return {"id": submission_id, "status": entry["status"], "track": entry["track"],
                "mean_return": entry["mean_return"], "return_ci95": entry["return_ci95"],
                "success_rate": entry["success_rate"], "mean_turns": entry["mean_turns"],
                "episodes": entry["episodes"]}


def result_of(run: dict[str, Any], episodes: list[dict[str, Any]]):
    """A finished run as a submission object (records in the harness's format) and its verdict."""
    from archer_envs.benchmark import FORMAT as EVAL_FORMAT
    from archer_envs.benchmark import FORMAT_VERSION as EVAL_VERSION
    from archer_envs.benchmark import summarize
    from archer_envs.play import knowledge_matcher
    from archer_gym.leaderboard.submission import FORMAT, FORMAT_VERSION, Verdict

    records = [{"format_version": EVAL_VERSION, "index": e["idx"], "secret": e["secret"], "actions": e["actions"],
                "answers": e["answers"], "rewards": e["rewards"], "return": float(sum(e["rewards"])),
                "success": e["success"], "turns": len(e["actions"]), "forfeited": e["forfeited"]}
               for e in episodes]
    numbers = summarize(records)
    summary = {"format": EVAL_FORMAT, "format_version": EVAL_VERSION, "env_id": run["env_id"], "split": ONLINE_SPLIT,
               "episodes": len(records), "episodes_requested": None, "seed": None, "run": run["id"], **numbers,
               "forfeited": sum(e["forfeited"] for e in episodes), "env_kwargs": {},
               "knowledge_matcher": knowledge_matcher(run["env_id"])}
    submission = {"format": FORMAT, "format_version": FORMAT_VERSION, "metadata": run["metadata"],
                  "summary": summary, "episodes": records}
    verdict = Verdict("verified", run["env_id"], ONLINE_SPLIT, len(records), numbers["mean_return"],
                      numbers["return_ci95"], numbers["success_rate"], numbers["mean_turns"], 0.0)
    return submission, verdict
