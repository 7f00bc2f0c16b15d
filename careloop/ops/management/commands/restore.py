from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careloop.audit.services import audit_seal
from careloop.audit.verify import checkpoint_path, verify_chain
from careloop.ops.backup import BackupError, backup_latest, backup_restore


class Command(BaseCommand):
    help = "Restore the database from a backup (the newest one unless a file is named). Stop the app and worker first."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", help="The backup file (default: the newest in the backup dir)")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation")
        parser.add_argument("--drill", action="store_true",
                            help="Restore into a scratch database, check it against the manifest and the audit "
                                 "chain, print RPO and RTO, and drop it; the live database is not touched")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"]) if options.get("file") else backup_latest()
        if path is None:
            raise CommandError("No backup found in the backup directory.")
        if options["drill"]:
            self._drill(path)
            return
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
        audit_seal()  # rows that waited for the sealer when the backup was taken
        result = verify_chain()
        self.stdout.write(f"restored from {path}; {result.message}")
        if not result.ok:
            raise CommandError("the restored audit trail does not verify")

    def _drill(self, path: Path) -> None:
        from careloop.ops.drill import restore_drill

        try:
            result = restore_drill(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"restore drill of {result.backup}")
        self.stdout.write(f"  tables checked: {result.tables}, rows restored: {result.rows:,}")
        self.stdout.write(f"  audit: {result.audit_message}")
        self.stdout.write(f"  RPO {result.rpo_seconds:,.0f} s (age of the newest backup)")
        self.stdout.write(f"  RTO {result.rto_seconds:,.1f} s (restore into a scratch database and checks)")
        for line in result.mismatches + result.problems:
            self.stderr.write(f"  FAILED: {line}")
        if not result.ok:
            raise CommandError("the restore drill failed")
        self.stdout.write("restore drill passed")
