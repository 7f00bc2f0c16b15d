import datetime as dt
import io
import random
import re
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from careloop.audit.models import AuditEvent
from careloop.audit.verify import verify_chain
from careloop.clients.models import Client, Consent, Enterprise, EnterpriseMember, FamilyLink
from careloop.clients.services import phone_index
from careloop.core import demo
from careloop.lib.identity import parse_id_number, parse_mobile
from careloop.ops.demo.bulk import load_bulk
from careloop.ops.management.commands.demo import PASSWORD_ALPHABET
from careloop.org.models import OrgUnit, Team, TeamMembership, User

TODAY = dt.date(2026, 11, 23)
CONTRACT_ROLES = {
    "admin": {"admin"}, "nurse": {"followup"}, "lead": {"lead"}, "expert": {"expert"}, "service": {"service"},
    "auditor": {"auditor"}, "manager": {"manager"}, "doctor": {"doctor"}, "nutritionist": {"nutritionist"},
    "inspector": {"inspector"}, "nurse2": {"followup"}, "clerk": {"clerk"},
}
PASSWORD_LINE = re.compile(r"^Password \(shown only now, write it down\): (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def _frozen_today():
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def table_counts() -> dict[str, int]:
    models = (OrgUnit, User, Team, TeamMembership, Client, Consent, FamilyLink, Enterprise, EnterpriseMember, AuditEvent)
    return {m._meta.label: m.objects.count() for m in models}


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="")
def test_small_demo_builds_the_contract_world():
    out = run_demo("--base-clients", "60")

    units = {u.code: u for u in OrgUnit.objects.select_related("parent")}
    assert {(c, u.name, u.kind, u.parent.code if u.parent else None) for c, u in units.items()} == {
        ("hq", "总公司", "hq", None), ("bj", "北京分公司", "branch", "hq"), ("bj-cy", "北京朝阳体检中心", "site", "bj"),
        ("sh", "上海分公司", "branch", "hq"), ("sh-xh", "上海徐汇体检中心", "site", "sh"),
    }
    users = {u.username: u for u in User.objects.select_related("org_unit")}
    for username, roles in CONTRACT_ROLES.items():
        assert set(users[username].roles) == roles, username
    assert users["nurse2"].org_unit.code == "sh" and users["nurse"].org_unit.code == "bj"
    assert users["admin"].is_staff and not users["nurse"].is_staff
    assert all(t.lead_id is not None and t.memberships.filter(user_id=t.lead_id).exists() for t in Team.objects.all())

    clients = list(Client.objects.select_related("branch", "health_manager"))
    assert len(clients) == 60
    for client in clients:
        parsed = parse_id_number(client.id_number, today=TODAY)
        assert (parsed.birth_date, parsed.sex) == (client.birth_date, client.sex)
        assert parse_mobile(client.phone) == client.phone
        city = "北京市" if client.branch.code.startswith("bj") else "上海市"
        assert client.address.startswith(city)
        assert 2 <= len(client.name) <= 4
        assert client.health_manager.memberships.filter(team__kind="followup").exists()
        assert (client.family_doctor_id is not None) == (client.tier == "A")
    # After crm's first recompute over the demo ledger (plans' purchases included), not the hand-set tiers.
    assert Counter(c.tier for c in clients) == {"A": 12, "B": 42, "C": 6}
    assert Counter(c.status for c in clients) == {"active": 55, "cured": 2, "deceased": 1, "lost": 1, "opted_out": 1}
    assert Counter(c.health_manager.username for c in clients)["nurse"] == 8  # 40/180 of the 36 Beijing clients

    assert Consent.objects.filter(purpose="health_data", granted=True).values("client").distinct().count() == 60
    links = set(FamilyLink.objects.values_list("client_id", "relative_id", "relation"))
    assert links, "families"
    reverse = {"spouse": "spouse", "parent": "child", "child": "parent"}
    assert all((b, a, reverse[rel]) in links for a, b, rel in links)
    assert sorted(Enterprise.objects.values_list("name", flat=True)) == ["上海东方物流股份有限公司", "北京华信科技有限公司"]
    assert all(e.memberships.count() >= 3 for e in Enterprise.objects.all())

    # Through the services: every client has its creation, assignment and consent rows in an intact chain.
    assert AuditEvent.objects.filter(action="client.create").count() == 60
    assert AuditEvent.objects.filter(action="client.assign.health_manager").count() == 60
    assert verify_chain().ok

    passwords = PASSWORD_LINE.findall(out)
    assert len(passwords) == 1 and out.count(passwords[0]) == 1
    assert re.fullmatch(rf"([{PASSWORD_ALPHABET}]{{4}}-){{3}}[{PASSWORD_ALPHABET}]{{4}}", passwords[0])
    assert all(users[name].check_password(passwords[0]) for name in CONTRACT_ROLES)
    for username in CONTRACT_ROLES:
        assert re.search(rf"^  {username} ", out, re.MULTILINE), username


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="")
def test_second_run_says_so_and_changes_nothing():
    first = run_demo("--base-clients", "20")
    before = table_counts()
    second = run_demo("--base-clients", "20")
    assert second == "The demo data is already loaded; nothing changed.\n"
    assert table_counts() == before
    assert PASSWORD_LINE.search(first) and not PASSWORD_LINE.search(second)


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="a-password-from-the-environment")
def test_password_from_environment_is_used_and_never_printed():
    out = run_demo("--base-clients", "10")
    assert "a-password-from-the-environment" not in out
    assert "Password: the value of CARELOOP_DEMO_PASSWORD." in out
    assert not PASSWORD_LINE.search(out)
    assert User.objects.get(username="nurse").check_password("a-password-from-the-environment")


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="x" * 16)
def test_extensions_are_called_once_after_the_base_data(monkeypatch):
    calls = []

    def extension(clients, rng, stdout):
        calls.append((len(clients), Client.objects.count(), isinstance(rng, random.Random)))
        stdout.write("extension ran\n")

    monkeypatch.setattr(demo, "extensions", [extension])
    out = run_demo("--base-clients", "12")
    run_demo("--base-clients", "12")
    assert calls == [(12, 12, True)]
    assert "extension ran" in out


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="x" * 16)
def test_bulk_path_loads_searchable_encrypted_clients():
    out = run_demo("--base-clients", "10", "--clients", "400", "--batch-size", "150")
    assert Client.objects.count() == 400
    assert "Bulk-loaded 390 clients" in out

    bulk = list(Client.objects.filter(pk__gt=Client.objects.order_by("pk")[9].pk).order_by("pk"))
    assert len(bulk) == 390
    for client in bulk[::13]:
        parsed = parse_id_number(client.id_number, today=TODAY)
        assert (parsed.birth_date, parsed.sex) == (client.birth_date, client.sex)
        assert parse_mobile(client.phone) == client.phone
    known = bulk[200]
    assert list(Client.objects.filter(phone_hash=phone_index(known.phone)).values_list("pk", flat=True)) == [known.pk]
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, id_number FROM clients_client WHERE id = %s", [known.pk])
        phone_raw, id_raw = cursor.fetchone()
    assert phone_raw.startswith("c1:") and known.phone not in phone_raw and known.id_number not in id_raw
    assert Client.objects.values("id_number_hash").distinct().count() == 400

    summary = AuditEvent.objects.get(action="demo.bulk_load")
    assert summary.detail["clients"] == 390 and summary.detail["last_id"] == bulk[-1].pk
    assert AuditEvent.objects.filter(action="client.create").count() == 10
    assert verify_chain().ok

    before = table_counts()
    again = run_demo("--clients", "400")
    assert "There are already at least 400 clients; nothing changed." in again
    assert table_counts() == before


@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="x" * 16)
def test_rows_generated_in_a_second_process_are_the_same_as_in_process():
    run_demo("--base-clients", "5")
    first = load_bulk(target=65, rng=random.Random(7), stdout=io.StringIO(), batch_size=25, parallel=True)
    forked = list(Client.objects.filter(pk__gte=first.first_id).order_by("pk").values_list("name", "birth_date", "phone", "id_number"))
    Client.objects.filter(pk__gte=first.first_id).delete()
    second = load_bulk(target=65, rng=random.Random(7), stdout=io.StringIO(), batch_size=25, parallel=False)
    here = list(Client.objects.filter(pk__gte=second.first_id).order_by("pk").values_list("name", "birth_date", "phone", "id_number"))
    assert len(forked) == 60 and forked == here
