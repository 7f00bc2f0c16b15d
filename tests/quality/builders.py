"""Signed follow-up records to sample (built directly: the quality app reads them, never writes them)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from careloop.followups.models import FollowupRecord, FollowupTask, TaskStatus


def signed_record(client, by, *, on: dt.date, channel: str = "phone", signed: bool = True) -> FollowupRecord:
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(10, 0)))
    task = FollowupTask.objects.create(client=client, due_date=on, reason="随访", assignee=by,
                                       status=TaskStatus.DONE, closed_at=at, channel=channel)
    return FollowupRecord.objects.create(task=task, client=client, channel=channel, performed_at=at, performed_by=by,
                                         identity_confirmed=True, guidance="清淡饮食",
                                         signed_by=by if signed else None, signed_at=at if signed else None)


def records_for(client, by, n: int, *, start: dt.date, channel: str = "phone") -> list[FollowupRecord]:
    return [signed_record(client, by, on=start + dt.timedelta(days=i % 80), channel=channel) for i in range(n)]
