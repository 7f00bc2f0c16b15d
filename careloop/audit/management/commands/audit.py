from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.audit.services import audit_seal
from careloop.audit.verify import verify_chain


class Command(BaseCommand):
    help = ("Audit trail tools. `careloop audit verify` seals the rows committed so far, then exits 0 when the chain "
            "is intact, 1 naming the first broken row (or a row left unsealed too long). `careloop audit seal` "
            "only seals.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "seal"])

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = audit_seal()
        if sealed.refused is not None:
            self.stderr.write(f"audit row append_id {sealed.refused} was not written by careloop: not sealed")
        if options["action"] == "seal":
            self.stdout.write(f"sealed {sealed.sealed} rows; {sealed.waiting} waiting")
            if sealed.refused is not None:
                raise SystemExit(1)
            return
        result = verify_chain()
        if result.ok:
            self.stdout.write(result.message)
            return
        self.stderr.write(f"audit trail BROKEN after {result.checked} intact rows: {result.message}")
        raise SystemExit(1)
