"""What every question game shares: the transcript, the reward, the single and the batched env.

A *question game* (Twenty Questions, Guess My City) is: a secret is drawn; each turn the agent asks
one question, the oracle answers, the pair is appended to the transcript, and the agent pays −1
unless that question correctly guessed the secret (reward 0, episode terminates). After
``max_turns`` turns the episode is truncated, so returns lie in [−max_turns, 0] (LMRL-Gym; ArCHer §5).

:class:`QuestionGame` holds a game's rules and is pure (no oracle, no RNG state of its own), so the
single env, the vector env and the multi-agent versions all run the same code.
"""

from __future__ import annotations

import copy
import json
import multiprocessing
import string
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space, create_shared_memory, iterate

from archer_envs.oracles import Oracle

# Printable ASCII (letters, digits, punctuation, space, \t \n \r \x0b \x0c), given as a str so the
# Text space's charset order does not depend on the hash seed.
CHARSET = string.printable
_PRINTABLE = frozenset(CHARSET)


_ASCII_SUBSTITUTES = str.maketrans({
    "\u00b0": " degrees ", "\u2013": "-", "\u2014": "-", "\u2018": "'", "\u2019": "'", "\u201c": '"',
    "\u201d": '"', "\u2026": "...", "\u00d7": "x", "\u2212": "-", "\u00a0": " ", "\u0131": "i",
    "\u00f8": "o", "\u00d8": "O", "\u00e6": "ae", "\u00c6": "AE", "\u00df": "ss", "\u0142": "l",
    "\u0141": "L", "\u0111": "d", "\u0110": "D",
})


def to_ascii(text: str) -> str:
    """Accents dropped ("Bogotá" -> "Bogota"), compatibility forms folded (fullwidth and mathematical
    letters become plain ones), common typography replaced ("°C" -> " degrees C", dashes, curly
    quotes), invisible format characters (zero-width spaces and joiners, soft hyphens) dropped,
    anything else outside printable ASCII becomes '?'."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_SUBSTITUTES))
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return "".join(c if c in _PRINTABLE else "?" for c in text)


def sanitize(text: object, max_chars: int) -> str:
    """One line of transcript text: ASCII (see :func:`to_ascii`), whitespace runs become one space,
    at most ``max_chars`` characters. Any input is accepted (non-str is converted with ``str``)."""
    if not isinstance(text, str):
        text = str(text)
    text = " ".join(text.split())
    if not text.isascii() or not all(c in _PRINTABLE for c in text):
        text = " ".join(to_ascii(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 3].rstrip() + "..."
    return text


@dataclass
class Episode:
    """The state of one episode: the secret and the (question, answer) turns so far."""

    secret: str
    turns: list[tuple[str, str]] = field(default_factory=list)
    done: bool = False
    success: bool = False


class QuestionGame(ABC):
    """The rules of one question game. Subclasses fill in the secrets and how a guess is judged."""

    header = "Questions:\n"
    max_turns: int = 20
    max_question_chars: int = 300  # longer questions are cut in the transcript (and for the oracle)
    max_answer_chars: int = 40

    # --- secrets -----------------------------------------------------------------------------
    @abstractmethod
    def secrets(self, split: str) -> Sequence[str]:
        """The secrets of a split (raise ValueError naming the allowed splits)."""

    @abstractmethod
    def resolve_secret(self, name: str) -> str:
        """The canonical secret for a user-given name or alias (ValueError if unknown)."""

    default_split = "train"
    splits: tuple[str, ...] = ("train", "test", "all")

    # --- judging -----------------------------------------------------------------------------
    @abstractmethod
    def is_correct_guess(self, secret: str, question: str, answer: str) -> bool:
        """Whether this turn guessed the secret (the episode then ends with reward 0)."""

    @abstractmethod
    def is_valid(self, answer: str) -> bool:
        """Whether the oracle accepted the question as a question of this game."""

    def filter_answer(self, secret: str, answer: str) -> str:
        """Applied to every oracle answer, whatever the backend (Guess My City removes leaked names).
        It receives the text as the transcript shows it (see :meth:`shown_text`)."""
        return answer

    def shown_text(self, secret: str, text: object, max_chars: int) -> str:
        """``text`` as an agent receives it: one printable line of at most ``max_chars`` characters
        (:func:`sanitize`) that :meth:`filter_answer` has read in exactly that form. The filter runs
        last because every transformation before it (ASCII folding, the length cap) could turn a
        disguised name into a plain one; it runs again while capping what it returned changes it."""
        shown = sanitize(text, max_chars)
        for _ in range(10):
            filtered = sanitize(self.filter_answer(secret, shown), max_chars)
            if filtered == shown:
                return shown
            shown = filtered
        return ""  # not reached by the shipped filters; an answer that will not settle says nothing

    def shown_answer(self, secret: str, answer: object) -> str:
        """An oracle's answer as the transcript shows it (see :meth:`shown_text`)."""
        return self.shown_text(secret, answer, self.max_answer_chars)

    # --- text --------------------------------------------------------------------------------
    @property
    def max_observation_chars(self) -> int:
        line = self.max_question_chars + 1 + self.max_answer_chars + 1
        return len(self.header) + self.max_turns * line

    def clean_question(self, action: object) -> str:
        return sanitize(action, self.max_question_chars)

    def observation(self, episode: Episode) -> str:
        return self.header + "".join(f"{q} {a}\n" for q, a in episode.turns)

    def check_reset_options(self, options: object) -> dict[str, Any]:
        """The reset options, validated (see :func:`reset_options`), with a forced secret resolved to
        its canonical name; raises TypeError/ValueError naming the option and what it accepts."""
        options = reset_options(options, {
            "split": ResetOption(str, choices=self.splits),
            self.secret_option: ResetOption(str, nullable=True),
        })
        if options.get(self.secret_option) is not None:
            options[self.secret_option] = self.resolve_secret(options[self.secret_option])
        return options

    def new_episode(self, rng: np.random.Generator, options: object) -> Episode:
        options = self.check_reset_options(options)
        split = options.get("split", self.default_split)
        forced = options.get(self.secret_option)
        if forced is not None:
            return Episode(forced)
        pool = self.secrets(split)
        return Episode(pool[int(rng.integers(len(pool)))])

    secret_option = "secret"  # the reset option that forces the secret (e.g. "word", "city")

    def play_turn(self, episode: Episode, question: str, answer: str) -> tuple[float, bool, bool, dict]:
        """Apply one answered question. Returns (reward, terminated, truncated, info)."""
        if episode.done:
            raise RuntimeError("this episode has ended: call reset() before step()")
        answer = self.shown_answer(episode.secret, answer)
        episode.turns.append((question, answer))
        success = self.is_correct_guess(episode.secret, question, answer)
        terminated = success
        truncated = not terminated and len(episode.turns) >= self.max_turns
        episode.done = terminated or truncated
        episode.success = success
        info: dict[str, Any] = {
            "answer": answer,
            "success": success,
            "valid": self.is_valid(answer),
            "turn": len(episode.turns),
        }
        if episode.done:
            info[self.secret_option] = episode.secret
        return (0.0 if success else -1.0), terminated, truncated, info


