"""Talking to a leaderboard server from Python or the CLI (stdlib ``urllib``, no extra dependency)."""

from __future__ import annotations

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
