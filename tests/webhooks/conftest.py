"""A receiver on 127.0.0.1 (a thread; no network beyond loopback) and a webhook factory."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from careloop.messaging.webhooks import webhook_create


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class Receiver:
    url: str
    statuses: list[int]  # answered in order; the last one repeats
    requests: list[dict] = field(default_factory=list)


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    state: dict = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            rec: Receiver = state["receiver"]
            rec.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
            status = rec.statuses[min(len(rec.requests), len(rec.statuses)) - 1]
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/careloop", statuses=[200])
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def hook_factory(world, settings):
    def make(*, url: str = "https://integrator.example.com/careloop", events=None, branch=None, active=True):
        return webhook_create(name="区域平台", url=url, events_=events or ["followup.task_done"],
                              branch=branch or world.hq, active=active, acting_user=world.admin)

    return make


def payload(message) -> dict:
    return json.loads(message.body)
