"""The chain is sealed after commit (issue 20): rows get ``append_id`` at INSERT and ``seq``/``prev_hash``/``hash``
from the sealer. Existing rows are all sealed: their ``append_id`` is their ``seq``."""

from django.db import migrations, models

TABLE = "audit_auditevent"
SEQUENCE = "audit_auditevent_append_id_seq"

_OLD_SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_no_update", "DROP TRIGGER IF EXISTS audit_no_delete"]
_PG_REMOVE = [f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE}", f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}"]


def _run(connection, statements):
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def drop_old_triggers(apps, schema_editor):
    connection = schema_editor.connection
    _run(connection, _PG_REMOVE if connection.vendor == "postgresql" else _OLD_SQLITE_REMOVE)


def backfill_append_id(apps, schema_editor):
    connection = schema_editor.connection
    statements = [f"UPDATE {TABLE} SET append_id = seq"]  # written under one lock, so seq order is append order
    if connection.vendor == "postgresql":
        statements += [
            f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}",
            f"SELECT setval('{SEQUENCE}', COALESCE((SELECT MAX(seq) FROM {TABLE}), 0) + 1, false)",
        ]
    _run(connection, statements)


def append_id_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor.connection, [
            f"ALTER TABLE {TABLE} ALTER COLUMN append_id SET DEFAULT nextval('{SEQUENCE}')",
            f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.append_id",
        ])


def install_triggers(apps, schema_editor):
    from careloop.audit import triggers

    triggers.install(schema_editor.connection)


def remove_triggers(apps, schema_editor):
    from careloop.audit import triggers

    triggers.remove(schema_editor.connection)


def noop(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_append_only")]

    operations = [
        migrations.RunPython(drop_old_triggers, noop),
        migrations.AddField(
            model_name="auditevent",
            name="append_id",
            field=models.BigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(backfill_append_id, noop),
        migrations.AlterField(
            model_name="auditevent",
            name="append_id",
            field=models.BigIntegerField(editable=False, unique=True),
        ),
        migrations.RunPython(append_id_default, noop),
        migrations.AddField(
            model_name="auditevent",
            name="mac",
            field=models.CharField(blank=True, default="", max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(max_length=64, null=True),
        ),
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-append_id"], "verbose_name": "audit event", "verbose_name_plural": "audit events"},
        ),
        migrations.RemoveIndex(model_name="auditevent", name="audit_actor_seq"),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["actor", "-append_id"], name="audit_actor_append"),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(condition=models.Q(("seq__isnull", True)), fields=["append_id"], name="audit_unsealed"),
        ),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
