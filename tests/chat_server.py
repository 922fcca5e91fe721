"""A real OpenAI-compatible chat-completions server on 127.0.0.1, for the tests and benchmarks of the
``openai`` oracle backend and the chat agent (the stand-in for `vllm serve` and friends). It answers
"Yes, it is." when the question names the object and "no" otherwise, and lets the caller make it fail,
stall (``delay``: a served model's generation time) and count what it received, including the most
requests it was answering at once.

    with serve() as state:
        OpenAIOracle(TASK, model="m", base_url=state.base_url)
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ChatServerState:
    """What the test controls and observes: failure/slowness modes and every request received."""

    def __init__(self) -> None:
        self.requests: list[dict] = []  # {"path", "headers", "body"} per HTTP request, failed ones too
        self.lock = threading.Lock()
        self.fail_first = 0  # the first N requests get HTTP 500
        self.delay = 0.0  # seconds to stall before answering
        self.release = threading.Event()  # set at teardown so a stalled handler ends at once
        self.base_url = ""
        self.in_flight = 0  # requests being answered now
        self.max_in_flight = 0  # the most at any moment

    def bodies(self) -> list[dict]:
        with self.lock:
            return [r["body"] for r in self.requests]


def chat_reply(user_message: str) -> str:
    """The server's oracle: "Yes, it is." when the question names the object, else "no"."""
    obj = re.search(r"^The object is: (.+)\.$", user_message, re.MULTILINE)
    question = re.search(r"^Question: (.*)$", user_message, re.MULTILINE)
    if obj is None or question is None:
        return "I cannot tell without an object and a question."
    if "depend" in question.group(1).lower():
        return "It depends."
    return "Yes, it is." if obj.group(1).lower() in question.group(1).lower() else "no"


class ChatHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        state: ChatServerState = self.server.state
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with state.lock:
            state.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            n = len(state.requests)
        if self.path != "/v1/chat/completions":
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        if n <= state.fail_first:
            # retry-after-ms is the openai client's own header for the retry delay: without it the
            # client backs off 0.5 s, 1 s, 2 s, ... (INITIAL_RETRY_DELAY * 2**n, minus up to 25 % jitter).
            self._send_json(
                500,
                {"error": {"message": "simulated overload", "type": "server_error"}},
                headers={"retry-after-ms": "20"},
            )
            return
        with state.lock:
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            if state.delay:
                state.release.wait(state.delay)
        finally:
            with state.lock:
                state.in_flight -= 1
        user = next(m["content"] for m in body["messages"] if m["role"] == "user")
        reply = chat_reply(user)
        self._send_json(
            200,
            {
                "id": f"chatcmpl-test-{n}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": len(user.split()), "completion_tokens": len(reply.split()),
                          "total_tokens": len(user.split()) + len(reply.split())},
            },
        )


class ChatServer(ThreadingHTTPServer):
    block_on_close = False  # never wait at shutdown for a handler the client already gave up on
    request_queue_size = 256  # socketserver's default backlog of 5 drops connections of a 32-wide batch

    def handle_error(self, request, client_address) -> None:
        pass  # a timed-out client closes its socket; the late reply's broken pipe is expected


@contextlib.contextmanager
def serve(delay: float = 0.0):
    """Start a server on a free port; yields its :class:`ChatServerState` (``base_url`` set)."""
    state = ChatServerState()
    state.delay = delay
    server = ChatServer(("127.0.0.1", 0), ChatHandler)
    server.state = state
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
