"""A leaderboard server on this machine: `archer leaderboard serve` in a subprocess on 127.0.0.1, for
scripts, benchmarks and tests that talk to it over real HTTP.

    with serving(Path("lb.sqlite"), "--submit-rate", "1000") as server:
        request("GET", server.url + "/healthz")
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from archer_gym.leaderboard.client import LeaderboardError, request


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """`archer leaderboard serve --db DB --port <free> OPTIONS...` started and answering /healthz (within
    ``start_timeout_s``) when the constructor returns; its output goes to ``DB.<port>.log``."""

    def __init__(self, db: Path, *options: str, start_timeout_s: float = 60.0) -> None:
        self.db, self.port = Path(db), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.db.with_suffix(f".{self.port}.log")
        cmd = [sys.executable, "-m", "archer_gym", "leaderboard", "serve", "--db", str(self.db),
               "--port", str(self.port), *options]
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + start_timeout_s
        while True:
            try:
                request("GET", self.url + "/healthz", timeout=2)
                return
            except LeaderboardError as err:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"the leaderboard server did not start: {self.log_path.read_text()}") from err
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


@contextlib.contextmanager
def serving(db: Path, *options: str) -> Iterator[LocalServer]:
    """A :class:`LocalServer` for the duration of the ``with`` block."""
    server = LocalServer(db, *options)
    try:
        yield server
    finally:
        server.stop()
