"""Jericho's ``detective.z5``, the text adventure of ArCHer's Detective experiments (Zhou et al. 2024).

The game runs in Jericho's Z-machine emulator (``jericho.FrotzEnv``). Neither is shipped here:
``pip install 'archer-gym[jericho]'`` installs Jericho (it builds a native library: Jericho's README asks
for Linux and gcc), and ``detective.z5`` comes from the Jericho game suite (Jericho's README links
http://mirror.ifarchive.org/if-archive/games/zcode/detective.z5, MD5 822655c9be83e292e06d3d3b1d6a9734).
Pass its path as ``rom_path=`` or set ``ARCHER_DETECTIVE_Z5``.

Observation, as ArCHer built it (``AdventureEnv.get_observation`` in YifeiZhou02/ArCHer,
``archer/environment/adventure_env.py``): the four texts below concatenated with nothing between
them; each game reply already ends in newlines, so they fall on separate lines::

    <reply to "look"><reply to "inventory"><last reply><str(valid_actions)>

- ``look`` and ``inventory`` are played on a saved state that is restored afterwards
  (``get_state``/``set_state``), so they cost no move and change nothing;
- the last reply is the game's answer to the agent's command (the opening text after reset);
- the valid actions are Jericho's ``get_valid_actions()`` written as a Python list, e.g.
  ``['north', 'take paper']`` (``[]`` once the game is over), sorted (see below).

Valid actions offline. Jericho finds them by naming the objects around the player, filling its
action templates with those names and keeping the commands that change the game's state. To name
objects it tags the nouns and adjectives of the ``look`` and ``inventory`` texts with spaCy's
``en_core_web_sm`` model, which it downloads at first use. With ``valid_actions="parser"`` (the
default) the tags come from the game's own parser dictionary instead (its noun and adjective flags),
so nothing is downloaded; every later step (the dictionary and ``examine`` filters, the templates,
the state-change filter) is Jericho's own. ``valid_actions="spacy"`` uses the spaCy model, as ArCHer
did, where it is installed. Either way the list is sorted: Jericho's order follows Python's string
hashing (a set), so it differed between processes; the sorted lists agree for every
``PYTHONHASHSEED`` tried along the walkthrough.

Then every line is made ASCII (:func:`archer_envs.text.to_ascii`) and, past
:data:`MAX_OBSERVATION_CHARS`, the start is cut so that the valid actions at the end survive.

Reward: the increase of the game's score (``info["score"]``: 10 at the start, 360 at most;
``restart`` followed by ``yes`` sets it back to 10, a negative reward; ``quit`` followed by ``yes``
changes nothing in Jericho's emulator). Terminated when Jericho says the game is over (won or died)
or the emulator halted; truncated after ``max_steps`` commands (50, the cap of ArCHer's
``scripts/run.py``). Jericho's own walkthrough has 51 commands and holds all 360 points after its
50th, but the game ends only with the 51st; without its two commands that score nothing
(``DROP PAPER``, ``INVENTORY``) it wins in 49. The emulator always runs with Jericho's seed for this game (the
walkthrough's), so every episode is the same game, as in ArCHer, which restarted each episode from
one saved start state.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import types
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np

from archer_envs.arguments import ResetOption, check_render_mode, positive_int, reset_options
from archer_envs.descriptor import AgentPrompt, EnvDescriptor, scripted_from
from archer_envs.spaces import action_space, text_space
from archer_envs.text import to_ascii

ENV_VAR = "ARCHER_DETECTIVE_Z5"
MAX_OBSERVATION_CHARS = 8192
MAX_COMMAND_CHARS = 120  # longer lines are cut: no command of the game needs more
INSTALL_HINT = "pip install 'archer-gym[jericho]'"
VALID_ACTION_TAGGERS = ("parser", "spacy")
_WORD = re.compile(r"[A-Za-z]+")
# One fixed game: the splits name the same game (the harness's train/test/all), and an evaluation's
# "secrets" are episode numbers that only name its episodes (every one starts the same game).
SPLITS = ("train", "test", "all")
EPISODES_PER_SPLIT = 200
RESET_OPTIONS = {"split": ResetOption(str, choices=SPLITS)}
# Jericho's walkthrough for detective.z5 (jericho/game_info.py, entry `detective`; FrotzEnv.get_walkthrough())
# without its two commands that score nothing ("DROP PAPER", "INVENTORY"): 49 commands, all 360 points,
# and the game won with the 49th, within ArCHer's 50-step cap. The scripted players follow it.
ROUTE = (
    "TAKE PAPER/READ PAPER/W/TAKE GUN/E/N/W/E/E/TAKE WOOD/W/W/TAKE NOTE/READ NOTE/E/N/N/W/N/N/W/E/N/E/E/E/S/"
    "TAKE HAMBURGER/N/N/E/N/N/N/N/E/W/W/E/N/W/N/W/N/N/w/n/n/up"
).split("/")
# The route of the scripted expert: ROUTE less its two 10-point detours (W to the bedroom and E back, W to
# the Wall and E back). Each leaves from and returns to one same observation (the same room, things
# carried and reply), so a player that reads only the observation cannot take them exactly once: 45
# commands, 340 points, the game won.
EXPERT_ROUTE = ROUTE[:20] + ROUTE[22:37] + ROUTE[39:]


def ascii_tail(text: str, max_chars: int) -> str:
    """``text`` line by line through :func:`to_ascii` (newlines kept), at most ``max_chars``
    characters; a longer text loses its start, marked with "...", so its end is kept."""
    text = "\n".join(to_ascii(line) for line in text.splitlines())
    if len(text) > max_chars:
        text = "..." + text[len(text) - max_chars + 3 :]
    return text


def clean_command(action: object) -> str:
    """One command line for the parser: the first line of ``action`` (as ArCHer cut it), in ASCII,
    whitespace runs as one space, at most :data:`MAX_COMMAND_CHARS` characters."""
    if not isinstance(action, str):
        action = str(action)
    lines = action.splitlines()
    line = lines[0] if lines else ""
    return " ".join(to_ascii(line).split())[:MAX_COMMAND_CHARS].rstrip()


def resolve_rom_path(rom_path: str | os.PathLike | None) -> str:
    """The game file to load: ``rom_path``, else ``$ARCHER_DETECTIVE_Z5``; it must exist."""
    path = rom_path if rom_path is not None else os.environ.get(ENV_VAR)
    if not path:
        raise ValueError(
            f"archer/JerichoDetective-v0 needs the game file detective.z5: pass rom_path=... or set {ENV_VAR}. "
            "The file is not shipped with archer-gym; it is part of the Jericho game suite "
            "(http://mirror.ifarchive.org/if-archive/games/zcode/detective.z5), so supply your own copy."
        )
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"detective.z5 not found at {path!r} (from rom_path or {ENV_VAR})")
    return path


@dataclass(frozen=True)
class Token:
    """The three attributes of a spaCy token that Jericho's object extraction reads."""

    text: str
    lower_: str
    pos_: str


