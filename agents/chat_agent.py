"""A prompted chat model as a zero-shot agent, through any OpenAI-compatible endpoint.

    agent = ChatAgent("gpt-4o-mini", env_id="archer/TwentyQuestions-v0")
    agent = ChatAgent("llama3.1", base_url="http://localhost:11434/v1", env_id="archer/GuessMyCity-v0")
    agent.act(["Questions:\\n"])          # -> ["Is it alive?"]

Each observation is sent as the user message under a short system prompt for the env's family; the
action is the first non-empty line of the reply. At temperature 0 raw replies are cached on disk
(the oracles' :class:`~archer_envs.oracles.openai_chat.ReplyCache`), so re-running an evaluation
costs no calls. This is the "prompted LLM" baseline of ArCHer's comparisons (§6), with no training.
"""

from __future__ import annotations

import os

from archer_envs.cache import default_cache_dir
from archer_envs.descriptor import GENERIC_PROMPT, AgentPrompt
from archer_envs.oracles.openai_chat import ChatEndpoint


def env_prompt(env_id: str | None) -> AgentPrompt:
    """The system prompt and cue the env's descriptor declares (a generic one when unknown or ``None``)."""
    from archer_envs import ENVS

    return ENVS[env_id].prompt if env_id in ENVS else GENERIC_PROMPT


def first_line(reply: str | None) -> str:
    """The first non-empty line of a reply, stripped ("" for an empty reply)."""
    lines = (reply or "").strip().splitlines()
    return lines[0].strip() if lines else ""


class ChatAgent:
    """Zero-shot chat model agent.

    Args:
        model: model name as the endpoint knows it (``gpt-4o-mini``, ``llama3.1``, ...).
        base_url: endpoint root, e.g. ``http://localhost:8000/v1``; default ``OPENAI_BASE_URL`` or OpenAI.
        api_key: default ``OPENAI_API_KEY``; local servers that need none get a placeholder.
        system_prompt: replaces the env's prompt (its descriptor's ``prompt``, :func:`env_prompt`).
        temperature, max_tokens: sampling settings of each request.
        env_id: picks the system prompt; ``None`` uses a generic one.
        timeout: seconds per request; max_retries: the ``openai`` client's retries (connection
            errors, 429, 5xx).
        cache_path: SQLite file for raw replies (``"default"``: ``$ARCHER_CACHE_DIR/chat-agent.sqlite``;
            ``None``: no disk cache). Used only at temperature 0, where a reply is a function of the
            prompt; sampled replies are never cached.
        client: a ready ``openai.OpenAI`` client (base_url/api_key/timeout/max_retries are then ignored).
        concurrency: requests in flight per batch.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        system_prompt: str | None = None,
        temperature: float = 0.0,
        max_tokens: int = 64,
        env_id: str | None = None,
        timeout: float = 30,
        max_retries: int = 3,
        cache_path: str | os.PathLike | None = "default",
        client=None,
        concurrency: int = 8,
    ) -> None:
        if cache_path == "default":
            cache_path = default_cache_dir() / "chat-agent.sqlite"
        self.endpoint = ChatEndpoint(
            model, base_url, api_key, timeout, max_retries, temperature=temperature, max_tokens=max_tokens,
            cache_path=cache_path, cache_name="chat-agent", concurrency=concurrency, client=client,
            who=f"ChatAgent({model!r})",
        )
        self.model = model
        self.env_id = env_id
        prompt = env_prompt(env_id)
        self.cue = prompt.cue
        self.system_prompt = prompt.system if system_prompt is None else system_prompt
        self.name = f"chat:{model}"
        self.description = (
            f"{model} prompted zero-shot via {self.endpoint.base_url} (temperature {self.endpoint.temperature:g})"
        )

    @property
    def requests_sent(self) -> int:
        return self.endpoint.requests_sent

    @property
    def disk_cache(self):
        return self.endpoint.disk_cache

    def messages(self, observation: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.system_prompt},
            {"role": "user", "content": f"{observation.rstrip()}\n\n{self.cue}"},
        ]

    def reply(self, observation: str) -> str:
        """The raw reply to one observation (from the disk cache when there)."""
        return self.endpoint.reply(self.messages(observation))

    def act(self, observations: list[str]) -> list[str]:
        replies = self.endpoint.replies([self.messages(o) for o in observations])
        return [first_line(r) for r in replies]

    def close(self) -> None:
        self.endpoint.close()

    def __enter__(self) -> ChatAgent:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
