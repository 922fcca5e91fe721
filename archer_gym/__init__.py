"""archer-gym: the ``archer`` command (:mod:`archer_gym.cli`) and, under this one installed name, the
packages ``archer_gym.agents`` (policies and algorithms), ``archer_gym.baselines`` (comparisons) and
``archer_gym.leaderboard``. The environments and the benchmark protocol are ``archer_envs``.

The repository keeps ``agents/``, ``baselines/`` and ``leaderboard/`` beside this folder; ``pip install``
places them under ``archer_gym`` (``pyproject.toml``'s package-dir). Imported from a source checkout
(``PYTHONPATH=<checkout>``, or an editable install), :class:`_CheckoutFolders` finds them there: it
answers for exactly those three names, so nothing else of the checkout appears under ``archer_gym``.
"""

import importlib.util
import sys
from pathlib import Path

FOLDERS = ("agents", "baselines", "leaderboard")


class _CheckoutFolders:
    """A meta path finder for ``archer_gym.<folder>`` in the checkout this package was imported from;
    their submodules are then found through the folder (the package's ``__path__``) as usual."""

    def __init__(self, checkout: Path) -> None:
        self.checkout = checkout

    def find_spec(self, fullname: str, path=None, target=None):
        parent, _, name = fullname.partition(".")
        if parent != __name__ or name not in FOLDERS:
            return None
        init = self.checkout / name / "__init__.py"
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(init.parent)])


_here = Path(__file__).resolve().parent
if not (_here / "agents").is_dir() and (_here.parent / "pyproject.toml").is_file() \
        and all((_here.parent / name / "__init__.py").is_file() for name in FOLDERS):
    sys.meta_path.insert(0, _CheckoutFolders(_here.parent))
