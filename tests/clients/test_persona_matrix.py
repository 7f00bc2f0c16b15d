"""Every role × {own, other team, other branch} × {list, detail, create, update} through the API (SEC-1)."""

import pytest

from careloop.audit.models import AuditEvent
from careloop.clients.models import Client, ContactChange
from careloop.lib.identity import make_id_number

POSITIONS = ("own", "other_team", "other_branch")
# role: (listed?, detail status, create status, contact-update status) for own / other team / other branch.
MATRIX = {
    "nurse":        ((1, 0, 0), (200, 404, 404), (403, 403, 403), (200, 404, 404)),
    "lead":         ((1, 0, 0), (200, 404, 404), (201, 201, 403), (200, 404, 404)),
    "expert":       ((1, 1, 0), (200, 200, 404), (403, 403, 403), (403, 403, 404)),
    "doctor":       ((1, 0, 0), (200, 404, 404), (403, 403, 403), (403, 404, 404)),
    "nutritionist": ((1, 1, 0), (200, 200, 404), (403, 403, 403), (403, 403, 404)),
    "service":      ((1, 1, 0), (200, 200, 404), (201, 201, 403), (200, 200, 404)),
    "clerk":        ((1, 1, 0), (200, 200, 404), (201, 201, 403), (200, 200, 404)),
    "inspector":    ((1, 1, 0), (200, 200, 404), (403, 403, 403), (403, 403, 404)),
    "admin":        ((1, 1, 1), (200, 200, 200), (201, 201, 201), (200, 200, 200)),
    "auditor":      (None, (403, 403, 403), (403, 403, 403), (403, 403, 403)),
    "manager":      (None, (403, 403, 403), (403, 403, 403), (403, 403, 403)),
    "nurse2":       ((0, 0, 1), (404, 404, 200), (403, 403, 403), (404, 404, 200)),
    "outsider":     (None, (403, 403, 403), (403, 403, 403), (403, 403, 403)),
}
BRANCH_OF = {"own": "bj_site", "other_team": "bj", "other_branch": "sh"}


@pytest.mark.parametrize("role", MATRIX)
def test_list(world, api, role):
    listed = MATRIX[role][0]
    response = api(getattr(world, role)).get("/api/v1/clients/")
    if listed is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    ids = {row["id"] for row in response.json()["results"]}
    assert {p for p in POSITIONS if getattr(world, p).pk in ids} == {p for p, flag in zip(POSITIONS, listed, strict=True) if flag}


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("position", POSITIONS)
def test_detail(world, api, role, position):
    expected = MATRIX[role][1][POSITIONS.index(position)]
    client = getattr(world, position)
    before = AuditEvent.objects.filter(action="client.view").count()
    response = api(getattr(world, role)).get(f"/api/v1/clients/{client.pk}/")
    assert response.status_code == expected
    assert AuditEvent.objects.filter(action="client.view").count() == before + (1 if expected == 200 else 0)


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("position", POSITIONS)
def test_create(world, api, role, position):
    expected = MATRIX[role][2][POSITIONS.index(position)]
    import datetime as dt

    birth = dt.date(1985, 3, 9)
    body = {"name": "新客户", "sex": "male", "birth_date": "1985-03-09", "id_number": make_id_number("110105", birth, 321, "male"),
            "phone": "13700001111", "branch": getattr(world, BRANCH_OF[position]).pk}
    count = Client.objects.count()
    response = api(getattr(world, role)).post("/api/v1/clients/", body, format="json")
    assert response.status_code == expected, response.content
    assert Client.objects.count() == count + (1 if expected == 201 else 0)


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("position", POSITIONS)
def test_contact_update(world, api, role, position):
    expected = MATRIX[role][3][POSITIONS.index(position)]
    client = getattr(world, position)
    old_phone = client.phone
    response = api(getattr(world, role)).patch(f"/api/v1/clients/{client.pk}/", {"phone": "13900009999"}, format="json")
    assert response.status_code == expected, response.content
    client.refresh_from_db()
    if expected == 200:
        assert client.phone == "13900009999"
        assert ContactChange.objects.filter(client=client, field="phone").count() == 1
    else:
        assert client.phone == old_phone
        assert ContactChange.objects.filter(client=client).count() == 0
