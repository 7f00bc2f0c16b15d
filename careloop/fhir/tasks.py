"""Huey jobs of careloop.fhir: the bulk export and the sweep of expired export files."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.lib.jobs import once_per_slot


@db_task()
def bulk_export_job(export_id: int) -> str:
    from careloop.fhir.bulk import bulk_export_run
    from careloop.fhir.models import BulkExport

    export = BulkExport.objects.select_related("requested_by").get(pk=export_id)
    if export.status != BulkExport.Status.QUEUED:
        return export.status
    return bulk_export_run(export).status


@db_periodic_task(crontab(minute="17"))
@once_per_slot("fhir.bulk_sweep", "%Y-%m-%d %H")
def bulk_exports_sweep_hourly() -> int:
    from careloop.fhir.bulk import bulk_exports_sweep

    return bulk_exports_sweep()
