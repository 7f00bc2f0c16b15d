import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.audit.models import AuditEvent
from careloop.crm.models import LedgerEntry
from careloop.crm.services import ledger_entry_add


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_add_purchase_and_refund_is_stored_negative(world):
    e = ledger_entry_add(client=world.own, date=dt.date(2026, 11, 20), kind="purchase", amount="1999.00",
                         note="年度套餐", source="plan:12", acting_user=world.clerk)
    r = ledger_entry_add(client=world.own, date=dt.date(2026, 11, 21), kind="refund", amount=Decimal("200"),
                         acting_user=world.clerk)
    assert (e.amount, e.source, e.created_by) == (Decimal("1999.00"), "plan:12", world.clerk)
    assert r.amount == Decimal("-200.00")
    assert AuditEvent.objects.filter(action="ledger.add", client_id=world.own.pk).count() == 2


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"kind": "gift"}, "kind"),
    ({"amount": "-1"}, "amount"),
    ({"amount": "abc"}, "amount"),
    ({"amount": "1.234"}, "amount"),
    ({"kind": "refund", "amount": "0"}, "amount"),
    ({"date": dt.date(2026, 11, 24)}, "date"),
    ({"note": "x" * 201}, "note"),
])
def test_invalid_input_names_the_field_and_writes_nothing(world, kwargs, field):
    args = {"client": world.own, "date": dt.date(2026, 11, 20), "kind": "visit", "amount": "0", **kwargs}
    with pytest.raises(ValidationError) as err:
        ledger_entry_add(acting_user=world.clerk, **args)
    assert list(err.value.message_dict) == [field]
    assert not LedgerEntry.objects.exists()


def test_refused_without_the_right_or_out_of_scope(world):
    with pytest.raises(PermissionDenied):
        ledger_entry_add(client=world.own, date=dt.date(2026, 11, 20), kind="visit", amount=0, acting_user=world.nurse)
    with pytest.raises(PermissionDenied):
        ledger_entry_add(client=world.other_branch, date=dt.date(2026, 11, 20), kind="visit", amount=0,
                         acting_user=world.clerk)
    assert not LedgerEntry.objects.exists()


def test_api_post_and_list(world, api):
    url = f"/api/v1/clients/{world.own.pk}/ledger/"
    response = api(world.service).post(url, {"date": "2026-11-20", "kind": "checkup", "amount": "680.00", "note": "入职体检"},
                                       format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["amount"], body["created_by"], body["client"]) == ("checkup", "680.00", "service", world.own.pk)
    listing = api(world.nurse).get(url).json()
    assert listing["count"] == 1
    assert listing["results"][0]["id"] == body["id"]
    assert AuditEvent.objects.filter(action="ledger.view", client_id=world.own.pk, actor=world.nurse).count() == 1


def test_api_refusals(world, api):
    url = f"/api/v1/clients/{world.own.pk}/ledger/"
    assert api(world.nurse).post(url, {"date": "2026-11-20", "kind": "visit", "amount": "0"}, format="json").status_code == 403
    assert api(world.nurse2).get(url).status_code == 404
    bad = api(world.clerk).post(url, {"date": "2026-12-20", "kind": "visit", "amount": "-5"}, format="json")
    assert bad.status_code == 400
    assert "date" in bad.json()
    bad = api(world.clerk).post(url, {"date": "2026-11-20", "kind": "gift", "amount": "5"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["kind"]
    assert not LedgerEntry.objects.exists()


def test_list_query_count_is_pinned(world, api, django_assert_num_queries):
    for day in range(1, 11):
        ledger_entry_add(client=world.own, date=dt.date(2026, 11, day), kind="visit", amount=100, acting_user=world.clerk)
    client = api(world.nurse)
    with django_assert_num_queries(9):  # scope, client, count, page, audit
        assert client.get(f"/api/v1/clients/{world.own.pk}/ledger/").json()["count"] == 10
