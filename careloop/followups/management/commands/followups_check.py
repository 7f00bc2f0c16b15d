"""`careloop followups_check`: the "no orphan work, no double series" measures of issue 9.

Prints the open tasks without an owner (must be 0), the clients with two overlapping open series of
the same per-client series or the same rule from different encounters (must be 0) — open tasks, and
planned (not yet sent) rule messages, counted apart and together — and each follow-up nurse's worklist
for today (due today or overdue, open) against her daily capacity. Planned messages have no owner to
count: they go to the client through the outbox, not to anyone's worklist.
Exit status 1 when either of the first two is not 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from careloop.followups.selectors import followups_health


class Command(BaseCommand):
    help = "Count orphan open tasks, overlapping series and today's worklist per nurse against capacity."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        report = followups_health(today=options["today"] or timezone.localdate())
        self.stdout.write(f"open tasks without an owner: {report['orphans']}")
        self.stdout.write(f"clients with overlapping series of the same rule: {report['overlapping_clients']}"
                          f" (tasks {report['overlapping_task_clients']},"
                          f" planned messages {report['overlapping_message_clients']})")
        self.stdout.write("worklist today per person (due today or overdue / of which overdue / daily capacity):")
        for row in report["worklists"]:
            mark = "" if row["today"] <= row["capacity"] else "  OVER CAPACITY"
            self.stdout.write(f"  {row['username']:12s} {row['today']:4d} / {row['overdue']:4d} / {row['capacity']:4d}{mark}")
        self.stdout.write(f"team queues (unassigned) today: {report['queued']}")
        if report["orphans"] or report["overlapping_clients"]:
            raise SystemExit(1)

