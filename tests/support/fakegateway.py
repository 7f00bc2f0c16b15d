"""A local SMS gateway for tests, the bench and demos: loopback HTTP, the signed shape of
``providers.sms_http``, injectable failures, and signed delivery receipts posted back.

Failures are injected three ways: ``permanent_rate`` marks a fixed share of ``outId`` values as
permanently undeliverable (decided by a hash, so the same ids fail on every attempt and the count is
known in advance); ``temporary_rate`` fails that share of requests at random; ``script`` gives exact
outcomes per ``outId`` and attempt (``ok``, ``temporary``, ``permanent``, ``drop`` = accept and hang up
without answering).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import queue
import random
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from careloop.messaging.signing import sign_params, verify_params


@dataclass
class GatewayLog:
    accepted: Counter = field(default_factory=Counter)  # outId → times accepted for delivery
    attempts: Counter = field(default_factory=Counter)  # outId → requests seen
    temporary: int = 0
    permanent: set = field(default_factory=set)
    bad_signature: int = 0
    receipts_posted: int = 0
    queries: int = 0

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.accepted.values() if n > 1)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients killed mid-request (the crash bench does that on purpose) are not errors here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FakeSmsGateway:
    def __init__(
        self,
        *,
        app_key: str = "fake-app",
        app_secret: str = "fake-secret",  # noqa: S107 - a loopback test double
        temporary_rate: float = 0.0,
        permanent_rate: float = 0.0,
        seed: int = 1,
        receipt_url: str = "",
        receipts: bool = True,
        script: dict[str, list[str]] | None = None,
        receipt_threads: int = 1,
        latency: float = 0.0,
    ) -> None:
        self.app_key = app_key
        self.app_secret = app_secret
        self.temporary_rate = temporary_rate
        self.permanent_rate = permanent_rate
        self.seed = seed
        self.receipt_url = receipt_url
        self.receipts = receipts
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.receipt_threads = receipt_threads
        self.latency = latency  # seconds each send takes, as a real gateway's round trip
        self.log = GatewayLog()
        self._rng = random.Random(seed)
        self._biz_ids: dict[str, str] = {}
        self._lock = threading.Lock()
        self._receipt_queue: queue.Queue[dict[str, str] | None] = queue.Queue()
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []

    # --- decisions -----------------------------------------------------------------------------
    def is_permanently_failing(self, out_id: str) -> bool:
        if self.permanent_rate <= 0:
            return False
        digest = hashlib.sha256(f"{self.seed}:{out_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.permanent_rate

    def _outcome(self, out_id: str) -> str:
        with self._lock:
            self.log.attempts[out_id] += 1
            planned = self.script.get(out_id)
            if planned:
                return planned.pop(0)
            if self.is_permanently_failing(out_id):
                return "permanent"
            if self.temporary_rate and self._rng.random() < self.temporary_rate:
                return "temporary"
            return "ok"

    # --- server ----------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/sms/send"

    @property
    def query_url(self) -> str:
        return self.url.replace("/sms/send", "/sms/query")

    def start(self) -> FakeSmsGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                params = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
                gateway._handle(self, params)

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        serve = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                 name="fake-gateway", daemon=True)
        posters = [threading.Thread(target=self._post_receipts, name=f"fake-gateway-receipts-{n}", daemon=True)
                   for n in range(self.receipt_threads)]
        self._threads = [serve, *posters]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for _ in range(self.receipt_threads):
            self._receipt_queue.put(None)
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSmsGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_receipts(self, timeout: float = 10.0) -> None:
        """Block until every queued receipt has been posted (or ``timeout`` passes)."""
        deadline = time.monotonic() + timeout
        while self._receipt_queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _answer(self, handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def _handle(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        if params.get("appKey") != self.app_key or not verify_params(params, secret=self.app_secret):
            with self._lock:
                self.log.bad_signature += 1
            self._answer(handler, 401, {"code": "SIGN_INVALID", "message": "bad signature"})
            return
        out_id = params.get("outId", "")
        if self.latency and not handler.path.endswith("/query"):
            time.sleep(self.latency)
        if handler.path.endswith("/query"):
            with self._lock:
                self.log.queries += 1
                taken = self._biz_ids.get(out_id, "")
            self._answer(handler, 200, {"code": "OK", "found": bool(taken), "bizId": taken})
            return
        outcome = self._outcome(out_id)
        if outcome == "temporary":
            with self._lock:
                self.log.temporary += 1
            self._answer(handler, 503, {"code": "SYSTEM_BUSY", "message": "try later"})
            return
        if outcome == "permanent":
            with self._lock:
                self.log.permanent.add(out_id)
            self._answer(handler, 200, {"code": "INVALID_MOBILE", "message": "number not in service"})
            return
        with self._lock:
            self.log.accepted[out_id] += 1
            biz_id = f"biz-{out_id}-{self.log.accepted[out_id]}"
            self._biz_ids[out_id] = biz_id
        receipt_to = params.get("callbackUrl") or self.receipt_url
        if self.receipts and receipt_to:
            self._receipt_queue.put({"url": receipt_to, "outId": out_id, "bizId": biz_id})
        if outcome == "drop":
            handler.close_connection = True
            handler.wfile.flush()
            return
        self._answer(handler, 200, {"code": "OK", "message": "OK", "bizId": biz_id})

    # --- receipts ---------------------------------------------------------------------------------
    def _post_receipts(self) -> None:
        """Post receipts in batches of up to 100, as mainland gateways push delivery reports."""
        while True:
            first = self._receipt_queue.get()
            if first is None:
                self._receipt_queue.task_done()
                return
            batch = [first]
            stop = False
            while len(batch) < 100:
                try:
                    item = self._receipt_queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    self._receipt_queue.task_done()
                    break
                batch.append(item)
            try:
                self._post_batch(batch)
            finally:
                for _ in batch:
                    self._receipt_queue.task_done()
            if stop:
                return

    def _post_batch(self, batch: list[dict[str, str]]) -> None:
        by_url: dict[str, list[dict[str, str]]] = {}
        for item in batch:
            by_url.setdefault(item["url"], []).append(
                {"outId": item["outId"], "bizId": item["bizId"], "status": "DELIVRD"})
        for url, reports in by_url.items():
            self._post_reports(url, reports)

    def _post_reports(self, url: str, reports: list[dict[str, str]]) -> None:
        parts = urlsplit(url)
        for attempt in range(100):
            params = sign_params({"reports": json.dumps(reports)}, app_key=self.app_key, secret=self.app_secret)
            try:
                conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
                conn.request("POST", parts.path, body=urlencode(params),
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
                status = conn.getresponse().status
                conn.close()
                if status < 500:
                    with self._lock:
                        self.log.receipts_posted += len(reports)
                    return
            except OSError:
                pass
            time.sleep(min(2.0, 0.05 * (attempt + 1)))
