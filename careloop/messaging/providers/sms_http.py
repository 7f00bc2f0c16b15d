"""HTTP SMS gateway adapter: signed form POST, JSON answer (see careloop.messaging.signing)."""

from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlencode, urlsplit

from careloop.messaging.providers.base import (
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    UnknownOutcome,
)
from careloop.messaging.signing import sign_params

# Gateway answer codes that mean "try again later"; anything else but OK is permanent.
TEMPORARY_CODES = frozenset({"THROTTLED", "SYSTEM_BUSY", "RATE_LIMIT", "BUSINESS_LIMIT_CONTROL"})


class HttpSmsGateway:
    name = "http_sms"

    def __init__(
        self,
        *,
        url: str,
        app_key: str,
        app_secret: str,
        timeout: float = 10.0,
        receipt_url: str = "",
        query_url: str = "",
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"SMS gateway url {url!r}: expected http(s)://host/path")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._path = parts.path or "/"
        self._app_key = app_key
        self._secret = app_secret
        self._timeout = timeout
        self._receipt_url = receipt_url
        self._query_path = urlsplit(query_url).path if query_url else ""
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._scheme == "https" else http.client.HTTPConnection
            conn = cls(self._host, self._port, timeout=self._timeout)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
        self._local.conn = None

    def request_body(self, message: Outgoing) -> str:
        params = {"mobile": message.to, "content": message.body, "outId": message.out_id}
        if self._receipt_url:
            params["callbackUrl"] = self._receipt_url
        return urlencode(sign_params(params, app_key=self._app_key, secret=self._secret))

    def lookup(self, out_id: str) -> tuple[str, str] | None:
        """Ask the gateway whether it accepted ``out_id``: ("accepted", bizId), ("not_found", ""), or None
        when this gateway has no status query or did not answer."""
        if not self._query_path:
            return None
        body = urlencode(sign_params({"outId": out_id}, app_key=self._app_key, secret=self._secret))
        conn = self._connection()
        try:
            conn.request("POST", self._query_path, body=body,
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
            response = conn.getresponse()
            data = json.loads(response.read().decode("utf-8"))
        except (OSError, http.client.HTTPException, ValueError):
            self._drop_connection()
            return None
        if response.status != 200 or data.get("code") != "OK":
            return None
        return ("accepted", str(data.get("bizId", ""))) if data.get("found") else ("not_found", "")

    def send(self, message: Outgoing) -> SendResult:
        body = self.request_body(message)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        for fresh in (False, True):
            if fresh:
                self._drop_connection()
            conn = self._connection()
            try:
                conn.request("POST", self._path, body=body, headers=headers)
            except OSError as exc:
                # Nothing reached the gateway: a stale keep-alive connection gets one fresh try.
                self._drop_connection()
                if fresh:
                    raise TemporaryFailure(f"gateway unreachable: {exc}", code="unreachable") from exc
                continue
            try:
                response = conn.getresponse()
                raw = response.read()
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                self._drop_connection()
                raise UnknownOutcome(f"no answer from gateway: {exc}", code="no_answer") from exc
            return self._interpret(response.status, raw)
        raise TemporaryFailure("gateway unreachable", code="unreachable")  # pragma: no cover

    @staticmethod
    def _interpret(status: int, raw: bytes) -> SendResult:
        if status == 429 or status >= 500:
            raise TemporaryFailure(f"gateway HTTP {status}", code=f"http_{status}")
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if status >= 400:
                raise PermanentFailure(f"gateway HTTP {status}", code=f"http_{status}") from exc
            raise UnknownOutcome(f"unreadable gateway answer (HTTP {status})", code="bad_answer") from exc
        code = str(data.get("code", ""))
        if status == 200 and code == "OK":
            return SendResult(provider_id=str(data.get("bizId", "")))
        reason = str(data.get("message", "")) or code
        if code in TEMPORARY_CODES:
            raise TemporaryFailure(f"gateway {code}: {reason}", code=code)
        raise PermanentFailure(f"gateway {code or status}: {reason}", code=code or f"http_{status}")