class PrintableText(gym.spaces.Text):
    """A Text space of printable ASCII, empty strings allowed: every env's observations and actions
    (actions may be any string at all, the space only describes what ``sample()`` draws).

    A Text space of its own so that Gymnasium's vector utilities can be told two things about it:

    - Gymnasium's ``AsyncVectorEnv(shared_memory=True)`` (the default of
      ``gym.make_vec(..., vectorization_mode="async")``) reads Text observations out of shared memory
      only once, when it is created, so every later observation would read ``"000..."`` with no error
      (Gymnasium issue #1164 describes the read-once design). Creating that shared memory raises a
      ValueError naming ``shared_memory=False``, which works.
    - A batch of these spaces is a :class:`TextBatch`, whose actions are checked by
      :func:`vector_actions`: ``step("abcd")`` on 4 envs is an error, not four one-letter actions.
    """

    def __init__(self, max_length: int, seed: int | np.random.Generator | None = None) -> None:
        super().__init__(max_length, min_length=0, charset=CHARSET, seed=seed)


class TextBatch(gym.spaces.Tuple):
    """``num_envs`` :class:`PrintableText` spaces: the batched observation/action space of a vector env."""


SHARED_MEMORY_ERROR = (
    "shared_memory=True cannot carry archer-gym's text observations: Gymnasium's AsyncVectorEnv reads Text "
    "from shared memory only once, so every observation would be '000...'. Use "
    "gym.make_vec(env_id, num_envs, vectorization_mode='async', vector_kwargs={'shared_memory': False}) "
    "(or AsyncVectorEnv(env_fns, shared_memory=False)), vectorization_mode='sync', or, where the env has one, "
    "vectorization_mode='vector_entry_point' (one oracle call per step for the whole batch)."
)


