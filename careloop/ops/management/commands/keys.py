from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from careloop.lib import crypto
from careloop.lib.fields import EncryptedTextField


class Command(BaseCommand):
    help = ("Encryption keys. `rotate` makes a new active key; `reencrypt` rewrites every encrypted value with the "
            "active key (run it after rotate, then old key files may be archived).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["rotate", "reencrypt", "status"])
        parser.add_argument("--batch", type=int, default=2000)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate":
            try:
                kid = crypto.rotate_key()
            except crypto.KeyError_ as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"new active key {kid}; run `careloop keys reencrypt` to move existing values to it")
            return
        active = crypto.keyring().active
        for model in apps.get_models():
            fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
            for field in fields:
                table, column, pk_column = model._meta.db_table, field.column, model._meta.pk.column
                assert column is not None and pk_column is not None  # concrete fields have columns
                quoted_t, quoted_c = connection.ops.quote_name(table), connection.ops.quote_name(column)
                pk = connection.ops.quote_name(pk_column)
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COUNT(*) FROM {quoted_t} WHERE {quoted_c} <> '' AND {quoted_c} NOT LIKE %s",  # noqa: S608
                                   [f"c1:{active}:%"])
                    stale = cursor.fetchone()[0]
                if options["action"] == "status":
                    self.stdout.write(f"{table}.{column}: {stale} values not under the active key {active}")
                    continue
                done = 0
                while True:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.execute(f"SELECT {pk}, {quoted_c} FROM {quoted_t} WHERE {quoted_c} <> '' "  # noqa: S608
                                       f"AND {quoted_c} NOT LIKE %s ORDER BY {pk} LIMIT %s", [f"c1:{active}:%", options["batch"]])
                        rows = cursor.fetchall()
                        if not rows:
                            break
                        updates = [(crypto.encrypt(crypto.decrypt(value, context=field.context), context=field.context), key)
                                   for key, value in rows]
                        cursor.executemany(f"UPDATE {quoted_t} SET {quoted_c} = %s WHERE {pk} = %s", updates)  # noqa: S608
                        done += len(rows)
                self.stdout.write(f"{table}.{column}: re-encrypted {done} values")
