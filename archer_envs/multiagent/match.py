"""Matches between any two agents (anything with ``act(observations) -> actions``) in a two-role game.

    from archer_envs.multiagent import OracleAnswerer, play_match, twenty_questions_v0
    from archer_envs.twenty_questions.knowledge import TwentyQuestionsKnowledgeOracle
    from archer_gym.agents.agent_registry import make_agent

    result = play_match(twenty_questions_v0.env(), make_agent("expert", "archer/TwentyQuestions-v0"),
                        OracleAnswerer(TwentyQuestionsKnowledgeOracle()), seed=0, options={"split": "test"})
    result.asker_return, result.answerer_return, result.transcript

Each agent is called with a batch of one observation per move, so scripted players, trained
policies, prompted LLMs (``archer_gym.agents.chat_agent``) and oracles wrapped by :class:`OracleAnswerer` all plug in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archer_envs.multiagent.two_role import ANSWERER, ASKER, parse_answerer_observation
from archer_envs.oracles import Oracle


class OracleAnswerer:
    """Any :class:`~archer_envs.oracles.Oracle` (knowledge, OpenAI-compatible, HF) as the answerer agent."""

    def __init__(self, oracle: Oracle, name: str | None = None) -> None:
        self.oracle = oracle
        self.name = name or f"oracle:{type(oracle).__name__}"

    def act(self, observations: list[str]) -> list[str]:
        pairs = [parse_answerer_observation(o) for o in observations]
        return self.oracle.answer([s for s, _ in pairs], [q for _, q in pairs])


@dataclass
class MatchResult:
    secret: str
    transcript: list[tuple[str, str]] = field(default_factory=list)  # (question, answer) as recorded
    replies: list[str] = field(default_factory=list)  # the answerer's raw replies
    asker_rewards: list[float] = field(default_factory=list)
    answerer_rewards: list[float] = field(default_factory=list)
    success: bool = False
    truncated: bool = False

    @property
    def turns(self) -> int:
        return len(self.transcript)

    @property
    def asker_return(self) -> float:
        return float(sum(self.asker_rewards))

    @property
    def answerer_return(self) -> float:
        return float(sum(self.answerer_rewards))


def play_match(env, asker, answerer, seed: int | None = None, options: dict[str, Any] | None = None) -> MatchResult:
    """One game on a two-role AEC env (``twenty_questions_v0.env()``, ``guess_my_city_v0.env()``)."""
    env.reset(seed=seed, options=options)
    players = {ASKER: asker, ANSWERER: answerer}
    result = MatchResult(secret=env.unwrapped.episode.secret)
    for agent in env.agent_iter():
        observation, reward, terminated, truncated, info = env.last()
        if terminated or truncated:
            env.step(None)
            continue
        (action,) = players[agent].act([str(observation)])
        env.step(action)
        if agent == ANSWERER:
            info = env.infos[ASKER]
            result.transcript.append((info["question"], info["answer"]))
            result.replies.append(info["reply"])
            result.asker_rewards.append(float(env.rewards[ASKER]))
            result.answerer_rewards.append(float(env.rewards[ANSWERER]))
            result.success = bool(info["success"])
            result.truncated = bool(env.truncations[ASKER])
    return result


def play_matches(module, asker, answerer, secrets: list[str], **env_kwargs: Any) -> list[MatchResult]:
    """One game per secret (e.g. ``archer_envs.benchmark.episode_secrets(...)``) on ``module.env(**env_kwargs)``."""
    env = module.env(**env_kwargs)
    option = env.unwrapped.game.secret_option
    try:
        return [play_match(env, asker, answerer, options={option: secret}) for secret in secrets]
    finally:
        env.close()


def oracle_answerer(module, backend: str = "knowledge", **oracle_kwargs: Any) -> OracleAnswerer:
    """The answerer played by an oracle backend ("knowledge", "openai", "hf") with the game's prompt."""
    from archer_envs.oracles import make_oracle

    game = module.GAME
    oracle = make_oracle(backend, knowledge=game.make_reference, task=game.task, oracle_kwargs=oracle_kwargs)
    return OracleAnswerer(oracle, name=f"oracle:{backend}")


__all__ = ["MatchResult", "OracleAnswerer", "oracle_answerer", "play_match", "play_matches"]
