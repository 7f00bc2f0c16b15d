"""``careloop worker``: the Huey consumer (background jobs, periodic jobs) plus the message dispatcher."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careloop.messaging.dispatcher import Dispatcher, sweep

logger = logging.getLogger("careloop.worker")


class Command(BaseCommand):
    help = "Run background jobs (Huey) and send queued messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--threads", type=int, default=8, help="parallel sends in this worker (default 8)")
        parser.add_argument("--chunk", type=int, default=20,
                            help="rows marked sending together (default 20); a kill leaves at most this many "
                                 "rows 'sending' for the sweep to reconcile")
        parser.add_argument("--batch", type=int, default=100, help="rows claimed at a time (default 100)")
        parser.add_argument("--poll", type=float, default=1.0, help="seconds between polls when idle")
        parser.add_argument("--sweep", type=float, default=30.0, help="seconds between crash sweeps")
        parser.add_argument("--huey-workers", type=int, default=2, help="Huey job threads (default 2)")
        parser.add_argument("--no-huey", action="store_true", help="run only the message dispatcher")
        parser.add_argument("--once", action="store_true",
                            help="sweep, send everything due now, then exit (for cron and tests)")
        parser.add_argument("--worker-id", default="", help="lease owner name (default host-pid-random)")

    def handle(self, *args: Any, **options: Any) -> None:
        dispatcher = Dispatcher(
            worker_id=options["worker_id"] or None,
            batch_size=options["batch"],
            threads=options["threads"],
            chunk=options["chunk"],
            poll_seconds=options["poll"],
            sweep_seconds=options["sweep"],
        )
        if options["once"]:
            report = sweep()
            sent = dispatcher.run_until_idle()
            self.stdout.write(f"swept {report} ; processed {sent}")
            return
        self.stdout.write(f"careloop worker {dispatcher.worker_id}: dispatcher with {options['threads']} thread(s)")
        if options["no_huey"]:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: dispatcher.stop())
            dispatcher.run_forever()
            return
        from django.utils.module_loading import autodiscover_modules
        from huey.contrib.djhuey import HUEY

        autodiscover_modules("tasks")  # every app's periodic jobs and tasks

        thread = threading.Thread(target=dispatcher.run_forever, name="dispatcher", daemon=True)
        thread.start()
        consumer = HUEY.create_consumer(workers=options["huey_workers"], worker_type="thread", periodic=True,
                                        check_worker_health=True)
        try:
            consumer.run()  # blocks; SIGTERM/SIGINT stop it gracefully
        finally:
            dispatcher.stop()
            thread.join(timeout=30)
