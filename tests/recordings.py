"""Real X API answers recorded by tweepy's test suite (../shared/xapi/recordings), and a
loopback server that replays them, so the client is tested through tweepy unchanged."""

from __future__ import annotations

import json
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "xapi"
RECORDINGS = SHARED / "recordings"


def require_shared() -> Path:
    if not RECORDINGS.is_dir():
        if os.environ.get("CI"):
            raise RuntimeError(f"CI needs the X API recordings at {RECORDINGS}")
        pytest.skip(f"no X API recordings at {RECORDINGS} (../shared is not beside the repo)")
    return RECORDINGS


def load(name: str) -> list[dict]:
    """The interactions of one recording, e.g. load("test_client_get_users_mentions")."""
    return json.loads((require_shared() / f"{name}.json").read_text())


def all_recordings() -> list[tuple[str, dict]]:
    return [
        (path.stem, interaction)
        for path in sorted(require_shared().glob("test_client_*.json"))
        for interaction in json.loads(path.read_text())
    ]


@dataclass
class Answer:
    status: int
    body: dict | None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: _ReplayServer

    def _answer(self) -> None:
        path = urlsplit(self.path).path
        self.server.requests.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        self.server.bodies.append(self.rfile.read(length).decode("utf-8", "replace"))
        answer = self.server.answer_for(self.command, path)
        if answer.delay:
            time.sleep(answer.delay)
        payload = b"" if answer.body is None else json.dumps(answer.body).encode()
        self.send_response(answer.status)
        for name, value in answer.headers.items():
            if name.lower() not in {"content-length", "transfer-encoding", "content-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, format, *args):  # keep test output quiet
        pass


class _ReplayServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[tuple[str, str]] = []
        self.bodies: list[str] = []  # each request's body, beside `requests`

    def answer_for(self, method: str, path: str) -> Answer:
        queue = self.routes.get((method, path))
        if not queue:
            return Answer(404, {"title": "Not Found", "detail": f"nothing recorded for {path}"})
        return queue.pop(0) if len(queue) > 1 else queue[0]


class Replay:
    def __init__(self, server: _ReplayServer) -> None:
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"

    @property
    def requests(self) -> list[tuple[str, str]]:
        return self._server.requests

    @property
    def bodies(self) -> list[str]:
        return self._server.bodies

    def add(self, method: str, path: str, *answers: Answer) -> None:
        self._server.routes.setdefault((method, path), []).extend(answers)

    def add_recording(self, name: str) -> None:
        """Answer each recorded request's path with its recorded answer, in order."""
        for interaction in load(name):
            request, response = interaction["request"], interaction["response"]
            self.add(
                request["method"],
                urlsplit(request["uri"]).path,
                Answer(response["status"]["code"], response.get("json"), response["headers"]),
            )


@contextmanager
def replay_server():
    server = _ReplayServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Replay(server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def replay():
    with replay_server() as replay:
        yield replay
