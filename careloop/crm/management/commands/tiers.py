"""`careloop tiers recompute [--dry-run]`: recompute every active client's tier and print the moves."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.crm.services import tiers_recompute


class Command(BaseCommand):
    help = "Client tiers (CRM-1): recompute from the ledger and the visit history, printing each move."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="recompute every active client's tier")
        recompute.add_argument("--dry-run", action="store_true", help="print the moves without making them")
        recompute.add_argument("--quiet", action="store_true", help="print the summary only")

    def handle(self, *args: Any, **options: Any) -> None:
        result = tiers_recompute(dry_run=options["dry_run"], keep_moves=not options["quiet"])
        if not options["quiet"]:
            for move in result.moves:
                self.stdout.write(f"client {move.client_id}: {move.old} -> {move.new}  {move.reason}")
        pairs = ", ".join(f"{a}->{b}: {n}" for (a, b), n in sorted(result.by_pair.items())) or "none"
        verb = "would move" if options["dry_run"] else "moved"
        self.stdout.write(f"{result.active_clients} active clients, {verb} {result.moved} ({pairs})")
