"""Background jobs of careloop.assessments (Huey)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import db_task

from careloop.clients.models import Client

from .models import AssessmentBatch, BatchStatus


@db_task()
def run_assessment_batch(batch_id: int) -> None:
    """Assess each client of the batch, counting progress as it goes. Safe to re-run: clients
    already counted (done or failed) are skipped."""
    from .services import assessment_run_for_client

    batch = AssessmentBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status == BatchStatus.DONE:
        return
    AssessmentBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.RUNNING)
    already = batch.done + len(batch.failed)  # clients are taken in order, so these were handled
    for client_id in batch.client_ids[already:]:
        client = Client.objects.filter(pk=client_id).first()
        try:
            if client is None:
                raise ValidationError("client no longer exists")
            assessment_run_for_client(client=client, acting_user=batch.created_by)
        except (ValidationError, PermissionDenied) as exc:
            batch.failed.append(
                {"client": client_id, "reason": "; ".join(getattr(exc, "messages", [str(exc)]))}
            )
            AssessmentBatch.objects.filter(pk=batch.pk).update(failed=batch.failed)
        else:
            AssessmentBatch.objects.filter(pk=batch.pk).update(done=F("done") + 1)
            batch.done += 1
    AssessmentBatch.objects.filter(pk=batch.pk).update(status=BatchStatus.DONE, finished_at=timezone.now())
