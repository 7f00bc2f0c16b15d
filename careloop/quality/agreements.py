"""Confidentiality agreements (seed 000 §7.1): recording a signed agreement with its file kept
privately, who lacks a current one, and the access check registered with careloop.clients.access."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_unit_ids, unit_in_subtree
from careloop.quality.models import AgreementVersion, ConfidentialityAgreement

ALLOWED_SUFFIXES = {".pdf", ".jpg", ".jpeg", ".png"}
MAX_BYTES = 10 * 1024 * 1024


def private_dir() -> Path:
    """Outside MEDIA_ROOT and STATIC_ROOT: no URL maps here; files are read through an audited view."""
    path = Path(settings.DATA_DIR) / "private" / "agreements"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def current_version(today: date | None = None) -> AgreementVersion | None:
    return AgreementVersion.objects.filter(effective_from__lte=today or timezone.localdate()).order_by(
        "-effective_from", "-pk").first()


def has_current(user: Any, today: date | None = None) -> bool:
    version = current_version(today)
    if version is None:
        return True  # no agreement required yet
    return ConfidentialityAgreement.objects.filter(staff_id=user.pk, version=version).exists()


def access_check(user: Any) -> str | None:
    """Registered with careloop.clients.access: off unless CARELOOP_REQUIRE_CONFIDENTIALITY."""
    if not settings.CARELOOP_REQUIRE_CONFIDENTIALITY:
        return None
    if not getattr(user, "is_authenticated", False) or has_current(user):
        return None
    return _("Client records are closed to you until you sign the current confidentiality agreement.")


def staff_without_current(user: Any) -> QuerySet[User]:
    """Active staff of the administrator's subtree without a signed agreement of the current version."""
    if not user_can(user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Only administrators may see this."))
    version = current_version()
    staff = User.objects.filter(is_active=True, org_unit_id__in=subtree_unit_ids(user)).select_related("org_unit")
    if version is None:
        return staff.none()
    signed = ConfidentialityAgreement.objects.filter(version=version).values("staff_id")
    return staff.exclude(pk__in=signed).order_by("org_unit__path", "username")


@transaction.atomic
def agreement_record(*, staff: User, version: AgreementVersion | None, signed_on: date | None, upload: Any,
                     acting_user: User) -> ConfidentialityAgreement:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Only administrators may record confidentiality agreements."))
    errors: dict[str, list[str]] = {}
    if not unit_in_subtree(acting_user, staff.org_unit):
        errors["staff"] = [_("Choose a staff member of your part of the organisation.")]
    if version is None:
        errors["version"] = [_("Choose the version signed.")]
    if signed_on is None:
        errors["signed_on"] = [_("Enter the date of signature.")]
    elif signed_on > timezone.localdate():
        errors["signed_on"] = [_("The date of signature must not be in the future.")]
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
    if upload is None:
        errors["file"] = [_("Attach the signed agreement.")]
    elif suffix not in ALLOWED_SUFFIXES:
        errors["file"] = [_("Attach a PDF, JPEG or PNG file.")]
    elif upload.size > MAX_BYTES:
        errors["file"] = [_("The file is larger than 10 MB.")]
    if errors or version is None or signed_on is None:
        raise ValidationError(errors)
    token = f"{uuid.uuid4().hex}{suffix}"
    target = private_dir() / token
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    try:
        row = ConfidentialityAgreement.objects.create(
            staff=staff, version=version, signed_on=signed_on, file_name=token,
            original_name=Path(upload.name).name[:200], recorded_by=acting_user)
        audit_record(actor=acting_user, action="quality.agreement.record", obj=row,
                     detail={"staff": staff.pk, "version": version.version, "signed_on": signed_on})
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return row


def agreement_file(agreement: ConfidentialityAgreement, acting_user: User) -> Path:
    """The stored file, for the administrator or the staff member themselves; the read is audited."""
    if not (agreement.staff_id == acting_user.pk or (
            user_can(acting_user, Cap.MANAGE_STAFF) and unit_in_subtree(acting_user, agreement.staff.org_unit))):
        raise PermissionDenied(_("You may not open this agreement."))
    audit_record(actor=acting_user, action="quality.agreement.read", obj=agreement,
                 detail={"staff": agreement.staff_id})
    return private_dir() / agreement.file_name
