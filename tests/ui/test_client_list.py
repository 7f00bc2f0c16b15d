"""The client list: search by name prefix, exact phone and ID, filters, HTMX fragment, paging, pinned queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients.views import search_terms
from tests.factories import make_client

# one audit row: one INSERT (no lock, no read: the sealer chains it after commit)
AUDIT_ROW_QUERIES = 1

pytestmark = pytest.mark.django_db
LIST = "/clients/"


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


def test_url_name():
    assert reverse("clients:list") == LIST


@pytest.mark.parametrize(("text", "terms"), [
    ("王", {"q": "王"}),
    (" 王芳 ", {"q": "王芳"}),
    ("138 1234 1234", {"phone": "13812341234"}),
    ("+8613812341234", {"phone": "+8613812341234"}),
    ("11010519700517002x", {"id_number": "11010519700517002x"}),
    ("1381234", {"q": "1381234"}),
    ("", {}),
])
def test_one_box_searches_name_phone_or_id(text, terms):
    assert search_terms(text) == terms


def test_search_by_name_prefix_exact_phone_and_exact_id(world, web):
    browser = web(world.service)
    assert names(browser.get(LIST, {"q": "王"})) == ["王芳"]
    assert names(browser.get(LIST, {"q": "芳"})) == []
    assert names(browser.get(LIST, {"q": "13812341234"})) == ["王芳"]
    assert names(browser.get(LIST, {"q": "1381234123"})) == []
    assert names(browser.get(LIST, {"q": world.other_team.id_number})) == ["李强"]


def test_search_never_leaves_the_scope(world, web):
    assert names(web(world.nurse).get(LIST, {"q": world.other_branch.id_number})) == []
    assert names(web(world.nurse).get(LIST, {"q": "张"})) == []


def test_filters_status_tier_branch(world, web):
    make_client(branch=world.bj, name="王五", tier="A", status="lost")
    browser = web(world.service)
    assert names(browser.get(LIST, {"q": "王", "status": "lost"})) == ["王五"]
    assert names(browser.get(LIST, {"tier": "A"})) == ["王五"]
    assert names(browser.get(LIST, {"branch": world.bj_site.pk})) == ["王芳"]


def test_branch_filter_offers_only_the_subtree(world, web):
    html = web(world.service).get(LIST).content.decode()
    assert "北京朝阳体检中心" in html and "上海分公司" not in html
    # A branch outside the subtree is not a valid choice: the filter is ignored, the scope still holds.
    response = web(world.service).get(LIST, {"branch": world.sh.pk})
    assert "张伟" not in names(response)


def test_list_masks_phone_and_id(world, web):
    html = web(world.service).get(LIST).content.decode()
    assert "138****1234" in html and "13812341234" not in html
    assert world.own.id_number_masked in html and world.own.id_number not in html


def test_list_writes_one_audit_row_per_request(world, web):
    """The list shows clients' names: a read of client data like any other (issue 10, finding 6)."""
    before = AuditEvent.objects.order_by("-append_id").values_list("append_id", flat=True).first() or 0
    web(world.service).get(LIST, {"q": "13812341234"})
    rows = list(AuditEvent.objects.filter(append_id__gt=before).values_list("action", "actor_name", "detail"))
    assert rows == [("client.list", "service", {"filters": {"q": "***"}, "count": 1})]


def test_htmx_request_gets_the_results_fragment_only(world, web):
    response = web(world.service).get(LIST, {"q": "王"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<section id="results"')
    assert "<html" not in html and "<form" not in html
    assert "王芳" in html and "李强" not in html


def test_full_page_has_the_htmx_search_form(world, web):
    html = web(world.service).get(LIST).content.decode()
    assert 'hx-get="/clients/"' in html and 'hx-target="#results"' in html
    assert "delay:300ms" in html


def test_paginated_by_25(world, web):
    for n in range(30):
        make_client(branch=world.bj, name=f"陈{n:02d}")
    browser = web(world.service)
    first = browser.get(LIST, {"q": "陈"})
    assert len(names(first)) == 25
    assert first.context["page"].paginator.count == 30
    second = browser.get(LIST, {"q": "陈", "page": 2}, HTTP_HX_REQUEST="true")
    assert names(second) == [f"陈{n:02d}" for n in range(25, 30)]
    assert 'hx-get="?q=%E9%99%88&amp;page=1"' in second.content.decode()


def test_english_when_switched(world, web):
    html = web(world.service, lang="en").get(LIST).content.decode()
    assert "Name, mobile or ID number" in html


@pytest.mark.parametrize("persona", ["service", "nurse"])
def test_query_count_does_not_grow_with_rows(world, web, persona):
    user = getattr(world, persona)
    browser = web(user)

    def count() -> int:
        browser.get(LIST)  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            response = browser.get(LIST)
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(20):
        make_client(branch=world.bj_site, name=f"周{n}", health_manager=world.nurse)
    many = count()
    assert len(browser.get(LIST).context["page"].object_list) >= 20
    assert few == many


def test_query_count_pinned(world, web, django_assert_num_queries):
    for n in range(10):
        make_client(branch=world.bj_site, name=f"吴{n}", health_manager=world.nurse)
    browser = web(world.nurse)
    browser.get(LIST)
    # session, user, roles, the user's unit, teams (member of, leads, their members), count,
    # subtree units (branch filter), page rows with branch and health manager joined,
    # session save (savepoint, update, release).
    with django_assert_num_queries(QUERIES_NURSE_LIST):
        browser.get(LIST)


QUERIES_NURSE_LIST = 14 + AUDIT_ROW_QUERIES
