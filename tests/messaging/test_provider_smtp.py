from email import message_from_bytes
from email.header import decode_header, make_header

import pytest

from careloop.messaging.providers.base import Outgoing, PermanentFailure, TemporaryFailure
from careloop.messaging.providers.smtp import SmtpProvider
from tests.messaging.smtpd import LoopbackSmtpServer


def email(to: str = "wang@example.cn") -> Outgoing:
    return Outgoing(out_id="12", channel="email", to=to, subject="体检报告已出",
                    body="王先生您好：您的体检报告已出，请到前台领取。")


def test_email_reaches_a_real_smtp_server():
    with LoopbackSmtpServer() as server:
        provider = SmtpProvider(host="127.0.0.1", port=server.port, from_address="noreply@careloop.cn")
        result = provider.send(email())
    assert len(server.log.messages) == 1
    got = server.log.messages[0]
    assert (got.sender, got.recipients) == ("noreply@careloop.cn", ["wang@example.cn"])
    parsed = message_from_bytes(got.data)
    assert str(make_header(decode_header(parsed["Subject"]))) == "体检报告已出"
    assert parsed["X-Careloop-Message"] == "12"
    assert parsed.get_payload(decode=True).decode(parsed.get_content_charset()).strip() == (
        "王先生您好：您的体检报告已出，请到前台领取。"
    )
    assert result.provider_id == parsed["Message-ID"]


def test_refused_recipient_is_permanent_and_deferred_is_temporary():
    with LoopbackSmtpServer() as server:
        server.log.refuse["gone@example.cn"] = "550 no such user"
        server.log.refuse["full@example.cn"] = "452 mailbox full"
        provider = SmtpProvider(host="127.0.0.1", port=server.port, from_address="noreply@careloop.cn")
        with pytest.raises(PermanentFailure):
            provider.send(email("gone@example.cn"))
        with pytest.raises(TemporaryFailure):
            provider.send(email("full@example.cn"))
    assert server.log.messages == []


def test_unreachable_server_is_temporary():
    with LoopbackSmtpServer() as server:
        port = server.port
    with pytest.raises(TemporaryFailure):
        SmtpProvider(host="127.0.0.1", port=port, from_address="a@b.cn", timeout=2).send(email())
