"""Sign in, search, open a client and check masking and revealing — as a nurse and as an expert."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from playwright.sync_api import expect

from tests.factories import make_client

# Live-server tests flush the database between tests; serialized rollback brings back the shipped data
# (plans, guideline defaults, rules) that the pages read.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def second_client(world):
    """Another client of the nurse, so that a search visibly narrows the list."""
    return make_client(branch=world.bj, name="王小丽", health_manager=world.nurse)


def search_and_open(page, live_server, text: str, name: str) -> None:
    page.goto(f"{live_server.url}/clients/")
    expect(page.locator("#results a", has_text="王小丽")).to_have_count(1)
    page.fill("#id_q", text)
    # HTMX swaps the results in after a short delay and pushes the search into the address bar.
    page.wait_for_url(re.compile(r"/clients/\?q="))
    expect(page.locator("#results a", has_text="王小丽")).to_have_count(0)
    link = page.locator("#results a", has_text=name)
    expect(link).to_have_count(1)
    link.click()
    page.wait_for_url(re.compile(r"/clients/\d+/$"))


def keep_screenshot(page, tmp_path, name: str) -> None:
    """Screenshots land in CARELOOP_SCREENSHOT_DIR when set, for a person to look at."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    keep = os.environ.get("CARELOOP_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, os.path.join(keep, name))
    assert shot.stat().st_size > 10_000


def test_nurse_searches_opens_and_reveals(world, page_for, live_server, tmp_path):
    page = page_for(world.nurse)
    assert page.url == f"{live_server.url}/followups/"  # a nurse starts her day on the worklist
    page.click("nav.mainnav >> text=客户")
    expect(page.locator("h1")).to_have_text("客户")
    search_and_open(page, live_server, "王芳", "王芳")

    expect(page.locator("#contact-phone .masked")).to_have_text("138****1234")
    assert "13812341234" not in page.content()
    assert world.own.id_number not in page.content()

    page.select_option("#contact-phone select[name=reason]", "call")
    page.click("#contact-phone button[data-reveal=phone]")
    expect(page.locator("#contact-phone .revealed")).to_have_text("13812341234")
    expect(page.locator("#contact-id_number .masked")).to_have_text(world.own.id_number_masked)

    keep_screenshot(page, tmp_path, "client-page.png")


def test_nurse_finds_by_exact_phone(world, page_for, live_server, tmp_path):
    page = page_for(world.nurse)
    page.goto(f"{live_server.url}/clients/")
    page.fill("#id_q", "138 1234 1234")
    page.wait_for_url(re.compile(r"/clients/\?q="))
    expect(page.locator("#results a", has_text="王小丽")).to_have_count(0)
    expect(page.locator("#results td.masked").first).to_have_text("138****1234")
    keep_screenshot(page, tmp_path, "client-list.png")
    page.locator("#results a", has_text="王芳").click()
    expect(page.locator("h1")).to_contain_text("王芳")


def test_expert_sees_masked_values_and_no_reveal(world, page_for, live_server):
    from careloop.audit.models import AuditEvent

    page = page_for(world.expert)
    search_and_open(page, live_server, "王芳", "王芳")
    expect(page.locator("#contact-phone .masked")).to_have_text("138****1234")
    expect(page.locator("button[data-reveal]")).to_have_count(0)
    html = page.content()
    assert "13812341234" not in html and world.own.id_number not in html
    # Forcing the request by hand is refused and recorded.
    status = page.evaluate(
        """async (url) => {
            const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRFToken'];
            const body = new URLSearchParams({field: 'phone', reason: 'call'});
            const response = await fetch(url, {method: 'POST', body, headers: {'X-CSRFToken': token}});
            return response.status;
        }""",
        f"{live_server.url}/clients/{world.own.pk}/reveal/",
    )
    assert status == 403
    assert list(AuditEvent.objects.filter(action="client.reveal").values_list("actor_name", "result")) == [
        ("expert", "denied")]


def test_language_switch_to_english(world, page_for, live_server):
    page = page_for(world.nurse)
    page.goto(f"{live_server.url}/clients/")
    # setlang posts, redirects and renders the list again: on a busy 2-core CI box that can take
    # longer than expect()'s default 5 s, so wait for the round trip itself.
    with page.expect_navigation(url=f"{live_server.url}/clients/", timeout=30_000):
        page.select_option("select[name=language]", "en")
    expect(page.locator("h1")).to_have_text("Clients")
    expect(page.locator("label[for=id_q]")).to_have_text("Name, mobile or ID number")


def test_auditor_filters_the_trail_and_verifies_the_chain(world, page_for, live_server, tmp_path):
    from careloop.audit.services import audit_record

    audit_record(actor=world.nurse, action="client.view", obj=world.own, client=world.own)
    audit_record(actor=world.expert, action="client.reveal", obj=world.own, client=world.own, result="denied")
    page = page_for(world.auditor)
    assert page.url == f"{live_server.url}/audit/"
    expect(page.locator("nav.mainnav a")).to_have_text(["审计日志", "统计", "满意度", "培训考核", "质控问题"])  # aggregates only
    page.fill("#id_actor", "expert")
    page.wait_for_url(re.compile(r"/audit/\?"))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results tbody tr td[title=\"client.reveal\"]")).to_have_text("查看完整联系方式")
    page.click("#verify-button")
    expect(page.locator("#verify-result .verify.ok")).to_contain_text("审计日志完整")
    keep_screenshot(page, tmp_path, "audit.png")
