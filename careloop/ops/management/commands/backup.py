from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.ops.backup import BackupError, backup_create, backups_prune


class Command(BaseCommand):
    help = "Write a consistent backup of the database (ciphertext only; keys are backed up separately)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dir", help="Where to write it (default: CARELOOP_BACKUP_DIR or <data dir>/backups)")
        parser.add_argument("--keep", type=int, default=0, help="Keep only the newest N backups (0 = keep all)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            info = backup_create(options.get("dir"))
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"backup written: {info.path} (sha256 {info.sha256})")
        if options["keep"]:
            for removed in backups_prune(options["keep"], options.get("dir")):
                self.stdout.write(f"removed old backup {removed}")
