"""WeChat Official Account template messages (公众号模板消息).

Shape: ``GET {api}/cgi-bin/token?grant_type=client_credential&appid=…&secret=…`` gives an access token
(cached until shortly before ``expires_in``); ``POST {api}/cgi-bin/message/template/send?access_token=…``
with ``{"touser": openid, "template_id", "data": {"first"|"keyword1"…|"remark": {"value"}}}`` answers
``{"errcode": 0, "msgid": …}``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode

from careloop.messaging.providers.base import (
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    UnknownOutcome,
)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TEMPORARY_ERRORS = frozenset({-1, 45009, 45047}) | TOKEN_ERRORS


class WeChatTemplateProvider:
    name = "wechat"

    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        templates: dict[str, str],
        api_base: str = "https://api.weixin.qq.com",
        timeout: float = 10.0,
    ) -> None:
        self.app_id, self.app_secret = app_id, app_secret
        self.templates = templates  # purpose → WeChat template_id
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self._token = ""
        self._token_until = 0.0
        self._lock = threading.Lock()

    def _get_json(self, url: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(payload, ensure_ascii=False).encode() if payload is not None else None
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return json.loads(response.read().decode("utf-8"))

    def access_token(self, *, refresh: bool = False) -> str:
        with self._lock:
            if refresh or not self._token or time.monotonic() >= self._token_until:
                query = urlencode({"grant_type": "client_credential", "appid": self.app_id,
                                   "secret": self.app_secret})
                try:
                    data = self._get_json(f"{self.api_base}/cgi-bin/token?{query}")
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    raise TemporaryFailure(f"WeChat token: {exc}", code="token") from exc
                if "access_token" not in data:
                    raise PermanentFailure(f"WeChat token refused: {data.get('errcode')}", code="token")
                self._token = data["access_token"]
                self._token_until = time.monotonic() + int(data.get("expires_in", 7200)) - 300
            return self._token

    def payload(self, message: Outgoing) -> dict[str, Any]:
        template_id = message.extra.get("wechat_template_id") or self.templates.get(message.purpose, "")
        if not template_id:
            raise PermanentFailure(f"no WeChat template for purpose {message.purpose!r}", code="no_template")
        fields = message.extra.get("wechat_data") or {}
        data = {key: {"value": str(value)} for key, value in fields.items()}
        data.setdefault("first", {"value": message.subject or message.body[:40]})
        data.setdefault("remark", {"value": message.body})
        return {"touser": message.to, "template_id": template_id, "data": data}

    def send(self, message: Outgoing) -> SendResult:
        payload = self.payload(message)
        for refresh in (False, True):
            token = self.access_token(refresh=refresh)
            url = f"{self.api_base}/cgi-bin/message/template/send?{urlencode({'access_token': token})}"
            try:
                answer = self._get_json(url, payload)
            except urllib.error.HTTPError as exc:
                raise TemporaryFailure(f"WeChat HTTP {exc.code}", code=f"http_{exc.code}") from exc
            except urllib.error.URLError as exc:
                raise TemporaryFailure(f"WeChat unreachable: {exc.reason}", code="unreachable") from exc
            except (OSError, ValueError) as exc:
                raise UnknownOutcome(f"WeChat answer lost: {exc}", code="no_answer") from exc
            code = int(answer.get("errcode", 0))
            if code == 0:
                return SendResult(provider_id=str(answer.get("msgid", "")))
            if code in TOKEN_ERRORS and not refresh:
                continue
            if code in TEMPORARY_ERRORS:
                raise TemporaryFailure(f"WeChat errcode {code}", code=str(code))
            raise PermanentFailure(f"WeChat errcode {code}: {answer.get('errmsg', '')}", code=str(code))
        raise TemporaryFailure("WeChat token kept expiring", code="token")
