"""Issue 10, finding 2: the duplicate check never reveals a client the caller may not open — it says only that
the person is registered elsewhere and whom to ask."""

from __future__ import annotations

from django.test import Client as WebClient
from django.urls import reverse

from careloop.clients.models import Client
from careloop.org.models import OrgUnit


def test_api_names_the_branch_to_ask_not_the_client(world, api):
    OrgUnit.objects.filter(pk=world.sh.pk).update(contact_phone="021-55550000")
    other = world.other_branch
    count = Client.objects.count()
    body = {"name": "张伟", "sex": "male", "birth_date": other.birth_date.isoformat(), "id_number": other.id_number,
            "phone": "13900001111", "branch": world.bj.pk}
    response = api(world.clerk, lang="en").post("/api/v1/clients/", body, format="json")
    assert response.status_code == 409
    data = response.json()
    assert data["duplicates"] == []
    assert data["elsewhere"] == [{"branch": "上海分公司", "phone": "021-55550000"}]
    text = response.content.decode()
    assert str(other.pk) not in [str(v) for v in _values(data)]
    assert other.birth_date.isoformat() not in text and other.id_number not in text
    assert Client.objects.count() == count


def test_api_still_names_matches_in_scope(world, api):
    own = world.own
    body = {"name": "王芳", "sex": own.sex, "birth_date": own.birth_date.isoformat(), "id_number": own.id_number,
            "branch": world.bj.pk}
    data = api(world.clerk).post("/api/v1/clients/", body, format="json").json()
    assert data["duplicates"] == [{"id": own.pk, "name": "王芳", "birth_date": "1970-05-17"}]
    assert data["elsewhere"] == []


def test_page_names_the_branch_and_its_phone(world):
    OrgUnit.objects.filter(pk=world.sh.pk).update(contact_phone="021-55550000")
    other = world.other_branch
    browser = WebClient()
    browser.force_login(world.service)
    html = browser.post(reverse("clients:create"), {
        "name": "新客户", "sex": "male", "birth_date": other.birth_date.isoformat(), "id_number": other.id_number,
        "branch": world.bj.pk, "tier": "C"}).content.decode()
    assert "上海分公司" in html and "021-55550000" in html
    assert other.name not in html  # (the ID number shown is the one the user typed)


def _values(data):
    if isinstance(data, dict):
        for v in data.values():
            yield from _values(v)
    elif isinstance(data, list):
        for v in data:
            yield from _values(v)
    else:
        yield data
