"""One path from a preset to a config: preset → config file (JSON or TOML) → overrides.

Every algorithm's config is a dataclass (its fields and defaults are the ``cpu`` preset) that declares
two class tables, which :func:`make_config` reads:

    PRESETS               preset name → field overrides of the dataclass defaults
    PRESET_ENV_OVERRIDES  (preset, env id) → further field overrides (the paper's per-env table)

    cfg = make_config(ArcherConfig, "paper", "archer/WebShop-v0", "my.toml", seed=1)

Unknown presets, unknown field names and values of the wrong type raise ValueError naming them. This
module imports no torch: the CLI builds and checks configs before any model is loaded.
"""

from __future__ import annotations

import json
import types
from dataclasses import fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import tomllib


def make_config(config_cls: type, preset: str = "cpu", env_id: str = "archer/TwentyQuestions-v0",
                config_file: str | Path | None = None, **overrides: Any):
    """``config_cls`` with its preset's fields for ``env_id`` (``config_cls.PRESETS`` and
    ``config_cls.PRESET_ENV_OVERRIDES``), then ``config_file``'s (JSON or TOML), then ``overrides``.
    Unknown preset or field names raise ValueError naming them."""
    presets: dict[str, dict[str, Any]] = config_cls.PRESETS
    if preset not in presets:
        raise ValueError(f"unknown preset {preset!r}: expected one of {', '.join(presets)}")
    values: dict[str, Any] = {**presets[preset], **config_cls.PRESET_ENV_OVERRIDES.get((preset, env_id), {})}
    if config_file is not None:
        values.update(read_config_file(config_file))
    values.update(overrides)
    values.setdefault("env_id", env_id)
    values["preset"] = preset
    known = {f.name for f in fields(config_cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown {config_cls.__name__} field(s): {', '.join(unknown)} "
                         f"(see {config_cls.__module__}.{config_cls.__name__})")
    hints = get_type_hints(config_cls)
    return config_cls(**{k: typed_field_value(config_cls.__name__, k, v, hints[k]) for k, v in values.items()})


def typed_field_value(owner: str, name: str, value: Any, hint: Any) -> Any:
    """``value`` as config field ``name`` of type ``hint`` takes it (an int where a float is expected
    becomes a float); a value of another type (``critic_steps="abc"``) raises ValueError naming the field,
    the value and the expected type. Types other than bool, int, float, str, dict, list and their
    ``| None`` are passed through."""
    allowed = get_args(hint) if get_origin(hint) in (Union, types.UnionType) else (hint,)
    allowed = tuple(get_origin(t) or t for t in allowed)
    if value is None and type(None) in allowed:
        return None
    if isinstance(value, bool):  # a bool is an int to Python, never to a config
        if bool in allowed:
            return value
    elif float in allowed and isinstance(value, (int, float)):
        return float(value)
    elif int in allowed and isinstance(value, int):
        return value
    elif any(t in allowed and isinstance(value, t) for t in (str, dict, list)):
        return value
    if not set(allowed) <= {bool, int, float, str, dict, list, type(None)}:
        return value
    expected = " or ".join("null" if t is type(None) else t.__name__ for t in allowed)
    raise ValueError(f"invalid {owner} field {name}={value!r}: expected {expected}, got {type(value).__name__}")


def read_config_file(path: str | Path) -> dict[str, Any]:
    """The object of config fields in a JSON or TOML (by suffix) file."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    try:
        data = tomllib.loads(p.read_text()) if p.suffix == ".toml" else json.loads(p.read_text())
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"config file {path} is not valid {'TOML' if p.suffix == '.toml' else 'JSON'}: {err}") from err
    if not isinstance(data, dict):
        raise ValueError(f"config file {path} must hold an object of config fields, got {type(data).__name__}")
    return data


__all__ = ["make_config", "read_config_file", "typed_field_value"]
