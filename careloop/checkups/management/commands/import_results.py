"""``careloop import_results FILE`` (CONTRACT: ``careloop import-results FILE``).

Exit status 0 when the file was imported (or had been imported before: nothing changes), 1 with
every error on stderr naming file, row and column when it was rejected, 2 for bad arguments.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from careloop.checkups.models import ColumnMapping, ImportBatch
from careloop.checkups.services import import_system_user, results_import, results_import_start
from careloop.org.models import OrgUnit, User


class Command(BaseCommand):
    help = "Import checkup results from a CSV, XLSX or FHIR R4 bundle file (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--mapping", help="institution whose saved column mapping to use (default layout otherwise)")
        parser.add_argument("--lenient", action="store_true", help="accept item codes missing from the catalogue")
        parser.add_argument("--branch", help="code of the branch the results belong to; new clients are created there "
                            "(default: the importing user's unit; required without --user)")
        parser.add_argument("--user", help="username of the importer (default: the system user system-import)")
        parser.add_argument("--lang", default="zh-hans", choices=["zh-hans", "en"], help="language of the messages")
        parser.add_argument("--quiet", action="store_true", help="no progress line")

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["lang"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("%(f)s: no such file") % {"f": path}, returncode=2)
        mapping = None
        if options["mapping"]:
            mapping = ColumnMapping.objects.filter(institution=options["mapping"]).first()
            if mapping is None:
                raise CommandError(_("no saved column mapping for %(i)s") % {"i": options["mapping"]}, returncode=2)
        branch = None
        if options["branch"]:
            branch = OrgUnit.objects.filter(code=options["branch"]).first()
            if branch is None:
                raise CommandError(_("no organisation unit with code %(c)s") % {"c": options["branch"]}, returncode=2)
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(_("no active user %(u)s") % {"u": options["user"]}, returncode=2)
        else:
            user = import_system_user()
            if branch is None and OrgUnit.objects.filter(parent=user.org_unit).exists():
                raise CommandError(_("say which branch these results belong to: --branch CODE (or --user USERNAME "
                                     "to import as that person, into their own unit)"), returncode=2)
        try:
            batch = results_import_start(
                upload=path, branch=branch, acting_user=user, mapping=mapping,
                strict=False if options["lenient"] else None, enqueue=False,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=2) from None
        show = not options["quiet"] and self.stderr.isatty()

        def progress(rows: int, fraction: float) -> None:
            if show:
                self.stderr.write(f"\r{rows:>10,} {_('rows')}  {fraction:6.1%}", ending="")
                self.stderr.flush()
            elif not options["quiet"] and rows % 100_000 == 0:
                self.stderr.write(f"{rows:,} {_('rows')} {fraction:.0%}")

        batch = results_import(batch=batch, acting_user=user, progress=progress)
        if show:
            self.stderr.write("")
        if batch.status == ImportBatch.Status.DUPLICATE:
            self.stdout.write(_("%(f)s was already imported (batch %(b)s); nothing changed.")
                              % {"f": path.name, "b": batch.duplicate_of_id})
            return
        if batch.status == ImportBatch.Status.DONE:
            self.stdout.write(
                _("%(f)s imported: %(r)d reports, %(i)d result items, %(c)d new clients (batch %(b)s).")
                % {"f": path.name, "r": batch.reports_created, "i": batch.items_created, "c": batch.clients_created,
                   "b": batch.pk}
            )
            return
        lang = translation.get_language()
        for error in batch.errors:
            reason = error["reason"].get(lang) or error["reason"].get("zh-hans")
            where = _("%(file)s, row %(row)s, column %(column)s: %(reason)s") if error["row"] else _("%(file)s: %(reason)s")
            self.stderr.write(where % {"file": error["file"], "row": error["row"], "column": error["column"] or "-",
                                       "reason": reason})
        hidden = batch.error_count - len(batch.errors)
        if hidden > 0:
            self.stderr.write(_("… and %(n)d more errors.") % {"n": hidden})
        self.stderr.write(_("%(f)s was not imported: nothing changed.") % {"f": path.name})
        sys.exit(1)
