"""What every provider (one per channel, chosen by settings) looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Outgoing:
    """One message as a provider sees it; ``out_id`` is our id, echoed back in receipts."""

    out_id: str
    channel: str
    to: str
    body: str
    subject: str = ""
    purpose: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_id: str = ""
    response_code: int | None = None  # the HTTP status, for providers whose attempts are logged (webhooks)


class DeliveryError(Exception):
    """The provider refused or failed; ``permanent`` says whether retrying can help."""

    permanent = False

    def __init__(self, message: str, *, code: str = "", response_code: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.response_code = response_code


class TemporaryFailure(DeliveryError):
    permanent = False


class PermanentFailure(DeliveryError):
    permanent = True


class UnknownOutcome(DeliveryError):
    """The request left us but no answer came back (timeout, reset): it may or may not have been sent."""

    permanent = False


class Provider(Protocol):
    name: str

    def send(self, message: Outgoing) -> SendResult: ...
