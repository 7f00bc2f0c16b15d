import datetime as dt

import pytest
from django.utils import timezone

from careloop.crm import engagement
from careloop.crm.models import CommunityEvent, EventRegistration
from tests.crm.builders import consent
from tests.factories import make_client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_shots(world, page_for, live_server):
    names = ["赵一", "钱二", "孙三", "李四"]
    clients = [make_client(branch=world.bj, name=n, tier="A") for n in names]
    for c in clients[:3]:
        consent(c, "marketing")
    consent(world.own, "marketing")
    now = timezone.now()
    past = CommunityEvent.objects.create(kind="salon", title="慢病管理健康沙龙（高血压专题）", place="北京分公司三楼报告厅",
                                         starts_at=now - dt.timedelta(days=30), capacity=20, tiers="A", branch=world.bj)
    EventRegistration.objects.create(event=past, client=clients[0], status="attended", status_at=past.starts_at)
    salon = CommunityEvent.objects.create(kind="salon", title="冬季养生健康沙龙", place="北京分公司三楼报告厅",
                                          starts_at=now + dt.timedelta(days=20), capacity=25, tiers="A", branch=world.bj)
    engagement.event_invite(event=salon, acting_user=world.service)
    engagement.event_register(event=salon, client=clients[0], acting_user=world.service)
    CommunityEvent.objects.create(kind="community", title="社区义诊（血压血糖免费检测）", place="朝阳区和平社区服务中心",
                                  starts_at=now + dt.timedelta(days=10), capacity=60, tiers="C", branch=world.bj)
    from careloop.crm.models import Offer
    engagement.offer_send(offer=Offer.objects.get(name="首次复诊挂号折扣"), client=world.own, acting_user=world.service)
    shots = [
        (world.service, "/crm/events/", "events_service"),
        (world.service, f"/crm/events/{salon.pk}/", "event_service"),
        (world.service, f"/crm/clients/{world.own.pk}/engagement/", "client_engagement_service"),
        (world.service, "/crm/offers/", "offers_service"),
        (world.lead, "/crm/tiers/", "dashboard_lead"),
        (world.lead, "/crm/events/new/", "event_new_lead"),
        (world.admin, "/crm/offers/", "offers_admin"),
        (world.admin, "/crm/offers/new/", "offer_new_admin"),
        (world.service, f"/clients/{world.own.pk}/", "client_detail_service"),
    ]
    pages = {}
    for user, url, name in shots:
        page = pages.get(user.username) or page_for(user)
        pages[user.username] = page
        page.goto(f"{live_server.url}{url}")
        page.screenshot(path=f"/tmp/tierc_{name}.png", full_page=True)
