"""`flush` that knows about the append-only audit table.

Tests that run in real transactions end with a flush; the audit triggers would refuse it. Outside
tests a flush that would wipe the audit trail is refused unless explicitly allowed.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from careloop.audit import triggers


class Command(FlushCommand):
    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("--wipe-audit-trail", action="store_true", help="Also delete the audit trail.")

    def handle(self, **options: Any) -> None:
        if not (settings.TESTING or options.get("wipe_audit_trail")):
            raise CommandError("flush would delete the audit trail; pass --wipe-audit-trail if that is intended")
        connection = connections[options["database"]]
        triggers.remove(connection)
        try:
            super().handle(**options)
        finally:
            triggers.install(connection)
