import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from careloop.messaging.providers.base import Outgoing, PermanentFailure, TemporaryFailure, UnknownOutcome
from careloop.messaging.providers.sms_http import HttpSmsGateway
from careloop.messaging.signing import verify_params
from tests.support.fakegateway import FakeSmsGateway


def outgoing(out_id: str = "1") -> Outgoing:
    return Outgoing(out_id=out_id, channel="sms", to="13800138000", body="【康乐健康】您的体检报告已出。")


def provider_for(gateway: FakeSmsGateway, secret: str | None = None, **kw) -> HttpSmsGateway:
    return HttpSmsGateway(url=gateway.url, app_key=gateway.app_key,
                          app_secret=secret or gateway.app_secret, timeout=2.0, **kw)


def test_accepted_message_returns_gateway_id():
    with FakeSmsGateway() as gateway:
        result = provider_for(gateway).send(outgoing("41"))
    assert result.provider_id == "biz-41-1"
    assert gateway.log.accepted == {"41": 1}


def test_temporary_and_permanent_failures_are_told_apart():
    script = {"7": ["temporary", "ok"], "8": ["permanent"]}
    with FakeSmsGateway(script=script) as gateway:
        provider = provider_for(gateway)
        with pytest.raises(TemporaryFailure) as temporary:
            provider.send(outgoing("7"))
        assert provider.send(outgoing("7")).provider_id == "biz-7-1"
        with pytest.raises(PermanentFailure) as permanent:
            provider.send(outgoing("8"))
    assert temporary.value.code == "http_503"
    assert permanent.value.code == "INVALID_MOBILE"
    assert gateway.log.accepted == {"7": 1}


def test_wrong_secret_is_a_permanent_signature_failure():
    with FakeSmsGateway() as gateway, pytest.raises(PermanentFailure) as refused:
        provider_for(gateway, secret="wrong").send(outgoing())
    assert refused.value.code == "SIGN_INVALID"
    assert gateway.log.bad_signature == 1
    assert gateway.log.accepted == {}


def test_answer_lost_after_acceptance_is_unknown_outcome():
    with FakeSmsGateway(script={"9": ["drop"]}) as gateway, pytest.raises(UnknownOutcome):
        provider_for(gateway).send(outgoing("9"))
    assert gateway.log.accepted == {"9": 1}


def test_unreachable_gateway_is_temporary():
    with FakeSmsGateway() as gateway:
        url = gateway.url
    provider = HttpSmsGateway(url=url, app_key="a", app_secret="b", timeout=1.0)
    with pytest.raises(TemporaryFailure) as failure:
        provider.send(outgoing())
    assert failure.value.code == "unreachable"


def test_keep_alive_connection_is_reused_across_sends():
    with FakeSmsGateway() as gateway:
        provider = provider_for(gateway)
        for n in range(20):
            provider.send(outgoing(str(n)))
    assert sum(gateway.log.accepted.values()) == 20


def test_permanent_rate_picks_a_fixed_set_of_ids():
    gateway = FakeSmsGateway(permanent_rate=0.1, seed=5)
    chosen = {str(n) for n in range(2000) if gateway.is_permanently_failing(str(n))}
    again = {str(n) for n in range(2000) if FakeSmsGateway(permanent_rate=0.1, seed=5).is_permanently_failing(str(n))}
    assert chosen == again
    assert 150 < len(chosen) < 250


def test_receipts_are_signed_and_posted_to_the_callback():
    received: list[dict[str, str]] = []

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append(dict(parse_qsl(self.rfile.read(length).decode())))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        callback = f"http://127.0.0.1:{server.server_address[1]}/receipts/"
        with FakeSmsGateway() as gateway:
            provider_for(gateway, receipt_url=callback).send(outgoing("77"))
            gateway.wait_receipts()
    finally:
        server.shutdown()
        server.server_close()
    assert len(received) == 1
    assert json.loads(received[0]["reports"]) == [{"outId": "77", "bizId": "biz-77-1", "status": "DELIVRD"}]
    assert verify_params(received[0], secret="fake-secret")


def test_status_lookup_tells_accepted_from_never_seen():
    with FakeSmsGateway(script={"3": ["drop"]}) as gateway:
        provider = provider_for(gateway, query_url=gateway.query_url)
        with pytest.raises(UnknownOutcome):
            provider.send(outgoing("3"))
        assert provider.lookup("3") == ("accepted", "biz-3-1")
        assert provider.lookup("4") == ("not_found", "")
    assert provider_for(gateway).lookup("3") is None  # no query endpoint configured
