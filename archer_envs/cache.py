"""Where archer-gym keeps its on-disk caches (phrasing-bank embeddings, LLM reply caches)."""

from __future__ import annotations

import os
from pathlib import Path


def default_cache_dir() -> Path:
    """``$ARCHER_CACHE_DIR``, else ``$XDG_CACHE_HOME/archer-gym``, else ``~/.cache/archer-gym``."""
    root = os.environ.get("ARCHER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "archer-gym"
    )
    return Path(root)
