"""`careloop crm offers-due [--dry-run]`: tier C offers within 3 months of the first consumption (seed 002);
`careloop crm salons-check`: branches with tier A clients and no salon planned this quarter."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from careloop.crm.engagement import branches_without_salon, offers_send_due, quarter_of
from careloop.org.models import OrgUnit, UnitKind


class Command(BaseCommand):
    help = "Client upkeep (CRM-2): send the due tier C offers; check the quarterly tier A salons."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        due = sub.add_parser("offers-due", help="send each due tier C client a fitting offer (idempotent)")
        due.add_argument("--dry-run", action="store_true", help="print who is due and the offer, send nothing")
        due.add_argument("--quiet", action="store_true", help="print the summary only")
        sub.add_parser("salons-check", help="branches with tier A clients and no salon this quarter")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "salons-check":
            gaps = branches_without_salon(list(OrgUnit.objects.filter(kind=UnitKind.BRANCH)))
            start, end = quarter_of(timezone.localdate())
            for unit in gaps:
                self.stdout.write(f"no salon {start}..{end}: {unit.code} {unit.name}")
            self.stdout.write(f"{len(gaps)} branches without a tier A salon this quarter")
            return
        result = offers_send_due(dry_run=options["dry_run"])
        if not options["quiet"]:
            for client_id, what in result.clients:
                self.stdout.write(f"client {client_id}: {what}")
        skipped = ", ".join(f"{k}: {n}" for k, n in sorted(result.skipped.items())) or "none"
        if options["dry_run"]:
            would = len(result.clients) - sum(result.skipped.values())
            self.stdout.write(f"{result.due} due, would send {would}, skipped {skipped}")
        else:
            self.stdout.write(f"{result.due} due, sent {result.sent}, skipped {skipped}")
