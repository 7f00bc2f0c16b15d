"""Email over SMTP (STARTTLS or implicit TLS optional)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from careloop.messaging.providers.base import (
    Outgoing,
    PermanentFailure,
    SendResult,
    TemporaryFailure,
    UnknownOutcome,
)


class SmtpProvider:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        username: str = "",
        password: str = "",
        from_address: str,
        starttls: bool = False,
        ssl_on_connect: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port = host, port
        self.username, self.password = username, password
        self.from_address = from_address
        self.starttls, self.ssl_on_connect = starttls, ssl_on_connect
        self.timeout = timeout

    def build(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.from_address
        email["To"] = message.to
        email["Subject"] = message.subject or message.body.splitlines()[0][:60]
        domain = self.from_address.rpartition("@")[2] or "careloop.local"
        email["Message-ID"] = make_msgid(idstring=f"careloop-{message.out_id}", domain=domain)
        email["X-Careloop-Message"] = message.out_id
        email.set_content(message.body)
        return email

    def _connect(self) -> smtplib.SMTP:
        if self.ssl_on_connect:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            client.starttls(context=ssl.create_default_context())
        return client

    def send(self, message: Outgoing) -> SendResult:
        email = self.build(message)
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryFailure(f"SMTP server unreachable: {exc}", code="unreachable") from exc
        try:
            if self.username:
                client.login(self.username, self.password)
            client.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(400 <= code < 500 for code in codes):
                raise TemporaryFailure(f"recipient deferred: {codes}", code="deferred") from exc
            raise PermanentFailure(f"recipient refused: {codes}", code="refused") from exc
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentFailure("SMTP login refused", code="auth") from exc
        except smtplib.SMTPResponseException as exc:
            if 400 <= exc.smtp_code < 500:
                raise TemporaryFailure(f"SMTP {exc.smtp_code}", code=str(exc.smtp_code)) from exc
            raise PermanentFailure(f"SMTP {exc.smtp_code}", code=str(exc.smtp_code)) from exc
        except (TimeoutError, smtplib.SMTPServerDisconnected, OSError) as exc:
            raise UnknownOutcome(f"SMTP connection lost: {exc}", code="no_answer") from exc
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()
        return SendResult(provider_id=str(email["Message-ID"]))