class ParserDictionaryTagger:
    """Tags words as Jericho's valid-action search expects spaCy to (``NOUN``, ``ADJ``, else ``X``),
    from the game's parser dictionary (``FrotzEnv.get_dictionary()``): a word the parser knows as a
    noun is a noun, else one it knows as an adjective is an adjective. The parser reads only the first
    few letters of a word (9 in a version 5 game), so words are looked up by that prefix."""

    def __init__(self, dictionary) -> None:
        self.prefix = max((len(w.word) for w in dictionary), default=0)
        self.tags: dict[str, str] = {}
        for w in dictionary:
            if w.is_noun:
                self.tags[w.word] = "NOUN"
            elif w.is_adj:
                self.tags.setdefault(w.word, "ADJ")

    def __call__(self, text: str) -> list[Token]:
        return [Token(word, word.lower(), self.tags.get(word.lower()[: self.prefix], "X"))
                for word in _WORD.findall(text)]


def _spacy_tagger():
    try:
        import spacy

        return spacy.load("en_core_web_sm")
    except (ImportError, OSError) as err:
        raise ValueError(
            "valid_actions='spacy' needs spaCy's en_core_web_sm model, which is not installed "
            f"({err}); install it (python -m spacy download en_core_web_sm) or use valid_actions='parser', "
            "which needs nothing"
        ) from err


