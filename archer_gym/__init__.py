"""archer-gym: the ``archer`` command (:mod:`archer_gym.cli`) and, under this one installed name, the
packages ``archer_gym.agents`` (policies and algorithms), ``archer_gym.baselines`` (comparisons) and
``archer_gym.leaderboard``. The environments and the benchmark protocol are ``archer_envs``.

The repository keeps ``agents/``, ``baselines/`` and ``leaderboard/`` beside this folder; ``pip install``
places them under ``archer_gym`` (``pyproject.toml``'s package-dir). Run from a source checkout without an
install (``PYTHONPATH=<checkout>``), the lines below let ``archer_gym.agents`` find ``<checkout>/agents``.
"""

from pathlib import Path as _Path

_checkout = _Path(__file__).resolve().parent.parent
if not (_Path(__file__).parent / "agents").is_dir() and (_checkout / "pyproject.toml").is_file() \
        and (_checkout / "agents" / "__init__.py").is_file():
    __path__.append(str(_checkout))  # noqa: F821 (a package's __path__)
