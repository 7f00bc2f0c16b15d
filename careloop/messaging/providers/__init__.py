"""One provider per channel, chosen by settings.

``MESSAGING_PROVIDERS`` (a Django setting, or JSON in ``CARELOOP_MESSAGING_PROVIDERS``) maps a channel
to ``{"backend": …, **options}``. Backends: ``console``, ``file`` (``path``), ``smtp`` (``host``,
``port``, ``username``, ``password``, ``from_address``, ``starttls``, ``ssl_on_connect``),
``http_sms`` (``url``, ``app_key``, ``app_secret``, ``receipt_url``, ``timeout``), ``wechat``
(``app_id``, ``app_secret``, ``templates``, ``api_base``), ``letter`` (``directory``) and ``webhook``
(``timeout``; always the channel ``webhook``). Channels not
named fall back to the file provider under ``CARELOOP_DATA_DIR/outbox/`` (letters: ``letters/``).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from django.conf import settings

from careloop.messaging.providers.base import (
    DeliveryError,
    Outgoing,
    PermanentFailure,
    Provider,
    SendResult,
    TemporaryFailure,
    UnknownOutcome,
)

__all__ = [
    "DeliveryError",
    "Outgoing",
    "PermanentFailure",
    "Provider",
    "SendResult",
    "TemporaryFailure",
    "UnknownOutcome",
    "build_provider",
    "provider_config",
    "provider_for",
]

_cache: dict[str, tuple[str, Provider]] = {}
_lock = threading.Lock()


def provider_config(channel: str) -> dict[str, Any]:
    configured = settings.MESSAGING_PROVIDERS
    if channel == "webhook":
        return {"backend": "webhook", **dict(configured.get("webhook", {}))}
    if channel in configured:
        return dict(configured[channel])
    if channel == "letter":
        return {"backend": "letter", "directory": str(settings.DATA_DIR / "letters")}
    return {"backend": "file", "path": str(settings.DATA_DIR / "outbox" / f"{channel}.jsonl")}


def build_provider(config: dict[str, Any]) -> Provider:
    options = dict(config)
    backend = options.pop("backend", "file")
    if backend == "console":
        from careloop.messaging.providers.console import ConsoleProvider

        return ConsoleProvider()
    if backend == "file":
        from careloop.messaging.providers.console import FileProvider

        return FileProvider(**options)
    if backend == "smtp":
        from careloop.messaging.providers.smtp import SmtpProvider

        return SmtpProvider(**options)
    if backend == "http_sms":
        from careloop.messaging.providers.sms_http import HttpSmsGateway

        return HttpSmsGateway(**options)
    if backend == "wechat":
        from careloop.messaging.providers.wechat import WeChatTemplateProvider

        return WeChatTemplateProvider(**options)
    if backend == "webhook":
        from careloop.messaging.providers.webhook import WebhookProvider

        return WebhookProvider(**options)
    if backend == "letter":
        from careloop.messaging.providers.letter import LetterBatchProvider

        return LetterBatchProvider(**options)
    raise ValueError(f"unknown message provider backend {backend!r}")


def provider_for(channel: str) -> Provider:
    """The provider for ``channel``, built once per configuration and process."""
    config = provider_config(channel)
    key = json.dumps(config, sort_keys=True, default=str)
    with _lock:
        cached = _cache.get(channel)
        if cached is None or cached[0] != key:
            cached = (key, build_provider(config))
            _cache[channel] = cached
        return cached[1]