# (real path of the game file, tagger) -> {(state digest, game over): (look + inventory, valid actions)},
# least recently used first.
_SHARED_CACHES: dict[tuple[str, str], dict[tuple[bytes, bool], tuple[str, list[str]]]] = {}


def _import_jericho():
    try:
        import jericho
    except ImportError as err:
        raise ModuleNotFoundError(
            f"archer/JerichoDetective-v0: the optional dependency `jericho` is missing; install it with "
            f"{INSTALL_HINT} (Jericho builds a native library and needs Linux with gcc)",
            name="jericho",
        ) from err
    # Not `jericho.util`: that name can be ctypes.util. Jericho's package re-exports `from .jericho import *`,
    # and jericho.py does `from ctypes import *`, which brings ctypes' submodule `util` along whenever
    # something (torch, ...) imported ctypes.util first; the search for valid actions uses the real one.
    return types.SimpleNamespace(FrotzEnv=jericho.FrotzEnv, util=importlib.import_module("jericho.util"))


class JerichoDetectiveEnv(gym.Env[str, str]):
    """``detective.z5`` through Jericho, observed as ArCHer observed it (see the module docstring).

    Any string is an action: its first line goes to the game's parser, and a command the parser
    does not understand gets the game's own reply (and costs a step)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(
        self,
        rom_path: str | os.PathLike | None = None,
        max_steps: int = 50,
        render_mode: str | None = None,
        valid_actions: str = "parser",
        cache_size: int = 4096,
    ) -> None:
        self.render_mode = check_render_mode(render_mode)
        self.max_steps = positive_int("max_steps", max_steps)
        if valid_actions not in VALID_ACTION_TAGGERS:
            raise ValueError(f"valid_actions must be one of {VALID_ACTION_TAGGERS}, got {valid_actions!r}")
        self.valid_actions = valid_actions
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise ValueError(f"cache_size must be an int >= 0 (0: no cache), got {cache_size!r}")
        self.cache_size = cache_size
        # The path is checked before the import, so a missing file is reported even without jericho.
        self.rom_path = resolve_rom_path(rom_path)
        jericho = _import_jericho()
        self.observation_space = text_space(MAX_OBSERVATION_CHARS)
        self.action_space = action_space(MAX_COMMAND_CHARS)
        self._jericho_util = jericho.util
        self._game = jericho.FrotzEnv(self.rom_path)
        self._tagger = _spacy_tagger() if valid_actions == "spacy" else ParserDictionaryTagger(
            self._game.get_dictionary())
        self._cache = _SHARED_CACHES.setdefault((os.path.realpath(self.rom_path), valid_actions), {})
        self.max_score = int(self._game.get_max_score())
        self._score = 0
        self._steps = 0
        self._done = True
        self._started = False
        self._observation = ""

    # --- the game ------------------------------------------------------------------------------
    def _peek(self, command: str) -> str:
        """The reply to ``command`` from the current state, which is then restored."""
        saved = self._game.get_state()
        reply, _, _, _ = self._game.step(command)
        self._game.set_state(saved)
        return reply

    def _valid_actions(self) -> list[str]:
        # Jericho's object extraction calls the module's `spacy_nlp` and loads spaCy only when it is unset.
        self._jericho_util.spacy_nlp = self._tagger
        # use_parallel=False: the same lists without a process pool per env.
        return sorted(self._game.get_valid_actions(use_parallel=False))

    def _state_key(self) -> bytes:
        """A digest of the emulator's state (memory, live stack, registers, random generator)."""
        digest = hashlib.blake2b(digest_size=16)
        state = list(self._game.get_state())  # memory, stack, pc, sp (in 2-byte words), fp, ...
        if len(state) > 3 and isinstance(state[1], np.ndarray) and isinstance(state[3], int):
            # Frotz's stack grows down from its end: below sp lie stale values of earlier calls (they
            # differed after Jericho's search for valid actions had run), which change nothing.
            state[1] = state[1][2 * state[3]:]
        for part in state:
            digest.update(part.tobytes() if isinstance(part, np.ndarray) else repr(part).encode())
        return digest.digest()

    def _surroundings(self, game_over: bool) -> tuple[str, list[str]]:
        """The replies to ``look`` and ``inventory`` and the valid actions here. They depend on the
        emulator's state alone, so they are cached by its digest, in one cache for every env of the
        process that plays the same game file with the same tagger (Jericho's search for valid actions
        plays every candidate command, about 0.5 s a step; episodes from the one start state share
        their first states)."""
        key = (self._state_key(), game_over) if self.cache_size else None
        found = self._cache.pop(key, None) if key else None
        if found is None:
            found = (self._peek("look") + self._peek("inventory"), [] if game_over else self._valid_actions())
        if key:
            while len(self._cache) >= self.cache_size:
                self._cache.pop(next(iter(self._cache)))  # the least recently used
            self._cache[key] = found
        return found[0], list(found[1])

    def context(self) -> str:
        """The replies to ``look`` and ``inventory`` here, in ASCII as every observation starts with them."""
        self._require_open()
        return ascii_tail(self._surroundings(self._done)[0], MAX_OBSERVATION_CHARS)

    def _observe(self, reply: str, game_over: bool = False) -> tuple[str, list[str]]:
        context, valid_actions = self._surroundings(game_over)
        return ascii_tail(context + reply + str(valid_actions), MAX_OBSERVATION_CHARS), valid_actions

    def _info(self, moves: int, valid_actions: list[str]) -> dict[str, Any]:
        return {
            "score": self._score,
            "max_score": self.max_score,
            "valid_actions": list(valid_actions),  # a fresh list per info: callers may keep it
            "moves": int(moves),
            "success": bool(self._game.victory()),  # the game is won (Jericho's victory())
        }

    # --- gymnasium -----------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        reset_options(options, RESET_OPTIONS)  # a split changes nothing: every split is the one game
        super().reset(seed=seed)
        self._require_open()
        reply, game_info = self._game.reset()
        self._score = int(game_info["score"])
        self._steps = 0
        self._done = False
        self._started = True
        self._observation, valid_actions = self._observe(reply)
        return self._observation, self._info(game_info["moves"], valid_actions)

    def step(self, action: str):
        self._require_open()
        if not self._started:
            raise RuntimeError("call reset() before step()")
        if self._done:
            raise RuntimeError("this episode has ended: call reset() before step()")
        command = clean_command(action)
        reply, _, game_over, game_info = self._game.step(command)
        self._steps += 1
        score = int(game_info["score"])
        reward = float(score - self._score)
        self._score = score
        halted = bool(getattr(self._game, "_emulator_halted", lambda: False)())
        terminated = bool(game_over) or halted
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        self._observation, valid_actions = self._observe(reply, game_over=terminated)
        info = self._info(game_info["moves"], valid_actions)
        info["command"] = command
        if halted:
            info["halted"] = True  # e.g. after "quit": the emulator stopped, the episode cannot go on
        return self._observation, reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode != "ansi" or not self._started:
            return None
        return self._observation

    def close(self) -> None:
        game, self._game = getattr(self, "_game", None), None
        if game is not None:
            game.close()

    def _require_open(self) -> None:
        if self._game is None:
            raise RuntimeError("this env is closed: make a new one")


def _episodes(split: str, env_kwargs=None) -> list:
    """One fixed game: a split's "secrets" are episode numbers 0..199, the same for every split; they only
    name the episodes of an evaluation (each plays the game from its start)."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: expected one of {', '.join(SPLITS)}")
    return list(range(EPISODES_PER_SPLIT))


DESCRIPTOR = EnvDescriptor(
    id="archer/JerichoDetective-v0",
    entry_point="archer_envs.jericho_detective:JerichoDetectiveEnv",
    description="Jericho's detective.z5 as in ArCHer: look + inventory + reply + valid actions; reward = score "
    "gained, 50 steps (needs the `jericho` extra and your own detective.z5).",
    secrets=_episodes,
    scripted=scripted_from("archer_envs.jericho_policies"),
    paper_split_all=True,
    held_out=False,
    prompt=AgentPrompt(
        "You are playing the text adventure 'Detective'. Solve the case and score points. When the "
        "observation lists valid actions, choose one of them. Reply with one command only, on one line.",
        "Your next command:",
    ),
    gamma=0.98,
)
