"""Two-role question games: the asker and the answerer are both agents (PettingZoo AEC and Parallel).

The single-agent envs put the oracle inside the environment; here the answerer is an agent too, so
the answerer can be trained or evaluated, and two language models can play each other.

Turns alternate: ``asker`` asks, ``answerer`` answers, until the secret is guessed or the turn limit.

- **Asker** observes the transcript (exactly the single-agent env's observation) and is rewarded
  exactly as in the single-agent env: −1 per turn, 0 on the turn that guesses the secret, so returns
  lie in [−max_turns, 0]. Its reward for a turn arrives with the answer.
- **Answerer** observes ``"Secret: <secret>\\nQuestion: <latest question>\\n"``. Its reply goes
  through the same code as an oracle's in the single-agent env: the backend's normalisation
  (``OracleTask.normalize``: free text → the game's answers, e.g. "yes, it is" → "Yes."), the game's
  filter (Guess My City removes leaked names), the transcript's length cap; the game's judge then
  decides whether the question guessed the secret. Its reward each turn is ``score − 1`` in [−1, 0],
  where ``score`` in [0, 1] measures agreement with the deterministic knowledge oracle's answer to the
  same question (the *reference*, in ``info["reference"]``); the rule is the game's
  ``answer_score`` (exact match in Twenty Questions; content-word F1, and 0 for a leak, in Guess My
  City). A faithful answerer's return is 0; lying never pays, and neither does making the game last.
- **Infos** are the same for both agents and hold nothing the asker's observation may not: the
  answerer's ``reply`` (before normalisation) and the ``reference`` are shown through the game's
  filter and length cap exactly as the ``answer`` is.

Any string from either agent is a valid action. The AEC env follows PettingZoo's protocol: the agent
in ``agent_selection`` acts; an agent that is done must step with ``None`` (anything else raises
PettingZoo's ``ValueError("when an agent is dead, the only valid action is None")``). In the Parallel
env every live agent may send an action each step but only the one whose turn it is acts (its name
is in every ``info["acting"]``); the other's action is ignored, as in PettingZoo's own
``turn_based_aec_to_parallel`` conversion; a missing action for the acting agent, or an action for an
agent that is not live, raises ``ValueError``.

Reset options: ``split`` and the secret option of the game (``word``, ``city``), as in the
single-agent env. Other keys are ignored with a warning (PettingZoo's API test resets with an
arbitrary option).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv

from archer_envs.arguments import check_render_mode, options_dict
from archer_envs.core import Episode, QuestionGame
from archer_envs.oracles import Oracle, OracleTask
from archer_envs.spaces import action_space as action_text_space
from archer_envs.spaces import text_space

ASKER, ANSWERER = "asker", "answerer"
AGENTS = (ASKER, ANSWERER)
MAX_ACTION_CHARS = 512
SECRET_PREFIX, QUESTION_PREFIX = "Secret: ", "Question: "


class TextObservation(str):
    """A ``str`` that also carries numpy's unicode ``dtype`` (the Text space's), so that tools which
    read ``observation.dtype`` (PettingZoo's ``api_test``) accept text observations."""

    __slots__ = ()
    dtype = np.dtype(str)


@dataclass(frozen=True)
class TwoRoleGame:
    """What a game adds to the shared two-role env.

    ``make_game(**game_kwargs)`` builds the single-agent game's rules; ``task.normalize`` maps the
    answerer's free text onto the game's answers; ``make_reference(**oracle_kwargs)`` builds the
    knowledge oracle whose answers define consistency; ``answer_score(game, secret, answer, reference)``
    scores the answerer's (normalised) answer against the reference, in [0, 1].
    """

    name: str
    make_game: Callable[..., QuestionGame]
    task: OracleTask
    make_reference: Callable[..., Oracle]
    answer_score: Callable[[QuestionGame, str, str, str], float]


def answerer_observation(secret: str, question: str) -> str:
    return f"{SECRET_PREFIX}{secret}\n{QUESTION_PREFIX}{question}\n"


_ANSWERER_OBSERVATION = re.compile(rf"^{SECRET_PREFIX}(.*)\n{QUESTION_PREFIX}(.*)\n$", re.DOTALL)


def parse_answerer_observation(observation: str) -> tuple[str, str]:
    """``(secret, question)`` from an answerer's observation (ValueError for any other text)."""
    match = _ANSWERER_OBSERVATION.match(observation)
    if match is None:
        raise ValueError(f"not an answerer observation: {observation[:80]!r}")
    return match.group(1), match.group(2)


class TwoRoleQuestionEnv(AECEnv):
    """The AEC version (see the module docstring); ``raw_env`` of the versioned modules."""

    def __init__(self, spec: TwoRoleGame, oracle_kwargs: dict[str, Any] | None = None,
                 render_mode: str | None = None, **game_kwargs: Any) -> None:
        super().__init__()
        self.spec = spec
        self.metadata = {"name": spec.name, "render_modes": ["ansi"], "is_parallelizable": False}
        self.render_mode = check_render_mode(render_mode)
        self.game = spec.make_game(**game_kwargs)
        self.reference = spec.make_reference(**(oracle_kwargs or {}))
        self.possible_agents = list(AGENTS)
        max_secret = max(len(s) for s in self.game.secrets("all"))
        answerer_chars = len(answerer_observation("", "")) + max_secret + self.game.max_question_chars
        self._observation_spaces = {ASKER: text_space(self.game.max_observation_chars),
                                    ANSWERER: text_space(answerer_chars)}
        self._action_spaces = {agent: action_text_space(MAX_ACTION_CHARS) for agent in AGENTS}
        self.np_random, _ = seeding.np_random(None)
        self.episode: Episode | None = None
        self.question = ""
        self.agents: list[str] = []

    def observation_space(self, agent: str) -> gym.spaces.Text:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> gym.spaces.Text:
        return self._action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        allowed = ("split", self.game.secret_option)
        options = options_dict(options, allowed)
        unknown = sorted(set(options) - set(allowed), key=repr)
        if unknown:
            warnings.warn(f"{self.spec.name}: ignoring unknown reset option(s) {unknown} "
                          f"(this env reads {', '.join(map(repr, allowed))})", stacklevel=2)
        # Checked before the seed is used, so a refused reset changes nothing.
        options = self.game.check_reset_options({k: v for k, v in options.items() if k in allowed})
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        self.episode = self.game.new_episode(self.np_random, options)
        self.question = ""
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos = {agent: {"turn": 0, "acting": ASKER} for agent in AGENTS}
        self.agent_selection = ASKER

    def observe(self, agent: str) -> TextObservation:
        if self.episode is None:
            raise RuntimeError("call reset() before observe()")
        if agent == ASKER:
            return TextObservation(self.game.observation(self.episode))
        if agent == ANSWERER:
            return TextObservation(answerer_observation(self.episode.secret, self.question))
        raise ValueError(f"unknown agent {agent!r}: expected one of {', '.join(AGENTS)}")

    def step(self, action: Any) -> None:
        if self.episode is None:
            raise RuntimeError("call reset() before step()")
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0  # last() reports what arrived since the agent's own move
        self._clear_rewards()
        turn = len(self.episode.turns)
        if agent == ASKER:
            self.question = self.game.clean_question(action)
            self.infos = {a: {"turn": turn, "acting": ANSWERER, "question": self.question} for a in AGENTS}
            self.agent_selection = ANSWERER
        else:
            self._answer(action)
        self._accumulate_rewards()

    def _answer(self, action: Any) -> None:
        episode, question, game = self.episode, self.question, self.game
        text = action if isinstance(action, str) else str(action)
        # the same path as an LLM oracle's reply in the single-agent env: normalise, then the game
        # filters, caps and judges it in play_turn
        normalized = self.spec.task.normalize(text)
        (reference,) = self.reference.answer([episode.secret], [question])
        asker_reward, terminated, truncated, info = game.play_turn(episode, question, normalized)
        score = float(self.spec.answer_score(game, episode.secret, normalized, reference))
        # both agents get this info, so it holds only what the asker's observation may hold: the reply
        # and the reference pass the game's filter as the answer did
        info = {**info, "acting": ASKER, "question": question,
                "reply": game.shown_text(episode.secret, text, MAX_ACTION_CHARS),
                "reference": game.shown_answer(episode.secret, reference), "consistency": score}
        self.rewards = {ASKER: float(asker_reward), ANSWERER: score - 1.0}
        self.terminations = dict.fromkeys(AGENTS, bool(terminated))
        self.truncations = dict.fromkeys(AGENTS, bool(truncated))
        self.infos = {a: dict(info) for a in AGENTS}
        self.agent_selection = ASKER

    def render(self) -> str | None:
        if self.render_mode != "ansi" or self.episode is None:
            return None
        return f"{SECRET_PREFIX}{self.episode.secret}\n{self.game.observation(self.episode)}"

    def close(self) -> None:
        self.reference.close()


class TwoRoleQuestionParallelEnv(ParallelEnv):
    """The Parallel version: one step is one move of the agent whose turn it is (see the module docstring)."""

    def __init__(self, spec: TwoRoleGame, oracle_kwargs: dict[str, Any] | None = None,
                 render_mode: str | None = None, **game_kwargs: Any) -> None:
        self.aec = TwoRoleQuestionEnv(spec, oracle_kwargs, render_mode, **game_kwargs)
        self.metadata = dict(self.aec.metadata)
        self.render_mode = self.aec.render_mode
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []

    def observation_space(self, agent: str) -> gym.spaces.Text:
        return self.aec.observation_space(agent)

    def action_space(self, agent: str) -> gym.spaces.Text:
        return self.aec.action_space(agent)

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None):
        self.aec.reset(seed=seed, options=options)
        self.agents = list(self.aec.agents)
        return {a: self.aec.observe(a) for a in self.agents}, {a: dict(self.aec.infos[a]) for a in self.agents}

    def step(self, actions: dict[str, Any]):
        if not self.agents:
            raise ValueError("the game is over: call reset() before step()")
        strangers = sorted(set(actions) - set(self.agents))
        if strangers:
            raise ValueError(f"actions for {strangers}, which are not live agents: {self.agents}")
        acting = self.aec.agent_selection
        if acting not in actions:
            raise ValueError(f"it is {acting!r}'s turn: actions must include {acting!r} (got {sorted(actions)})")
        self.aec.step(actions[acting])
        rewards = {a: float(self.aec.rewards[a]) for a in self.agents}
        terminations = {a: self.aec.terminations[a] for a in self.agents}
        truncations = {a: self.aec.truncations[a] for a in self.agents}
        infos = {a: dict(self.aec.infos[a]) for a in self.agents}
        observations = {a: self.aec.observe(a) for a in self.agents}
        while self.aec.agents and (self.aec.terminations[self.aec.agent_selection]
                                   or self.aec.truncations[self.aec.agent_selection]):
            self.aec.step(None)  # the ended game's agents leave
        self.agents = list(self.aec.agents)
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        return self.aec.render()

    def close(self) -> None:
        self.aec.close()


__all__ = ["ANSWERER", "ASKER", "AGENTS", "TextObservation", "TwoRoleGame", "TwoRoleQuestionEnv",
           "TwoRoleQuestionParallelEnv", "answerer_observation", "parse_answerer_observation"]
