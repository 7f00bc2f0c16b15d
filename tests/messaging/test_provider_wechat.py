import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from careloop.messaging.providers.base import Outgoing, PermanentFailure, TemporaryFailure
from careloop.messaging.providers.wechat import WeChatTemplateProvider


class FakeWeChat:
    """The two endpoints of the template-message API, on loopback."""

    def __init__(self, answers: list[dict]):
        self.answers = list(answers)
        self.tokens_issued = 0
        self.sent: list[tuple[str, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def _json(self, payload):
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                fake.tokens_issued += 1
                self._json({"access_token": f"tok{fake.tokens_issued}", "expires_in": 7200})

            def do_POST(self):
                token = parse_qs(urlsplit(self.path).query)["access_token"][0]
                payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.sent.append((token, payload))
                self._json(fake.answers.pop(0))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


def message() -> Outgoing:
    return Outgoing(out_id="5", channel="wechat", to="oOPENID", purpose="report_ready", subject="报告已出",
                    body="您的体检报告已出", extra={"wechat_data": {"keyword1": "王先生", "keyword2": "2026-11-23"}})


def provider(base: str) -> WeChatTemplateProvider:
    return WeChatTemplateProvider(app_id="wx1", app_secret="s", templates={"report_ready": "TPL-1"}, api_base=base)


def test_template_message_is_posted_with_token_and_fields():
    with FakeWeChat([{"errcode": 0, "errmsg": "ok", "msgid": 200228332}]) as fake:
        result = provider(fake.base).send(message())
    assert result.provider_id == "200228332"
    token, payload = fake.sent[0]
    assert token == "tok1"
    assert payload == {
        "touser": "oOPENID",
        "template_id": "TPL-1",
        "data": {"keyword1": {"value": "王先生"}, "keyword2": {"value": "2026-11-23"},
                 "first": {"value": "报告已出"}, "remark": {"value": "您的体检报告已出"}},
    }


def test_expired_token_is_refreshed_once():
    with FakeWeChat([{"errcode": 42001, "errmsg": "access_token expired"}, {"errcode": 0, "msgid": 9}]) as fake:
        assert provider(fake.base).send(message()).provider_id == "9"
    assert [token for token, _ in fake.sent] == ["tok1", "tok2"]


def test_unsubscribed_user_is_permanent_and_busy_is_temporary():
    with FakeWeChat([{"errcode": 43004, "errmsg": "require subscribe"}, {"errcode": -1, "errmsg": "busy"}]) as fake:
        wechat = provider(fake.base)
        with pytest.raises(PermanentFailure):
            wechat.send(message())
        with pytest.raises(TemporaryFailure):
            wechat.send(message())


def test_purpose_without_template_is_permanent():
    wechat = WeChatTemplateProvider(app_id="wx", app_secret="s", templates={}, api_base="http://127.0.0.1:9")
    with pytest.raises(PermanentFailure):
        wechat.send(message())
