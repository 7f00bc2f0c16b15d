"""Webhooks: a signed JSON POST to an integrator's URL (docs/integration.md, "Webhooks").

Headers: ``X-Careloop-Event`` (type), ``X-Careloop-Delivery`` (idempotency id, the same on every retry),
``X-Careloop-Timestamp`` (Unix seconds) and ``X-Careloop-Signature: sha256=<hex>``, the HMAC-SHA256 of
``timestamp + "." + body`` with the subscription's secret. 2xx is delivered; 408, 429, 5xx, timeouts and
unreachable hosts are retried with the outbox's backoff; any other answer fails permanently. Redirects
are not followed. Unless ``WEBHOOKS_ALLOW_PRIVATE`` is on, a host that resolves to a loopback, private or
link-local address is refused at send time too (not only when the URL is saved).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings

from careloop.messaging.providers.base import Outgoing, PermanentFailure, SendResult, TemporaryFailure

Transport = Callable[[str, bytes, dict[str, str], float], int]
RETRY_STATUSES = frozenset({408, 429})
USER_AGENT = "careloop-webhooks/1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp + "." + body``: what a receiver recomputes to check a delivery."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def _check_resolved(host: str, port: int) -> None:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TemporaryFailure(f"cannot resolve {host}: {exc}", code="unresolved") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise PermanentFailure(f"{host} resolves to a non-public address ({address})", code="private_address")


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST ``body`` to ``url`` with the standard library; returns the HTTP status."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        _check_resolved(host, port)
    conn: http.client.HTTPConnection
    if https:
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return response.status
    finally:
        conn.close()


class WebhookProvider:
    name = "webhook"

    def __init__(self, *, timeout: float = 10.0, transport: Transport | None = None) -> None:
        self.timeout = timeout
        self.transport = transport or http_post

    def headers(self, message: Outgoing, body: bytes, timestamp: str) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Careloop-Event": message.subject,
            "X-Careloop-Delivery": str(message.extra.get("delivery_id", "")),
            "X-Careloop-Timestamp": timestamp,
            "X-Careloop-Signature": signature(str(message.extra.get("secret", "")), timestamp, body),
        }

    def send(self, message: Outgoing) -> SendResult:
        body = message.body.encode("utf-8")
        timestamp = str(int(time.time()))
        try:
            status = self.transport(message.to, body, self.headers(message, body, timestamp), self.timeout)
        except (PermanentFailure, TemporaryFailure):
            raise
        except TimeoutError as exc:
            raise TemporaryFailure(f"no answer within {self.timeout:g} s", code="timeout") from exc
        except ssl.SSLError as exc:
            raise TemporaryFailure(f"TLS: {exc}", code="tls") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise TemporaryFailure(f"unreachable: {exc}", code="unreachable") from exc
        if 200 <= status < 300:
            return SendResult(provider_id=f"http_{status}", response_code=status)
        if status in RETRY_STATUSES or status >= 500:
            raise TemporaryFailure(f"HTTP {status}", code=f"http_{status}", response_code=status)
        raise PermanentFailure(f"HTTP {status}", code=f"http_{status}", response_code=status)
