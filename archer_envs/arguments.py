"""Every env's arguments checked in one place, each error naming the value and what is accepted:
render modes, positive counts, reset options, and a vector env's seeds, reset masks and actions; and
``key=value`` command-line options read as JSON where they parse."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from archer_envs.text import shown


def check_render_mode(render_mode: str | None, modes: tuple[str, ...] = ("ansi",)) -> str | None:
    if render_mode is not None and render_mode not in modes:
        raise ValueError(f"unknown render_mode {render_mode!r}: expected None or one of {', '.join(modes)}")
    return render_mode


def parse_key_values(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` strings (command-line options) as a dict; a value is read as JSON when it parses
    (numbers, true/false, null, lists), else kept as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{pair!r} is not key=value")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def positive_int(name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


@dataclass(frozen=True)
class ResetOption:
    """What one reset option accepts: a value of ``kind`` (``str`` or ``int``; a bool is not an int
    here), one of ``choices`` when given, and None (meaning "not given") when ``nullable``."""

    kind: type
    choices: tuple = ()
    nullable: bool = False

    def describe(self) -> str:
        if self.choices:
            text = "one of " + ", ".join(map(repr, self.choices))
        else:
            text = "a string" if self.kind is str else "an integer"
        return text + (" or None" if self.nullable else "")


def options_dict(options: object, accepted: Sequence[str]) -> dict[Any, Any]:
    """``options`` as a new dict; TypeError unless it is a mapping (a dict) or None."""
    if options is None:
        return {}
    if not isinstance(options, Mapping):
        keys = ", ".join(map(repr, accepted)) or "none"
        raise TypeError(f"reset options must be a dict or None, got {shown(options)} (accepted keys: {keys})")
    return dict(options)


def reset_options(options: object, accepted: Mapping[str, ResetOption]) -> dict[str, Any]:
    """The reset options of a single env, validated in one place for every env: a dict (or None) whose
    keys are in ``accepted`` and whose values each option accepts; numpy strings and integers become
    Python ones. Raises TypeError (not a dict, a value of the wrong type) or ValueError (an unknown key,
    a value outside the choices), naming the option and what it accepts."""
    options = options_dict(options, tuple(accepted))
    unknown = sorted(set(options) - set(accepted), key=repr)
    if unknown:
        expected = ", ".join(map(repr, accepted)) or "none (this env takes no reset options)"
        raise ValueError(f"unknown reset option(s) {unknown}: expected {expected}")
    out: dict[str, Any] = {}
    for key, value in options.items():
        spec = accepted[key]
        if value is None and spec.nullable:
            out[key] = None
            continue
        if not (_is_int(value) if spec.kind is int else isinstance(value, spec.kind)):
            raise TypeError(f"reset option {key!r} must be {spec.describe()}, got {shown(value)}")
        value = int(value) if spec.kind is int else spec.kind(value)
        if spec.choices and value not in spec.choices:
            raise ValueError(f"unknown {key} {value!r}: expected one of {', '.join(map(str, spec.choices))}")
        out[key] = value
    return out


# --- the arguments of a vector env, checked in one place ------------------------------------------
def vector_actions(actions: object, num_envs: int) -> list:
    """``actions`` of a vector env's ``step``: a list, tuple or 1-D array of one action per env (each
    any string). A single string is refused: iterating it would play one character per env."""
    if isinstance(actions, (str, bytes)):
        raise TypeError(f"actions must be a list of {num_envs} strings (one per env), got a single "
                        f"{shown(actions)}; for one env pass [action]")
    if isinstance(actions, np.ndarray) and actions.ndim != 1:
        raise ValueError(f"actions must be a list of {num_envs} strings (one per env), got an array of shape "
                         f"{actions.shape}")
    if not isinstance(actions, (Sequence, np.ndarray)):
        raise TypeError(f"actions must be a list of {num_envs} strings (one per env), got {shown(actions)}")
    if len(actions) != num_envs:
        raise ValueError(f"step got {len(actions)} actions for {num_envs} envs: actions must be a list of "
                         f"{num_envs} strings (one per env)")
    return list(actions)


def vector_seeds(seed: object, num_envs: int) -> list[int | None] | None:
    """``seed`` of a vector env's ``reset``: None, a non-negative integer ``s`` (env ``i`` gets ``s + i``) or
    a list of ``num_envs`` non-negative integers or Nones."""
    expected = f"None, a non-negative integer or a list of {num_envs} of them (one per env)"
    if seed is None:
        return None
    if _is_int(seed):
        if seed < 0:
            raise ValueError(f"seed must be {expected}, got {seed!r}")
        return [int(seed) + i for i in range(num_envs)]
    if isinstance(seed, (str, bytes)) or not isinstance(seed, (Sequence, np.ndarray)):
        raise TypeError(f"seed must be {expected}, got {shown(seed)}")
    seeds = list(seed)
    if len(seeds) != num_envs:
        raise ValueError(f"reset got {len(seeds)} seeds for {num_envs} envs: seed must be {expected}")
    for i, s in enumerate(seeds):
        if s is not None and not (_is_int(s) and s >= 0):
            raise TypeError(f"seed[{i}] must be a non-negative integer or None, got {shown(s)}")
    return [None if s is None else int(s) for s in seeds]


def vector_reset_mask(mask: object, num_envs: int) -> np.ndarray:
    """``options["reset_mask"]`` of a vector env's ``reset``: None (reset every env) or ``num_envs`` booleans."""
    expected = f"None or a list/array of {num_envs} booleans (True: reset that env)"
    if mask is None:
        return np.ones(num_envs, dtype=bool)
    if isinstance(mask, (str, bytes)) or not isinstance(mask, (Sequence, np.ndarray)):
        raise TypeError(f"reset_mask must be {expected}, got {shown(mask)}")
    values = np.asarray(mask, dtype=object).reshape(-1) if np.ndim(mask) == 1 else None
    if values is None or len(values) != num_envs:
        size = f"shape {np.shape(mask)}" if values is None else f"{len(values)} values"
        raise ValueError(f"reset_mask has {size} for {num_envs} envs: expected {expected}")
    if not all(isinstance(v, (bool, np.bool_)) for v in values):
        raise TypeError(f"reset_mask must be {expected}, got {shown(mask)}")
    return values.astype(bool)
