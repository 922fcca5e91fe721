"""The packages' layers point down (archer_envs <- agents <- baselines, leaderboard <- archer_gym), and the
light entry points stay light: what a user imports to make an env or list commands never loads torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# package -> the packages it may import (besides itself and third-party ones)
ALLOWED = {
    "archer_envs": set(),
    "agents": {"archer_envs"},
    "baselines": {"archer_envs", "agents"},
    "leaderboard": {"archer_envs", "agents"},
    "archer_gym": {"archer_envs", "agents", "baselines", "leaderboard"},
}


def imported_packages(path: Path) -> set[str]:
    """Our top-level packages that a source file imports (at any depth of the code, never in strings)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & set(ALLOWED)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package):
    wrong = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        upward = imported_packages(path) - ALLOWED[package] - {package}
        if upward:
            wrong[str(path.relative_to(ROOT))] = sorted(upward)
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package]) or 'no package of ours'}: {wrong}"


def loaded_after(code: str) -> set[str]:
    """Top-level module names loaded by a fresh interpreter after running ``code``."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in out.split()}


def test_import_archer_envs_loads_neither_torch_nor_agents():
    loaded = loaded_after("import gymnasium as gym, archer_envs, archer_envs.benchmark, archer_envs.commands\n"
                          "gym.make('archer/TwentyQuestions-v0', oracle_kwargs={'matcher': 'lexical'}).reset(seed=0)")
    assert not loaded & {"torch", "transformers", "agents", "baselines", "leaderboard"}


def test_cli_and_import_agents_do_not_load_torch():
    """Listing the commands and every command's help, and ``import agents``, stay torch-free."""
    loaded = loaded_after(
        "import agents, click\n"
        "from archer_gym.cli import OWNERS, main\n"
        "ctx = click.Context(main)\n"
        "for name in OWNERS:\n"
        "    command = main.get_command(ctx, name)\n"
        "    command.get_help(click.Context(command, info_name=name, parent=ctx))\n")
    assert "torch" not in loaded and "transformers" not in loaded