@create_shared_memory.register(PrintableText)
def _refuse_shared_memory(space: PrintableText, n: int = 1, ctx: Any = multiprocessing):
    raise ValueError(SHARED_MEMORY_ERROR)


@batch_space.register(PrintableText)
def _batch_printable_text(space: PrintableText, n: int = 1) -> TextBatch:
    batched = batch_space.dispatch(gym.spaces.Text)(space, n)  # Gymnasium's own batching (seeded copies)
    return TextBatch(batched.spaces, seed=copy.deepcopy(space.np_random))


@iterate.register(TextBatch)
def _iterate_text_batch(space: TextBatch, items: object):
    # Gymnasium's SyncVectorEnv and AsyncVectorEnv split the actions of step() with iterate().
    return iter(vector_actions(items, len(space.spaces)))


class ActionText(PrintableText):
    """The action space of every env: any string is a valid action (empty, 10,000 characters, non-printable
    or non-ASCII text: each costs a turn, the env cleans or cuts it), so :meth:`contains` accepts every
    ``str``; ``max_length`` and the printable charset describe only what :meth:`sample` draws."""

    def contains(self, x: Any) -> bool:
        return isinstance(x, str)


def text_space(max_length: int) -> PrintableText:
    """The space of every env's observations (see :class:`PrintableText`)."""
    return PrintableText(max_length)


def action_space(sample_chars: int) -> ActionText:
    """The space of every env's actions: any string (see :class:`ActionText`); samples are at most
    ``sample_chars`` printable characters."""
    return ActionText(sample_chars)


def text_spaces(game: QuestionGame, max_action_chars: int = 512) -> tuple[gym.spaces.Text, gym.spaces.Text]:
    """(observation_space, action_space) of a question game."""
    return text_space(game.max_observation_chars), action_space(max_action_chars)


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


def shown(value: object, max_chars: int = 80) -> str:
    """``value`` for an error message: its type and a repr cut to ``max_chars``."""
    text = repr(value)
    if len(text) > max_chars:
        text = text[: max_chars - 3] + "..."
    return f"{type(value).__name__} {text}"


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


