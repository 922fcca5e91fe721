#!/usr/bin/env python3
"""Set up archer-gym in ./.venv and run the main job or the tests.

    python3 bootstrap.py main         # set up, then run the main job on the offline defaults
    python3 bootstrap.py test         # set up, then lint (ruff) and run the test suite (extra args go to pytest)
    python3 bootstrap.py test-latest  # the suite on the newest releases the ranges allow (./.venv-latest)
    python3 bootstrap.py lock         # regenerate constraints.txt from the newest releases (deliberately)
    python3 bootstrap.py check-install  # a plain `pip install` into a fresh venv works with the defaults (CI)

Set-up is idempotent and needs only Python >= 3.10 and this repository:

1. create ./.venv (stdlib ``venv``) unless it exists;
2. install PyTorch first, pinned to TORCH_VERSION, so that nothing later pulls a different build:
   - on a machine with an NVIDIA GPU (``nvidia-smi`` works) the default PyPI build (CUDA);
   - otherwise the CPU build: from PyTorch's CPU index when it is reachable, else from the
     configured package index / find-links (a CPU-only machine there must provide a CPU wheel;
     plain PyPI would serve the multi-gigabyte CUDA build, so we warn);
   ``ARCHER_TORCH_INDEX_URL`` overrides the index used for torch, ``ARCHER_SKIP_TORCH=1`` skips it;
3. ``pip install -c constraints.txt -e .[embed,leaderboard,test,ray,accelerate]``: every dependency at the exact
   version recorded in ``constraints.txt`` (checked in, regenerated only by ``bootstrap.py lock``), so
   the README's commands and CI install the same set every day. ``pyproject.toml`` keeps version
   ranges for ``pip install archer-gym``. The lock applies on the Python it was made with (its entries
   carry a ``python_version`` marker); elsewhere the ranges decide, with a note. ``test-latest`` sets
   up ``./.venv-latest`` from the ranges alone (newest releases, torch still pinned) and runs the
   suite there, so drift is seen before it reaches the lock. ``ARCHER_EXTRAS`` (comma-separated) adds
   optional extras, e.g. ``ARCHER_EXTRAS=jericho`` (what CI sets: Jericho builds a native library with
   gcc and pulls spaCy, so it is not a default); the lock covers them (:data:`LOCKED_EXTRAS`);
4. for ``test`` only: a Chromium for the leaderboard page test. ``chromium`` on the PATH (or
   ``ARCHER_CHROMIUM``) is used; else, running as root on Debian/Ubuntu, Debian's ``chromium``
   package is installed with apt-get (``ARCHER_SKIP_BROWSER=1`` skips this; the browser test then
   skips too, unless ``ARCHER_REQUIRE_BROWSER=1``, which CI sets);
5. for ``test``: ``ruff check`` (rules and line length in ``pyproject.toml``) before the tests; a
   lint error fails the run.
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
LATEST_VENV = ROOT / ".venv-latest"  # test-latest: the newest releases the ranges allow
LOCK_VENV = ROOT / ".venv-lock"  # lock: a scratch environment the lock is read from
CONSTRAINTS = ROOT / "constraints.txt"
EXTRAS = "embed,leaderboard,test,ray,accelerate"
LOCKED_EXTRAS = EXTRAS + ",jericho"  # `lock` pins these, so ARCHER_EXTRAS=jericho installs locked versions too
TORCH_VERSION = "2.13.0"
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"

# The main job on the offline defaults: behaviour data -> BC -> ArCHer (cpu preset, 1,024 trajectories on the
# paper's 10-word subset, paper protocol) -> table + plot.
MAIN_JOB = ["archer", "pipeline", "--env", "archer/TwentyQuestionsSubset-v0", "--out", "runs/main",
            "--trajectories", "1024"]


def venv_python(venv_dir: Path = VENV) -> Path:
    return venv_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


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


def python_tag() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def lock_python(path: Path = CONSTRAINTS) -> str | None:
    """The Python version the lock was made with (its ``# python X.Y`` line), None without a lock."""
    if not path.is_file():
        return None
    for line in path.read_text().splitlines():
        if line.startswith("# python "):
            return line.split()[2]
    return None


def extras(default: str = EXTRAS) -> str:
    """``default`` plus the extras named in ``$ARCHER_EXTRAS`` (comma-separated), each once."""
    names = default.split(",") + os.environ.get("ARCHER_EXTRAS", "").replace(" ", "").split(",")
    return ",".join(dict.fromkeys(name for name in names if name))


def setup(venv_dir: Path = VENV, locked: bool = True, wanted: str | None = None) -> Path:
    """Create ``venv_dir`` and install torch, then the package with its extras (``wanted``, by default
    :func:`extras`): at the versions of ``constraints.txt`` when ``locked``, else the newest releases
    the ranges allow."""
    wanted = wanted or extras()
    if sys.version_info < (3, 10):
        sys.exit(f"archer-gym needs Python >= 3.10, this is {sys.version.split()[0]}")
    py = venv_python(venv_dir)
    if not py.exists():
        print(f"+ creating {venv_dir}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(venv_dir)
    install_torch(py)
    stamp = venv_dir / ".archer-installed"  # holds the extras installed
    inputs = [ROOT / "pyproject.toml"] + ([CONSTRAINTS] if locked and CONSTRAINTS.is_file() else [])
    if (not stamp.exists() or stamp.read_text().strip() != wanted
            or any(stamp.stat().st_mtime < f.stat().st_mtime for f in inputs)):
        pip = [py, "-m", "pip", "install"]
        if locked:
            if not CONSTRAINTS.is_file():
                sys.exit(f"{CONSTRAINTS.name} is missing: restore it from git, "
                         "or make one with `python3 bootstrap.py lock`")
            made_with = lock_python()
            if made_with != python_tag():
                print(f"note: {CONSTRAINTS.name} was made with Python {made_with}; on Python {python_tag()} the "
                      "version ranges of pyproject.toml decide instead", flush=True)
            pip += ["-c", CONSTRAINTS]
        else:
            pip += ["--upgrade", "--upgrade-strategy", "eager"]
        run(pip + ["-e", f"{ROOT}[{wanted}]"])
        stamp.write_text(wanted + "\n")
    return py


def write_lock(py: Path, path: Path = CONSTRAINTS) -> Path:
    """``pip freeze`` of the environment of ``py`` as a constraints file, each line limited to this
    Python by a marker; torch without its local build tag (``+cpu``), so a CUDA machine's build of the
    same version satisfies it too."""
    frozen = subprocess.run([str(py), "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True,
                            check=True).stdout.splitlines()
    pins = []
    for line in frozen:
        line = line.strip()
        if not line or line.startswith("#") or "==" not in line:
            continue
        name, version = line.split("==", 1)
        pins.append(f'{name}=={version.split("+", 1)[0]} ; python_version == "{python_tag()}"')
    header = [
        "# The exact versions `python3 bootstrap.py main|test` and CI install (pip constraints).",
        "# Regenerate deliberately with `python3 bootstrap.py lock` (newest releases the ranges of",
        "# pyproject.toml allow, torch at bootstrap.py's TORCH_VERSION), run the suite, commit.",
        f"# python {python_tag()}",
    ]
    path.write_text("\n".join(header + sorted(pins, key=str.lower)) + "\n")
    return path


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


# Run by check-install from outside the repository, in a fresh venv holding a plain `pip install` of it:
# the env's default question matcher is the embedding one, and it reads a question the lexical one cannot.
INSTALL_PROBE = """
import gymnasium as gym
import archer_envs
from archer_envs.play import knowledge_matcher
assert "site-packages" in archer_envs.__file__, archer_envs.__file__
matcher = knowledge_matcher("archer/TwentyQuestions-v0")
assert matcher == "embedding", f"the default install answers with the {matcher} matcher"
env = gym.make("archer/TwentyQuestions-v0")
env.reset(seed=0, options={"word": "piano"})
answer = env.step("Does it run on electricity?")[4]["answer"]  # the lexical matcher: "Invalid Question."
assert answer in ("Yes.", "No."), f"'Does it run on electricity?' was answered {answer!r}"
# The repository's agents/, baselines/ and leaderboard/ install under archer_gym only.
import importlib.util
import archer_gym.agents, archer_gym.baselines.compare, archer_gym.leaderboard.submission
clashing = [name for name in ("agents", "baselines", "leaderboard") if importlib.util.find_spec(name)]
assert not clashing, f"installed as top-level names: {clashing}"
print(f"plain install: archer_envs from {archer_envs.__file__}; matcher {matcher}; "
      f"'Does it run on electricity?' (piano): {answer}; archer_gym.agents from {archer_gym.agents.__file__}")
"""


def check_install() -> int:
    """``pip install`` of this repository (not editable, no extras; locked versions) into a fresh
    venv, then :data:`INSTALL_PROBE` run from outside the repository."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="archer-install-") as tmp:
        venv_dir = Path(tmp) / "venv"
        print(f"+ creating {venv_dir}", flush=True)
        venv.EnvBuilder(with_pip=True).create(venv_dir)
        py = venv_python(venv_dir)
        install_torch(py)
        pip = [py, "-m", "pip", "install", "-q"]
        if lock_python() == python_tag():
            pip += ["-c", CONSTRAINTS]
        # Built from a copy: setuptools' build/ folder would otherwise sit in the checkout, and a stale one
        # can put modules deleted since into the wheel.
        source = Path(tmp) / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
            ".git", ".venv*", "runs", "build", "__pycache__", "*.egg-info", ".*_cache", ".hypothesis"))
        run(pip + [source])
        run([py, "-c", INSTALL_PROBE], cwd=tmp)
    return 0


COMMANDS = {"main", "test", "test-latest", "lock", "setup", "check-install"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    command = argv[0]
    if command == "check-install":
        return check_install()
    if command == "lock":
        if LOCK_VENV.exists():
            shutil.rmtree(LOCK_VENV)
        path = write_lock(setup(LOCK_VENV, locked=False, wanted=LOCKED_EXTRAS))
        shutil.rmtree(LOCK_VENV)
        print(f"wrote {path}: run `python3 bootstrap.py test` on it, then commit it", flush=True)
        return 0
    py = setup(LATEST_VENV, locked=False) if command == "test-latest" else setup()
    bin_dir = py.parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    if command == "main":
        cmd = [str(bin_dir / MAIN_JOB[0]), *MAIN_JOB[1:], *argv[1:]]
    elif command in ("test", "test-latest"):
        ensure_chromium()
        lint = [str(bin_dir / "ruff"), "check", "."]
        print("+", " ".join(lint), flush=True)
        if subprocess.run(lint, cwd=ROOT, env=env).returncode:
            return 1
        cmd = [str(py), "-m", "pytest", *argv[1:]]
    else:
        return 0
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
