from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.audit.verify import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. `careloop audit verify` exits 0 when the chain is intact, 1 naming the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_chain()
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(f"audit trail BROKEN after {result.checked} intact rows: {result.message}")
        raise SystemExit(1)
