"""The packages' layers point down (archer_envs <- agents <- baselines, leaderboard <- the `archer`
command), every import uses the installed names (archer_gym.agents, never a top-level `agents`), and the
light entry points stay light: what a user imports to make an env or list commands never loads torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# repository folder -> the module prefix it is installed as
INSTALLED_AS = {"archer_envs": "archer_envs", "agents": "archer_gym.agents", "baselines": "archer_gym.baselines",
                "leaderboard": "archer_gym.leaderboard", "archer_gym": "archer_gym"}
# layer (repository folder) -> the layers it may import (besides itself and third-party packages)
ALLOWED = {
    "archer_envs": set(),
    "agents": {"archer_envs"},
    "baselines": {"archer_envs", "agents"},
    "leaderboard": {"archer_envs", "agents"},
    "archer_gym": {"archer_envs", "agents", "baselines", "leaderboard"},
}
# The folders' own names, which nothing installs (pyproject.toml maps them under archer_gym).
UNINSTALLED = {"agents", "baselines", "leaderboard"}


def layer(module: str) -> str | None:
    """The layer a module name belongs to (the longest installed prefix), or None for third-party ones."""
    for folder, prefix in sorted(INSTALLED_AS.items(), key=lambda item: -len(item[1])):
        if module == prefix or module.startswith(prefix + "."):
            return folder
    return None


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a source file imports (at any depth of the code, never in strings)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def python_files(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package):
    wrong = {}
    for path in python_files(package):
        upward = {layer(m) for m in imported_modules(path)} - ALLOWED[package] - {package, None}
        if upward:
            wrong[str(path.relative_to(ROOT))] = sorted(upward)
    assert not wrong, f"{package} may import only {sorted(ALLOWED[package]) or 'no package of ours'}: {wrong}"


def test_no_file_imports_a_folder_name_that_is_not_installed():
    """`from agents...` works only from the repository root and would load a second copy of every
    module next to the installed archer_gym.agents one."""
    wrong = {}
    for folder in [*ALLOWED, "tests", "benchmarks"]:
        for path in python_files(folder):
            bad = {m for m in imported_modules(path) if m.split(".")[0] in UNINSTALLED}
            if bad:
                wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"import these as archer_gym.<name>: {wrong}"


def loaded_after(code: str) -> set[str]:
    """Module names loaded by a fresh interpreter (run outside the repository) after running ``code``."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         cwd=ROOT / "tests" / "fixtures", capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_archer_envs_loads_neither_torch_nor_agents():
    loaded = loaded_after("import gymnasium as gym, archer_envs, archer_envs.benchmark, archer_envs.commands\n"
                          "gym.make('archer/TwentyQuestions-v0', oracle_kwargs={'matcher': 'lexical'}).reset(seed=0)")
    assert not {name.split(".")[0] for name in loaded} & {"torch", "transformers", "archer_gym", *UNINSTALLED}


def test_cli_and_import_agents_do_not_load_torch():
    """Listing the commands and every command's help, and ``import archer_gym.agents``, stay torch-free."""
    loaded = loaded_after(
        "import archer_gym.agents, click\n"
        "from archer_gym.cli import OWNERS, main\n"
        "ctx = click.Context(main)\n"
        "for name in OWNERS:\n"
        "    command = main.get_command(ctx, name)\n"
        "    command.get_help(click.Context(command, info_name=name, parent=ctx))\n")
    tops = {name.split(".")[0] for name in loaded}
    assert "torch" not in tops and "transformers" not in tops
    assert not tops & UNINSTALLED  # every command module was loaded by its installed name
