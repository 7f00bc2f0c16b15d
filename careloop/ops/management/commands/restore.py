from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.audit.verify import checkpoint_path, verify_chain
from careloop.ops.backup import BackupError, backup_latest, backup_restore


class Command(BaseCommand):
    help = "Restore the database from a backup (the newest one unless a file is named). Stop the app and worker first."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="The backup file (default: the newest in the backup dir)")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options.get("file") else backup_latest()
        if path is None:
            raise CommandError("No backup found in the backup directory.")
        if not options["yes"]:
            answer = input(f"Replace the current database with {path}? Type 'restore' to go on: ")
            if answer.strip() != "restore":
                raise CommandError("Not restored.")
        try:
            backup_restore(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        # The restored trail ends earlier than the last checkpoint: verify it afresh and re-anchor.
        checkpoint_path().unlink(missing_ok=True)
        result = verify_chain()
        self.stdout.write(f"restored from {path}; {result.message}")
        if not result.ok:
            raise CommandError("the restored audit trail does not verify")
