"""The follow-up ticket model moved to the desk with nothing lost (servicedesk 0002, followups 0004)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("followups", "0003_loop_client_series"), ("servicedesk", "0001_initial"), ("org", "0002_sec_unit_contact_phone")]
AFTER = [("followups", "0004_desk_move_tickets"), ("servicedesk", "0002_move_tickets"), ("org", "0002_sec_unit_contact_phone")]


def test_rows_are_copied_then_the_old_table_goes() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Unit, User, Client = (old.get_model("org", "OrgUnit"), old.get_model("org", "User"),
                          old.get_model("clients", "Client"))
    Old = old.get_model("followups", "ServiceTicket")
    unit = Unit.objects.create(name="北京", code="mig-bj", kind="branch", path="/mig/")
    user = User.objects.create(username="mig-nurse", org_unit=unit)
    client = Client.objects.create(name="迁移", sex="female", birth_date=dt.date(1970, 1, 1), branch=unit,
                                   phone="", id_number="", phone_hash="x1", id_number_hash="y1")
    a = Old.objects.create(client=client, kind="complaint", text="等候太久\n第二行", status="open", created_by=user)
    b = Old.objects.create(client=client, kind="suggestion", text="增加周末", status="closed", created_by=user)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Ticket = new.get_model("servicedesk", "Ticket")
    rows = list(Ticket.objects.order_by("legacy_id").values_list(
        "legacy_id", "kind", "channel", "subject", "body", "client_id", "branch_id", "status", "created_by_id",
        "created_at"))
    assert rows == [
        (a.pk, "complaint", "followup", "等候太久", "等候太久\n第二行", client.pk, unit.pk, "open", user.pk, a.created_at),
        (b.pk, "suggestion", "followup", "增加周末", "增加周末", client.pk, unit.pk, "closed", user.pk, b.created_at)]
    assert "followups_serviceticket" not in connection.introspection.table_names()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # and back: the rows return
    back = executor.loader.project_state(BEFORE).apps.get_model("followups", "ServiceTicket")
    assert sorted(back.objects.values_list("pk", "kind", "status")) == [(a.pk, "complaint", "open"),
                                                                     (b.pk, "suggestion", "closed")]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
