"""The reproducible supervision sample (QA-2).

Each signed record of the period gets a key, md5(seed:staff:record id), computed by the database;
records are ranked by that key within each staff member (and stratum), and the first ones in
round-robin order across strata are taken. The same period, plan and records always give the same
sample, whoever draws it and however often; nothing depends on a random generator's state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import CharField, Count, F, Value, Window
from django.db.models.functions import MD5, Cast, Concat, RowNumber
from django.utils import timezone

from careloop.followups.models import FollowupRecord
from careloop.quality.models import SamplingPlan, Stratum


@dataclass(frozen=True)
class Drawn:
    record_id: int
    staff_id: int
    stratum: str
    rank: int


def period_seed(branch_code: str, start: date, end: date, plan_code: str) -> str:
    return f"{branch_code}:{start:%Y%m%d}:{end:%Y%m%d}:{plan_code}"


def sample_size(count: int, plan: SamplingPlan) -> int:
    wanted = math.ceil(Decimal(count) * plan.percent / 100)
    return min(count, max(plan.minimum, min(plan.maximum, wanted)))


def signed_records(unit_ids: list[int], start: date, end: date):  # type: ignore[no-untyped-def]
    tz = timezone.get_current_timezone()
    since = datetime.combine(start, time.min, tzinfo=tz)
    until = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    return FollowupRecord.objects.filter(
        signed_at__isnull=False, performed_at__gte=since, performed_at__lt=until, client__branch_id__in=unit_ids
    )


def draw(*, unit_ids: list[int], start: date, end: date, plan: SamplingPlan, seed: str) -> list[Drawn]:
    """The sample of the signed records of ``unit_ids`` performed between ``start`` and ``end``."""
    key = MD5(Concat(Value(seed + ":"), Cast("performed_by_id", CharField()), Value(":"), Cast("pk", CharField())))
    stratum_field = plan.stratum if plan.stratum in (Stratum.CHANNEL, Stratum.PROBLEM) else ""
    partition = [F("performed_by_id")] + ([F(stratum_field)] if stratum_field else [])
    ranked = (
        signed_records(unit_ids, start, end)
        .order_by()
        .annotate(
            key=key,
            within=Window(RowNumber(), partition_by=partition, order_by=[F("key").asc(), F("pk").asc()]),
            staff_count=Window(Count("pk"), partition_by=[F("performed_by_id")]),
        )
        .filter(within__lte=plan.maximum)
    )
    fields = ["pk", "performed_by_id", "within", "staff_count", "key"] + ([stratum_field] if stratum_field else [])
    by_staff: dict[int, list[dict]] = {}
    for row in ranked.values(*fields):
        by_staff.setdefault(row["performed_by_id"], []).append(row)
    drawn: list[Drawn] = []
    for staff_id in sorted(by_staff):
        rows = sorted(by_staff[staff_id], key=lambda r: (r["within"], r["key"], r["pk"]))
        size = sample_size(rows[0]["staff_count"], plan)
        for rank, row in enumerate(rows[:size], start=1):
            drawn.append(Drawn(row["pk"], staff_id, str(row.get(stratum_field, "")) if stratum_field else "", rank))
    return drawn
