"""Offers (tier B, tier C within 3 months) and salons / community events (tier A, tier C): seed 002, issue 14 item 3."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from careloop.audit.models import AuditEvent
from careloop.crm import engagement
from careloop.crm.models import (
    CommunityEvent,
    EventRegistration,
    LedgerEntry,
    Offer,
    OfferSent,
)
from careloop.messaging.models import Message
from tests.crm.builders import consent
from tests.factories import make_client

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH), tick=False):
        yield


def _event(world, *, tiers="A", capacity=20, kind="salon", when=dt.datetime(2026, 12, 12, 14, 0, tzinfo=SH),
           branch=None):
    return CommunityEvent.objects.create(kind=kind, title="慢病管理健康沙龙", place="北京分公司三楼报告厅",
                                         starts_at=when, capacity=capacity, tiers=tiers, branch=branch or world.bj)


def _first(client, days_ago, kind="purchase", amount="199.00"):
    return LedgerEntry.objects.create(client=client, date=dt.date(2026, 11, 23) - dt.timedelta(days=days_ago),
                                      kind=kind, amount=Decimal(amount))


def test_invite_reaches_the_tier_with_consent_and_counts_who_is_skipped(world):
    a_yes = make_client(branch=world.bj_site, name="赵一", tier="A")
    a_no = make_client(branch=world.bj, name="钱二", tier="A")
    a_sh = make_client(branch=world.sh, name="孙三", tier="A")
    b_yes = make_client(branch=world.bj, name="李四", tier="B")
    for c in (a_yes, a_sh, b_yes):
        consent(c, "marketing")
    event = _event(world)
    result = engagement.event_invite(event=event, acting_user=world.service)
    assert (result.invited, result.already, dict(result.skipped)) == (1, 0, {"no_consent": 1})
    assert list(EventRegistration.objects.values_list("client__name", "status")) == [("赵一", "invited")]
    message = Message.objects.get(purpose="event_invitation")
    assert message.client == a_yes and "慢病管理健康沙龙" in message.body and "12月12日 14:00" in message.body
    assert not Message.objects.filter(client__in=[a_no, a_sh, b_yes]).exists()
    audit = AuditEvent.objects.filter(action="event.invite").get()
    assert audit.detail["invited"] == 1 and audit.detail["skipped"] == {"no_consent": 1}
    again = engagement.event_invite(event=event, acting_user=world.service)
    assert (again.invited, again.already, dict(again.skipped)) == (0, 1, {"no_consent": 1})
    assert Message.objects.filter(purpose="event_invitation").count() == 1


def test_invite_is_refused_outside_scope_and_for_roles_without_the_right_nothing_changes(world):
    consent(world.other_branch, "marketing")
    world.other_branch.tier = "A"
    world.other_branch.save(update_fields=["tier"])
    sh_event = _event(world, branch=world.sh)
    for user in (world.service, world.nurse):  # another branch's event; a nurse may not invite
        with pytest.raises(PermissionDenied):
            engagement.event_invite(event=sh_event, acting_user=user)
    assert not EventRegistration.objects.exists() and not Message.objects.exists()
    assert not AuditEvent.objects.filter(action="event.invite").exists()


def test_registration_capacity_decline_and_attendance(world):
    event = _event(world, capacity=1, tiers="AC")
    row = engagement.event_register(event=event, client=world.own, acting_user=world.service)
    assert row.status == "registered"
    with pytest.raises(engagement.EventConflict) as full:
        engagement.event_register(event=event, client=world.other_team, acting_user=world.service)
    assert full.value.conflict == "full" and "event" in full.value.message_dict
    with pytest.raises(engagement.EventConflict) as dup:
        engagement.event_register(event=event, client=world.own, acting_user=world.service)
    assert dup.value.conflict == "duplicate"
    with pytest.raises(ValidationError) as early:  # attendance only from the day of the event
        engagement.event_attendance_record(registration=row, attended=True, acting_user=world.service)
    assert "status" in early.value.message_dict
    engagement.event_registration_decline(registration=row, acting_user=world.service)
    event.refresh_from_db()
    assert event.registered == 0
    second = engagement.event_register(event=event, client=world.other_team, acting_user=world.service)
    with time_machine.travel(dt.datetime(2026, 12, 12, 16, 0, tzinfo=SH), tick=False):
        engagement.event_attendance_record(registration=second, attended=True, acting_user=world.service)
    second.refresh_from_db()
    event.refresh_from_db()
    assert (second.status, event.registered) == ("attended", 1)


def test_offer_send_once_and_refusal_recorded(world):
    offer = Offer.objects.get(name="首次复诊挂号折扣")  # shipped default, tier C
    consent(world.own, "marketing")
    sent = engagement.offer_send(offer=offer, client=world.own, acting_user=world.service)
    assert (sent.status, sent.refused) == ("sent", "")
    assert Message.objects.get(pk=sent.message_id).purpose == "offer"
    assert "复诊挂号费八折" in Message.objects.get(pk=sent.message_id).body
    with pytest.raises(ValidationError) as twice, translation.override("zh-hans"):
        engagement.offer_send(offer=offer, client=world.own, acting_user=world.service)
    assert twice.value.message_dict == {"offer": ["优惠：该客户已收到过此优惠。"]}
    refused = engagement.offer_send(offer=offer, client=world.other_team, acting_user=world.service)
    assert (refused.status, refused.refused, refused.message_id) == ("refused", "no_consent", None)
    b_offer = Offer.objects.get(name="年度体检套餐优惠")
    with pytest.raises(ValidationError) as tier, translation.override("zh-hans"):
        engagement.offer_send(offer=b_offer, client=world.own, acting_user=world.service)
    assert tier.value.message_dict == {"offer": ["优惠：适用于B类客户；该客户为C类。"]}
    assert OfferSent.objects.count() == 2


def test_offer_send_denied_out_of_scope_nothing_changed(world):
    offer = Offer.objects.get(name="首次复诊挂号折扣")
    consent(world.other_branch, "marketing")
    with pytest.raises(PermissionDenied):
        engagement.offer_send(offer=offer, client=world.other_branch, acting_user=world.service)
    with pytest.raises(PermissionDenied):
        engagement.offer_send(offer=offer, client=world.own, acting_user=world.nurse)
    assert not OfferSent.objects.exists() and not Message.objects.exists()


def test_tier_c_offers_due_within_three_months_once(world):
    due = make_client(branch=world.bj, name="新客户甲")
    no_consent = make_client(branch=world.bj, name="新客户乙")
    too_early = make_client(branch=world.bj, name="新客户丙")
    too_late = make_client(branch=world.bj, name="老客户丁")
    tier_b = make_client(branch=world.bj, name="客户戊", tier="B")
    for c in (due, too_early, too_late, tier_b):
        consent(c, "marketing")
    _first(due, 30)
    _first(due, 5, kind="visit", amount="0")
    _first(no_consent, 60)
    _first(too_early, 10)  # the satisfaction call comes first; the offer from day 14
    _first(too_late, 100)
    _first(tier_b, 30)
    result = engagement.offers_send_due()
    assert (result.due, result.sent, dict(result.skipped)) == (2, 1, {"no_consent": 1})
    rows = sorted(OfferSent.objects.values_list("client__name", "offer__name", "status", "origin"))
    assert rows == [("新客户乙", "首次复诊挂号折扣", "refused", "tier_c"), ("新客户甲", "首次复诊挂号折扣", "sent", "tier_c")]
    again = engagement.offers_send_due()
    assert (again.due, again.sent) == (0, 0)
    assert Message.objects.filter(purpose="offer").count() == 1


def test_tier_c_without_a_fitting_offer_is_counted_and_tried_again(world):
    Offer.objects.filter(tiers__contains="C").update(active=False)
    client = make_client(branch=world.bj, name="新客户甲")
    consent(client, "marketing")
    _first(client, 20)
    result = engagement.offers_send_due()
    assert (result.due, result.sent, dict(result.skipped)) == (1, 0, {"no_offer": 1})
    Offer.objects.create(name="社区义诊复查优惠", description="复查挂号免费", tiers="C", valid_from=dt.date(2026, 11, 1),
                         branch=world.bj)
    assert engagement.offers_send_due().sent == 1


def test_command_offers_due_and_salons_check(world, capsys):
    client = make_client(branch=world.bj, name="新客户甲")
    consent(client, "marketing")
    _first(client, 20)
    call_command("crm", "offers-due", "--dry-run")
    assert capsys.readouterr().out.splitlines() == [f"client {client.pk}: 首次复诊挂号折扣",
                                                    "1 due, would send 1, skipped none"]
    assert not OfferSent.objects.exists()
    call_command("crm", "offers-due")
    assert capsys.readouterr().out.splitlines()[-1] == "1 due, sent 1, skipped none"
    make_client(branch=world.bj, name="核心客户", tier="A")
    call_command("crm", "salons-check")
    assert capsys.readouterr().out.splitlines() == ["no salon 2026-10-01..2026-12-31: bj 北京分公司",
                                                    "1 branches without a tier A salon this quarter"]
    _event(world)
    call_command("crm", "salons-check")
    assert capsys.readouterr().out.splitlines() == ["0 branches without a tier A salon this quarter"]


def test_offer_and_event_save_validate_and_scope(world):
    with pytest.raises(ValidationError) as bad:
        engagement.offer_save(data={"name": "", "description": "x", "tiers": "D", "valid_from": "2026-13-01"},
                              acting_user=world.lead)
    assert set(bad.value.message_dict) == {"name", "tiers", "valid_from", "branch"}  # every branch: head office only
    offer = engagement.offer_save(data={"name": "B类套餐", "description": "九折", "tiers": "cb",
                                        "valid_from": "2026-11-01", "branch": world.bj.pk}, acting_user=world.lead)
    assert (offer.tiers, offer.branch, offer.active) == ("BC", world.bj, True)
    with pytest.raises(PermissionDenied):
        engagement.offer_save(data={"name": "x"}, acting_user=world.service)
    with pytest.raises(ValidationError) as ev:
        engagement.event_save(data={"kind": "party", "title": "沙龙", "place": "报告厅", "starts_at": "2026-11-01 10:00",
                                    "capacity": "0", "tiers": "A", "branch": world.sh.pk}, acting_user=world.lead)
    assert set(ev.value.message_dict) == {"kind", "starts_at", "capacity", "branch"}
    assert not CommunityEvent.objects.exists()
