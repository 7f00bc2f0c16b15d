from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class ExpiringTokenAuthentication(TokenAuthentication):
    """API tokens that expire CARELOOP_TOKEN_HOURS after they were issued (default 8)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        hours = settings.API_TOKEN_HOURS
        if token.created < timezone.now() - dt.timedelta(hours=hours):
            raise exceptions.AuthenticationFailed(_("Token has expired; request a new one."))
        return user, token
