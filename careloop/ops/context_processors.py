from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from careloop.core import nav
from careloop.ops.views import allowed
from careloop.org.models import Role


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for entry in nav.entries():
        if not allowed(user, entry):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": entry.label, "url": url, "active": False})
    matching = [item for item in items if request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    labels = "、".join(str(Role(r).label) for r in sorted(getattr(user, "roles", ())) if r in Role.values)
    return {"nav_items": items, "role_labels": labels}
