"""Talking to a leaderboard server from Python or the CLI (stdlib ``urllib``, no extra dependency)."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


class LeaderboardError(RuntimeError):
    """The server refused a request (``status`` is the HTTP code, the message its ``detail``) or could
    not be reached (``status`` 0)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}" if status else message)
        self.status = status


def request(method: str, url: str, token: str | None = None, body: bytes | None = None,
            timeout: float = 600.0) -> Any:
    """One JSON request; the decoded answer, or LeaderboardError with the server's message."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        text = err.read().decode("utf-8", "replace")
        try:
            detail = json.loads(text).get("detail", text)
        except (json.JSONDecodeError, AttributeError):
            detail = text
        raise LeaderboardError(err.code, str(detail)) from None
    except urllib.error.URLError as err:
        raise LeaderboardError(0, f"cannot reach {url}: {err.reason}") from None
    except (http.client.HTTPException, OSError) as err:  # the connection dropped mid-answer
        raise LeaderboardError(0, f"lost the connection to {url}: {err!r}") from None


def submit(url: str, token: str, submission: str | Path | bytes | dict, timeout: float = 600.0) -> dict[str, Any]:
    """POST a submission (a file path, raw JSON bytes or the object) to the server at ``url``."""
    if isinstance(submission, dict):
        body = json.dumps(submission, allow_nan=False).encode()
    elif isinstance(submission, bytes):
        body = submission
    else:
        path = Path(submission)
        if not path.is_file():
            raise FileNotFoundError(f"no submission file at {path}")
        body = path.read_bytes()
    return request("POST", url.rstrip("/") + "/api/submissions", token, body, timeout)


def delete(url: str, token: str, submission_id: int) -> dict[str, Any]:
    return request("DELETE", f"{url.rstrip('/')}/api/submissions/{int(submission_id)}", token)


# online evaluation (protocol: leaderboard/online.py) -------------------------------------------------
def _json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=False).encode()


def patient_request(method: str, url: str, token: str, body: bytes | None = None, retries: int = 8,
                    timeout: float = 600.0, wait: float = 0.5) -> Any:
    """:func:`request`, retried when the connection fails or the server answers 5xx/429 (with waits
    doubling from ``wait`` seconds). Safe for every online request: a resent step names its turn and
    is answered from the record if it was already played."""
    import time

    for attempt in range(retries + 1):
        try:
            return request(method, url, token, body, timeout)
        except LeaderboardError as err:
            if attempt == retries or not (err.status == 0 or err.status >= 500 or err.status == 429):
                raise
            time.sleep(wait * 2**attempt)


def open_run(url: str, token: str, env_id: str, metadata: dict[str, Any]) -> dict[str, Any]:
    # not retried: a lost answer would leave a run open, and opening another forfeits it
    return request("POST", url.rstrip("/") + "/api/runs", token, _json({"env_id": env_id, "metadata": metadata}))


def play(agent, env_id: str, url: str, token: str, metadata: dict[str, Any] | None = None, run: int | None = None,
         batch_size: int = 32, progress: bool = False, retries: int = 8, retry_wait: float = 0.5) -> dict[str, Any]:
    """Play a whole online run with ``agent`` (``act(observations) -> actions``): up to ``batch_size``
    episodes side by side, one ``act`` call and one request per step of the batch; a finished episode's
    slot is given to the next one. ``run``: resume that run (after a dropped connection or a crash)
    instead of opening one with ``metadata``. A failed request is resent up to ``retries`` times, after
    waits doubling from ``retry_wait`` seconds. Returns the server's answer for the finished run (its
    submission ``id``, ``mean_return``, ...) with the ``run`` id."""
    base = url.rstrip("/")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if run is None:
        if metadata is None:
            raise ValueError("a new run needs the agent's metadata")
        run = int(open_run(base, token, env_id, metadata)["run"])
    state = patient_request("GET", f"{base}/api/runs/{run}", token, retries=retries, wait=retry_wait)
    if state["env_id"] != env_id:
        raise ValueError(f"run {run} is on {state['env_id']}, not {env_id}")
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=state["episodes"], desc=f"online {env_id} run {run}", unit="episode")
        bar.update(sum(s["done"] for s in state["status"]))
    # episodes begun first (a resumed run continues them), then the rest in order
    waiting = [s["episode"] for s in sorted(state["status"], key=lambda s: not s["started"]) if not s["done"]]
    active: dict[int, tuple[int, str]] = {}  # episode -> (next turn, observation)
    finished = None
    try:
        while waiting or active:
            if waiting and len(active) < batch_size:
                fresh, waiting = waiting[: batch_size - len(active)], waiting[batch_size - len(active):]
                started = patient_request("POST", f"{base}/api/runs/{run}/start", token, _json({"episodes": fresh}),
                                          retries=retries, wait=retry_wait)["episodes"]
                for e in started:
                    if e["done"]:
                        if bar is not None:
                            bar.update(1)
                    else:
                        active[e["episode"]] = (e["turn"], e["observation"])
            if not active:
                continue
            order = list(active)
            actions = agent.act([active[i][1] for i in order])
            if len(actions) != len(order):
                raise ValueError(f"agent returned {len(actions)} actions for {len(order)} observations")
            steps = [{"episode": i, "turn": active[i][0], "action": str(a)} for i, a in zip(order, actions)]
            answer = patient_request("POST", f"{base}/api/runs/{run}/step", token, _json({"steps": steps}),
                                     retries=retries, wait=retry_wait)
            for r in answer["results"]:
                if r["done"]:
                    del active[r["episode"]]
                    if bar is not None:
                        bar.update(1)
                else:
                    active[r["episode"]] = (r["turn"] + 1, r["observation"])
            finished = answer.get("finished", finished)
    finally:
        if bar is not None:
            bar.close()
    if finished is None:  # the run had ended before (e.g. a resumed run whose answer was lost)
        finished = patient_request("POST", f"{base}/api/runs/{run}/finish", token, retries=retries, wait=retry_wait)
    return {**finished, "run": run}


def finish(url: str, token: str, run: int) -> dict[str, Any]:
    """End a run now; episodes not played to their end are forfeited."""
    return patient_request("POST", f"{url.rstrip('/')}/api/runs/{int(run)}/finish", token)
