"""Huey tasks of careloop.checkups: background imports and the daily report-delivery chase."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from careloop.lib.jobs import once_per_slot


@db_task()
def import_batch_run(batch_id: int) -> str:
    """Run an uploaded import; the page polls its progress file and then the batch row."""
    from careloop.checkups.models import ImportBatch
    from careloop.checkups.progress import write_progress
    from careloop.checkups.services import results_import

    batch = ImportBatch.objects.select_related("created_by", "mapping", "branch").get(pk=batch_id)
    if batch.status != ImportBatch.Status.PENDING:
        return batch.status  # retried or run twice: the first run decided

    def progress(rows: int, fraction: float) -> None:
        write_progress(batch_id, rows, fraction)

    if batch.created_by is None:
        # Every import since results_import_start has an actor; an older one without is not run unchecked.
        batch.status = ImportBatch.Status.FAILED
        batch.save(update_fields=["status"])
        return batch.status
    return results_import(batch=batch, acting_user=batch.created_by, progress=progress).status


@db_periodic_task(crontab(hour="8", minute="5"))
@once_per_slot("checkups.delivery_chase")
def report_deliveries_chase_daily() -> int:
    """Every morning: overdue or uncollected reports get a chase task (SPEC RPT-4)."""
    from careloop.checkups.services import report_deliveries_chase

    return report_deliveries_chase()


@db_periodic_task(crontab(minute="20"))
def results_uploads_sweep_hourly() -> int:
    """Every hour: uploaded files of failed imports older than UPLOAD_FAILED_KEEP_HOURS are deleted."""
    from careloop.checkups.services import results_uploads_sweep

    return results_uploads_sweep()
