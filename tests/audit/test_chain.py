import datetime as dt
import itertools

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from careloop.audit import triggers
from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record, audit_record_many, audit_seal
from careloop.audit.verify import verify_chain


@pytest.fixture
def five_rows(world):
    for i in range(5):
        audit_record(actor=world.nurse, action="client.view", obj=world.own, client=world.own, detail={"i": i})
    assert audit_seal().sealed == 5
    return list(AuditEvent.objects.order_by("seq"))


def test_rows_are_written_unsealed_and_sealed_in_append_order(world):
    events = [audit_record(actor=world.nurse, action="client.view", client=world.own, detail={"i": i}) for i in range(3)]
    assert audit_record_many(actor=world.nurse, entries=[{"action": "client.view", "detail": {"i": i}} for i in (3, 4)]) == 2
    rows = list(AuditEvent.objects.order_by("append_id").values_list("append_id", "seq", "prev_hash", "hash", "detail"))
    assert [e.append_id for e in events] == [rows[0][0], rows[1][0], rows[2][0]]
    assert [r[0] for r in rows] == list(range(rows[0][0], rows[0][0] + 5))
    assert {r[1:4] for r in rows} == {(None, None, None)}
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.checked, result.unsealed, result.oldest_unsealed) == (True, 0, 5, rows[0][0])

    sealed = audit_seal()
    assert (sealed.sealed, sealed.waiting, sealed.refused) == (5, 0, None)
    rows = list(AuditEvent.objects.order_by("append_id").values_list("seq", "detail"))
    assert rows == [(1, {"i": 0}), (2, {"i": 1}), (3, {"i": 2}), (4, {"i": 3}), (5, {"i": 4})]
    assert audit_seal().sealed == 0
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.checked, result.unsealed) == (True, 5, 0)


def test_sealing_continues_the_chain(five_rows, world):
    audit_record(actor=world.nurse, action="client.view", client=world.own)
    assert audit_seal().sealed == 1
    last = AuditEvent.objects.get(seq=6)
    assert last.prev_hash == five_rows[-1].hash
    assert verify_chain(update_checkpoint=False).checked == 6


def test_rows_chain_and_verify(five_rows, world):
    assert [r.seq for r in five_rows] == [1, 2, 3, 4, 5]
    assert five_rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(five_rows))
    assert five_rows[0].actor_name == "nurse" and five_rows[0].roles == "followup"
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.checked) == (True, 5)


def test_application_cannot_update_or_delete(five_rows):
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).update(action="nothing")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    assert AuditEvent.objects.get(seq=2).action == "client.view"
    assert AuditEvent.objects.count() == 5


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET seq = seq + 10 WHERE seq = 2",  # a sealed row cannot be re-sealed
    "UPDATE audit_auditevent SET hash = NULL, prev_hash = NULL, seq = NULL WHERE seq = 2",  # nor unsealed
    "UPDATE audit_auditevent SET hash = 'f' WHERE seq = 2",
])
def test_trigger_refuses_changes_to_a_sealed_row(five_rows, sql):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEvent.objects.get(seq=2).hash == five_rows[1].hash


