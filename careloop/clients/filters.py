"""The client list's filters, parsed once for every API that offers them (the list, the export)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from careloop.clients.models import ClientStatus, Tier


def client_list_filters(params: Mapping[str, Any]) -> dict[str, Any]:
    """``q``, ``phone``, ``id_number``, ``status``, ``tier``, ``branch`` checked; a wrong one is a 400 naming it.

    An enum filter that is present must hold one of its values (``?status=`` is refused, as the schema says).
    """
    errors: dict[str, list[str]] = {}
    branch_raw = str(params.get("branch") or "")
    if branch_raw and not branch_raw.isdigit():
        errors["branch"] = [_("Branch: must be a whole number")]
    status = str(params.get("status", ""))
    if "status" in params and status not in ClientStatus.values:
        errors["status"] = [_("Status: must be one of: %(values)s") % {"values": ", ".join(ClientStatus.values)}]
    tier = str(params.get("tier", ""))
    if "tier" in params and tier not in Tier.values:
        errors["tier"] = [_("Tier: must be one of: %(values)s") % {"values": ", ".join(Tier.values)}]
    if errors:
        raise ValidationError(errors)
    return {"q": str(params.get("q") or ""), "phone": str(params.get("phone") or ""),
            "id_number": str(params.get("id_number") or ""), "status": status, "tier": tier,
            "branch": int(branch_raw) if branch_raw else None}
