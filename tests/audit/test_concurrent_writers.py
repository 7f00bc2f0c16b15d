"""Many writers append audit rows at once without a lock; the sealer chains them in append order (PostgreSQL)."""

import threading

import pytest
from django.db import connection, connections, transaction

from careloop.audit.models import AuditEvent
from careloop.audit.services import audit_record, audit_seal
from careloop.audit.verify import verify_chain

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent writers"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 16
WRITES = 25


class Rollback(Exception):
    pass


def _in_order():
    rows = list(AuditEvent.objects.order_by("append_id").values_list("seq", flat=True))
    return rows == sorted(rows) and None not in rows


def test_sixteen_writers_give_one_valid_chain(world):
    before = AuditEvent.objects.count()
    barrier = threading.Barrier(THREADS + 1)
    writing = threading.Event()
    errors: list[BaseException] = []

    def write(n):
        try:
            barrier.wait(timeout=30)
            for i in range(WRITES):
                with transaction.atomic():
                    audit_record(actor=world.nurse, action="client.view", client=world.own, detail={"t": n, "i": i})
                if i % 10 == 5:  # a rolled-back write leaves a hole in append_id that the sealer must step over
                    try:
                        with transaction.atomic():
                            audit_record(actor=world.nurse, action="client.view", detail={"t": n, "rolled": i})
                            raise Rollback
                    except Rollback:
                        pass
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def seal_meanwhile():
        try:
            barrier.wait(timeout=30)
            while writing.is_set():
                audit_seal()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    writing.set()
    writers = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    sealer = threading.Thread(target=seal_meanwhile)
    for t in [*writers, sealer]:
        t.start()
    for t in writers:
        t.join(timeout=120)
    writing.clear()
    sealer.join(timeout=60)
    assert errors == []

    audit_seal()
    result = verify_chain(update_checkpoint=False)
    assert (result.ok, result.checked, result.unsealed) == (True, before + THREADS * WRITES, 0)
    written = AuditEvent.objects.filter(action="client.view", client_id=world.own.pk)
    assert written.count() == THREADS * WRITES
    assert sorted((r["t"], r["i"]) for r in written.values_list("detail", flat=True)) == [
        (n, i) for n in range(THREADS) for i in range(WRITES)]
    # The chain's order is append order (one run once chained two adjacent last rows the other way round: a
    # writer committing between the sealer's read and its pg_stat_activity look; pinned deterministically by
    # test_a_writer_committing_between_the_read_and_the_session_look_is_not_stepped_over).
    assert _in_order()


def test_sealing_waits_for_an_open_writer_and_seals_it_next_pass(world):
    audit_record(actor=world.nurse, action="client.view", detail={"n": "zero"})
    assert audit_seal().sealed >= 1  # the chain has a tail: a flushed test database's sequence does not restart
    first = audit_record(actor=world.nurse, action="client.view", detail={"n": "first"})
    inserted, release = threading.Event(), threading.Event()
    slow: dict[str, int] = {}

    def slow_writer():
        try:
            with transaction.atomic():
                slow["append_id"] = audit_record(actor=world.nurse, action="client.view", detail={"n": "slow"}).append_id
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(timeout=30)
    later = audit_record(actor=world.nurse, action="client.view", detail={"n": "later"})
    assert first.append_id < slow["append_id"] < later.append_id

    sealed = audit_seal()  # `first` is sealed; `later` waits behind the open writer's number
    assert (sealed.sealed, sealed.waiting) == (1, 1)
    assert AuditEvent.objects.get(pk=first.pk).seq is not None
    assert AuditEvent.objects.get(pk=later.pk).seq is None

    release.set()
    thread.join(timeout=30)
    sealed = audit_seal()
    assert (sealed.sealed, sealed.waiting) == (2, 0)
    rows = list(AuditEvent.objects.filter(action="client.view").order_by("seq").values_list("detail__n", flat=True))
    assert rows[-3:] == ["first", "slow", "later"]
    assert _in_order()
    assert verify_chain(update_checkpoint=False).ok


def test_sealing_steps_over_a_rolled_back_number(world):
    audit_record(actor=world.nurse, action="client.view", detail={"n": "zero"})
    audit_seal()
    with pytest.raises(Rollback), transaction.atomic():
        lost = audit_record(actor=world.nurse, action="client.view", detail={"n": "lost"}).append_id
        raise Rollback
    kept = audit_record(actor=world.nurse, action="client.view", detail={"n": "kept"})
    assert kept.append_id == lost + 1
    assert (audit_seal().sealed, AuditEvent.objects.filter(seq__isnull=True).count()) == (1, 0)
    assert verify_chain(update_checkpoint=False).ok


def test_a_writer_committing_between_the_read_and_the_session_look_is_not_stepped_over(world, monkeypatch):
    """The once-seen inversion, made deterministic: the sealer reads the unsealed rows (the slow writer's
    number is missing: still open), then the slow writer commits, then the sealer asks pg_stat_activity whether
    an older transaction is open — none is any more. The missing number must not be taken for a rolled-back
    one: the slow row is chained before the later one."""
    from careloop.audit import services

    audit_record(actor=world.nurse, action="client.view", detail={"n": "zero"})
    audit_seal()
    inserted, release, done = threading.Event(), threading.Event(), threading.Event()
    slow: dict[str, int] = {}

    def slow_writer():
        try:
            with transaction.atomic():
                slow["append_id"] = audit_record(actor=world.nurse, action="client.view", detail={"n": "slow"}).append_id
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert inserted.wait(timeout=30)
    later = audit_record(actor=world.nurse, action="client.view", detail={"n": "later"})
    assert later.append_id == slow["append_id"] + 1

    looked = []
    original = services._older_transaction_open

    def commit_then_look(read_at):
        if not looked:  # the rows are read already; the slow writer commits now
            release.set()
            assert done.wait(timeout=30)
        looked.append(read_at)
        return original(read_at)

    monkeypatch.setattr(services, "_older_transaction_open", commit_then_look)
    sealed = audit_seal()
    thread.join(timeout=30)
    audit_seal()  # whatever the first pass left
    rows = list(AuditEvent.objects.filter(action="client.view").order_by("seq").values_list("detail__n", flat=True))
    assert rows[-2:] == ["slow", "later"]  # before the fix: ["later", "slow"]
    assert looked and (sealed.sealed, sealed.waiting) == (2, 0)  # the late row is sealed in the same call
    assert _in_order()
    assert verify_chain(update_checkpoint=False).ok