@pytest.mark.parametrize("sql", [
    "UPDATE audit_auditevent SET action = 'nothing' WHERE id = %s",
    "UPDATE audit_auditevent SET seq = 1, prev_hash = 'a', hash = 'b', detail = '{}' WHERE id = %s",  # sealing + an edit
    "UPDATE audit_auditevent SET seq = 1, prev_hash = 'a', hash = 'b', append_id = append_id + 100 WHERE id = %s",
    "UPDATE audit_auditevent SET seq = 1, hash = 'b' WHERE id = %s",  # half a seal
])
def test_trigger_allows_only_sealing_an_unsealed_row(world, sql):
    event = audit_record(actor=world.nurse, action="client.view", client=world.own, detail={"i": 1})
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk, seq__isnull=True, action="client.view").exists()
    with connection.cursor() as cursor:  # the one allowed change
        cursor.execute("UPDATE audit_auditevent SET seq = 1, prev_hash = 'a', hash = 'b' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.values_list("seq", "hash").get(pk=event.pk) == (1, "b")


def _insert_forged_unsealed():
    append_id = "DEFAULT" if connection.vendor == "postgresql" else "(SELECT MAX(append_id) + 1 FROM audit_auditevent)"
    columns = "append_id, at, actor_name, roles, action, object_type, object_id, ip, channel, result, detail, mac"
    sql = f"INSERT INTO audit_auditevent ({columns}) VALUES ({append_id}, %s, 'x', '', 'client.view', '', '', '', 'web', 'ok', '{{}}', %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [dt.datetime(2026, 11, 30, tzinfo=dt.UTC), "0" * 64])


def test_sealer_refuses_a_row_slipped_in_without_the_key(five_rows, world):
    _insert_forged_unsealed()  # INSERT is allowed to the application's connection, but it has no key
    audit_record(actor=world.nurse, action="client.view", client=world.own)
    sealed = audit_seal()
    assert (sealed.sealed, sealed.waiting, sealed.refused) == (0, 2, AuditEvent.objects.get(actor_name="x").append_id)
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.checked, result.broken_seq) == (False, 5, None)
    assert "not written by careloop" in result.message


def test_verify_fails_when_a_row_waits_too_long(world, settings):
    settings.AUDIT_UNSEALED_MAX_SECONDS = 60
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), tick=False):
        audit_record(actor=world.nurse, action="client.view", client=world.own)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 1, tzinfo=dt.UTC), tick=False):
        result = verify_chain(update_checkpoint=False)
        assert (result.ok, result.unsealed, result.oldest_unsealed_age) == (True, 1, 60.0)
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, 1, 1, tzinfo=dt.UTC), tick=False):
        result = verify_chain(update_checkpoint=False)
        assert (result.ok, result.unsealed, result.oldest_unsealed_age) == (False, 1, 61.0)
        assert "is the sealer running?" in result.message
        assert verify_chain(update_checkpoint=False, max_unsealed_seconds=None).ok


def _tamper(sql, params):
    triggers.remove(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        triggers.install(connection)


def test_verify_names_an_edited_row(five_rows):
    _tamper("UPDATE audit_auditevent SET action = %s WHERE seq = %s", ["client.export", 3])
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "content was altered" in result.message


def test_verify_names_a_deleted_row(five_rows):
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.broken_seq) == (False, 3)
    assert "rows 2–2 are missing" in result.message


def test_verify_names_an_inserted_row(five_rows):
    first = five_rows[0]
    # Shift rows 2..5 up by one and slip a forged row in at seq 2 (with a plausible-looking hash).
    _tamper("UPDATE audit_auditevent SET seq = seq + 100 WHERE seq >= %s", [2])
    _tamper("UPDATE audit_auditevent SET seq = seq - 99 WHERE seq >= %s", [100])
    _tamper(
        "INSERT INTO audit_auditevent (append_id, seq, at, actor_name, roles, action, object_type, object_id, ip, channel,"
        " result, detail, mac, prev_hash, hash) VALUES (1000, 2, %s, 'x', '', 'client.view', '', '', '', 'web', 'ok', '{}',"
        " '', %s, %s)",
        [first.at, first.hash, "f" * 64],
    )
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.broken_seq) == (False, 2)
    assert "content was altered" in result.message


def test_verify_detects_a_truncated_tail_through_the_checkpoint(five_rows):
    assert verify_chain().ok
    _tamper("DELETE FROM audit_auditevent WHERE seq = %s", [5])
    result = verify_chain()
    assert (result.ok, result.broken_seq) == (False, 5)
    assert "last verified checkpoint saw row 5" in result.message


def test_command_exit_codes(five_rows, world, capsys):
    audit_record(actor=world.nurse, action="client.view", client=world.own)
    call_command("audit", "verify")  # seals the sixth row first
    assert "audit trail intact: 6 rows" in capsys.readouterr().out
    _tamper("UPDATE audit_auditevent SET result = %s WHERE seq = %s", ["ok!", 4])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "row seq 4" in capsys.readouterr().err
