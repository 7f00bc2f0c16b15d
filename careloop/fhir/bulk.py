"""FHIR Bulk Data ``$export`` (INT-2): a Huey job streams every client in the caller's scope through the
same per-client providers as ``/clients/{id}/fhir/`` into one NDJSON file per resource type.

Memory stays flat: clients are read with ``.iterator()`` and each resource is written as soon as it is
made. Scoped (``clients_visible_to`` of the requester, health data only with ``view_results`` — the
providers decide), audited (one row when kicked off, one when the files are fetched), files removed
``FHIR_BULK_KEEP_HOURS`` after the export finished (a periodic job sweeps them).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients import fhir as registry
from careloop.clients.selectors import clients_visible_to
from careloop.fhir.models import BulkExport
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

KEEP_HOURS = 24
BATCH = 200  # clients read together: each kind of row is one query per batch
TYPES = ("Patient", "Consent", "Encounter", "DiagnosticReport", "Observation", "Task", "Questionnaire",
         "QuestionnaireResponse", "Communication", "CarePlan", "Appointment")


def export_dir(export_id: int) -> Path:
    return Path(settings.DATA_DIR) / "fhir-bulk" / str(export_id)


def bulk_export_start(*, acting_user: User, types: list[str] | None = None) -> BulkExport:
    """Kick off an export of every client the caller may see (``view_clients``); the job runs after commit."""
    if not user_can(acting_user, Cap.VIEW_CLIENTS):
        raise PermissionDenied(_("You may not export client records."))
    types = list(types or [])
    unknown = [t for t in types if t not in TYPES]
    if unknown:
        raise ValidationError({"_type": _("must be among: %(values)s") % {"values": ", ".join(TYPES)}})
    with transaction.atomic():
        export = BulkExport.objects.create(requested_by=acting_user, types=types)
        audit_record(actor=acting_user, action="fhir.bulk_export", obj=export, detail={"types": types})
        from careloop.fhir.tasks import bulk_export_job

        export_id = export.pk
        transaction.on_commit(lambda: bulk_export_job(export_id))
    return export


def bulk_export_run(export: BulkExport) -> BulkExport:
    user = export.requested_by
    folder = export_dir(export.pk)
    folder.mkdir(parents=True, exist_ok=True)
    BulkExport.objects.filter(pk=export.pk).update(status=BulkExport.Status.RUNNING)
    wanted = set(export.types or TYPES)
    files: dict[str, IO[str]] = {}
    counts: dict[str, int] = {}
    clients = 0
    try:
        for batch in _batches(clients_visible_to(user).select_related("branch").order_by("pk"), BATCH):
            registry.prefetch_batch(batch, user)  # one read per kind of row for the batch, not per client
            for client in batch:
                clients += 1
                for resource in _resources(client, user):
                    kind = resource["resourceType"]
                    if kind not in wanted:
                        continue
                    fh = files.get(kind)
                    if fh is None:
                        fh = files[kind] = open(folder / f"{kind}.ndjson", "w", encoding="utf-8")  # noqa: SIM115
                    fh.write(json.dumps(resource, ensure_ascii=False, separators=(",", ":")))
                    fh.write("\n")
                    counts[kind] = counts.get(kind, 0) + 1
    except Exception as exc:  # the job records the failure; the files are removed
        for fh in files.values():
            fh.close()
        shutil.rmtree(folder, ignore_errors=True)
        export.status, export.error, export.finished_at = BulkExport.Status.FAILED, str(exc)[:500], timezone.now()
        export.save(update_fields=["status", "error", "finished_at"])
        raise
    for fh in files.values():
        fh.close()
    now = timezone.now()
    export.status, export.finished_at, export.clients = BulkExport.Status.DONE, now, clients
    export.expires_at = now + dt.timedelta(hours=KEEP_HOURS)
    export.output = [{"type": kind, "count": counts[kind]} for kind in TYPES if kind in counts]
    export.save(update_fields=["status", "finished_at", "clients", "expires_at", "output"])
    return export


def _batches(queryset: Any, size: int) -> Any:
    """The queryset's rows in lists of ``size``, keyset-paged on pk (memory stays flat)."""
    last = 0
    while True:
        batch = list(queryset.filter(pk__gt=last)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _resources(client: Any, user: User) -> Any:
    yield registry.patient(client, user)
    for provider in registry.providers():
        yield from provider(client, user)


def bulk_export_file(*, export: BulkExport, kind: str, acting_user: User) -> Path:
    """The NDJSON file of one type, for its requester only, while it is kept; the fetch is audited."""
    if export.requested_by_id != acting_user.pk:
        raise PermissionDenied(_("Only the person who asked for an export may fetch it."))
    path = export_dir(export.pk) / f"{kind}.ndjson"
    if export.status != BulkExport.Status.DONE or kind not in TYPES or not path.exists():
        raise ValidationError({"type": _("No such file in this export (or it has expired).")})
    audit_record(actor=acting_user, action="fhir.bulk_export.fetch", obj=export,
                 detail={"type": kind, "clients": export.clients})
    return path


def bulk_exports_sweep(*, now: dt.datetime | None = None) -> int:
    """Remove the files of exports past ``expires_at``."""
    now = now or timezone.now()
    done = 0
    for export in BulkExport.objects.filter(status=BulkExport.Status.DONE, expires_at__lte=now):
        shutil.rmtree(export_dir(export.pk), ignore_errors=True)
        export.status = BulkExport.Status.EXPIRED
        export.save(update_fields=["status"])
        done += 1
    return done
