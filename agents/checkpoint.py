"""Checkpoints: one directory holding the policy (model + tokenizer), the run's config and its
training state, written atomically (into a temporary sibling, then renamed), so a crash never leaves
a half-written checkpoint.

    <dir>/policy/            LMPolicy.save_pretrained (model, tokenizer, policy settings)
    <dir>/config.json        the run's configuration (a dataclass as a dict)
    <dir>/training_state.pt  optimizer state, step/epoch counters, RNG states (torch.save)

Anything else in ``<dir>`` (``archer train bc`` keeps its ``logs/`` there) is carried into each new save.
The training state holds tensors, numbers, strings and containers only: no class of ours, so a
checkpoint does not depend on where our modules live. Checkpoints written before the packages moved
under ``archer_gym`` pickled ``agents.buffer.Transition``; they load through :class:`_RenamingUnpickler`.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import types
from pathlib import Path
from typing import Any

import torch

POLICY_DIR, CONFIG_FILE, STATE_FILE = "policy", "config.json", "training_state.pt"


def save_checkpoint(path: str | os.PathLike, policy, config: dict[str, Any], state: dict[str, Any]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    policy.save_pretrained(tmp / POLICY_DIR)
    (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2, default=str))
    torch.save(state, tmp / STATE_FILE)
    old = path.with_name(f".{path.name}.old-{os.getpid()}")
    if path.is_dir():  # what the checkpoint does not write itself (a run's logs/) moves into the new one
        for entry in path.iterdir():
            if entry.name not in (POLICY_DIR, CONFIG_FILE, STATE_FILE):
                os.replace(entry, tmp / entry.name)
    if path.exists():
        os.replace(path, old)
    os.replace(tmp, path)
    if old.exists():
        shutil.rmtree(old)
    return path


def is_checkpoint(path: str | os.PathLike) -> bool:
    path = Path(path)
    return (path / CONFIG_FILE).is_file() and (path / POLICY_DIR).is_dir()


def load_checkpoint(path: str | os.PathLike, device: str | None = None):
    """(policy, config, state). Errors name the directory and the file that is missing or corrupt."""
    from archer_gym.agents.lm_policy import LMPolicy

    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    for name in (CONFIG_FILE, STATE_FILE, POLICY_DIR):
        if not (path / name).exists():
            raise FileNotFoundError(f"checkpoint {path} is incomplete: {name} is missing")
    try:
        config = json.loads((path / CONFIG_FILE).read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"checkpoint {path}: {CONFIG_FILE} is corrupt ({err})") from err
    state = load_training_state(path)
    policy = LMPolicy.from_pretrained(str(path / POLICY_DIR), device=device)
    return policy, config, state


class _RenamingUnpickler(pickle.Unpickler):
    """Finds the classes of old checkpoints under the installed names (``agents.x`` -> ``archer_gym.agents.x``)."""

    def find_class(self, module: str, name: str):
        if module.split(".")[0] in ("agents", "baselines", "leaderboard"):
            module = f"archer_gym.{module}"
        return super().find_class(module, name)


_RENAMING_PICKLE = types.SimpleNamespace(__name__="pickle", Unpickler=_RenamingUnpickler, load=pickle.load,
                                         loads=pickle.loads)


def load_training_state(path: str | os.PathLike) -> dict[str, Any]:
    """Only ``training_state.pt`` (counters, optimizer and RNG states): no model is loaded."""
    path = Path(path)
    if not (path / STATE_FILE).is_file():
        raise FileNotFoundError(f"checkpoint {path} is incomplete: {STATE_FILE} is missing")
    try:
        return torch.load(path / STATE_FILE, map_location="cpu", weights_only=False, pickle_module=_RENAMING_PICKLE)
    except Exception as err:  # torch raises several types for a damaged file
        raise ValueError(f"checkpoint {path}: {STATE_FILE} is corrupt ({err})") from err


def config_differences(saved: dict[str, Any], current: dict[str, Any], ignore: tuple[str, ...] = ()) -> list[str]:
    """``"field: saved X, now Y"`` for every field (outside ``ignore``) whose value differs between a
    checkpoint's saved config and the current one (compared as JSON, the form they are saved in)."""
    now = json.loads(json.dumps(current, default=str))
    keys = sorted((set(saved) | set(now)) - set(ignore))
    return [f"{k}: saved {saved.get(k)!r}, now {now.get(k)!r}" for k in keys if saved.get(k) != now.get(k)]


def check_resumable(path: str | os.PathLike, saved: dict[str, Any], current: dict[str, Any],
                    ignore: tuple[str, ...] = ()) -> None:
    """Refuse to resume the run in ``path`` when its configuration differs from ``current`` outside
    ``ignore`` (the fields a resume may change: budgets, output places); the error names each field."""
    diffs = config_differences(saved, current, ignore)
    if diffs:
        raise ValueError(f"{path} holds a run of another configuration ({'; '.join(diffs)}): it is not resumed. "
                         f"Use another output directory, or delete {path} to start over.")


def file_sha256(path: str | os.PathLike) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_policy(path: str | os.PathLike, device: str | None = None):
    """The LMPolicy in a training checkpoint (``policy/`` + config + state) or a bare policy / model
    directory (``LMPolicy.from_pretrained``)."""
    from archer_gym.agents.lm_policy import LMPolicy

    return (load_checkpoint(path, device=device)[0] if is_checkpoint(path)
            else LMPolicy.from_pretrained(str(path), device=device))
