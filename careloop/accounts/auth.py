from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

if TYPE_CHECKING:
    from careloop.org.models import User


class ExpiringTokenAuthentication(TokenAuthentication):
    """API tokens that expire CARELOOP_TOKEN_HOURS after they were issued (default 8)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        hours = settings.API_TOKEN_HOURS
        if token.created < timezone.now() - dt.timedelta(hours=hours):
            raise exceptions.AuthenticationFailed(_("Token has expired; request a new one."))
        return user, token


def request_user(request: Any) -> User:
    """The signed-in person behind a page or API request. Every view that writes sits behind the sign-in
    middleware (or DRF's IsAuthenticated), so this is never the anonymous user there."""
    user = request.user
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Sign in first."))
    return cast("User", user)
