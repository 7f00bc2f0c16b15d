from __future__ import annotations

import pytest
from django.test import Client as WebClient


@pytest.fixture
def web():
    """A signed-in browser-like client speaking Chinese unless told otherwise."""

    def _client(user=None, lang: str = "zh-hans") -> WebClient:
        client = WebClient(HTTP_ACCEPT_LANGUAGE=lang)
        if user is not None:
            client.force_login(user)
        return client

    return _client


def htmx(**extra):
    return {"HTTP_HX_REQUEST": "true", **extra}
