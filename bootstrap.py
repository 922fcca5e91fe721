#!/usr/bin/env python3
"""Set up archer-gym in ./.venv and run the main job or the tests.

    python3 bootstrap.py main    # set up, then run the main job on the offline defaults
    python3 bootstrap.py test    # set up, then run the test suite (extra args go to pytest)

Set-up is idempotent and needs only Python >= 3.10 and this repository:

1. create ./.venv (stdlib ``venv``) unless it exists;
2. install PyTorch first, pinned to TORCH_VERSION, so that nothing later pulls a different build:
   - on a machine with an NVIDIA GPU (``nvidia-smi`` works) the default PyPI build (CUDA);
   - otherwise the CPU build: from PyTorch's CPU index when it is reachable, else from the
     configured package index / find-links (a CPU-only machine there must provide a CPU wheel;
     plain PyPI would serve the multi-gigabyte CUDA build, so we warn);
   ``ARCHER_TORCH_INDEX_URL`` overrides the index used for torch, ``ARCHER_SKIP_TORCH=1`` skips it;
3. ``pip install -e .[embed,leaderboard,test]`` (torch already satisfies the package's ``torch>=2.2``);
4. for ``test`` only: a Chromium for the leaderboard page test. ``chromium`` on the PATH (or
   ``ARCHER_CHROMIUM``) is used; else, running as root on Debian/Ubuntu, Debian's ``chromium``
   package is installed with apt-get (``ARCHER_SKIP_BROWSER=1`` skips this; the browser test then
   skips too, unless ``ARCHER_REQUIRE_BROWSER=1``, which CI sets).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TORCH_VERSION = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# The main job on the offline defaults: behaviour data -> BC -> ArCHer (cpu preset, 30 min) -> table + plot.
MAIN_JOB = ["archer", "pipeline", "--env", "archer/TwentyQuestions-v0", "--out", "runs/main", "--minutes", "30"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(cmd: list[str], **kwargs) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    subprocess.run([str(c) for c in cmd], check=True, **kwargs)


def has_nvidia_gpu() -> bool:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False
    try:
        return subprocess.run([smi, "-L"], capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def reachable(url: str, timeout: float = 3.0) -> bool:
    host = url.split("://", 1)[-1].split("/", 1)[0]
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


def torch_installed(py: Path) -> bool:
    probe = "import importlib.metadata as m; print(m.version('torch'))"
    out = subprocess.run([str(py), "-c", probe], capture_output=True, text=True)
    return out.returncode == 0


def install_torch(py: Path) -> None:
    if os.environ.get("ARCHER_SKIP_TORCH") == "1" or torch_installed(py):
        return
    pip = [py, "-m", "pip", "install", f"torch=={TORCH_VERSION}"]
    index = os.environ.get("ARCHER_TORCH_INDEX_URL")
    if index:
        run(pip + ["--index-url", index])
    elif has_nvidia_gpu():
        run(pip)
    elif reachable(TORCH_CPU_INDEX):
        run(pip + ["--index-url", TORCH_CPU_INDEX])
    else:
        print(
            f"note: no GPU and {TORCH_CPU_INDEX} is unreachable; installing torch=={TORCH_VERSION} "
            "from the configured index (a CPU wheel there is used; plain PyPI serves the CUDA build).",
            flush=True,
        )
        run(pip)


def setup() -> Path:
    if sys.version_info < (3, 10):
        sys.exit(f"archer-gym needs Python >= 3.10, this is {sys.version.split()[0]}")
    py = venv_python()
    if not py.exists():
        print(f"+ creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    install_torch(py)
    stamp = VENV / ".archer-installed"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        run([py, "-m", "pip", "install", "-e", f"{ROOT}[embed,leaderboard,test]"])
        stamp.touch()
    return py


CHROMIUM_NAMES = ("chromium", "chromium-browser")


def find_chromium() -> str | None:
    explicit = os.environ.get("ARCHER_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    return next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser test where that is ours to do (root, apt-get)."""
    if os.environ.get("ARCHER_SKIP_BROWSER") == "1" or find_chromium():
        return
    apt = shutil.which("apt-get")
    if apt is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print("note: no chromium found and it cannot be installed here (needs root and apt-get); "
              "the leaderboard browser test will be skipped. Set ARCHER_CHROMIUM to a Chromium binary.", flush=True)
        return
    install = [apt, "install", "-y", "--no-install-recommends", "chromium"]
    quiet = dict(env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    print("+", " ".join(install), flush=True)
    if subprocess.run(install, **quiet).returncode != 0:  # a stale package list: refresh it once
        run([apt, "update"], **quiet)
        run(install, **quiet)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"main", "test", "setup"}:
        print(__doc__)
        return 2
    py = setup()
    bin_dir = py.parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if argv[0] == "main":
        cmd = [str(bin_dir / MAIN_JOB[0]), *MAIN_JOB[1:], *argv[1:]]
    elif argv[0] == "test":
        ensure_chromium()
        cmd = [str(py), "-m", "pytest", *argv[1:]]
    else:
        return 0
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
