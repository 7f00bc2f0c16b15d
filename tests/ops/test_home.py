"""Each role's home shows its own work (issue 9, item 9)."""

import pytest
from django.urls import NoReverseMatch, reverse

from careloop.core import nav

pytestmark = pytest.mark.django_db


def first_existing(*url_names: str) -> str:
    for name in url_names:
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    raise AssertionError(url_names)


@pytest.mark.parametrize(("persona", "expected"), [
    ("nurse", ("followups:worklist",)),
    ("lead", ("followups:worklist",)),
    ("expert", ("followups:escalations",)),
    ("clerk", ("checkups:imports",)),
    ("service", ("servicedesk:worklist", "clients:list")),
    ("auditor", ("audit:list",)),
    ("doctor", ("followups:worklist",)),
])
def test_home_lands_on_the_roles_work(client, world, persona, expected):
    client.force_login(getattr(world, persona))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"] == first_existing(*expected)


def test_manager_lands_on_statistics_when_they_exist(client, world):
    client.force_login(world.manager)
    response = client.get(reverse("core:home"))
    try:
        dashboard = reverse("stats:dashboard")
    except NoReverseMatch:  # no statistics app yet: the welcome page, not an error
        assert response.status_code == 200
    else:
        assert response["Location"] == dashboard


def test_a_registered_home_that_does_not_exist_is_skipped(client, world):
    nav.register_home("auditor", "nowhere:page", order=1)
    try:
        client.force_login(world.auditor)
        assert client.get(reverse("core:home"))["Location"] == reverse("audit:list")
    finally:
        nav._homes.pop(("auditor", "nowhere:page"))


def test_the_lead_has_a_link_to_escalations(client, world):
    client.force_login(world.lead)
    html = client.get(reverse("followups:worklist"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert reverse("followups:escalations") in html
