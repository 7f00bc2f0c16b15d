"""``careloop serve``: the web app and API.

One process (waitress, threads) by default — it runs anywhere and is what ``dev.py serve`` uses.
``--processes N`` (or ``CARELOOP_WEB_PROCESSES``) with N > 1 runs gunicorn with N worker processes of
``--threads`` threads each, so that a production machine uses all its cores (docs/decisions/wsgi-server.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise CommandError(f"{name}={raw!r}: expected a whole number") from None


class Command(BaseCommand):
    help = ("Serve the web app and API. PORT sets the port (8000), HOST the address (127.0.0.1); "
            "--processes N > 1 runs N gunicorn worker processes.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--threads", type=int, default=None, help="threads per process (CARELOOP_THREADS, 8)")
        parser.add_argument("--processes", type=int, default=None,
                            help="worker processes (CARELOOP_WEB_PROCESSES, 1 = waitress in this process)")

    def handle(self, *args: Any, **options: Any) -> None:
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database has unapplied migrations: run `careloop migrate` first.")
        connection.close()  # gunicorn forks: no connection may cross into the workers
        host = os.environ.get("HOST", "127.0.0.1")
        port = _int_env("PORT", 8000)
        threads = options["threads"] or _int_env("CARELOOP_THREADS", 8)
        processes = options["processes"] or _int_env("CARELOOP_WEB_PROCESSES", 1)
        if not 1 <= port <= 65535 or threads < 1 or processes < 1:
            raise CommandError("PORT must be 1–65535; --threads and --processes 1 or more")
        self.stdout.write(f"careloop serving on http://{host}:{port}/ ({processes} process(es) × {threads} threads; "
                          "Ctrl+C to stop)")
        if processes == 1:
            from waitress import serve

            from careloop.wsgi import application

            serve(application, host=host, port=port, threads=threads, ident="careloop")
        else:
            # Request metrics from every worker process are summed at /metrics (prometheus-client's multiprocess
            # mode); the folder is emptied at start, as the library requires.
            metrics_dir = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                                     str(Path(tempfile.gettempdir()) / f"careloop-metrics-{port}")))
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True, mode=0o700)
            _gunicorn(host=host, port=port, processes=processes, threads=threads)


def _gunicorn(*, host: str, port: int, processes: int, threads: int) -> None:
    from gunicorn.app.base import BaseApplication

    from careloop.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}", "workers": processes, "threads": threads, "worker_class": "gthread",
                "timeout": 120, "graceful_timeout": 30, "keepalive": 5, "max_requests": 20_000,
                "max_requests_jitter": 2_000, "accesslog": None, "errorlog": "-", "proc_name": "careloop",
                "child_exit": _child_exit,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    Server().run()


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
