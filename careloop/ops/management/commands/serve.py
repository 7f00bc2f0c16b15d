from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = "Serve the web app and API (waitress). PORT sets the port (8000), HOST the address (127.0.0.1)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=int(os.environ.get("CARELOOP_THREADS", "8")))

    def handle(self, *args: Any, **options: Any) -> None:
        from waitress import serve

        from careloop.wsgi import application

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `careloop migrate` first.")
        host = os.environ.get("HOST", "127.0.0.1")
        try:
            port = int(os.environ.get("PORT", "8000"))
        except ValueError:
            raise CommandError(f"PORT={os.environ.get('PORT')!r}: expected a port number") from None
        self.stdout.write(f"careloop serving on http://{host}:{port}/ (Ctrl+C to stop)")
        serve(application, host=host, port=port, threads=options["threads"], ident="careloop")
