import itertools

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from careloop.audit import triggers
from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record
from careloop.audit.verify import verify_chain


@pytest.fixture
def five_rows(world):
    for i in range(5):
        audit_record(actor=world.nurse, action="client.view", obj=world.own, client=world.own, detail={"i": i})
    return list(AuditEvent.objects.order_by("seq"))


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
        "INSERT INTO audit_auditevent (seq, at, actor_name, roles, action, object_type, object_id, ip, channel, result, detail,"
        " prev_hash, hash) VALUES (2, %s, 'x', '', 'client.view', '', '', '', 'web', 'ok', '{}', %s, %s)",
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


def test_command_exit_codes(five_rows, capsys):
    call_command("audit", "verify")
    assert "audit trail intact: 5 rows" in capsys.readouterr().out
    _tamper("UPDATE audit_auditevent SET result = %s WHERE seq = %s", ["ok!", 4])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit", "verify")
    assert exit_info.value.code == 1
    assert "row seq 4" in capsys.readouterr().err
