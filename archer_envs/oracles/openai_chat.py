"""Oracle backed by any OpenAI-compatible chat-completions endpoint.

Works with OpenAI, vLLM (``vllm serve``), Ollama (``http://localhost:11434/v1``) and the llama.cpp
server. Temperature 0, retries and timeouts come from the ``openai`` client; replies are normalised
by the game's :class:`~archer_envs.oracles.base.OracleTask`; every raw reply is stored in an on-disk
SQLite cache keyed by (endpoint, model, messages), so rerunning an evaluation costs no calls.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from archer_envs.cache import default_cache_dir
from archer_envs.oracles.base import Oracle, OracleTask


class ReplyCache:
    """A tiny persistent key -> reply store (SQLite, safe across threads and reruns)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL)")
        self._db.commit()

    def get(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT reply FROM replies WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, reply: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO replies (key, reply) VALUES (?, ?)", (key, reply))
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()


class ChatEndpoint:
    """An OpenAI-compatible chat endpoint with retries, timeouts, an on-disk reply cache and batched,
    concurrent requests. Shared by :class:`OpenAIOracle` and the zero-shot ``archer_gym.agents.ChatAgent``.

    Args:
        model: model name as the endpoint knows it (``gpt-4o-mini``, ``llama3.1``, ...).
        base_url: endpoint root, e.g. ``http://localhost:8000/v1``; default ``OPENAI_BASE_URL`` or OpenAI.
        api_key: default ``OPENAI_API_KEY``; local servers that need none get a placeholder.
        timeout: seconds per request; max_retries: retries on connection errors, 429 and 5xx.
        temperature, max_tokens: sampling settings of each request.
        cache_path: SQLite file for raw replies, or ``None``; the cache key is (``cache_name``,
            endpoint, model, max_tokens, messages). Only used at temperature 0, where a reply is a
            function of the prompt.
        concurrency: requests in flight per batch. client: a ready ``openai.OpenAI`` client.
        who: how errors name the caller.
    """

    def __init__(
        self,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        temperature: float = 0.0,
        max_tokens: int = 64,
        cache_path: str | os.PathLike | None = None,
        cache_name: str = "",
        concurrency: int = 8,
        client=None,
        who: str = "the chat endpoint",
    ) -> None:
        if client is None:
            import openai

            base_url = base_url or os.environ.get("OPENAI_BASE_URL")
            api_key = api_key or os.environ.get("OPENAI_API_KEY")
            if api_key is None:
                if base_url is None:
                    raise ValueError(
                        f"{who} needs an API key: set OPENAI_API_KEY or pass api_key=..., "
                        "or pass base_url=... for a local server that needs none"
                    )
                api_key = "not-needed"
            client = openai.OpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=max_retries)
        self.client = client
        self.model = model
        self.base_url = str(client.base_url)
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.cache_name = cache_name
        self.concurrency = max(1, int(concurrency))
        self.disk_cache = ReplyCache(cache_path) if cache_path is not None and self.temperature == 0 else None
        self.requests_sent = 0
        self._count_lock = threading.Lock()  # requests are sent from the pool's threads

    def _key(self, messages: list[dict[str, str]]) -> str:
        blob = json.dumps([self.cache_name, self.base_url, self.model, self.max_tokens, messages], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _cached(self, key: str) -> str | None:
        return None if self.disk_cache is None else self.disk_cache.get(key)

    def _send(self, messages: list[dict[str, str]], key: str) -> str:
        """Ask the endpoint (a cache miss) and store the reply under ``key``."""
        with self._count_lock:
            self.requests_sent += 1
        response = self.client.chat.completions.create(
            model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens
        )
        text = response.choices[0].message.content or ""
        if self.disk_cache is not None:
            self.disk_cache.put(key, text)
        return text

    def reply(self, messages: list[dict[str, str]]) -> str:
        """The raw reply to one conversation (from the disk cache when there)."""
        key = self._key(messages)
        hit = self._cached(key)
        return hit if hit is not None else self._send(messages, key)

    def replies(self, conversations: list[list[dict[str, str]]]) -> list[str]:
        """The raw replies, in order: cache hits read here, the misses sent ``concurrency`` at a time."""
        keys = [self._key(c) for c in conversations]
        out = [self._cached(k) for k in keys]
        missing = [i for i, reply in enumerate(out) if reply is None]

        def send(i: int) -> str:
            return self._send(conversations[i], keys[i])

        if self.concurrency == 1 or len(missing) <= 1:
            fetched = [send(i) for i in missing]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(missing))) as pool:
                fetched = list(pool.map(send, missing))
        for i, reply in zip(missing, fetched):
            out[i] = reply
        return out

    def close(self) -> None:
        if self.disk_cache is not None:
            self.disk_cache.close()
            self.disk_cache = None
        self.client.close()


class OpenAIOracle(Oracle):
    """Asks a chat model to play the oracle (temperature 0; see :class:`ChatEndpoint` for the args).

    ``cache_path="default"`` stores raw replies in ``$ARCHER_CACHE_DIR/openai-oracle.sqlite``.
    """

    def __init__(
        self,
        task: OracleTask,
        model: str = "gpt-4o-mini",
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_tokens: int = 64,
        concurrency: int = 8,
        cache_path: str | os.PathLike | None = "default",
        client=None,
    ) -> None:
        super().__init__()
        self.task = task
        if cache_path == "default":
            cache_path = default_cache_dir() / "openai-oracle.sqlite"
        self.endpoint = ChatEndpoint(
            model, base_url, api_key, timeout, max_retries, temperature=0.0, max_tokens=max_tokens,
            cache_path=cache_path, cache_name=task.name, concurrency=concurrency, client=client, who="oracle='openai'",
        )

    @property
    def requests_sent(self) -> int:
        return self.endpoint.requests_sent

    def _messages(self, secret: str, question: str) -> list[dict[str, str]]:
        return [
            {"role": "system", "content": self.task.system},
            {"role": "user", "content": self.task.user(secret, question)},
        ]

    def _answer_batch(self, secrets: list[str], questions: list[str]) -> list[str]:
        replies = self.endpoint.replies([self._messages(s, q) for s, q in zip(secrets, questions)])
        return [self.task.normalize(r) for r in replies]

    def close(self) -> None:
        self.endpoint.close()
