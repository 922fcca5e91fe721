"""What `pip install` puts into site-packages: archer_envs, and archer_gym holding the repository's
agents/, baselines/ and leaderboard/ folders (no top-level name that another distribution might own)."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def source_folder(package: str) -> Path:
    """The folder setuptools takes ``package`` from (the longest package-dir prefix that applies)."""
    for prefix, folder in sorted(SETUPTOOLS["package-dir"].items(), key=lambda item: -len(item[0])):
        if package == prefix or package.startswith(prefix + "."):
            return ROOT / folder / Path(*package[len(prefix):].split(".")[1:])
    return ROOT / Path(*package.split("."))


def test_the_installed_top_level_names_are_ours():
    assert {p.split(".")[0] for p in SETUPTOOLS["packages"]} == {"archer_gym", "archer_envs"}


def test_every_folder_of_code_is_installed_and_every_listed_package_exists():
    listed = {source_folder(p).resolve() for p in SETUPTOOLS["packages"]}
    assert all(folder.is_dir() for folder in listed)
    code = {path.parent.resolve() for top in ("archer_gym", "archer_envs", "agents", "baselines", "leaderboard")
            for path in (ROOT / top).rglob("*.py") if "__pycache__" not in path.parts}
    assert code - listed == set(), "add these to pyproject.toml's packages"


def test_package_data_belongs_to_listed_packages_and_exists():
    for package, patterns in SETUPTOOLS["package-data"].items():
        assert package in SETUPTOOLS["packages"]
        for pattern in patterns:
            assert any(source_folder(package).glob(pattern)), f"{package}: {pattern} matches nothing"


def test_installed_names_resolve_to_the_repository_folders():
    import archer_gym.agents
    import archer_gym.baselines
    import archer_gym.leaderboard

    for module, folder in ((archer_gym.agents, "agents"), (archer_gym.baselines, "baselines"),
                           (archer_gym.leaderboard, "leaderboard")):
        assert Path(module.__file__).resolve().parent == (ROOT / folder).resolve()


def test_a_source_checkout_on_pythonpath_imports_its_own_folders(tmp_path):
    """A second checkout (a worktree) on PYTHONPATH wins over the editable install, and only the three
    folders appear under archer_gym (a walk of the package does not recurse into the checkout)."""
    import shutil
    import subprocess
    import sys

    for name in ("archer_gym", "agents", "baselines", "leaderboard"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    code = ("import pkgutil, archer_gym, archer_gym.agents.algorithms as a, archer_gym.leaderboard.store as s\n"
            "print(a.__file__); print(s.__file__)\n"
            "print(' '.join(m.name for m in pkgutil.walk_packages(archer_gym.__path__, 'archer_gym.')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)},
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == str(tmp_path / "agents" / "algorithms" / "__init__.py")
    assert out[1] == str(tmp_path / "leaderboard" / "store.py")
    assert out[2].split() == ["archer_gym.__main__", "archer_gym.cli"]
