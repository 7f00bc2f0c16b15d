import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.checkups.models import BranchBookingPolicy, CheckupPackage, GroupBooking, GroupBookingMember
from careloop.checkups.services import group_booking_cancel, group_booking_change, group_booking_create
from careloop.clients.models import Enterprise
from tests.factories import make_client


@pytest.fixture
def setup(world):
    enterprise = Enterprise.objects.create(name="华泰科技", branch=world.bj)
    BranchBookingPolicy.objects.create(branch=world.bj, change_deadline_days=5)
    members = [make_client(branch=world.bj) for _ in range(3)]
    return enterprise, members


def test_packages_ship_as_data_at_four_levels(db):
    assert list(CheckupPackage.objects.order_by("price").values_list("level", flat=True)) == [
        "economy", "standard", "comprehensive", "luxury"]


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_booking_changes_close_at_the_branch_deadline(world, setup):
    enterprise, members = setup
    package = CheckupPackage.objects.get(code="standard")
    booking = group_booking_create(enterprise=enterprise, branch=world.bj, package=package, date=dt.date(2026, 12, 10),
                                   clients=members[:2], acting_user=world.clerk)
    assert booking.change_deadline == dt.date(2026, 12, 5)
    group_booking_change(booking=booking, acting_user=world.clerk, add=[members[2]], remove=[members[0]])
    assert list(GroupBookingMember.objects.filter(booking=booking, cancelled=False).values_list("client", flat=True).order_by("client")) == [
        members[1].pk, members[2].pk]
    with time_machine.travel(dt.datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        with pytest.raises(ValidationError) as caught:
            group_booking_cancel(booking=booking, acting_user=world.clerk)
        assert caught.value.message_dict == {"booking": ["变更和取消已于 2026-12-05 截止。"]}
    assert GroupBooking.objects.get(pk=booking.pk).status == "booked"
    group_booking_cancel(booking=booking, acting_user=world.clerk)
    assert GroupBooking.objects.get(pk=booking.pk).status == "cancelled"


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_booking_too_late_or_by_the_wrong_role_is_refused(world, setup):
    enterprise, members = setup
    package = CheckupPackage.objects.get(code="economy")
    with pytest.raises(ValidationError) as caught:
        group_booking_create(enterprise=enterprise, branch=world.bj, package=package, date=dt.date(2026, 11, 26),
                             clients=members, acting_user=world.clerk)
    assert list(caught.value.message_dict) == ["date"]
    with pytest.raises(PermissionDenied):
        group_booking_create(enterprise=enterprise, branch=world.bj, package=package, date=dt.date(2026, 12, 26),
                             clients=members, acting_user=world.nurse)
    with pytest.raises(PermissionDenied):
        group_booking_create(enterprise=enterprise, branch=world.sh, package=package, date=dt.date(2026, 12, 26),
                             clients=members, acting_user=world.clerk)
    assert GroupBooking.objects.count() == 0


@time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
def test_group_bookings_through_the_api(world, setup, api):
    enterprise, members = setup
    body = {"enterprise": enterprise.pk, "branch": world.bj.pk, "package": "luxury", "date": "2026-12-10",
            "clients": [members[0].pk, members[1].pk]}
    assert api(world.nurse).post("/api/v1/group-bookings/", body, format="json").status_code == 403
    created = api(world.clerk).post("/api/v1/group-bookings/", body, format="json")
    assert created.status_code == 201
    booking = created.json()
    assert (booking["package"], booking["change_deadline"], booking["members"]) == (
        "luxury", "2026-12-05", [members[0].pk, members[1].pk])
    changed = api(world.clerk).patch(f"/api/v1/group-bookings/{booking['id']}/", {"remove": [members[0].pk]}, format="json")
    assert changed.json()["members"] == [members[1].pk]
    outsider = make_client(branch=world.sh)
    bad = api(world.clerk, lang="en").patch(f"/api/v1/group-bookings/{booking['id']}/", {"add": [outsider.pk]}, format="json")
    assert (bad.status_code, bad.json()) == (400, {"add": [f"No such client: {outsider.pk}"]})
    with time_machine.travel(dt.datetime(2026, 12, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        late = api(world.clerk, lang="en").delete(f"/api/v1/group-bookings/{booking['id']}/")
        assert (late.status_code, late.json()) == (400, {"booking": ["Changes and cancellations closed on 2026-12-05."]})
    assert api(world.clerk).delete(f"/api/v1/group-bookings/{booking['id']}/").json()["status"] == "cancelled"
    assert api(world.nurse2).get("/api/v1/group-bookings/").status_code == 403
