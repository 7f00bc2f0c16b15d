"""Pages and API of offers and salons / community events (zh-hans), with scoping and query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.crm.models import CommunityEvent, EventRegistration, Offer, OfferSent
from careloop.messaging.models import Message
from tests.crm.builders import consent
from tests.factories import make_client

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        yield


def _get(web, user, url):
    web.force_login(user)
    return web.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def _salon(world, **kw):
    data = {"kind": "salon", "title": "慢病管理健康沙龙", "place": "三楼报告厅", "capacity": 20, "tiers": "A",
            "branch": world.bj, "starts_at": dt.datetime(2026, 12, 12, 14, 0, tzinfo=SH)}
    data.update(kw)
    return CommunityEvent.objects.create(**data)


def test_events_page_warns_without_a_salon_this_quarter_and_keeps_its_queries(world, client, django_assert_num_queries):
    make_client(branch=world.bj, name="核心客户", tier="A")
    page = _get(client, world.lead, "/crm/events/").content.decode()
    assert "本季度（自2026-10-01起）尚未安排A类客户健康沙龙：北京分公司" in page
    for i in range(3):
        _salon(world, title=f"沙龙{i}")
    with django_assert_num_queries(12):
        page = client.get("/crm/events/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "尚未安排" not in page and "沙龙2" in page and "新建活动" in page
    dash = _get(client, world.lead, "/crm/tiers/").content.decode()
    assert "/crm/offers/" in dash and "/crm/events/" in dash
    assert _get(client, world.nurse, "/crm/events/").status_code == 403


def test_event_page_invite_register_and_attendance(world, client):
    a = make_client(branch=world.bj, name="赵一", tier="A")
    consent(a, "marketing")
    make_client(branch=world.bj, name="钱二", tier="A")  # no consent
    event = _salon(world)
    page = _get(client, world.service, f"/crm/events/{event.pk}/").content.decode()
    assert "邀请2位相应等级的客户" in page
    response = client.post(f"/crm/events/{event.pk}/invite/", {"channel": "sms"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 302
    page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已邀请1位客户。 未邀请：未授权 1。" in page and "赵一" in page
    row = EventRegistration.objects.get()
    client.post(f"/crm/registrations/{row.pk}/action/", {"action": "register"})
    row.refresh_from_db()
    event.refresh_from_db()
    assert (row.status, event.registered) == ("registered", 1)
    client.force_login(world.nurse2)  # another branch: the registration is not found, nothing changes
    assert client.post(f"/crm/registrations/{row.pk}/action/", {"action": "decline"}).status_code == 404
    row.refresh_from_db()
    assert row.status == "registered"


def test_offers_pages_and_the_client_page(world, client, django_assert_num_queries):
    page = _get(client, world.admin, "/crm/offers/")
    assert "首次复诊挂号折扣" in page.content.decode() and "新建优惠" in page.content.decode()
    response = client.post("/crm/offers/new/", {"name": "", "description": "九折", "tiers": ["B"],
                                                "valid_from": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "名称：必填。" in response.content.decode()
    client.post("/crm/offers/new/", {"name": "年卡续费优惠", "description": "续费九折", "tiers": ["B", "C"],
                                     "valid_from": "2026-11-01", "active": "on"})
    assert Offer.objects.get(name="年卡续费优惠").tiers == "BC"
    client.force_login(world.service)
    with django_assert_num_queries(11):
        client.get("/crm/offers/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _get(client, world.service, "/crm/offers/new/").status_code == 403
    consent(world.own, "marketing")
    detail = _get(client, world.service, f"/clients/{world.own.pk}/").content.decode()
    assert f"/crm/clients/{world.own.pk}/engagement/" in detail
    offer = Offer.objects.get(name="首次复诊挂号折扣")
    client.post(f"/crm/clients/{world.own.pk}/engagement/", {"action": "offer", "offer": offer.pk, "channel": "sms"})
    page = _get(client, world.service, f"/crm/clients/{world.own.pk}/engagement/").content.decode()
    assert "已发优惠" in page and "首次复诊挂号折扣" in page
    timeline = _get(client, world.service, f"/clients/{world.own.pk}/").content.decode()
    assert "已发送优惠：首次复诊挂号折扣" in timeline
    assert _get(client, world.nurse2, f"/crm/clients/{world.own.pk}/engagement/").status_code == 404


def test_api_offers_events_registrations(world, api):
    lead, service = api(world.lead), api(world.service)
    bad = lead.post("/api/v1/events/", {"kind": "salon", "title": "沙龙", "place": "报告厅", "capacity": 0,
                                         "tiers": "A", "branch": world.bj.pk, "starts_at": "2026-12-12T14:00:00+08:00"},
                    format="json")
    assert bad.status_code == 400 and "capacity" in bad.json()
    bad_tier = lead.post("/api/v1/offers/", {"name": "x", "description": "y", "tiers": "Z", "valid_from": "2026-11-01",
                                             "branch": world.bj.pk}, format="json")
    assert bad_tier.status_code == 400 and list(bad_tier.json()) == ["tiers"]
    made = lead.post("/api/v1/events/", {"kind": "community", "title": "社区义诊", "place": "朝阳社区", "capacity": 1,
                                          "tiers": "C", "branch": world.bj.pk,
                                          "starts_at": "2026-12-05T09:00:00+08:00"}, format="json")
    assert made.status_code == 201
    pk = made.json()["id"]
    first = service.post(f"/api/v1/events/{pk}/registrations/", {"client": world.own.pk}, format="json")
    assert first.status_code == 201 and first.json()["status"] == "registered"
    full = service.post(f"/api/v1/events/{pk}/registrations/", {"client": world.other_team.pk}, format="json")
    assert full.status_code == 409 and full.json()["conflict"] == "full"
    reg = first.json()["id"]
    assert service.patch(f"/api/v1/event-registrations/{reg}/", {"status": "declined"},
                         format="json").json()["status"] == "declined"
    assert CommunityEvent.objects.get(pk=pk).registered == 0
    invite = service.post(f"/api/v1/events/{pk}/invitations/", {}, format="json")
    assert invite.json() == {"invited": 0, "already": 1, "skipped": {"no_consent": 1}}
    outsider = api(world.nurse2).get(f"/api/v1/events/{pk}/")
    assert outsider.status_code == 403
    offer = Offer.objects.get(name="首次复诊挂号折扣")
    sent = service.post(f"/api/v1/clients/{world.own.pk}/offers/", {"offer": offer.pk}, format="json")
    assert sent.status_code == 201 and sent.json()["status"] == "refused" and sent.json()["refused"] == "no_consent"
    twice_missing = service.post(f"/api/v1/clients/{world.own.pk}/offers/", {"channel": "sms"}, format="json")
    assert twice_missing.status_code == 400 and "offer" in twice_missing.json()
    scoped = service.post(f"/api/v1/clients/{world.other_branch.pk}/offers/", {"offer": offer.pk}, format="json")
    assert scoped.status_code == 404
    assert OfferSent.objects.count() == 1 and not Message.objects.filter(purpose="offer").exists()
