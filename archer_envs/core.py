"""What every question game shares: the transcript, the reward, the single and the batched env.

A *question game* (Twenty Questions, Guess My City) is: a secret is drawn; each turn the agent asks
one question, the oracle answers, the pair is appended to the transcript, and the agent pays −1
unless that question correctly guessed the secret (reward 0, episode terminates). After
``max_turns`` turns the episode is truncated, so returns lie in [−max_turns, 0] (LMRL-Gym; ArCHer §5).

:class:`QuestionGame` holds a game's rules and is pure (no oracle, no RNG state of its own), so the
single env, the vector env and the multi-agent versions all run the same code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from archer_envs.arguments import (
    ResetOption,
    check_render_mode,
    options_dict,
    reset_options,
    vector_actions,
    vector_reset_mask,
    vector_seeds,
)
from archer_envs.oracles import Oracle
from archer_envs.spaces import action_space, text_space
from archer_envs.text import sanitize


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


def text_spaces(game: QuestionGame, max_action_chars: int = 512) -> tuple[gym.spaces.Text, gym.spaces.Text]:
    """(observation_space, action_space) of a question game."""
    return text_space(game.max_observation_chars), action_space(max_action_chars)


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