class QuestionGameEnv(gym.Env[str, str]):
    """A single episode of a question game against an oracle (one oracle call per step)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, game: QuestionGame, oracle: Oracle, render_mode: str | None = None) -> None:
        self.render_mode = check_render_mode(render_mode)
        self.game = game
        self.oracle = oracle
        self.observation_space, self.action_space = text_spaces(game)
        self.episode: Episode | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        options = self.game.check_reset_options(options)  # first: a bad option changes nothing
        super().reset(seed=seed)
        self.episode = self.game.new_episode(self.np_random, options)
        return self.game.observation(self.episode), {"turn": 0}

    def step(self, action: str):
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        if self.episode.done:
            raise RuntimeError("this episode has ended: call reset() before step()")
        question = self.game.clean_question(action)
        (answer,) = self.oracle.answer([self.episode.secret], [question])
        reward, terminated, truncated, info = self.game.play_turn(self.episode, question, answer)
        return self.game.observation(self.episode), reward, terminated, truncated, info

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.episode is None:
            return None
        return self.game.observation(self.episode)

    def close(self) -> None:
        self.oracle.close()


class QuestionGameVectorEnv(VectorEnv):
    """``num_envs`` episodes stepped together with ONE oracle call per step.

    Reset options: a value that is a list/tuple/array of length ``num_envs`` is given element-wise to the
    episodes (e.g. ``options={"word": [...]}``); other values go to all; ``reset_mask`` (``num_envs``
    booleans) picks the episodes to reset. ``seed=s`` seeds episode ``i`` with ``s + i``; a list gives
    one seed per episode. ``step`` takes a list of ``num_envs`` strings. Every argument is checked before
    anything changes (:func:`vector_seeds`, :func:`vector_reset_mask`, :func:`vector_actions` and the
    game's reset options), so a refused call leaves the env as it was.

    Autoreset: ``"NextStep"`` (Gymnasium's default: the step after an episode ends resets it and
    ignores its action, without asking the oracle) or ``"SameStep"`` (the reset observation is returned
    at once; the last one is in ``info["final_obs"]`` and ``info["final_info"]``) or ``"Disabled"`` (an
    ended episode stays as it is: its actions are ignored, with reward 0 and no oracle call, until
    ``reset(options={"reset_mask": ...})`` restarts it; evaluation uses this).
    """

    def __init__(
        self,
        game: QuestionGame,
        oracle: Oracle,
        num_envs: int,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer, got {num_envs!r}")
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            modes = ", ".join(m.value for m in AutoresetMode)
            raise ValueError(f"unknown autoreset_mode {autoreset_mode!r}: expected one of {modes}") from None
        self.metadata = {"render_modes": ["ansi"], "autoreset_mode": mode}
        self.game = game
        self.oracle = oracle
        self.num_envs = int(num_envs)
        self.render_mode = check_render_mode(render_mode)
        self.single_observation_space, self.single_action_space = text_spaces(game)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.episodes: list[Episode | None] = [None] * self.num_envs
        self._rngs = [np.random.default_rng() for _ in range(self.num_envs)]
        self._splits = [game.default_split] * self.num_envs  # autoreset draws from the split of the last reset
        self._needs_reset = np.zeros(self.num_envs, dtype=bool)

    def _per_env_options(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        per_env: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        for key, value in options.items():
            if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim > 0):
                if len(value) != self.num_envs:
                    raise ValueError(
                        f"reset option {key!r} has {len(value)} values for {self.num_envs} envs: give one value "
                        f"for all or a list of {self.num_envs}"
                    )
                for i, v in enumerate(value):
                    per_env[i][key] = v
            else:
                for d in per_env:
                    d[key] = value
        return per_env

    def reset(self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None):
        # Check everything first, so that a refused call changes nothing.
        options = options_dict(options, ("split", self.game.secret_option, "reset_mask"))
        mask = vector_reset_mask(options.pop("reset_mask", None), self.num_envs)
        seeds = vector_seeds(seed, self.num_envs)
        per_env = self._per_env_options(options)
        checked = {int(i): self.game.check_reset_options(per_env[i]) for i in np.flatnonzero(mask)}
        if seeds is not None:
            self._rngs = [np.random.default_rng(s) for s in seeds]
        infos: dict[str, Any] = {}
        for i, opts in checked.items():
            self.episodes[i] = self.game.new_episode(self._rngs[i], opts)
            self._splits[i] = opts.get("split", self.game.default_split)
            self._needs_reset[i] = False
            infos = self._add_info(infos, {"turn": 0}, i)
        return self._observations(), infos

    def _observations(self) -> tuple[str, ...]:
        return tuple(self.game.observation(e) if e is not None else self.game.header for e in self.episodes)

    def step(self, actions: Sequence[str]):
        actions = vector_actions(actions, self.num_envs)
        if any(e is None for e in self.episodes):
            raise RuntimeError("call reset() before step()")
        rewards = np.zeros(self.num_envs, dtype=np.float64)
        terminated = np.zeros(self.num_envs, dtype=bool)
        truncated = np.zeros(self.num_envs, dtype=bool)
        infos: dict[str, Any] = {}
        active = [i for i in range(self.num_envs) if not (self._needs_reset[i] or self.episodes[i].done)]
        for i in range(self.num_envs):  # NEXT_STEP: reset the episodes that ended on the last step
            if self._needs_reset[i]:
                self.episodes[i] = self.game.new_episode(self._rngs[i], {"split": self._splits[i]})
                self._needs_reset[i] = False
                infos = self._add_info(infos, {"turn": 0}, i)
        questions = [self.game.clean_question(actions[i]) for i in active]
        answers = self.oracle.answer([self.episodes[i].secret for i in active], questions) if active else []
        for i, question, answer in zip(active, questions, answers):
            episode = self.episodes[i]
            rewards[i], terminated[i], truncated[i], info = self.game.play_turn(episode, question, answer)
            if episode.done:
                mode = self.metadata["autoreset_mode"]
                if mode == AutoresetMode.SAME_STEP:
                    info = dict(info, final_obs=self.game.observation(episode), final_info=dict(info))
                    self.episodes[i] = self.game.new_episode(self._rngs[i], {"split": self._splits[i]})
                elif mode == AutoresetMode.NEXT_STEP:
                    self._needs_reset[i] = True
            infos = self._add_info(infos, info, i)
        return self._observations(), rewards, terminated, truncated, infos

    def render(self) -> tuple[str, ...] | None:
        return self._observations() if self.render_mode == "ansi" else None

    def close_extras(self, **kwargs: Any) -> None:
        self.oracle.close()
