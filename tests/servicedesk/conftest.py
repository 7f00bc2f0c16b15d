import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from careloop.servicedesk.services import ticket_create

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SH)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _frozen(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def complaint(world):
    """A complaint about the nurse (a member of the lead's team), from the own client."""
    return ticket_create(kind="complaint", channel="phone", subject="态度冷淡", body="客户反映随访护士态度冷淡。",
                         client=world.own, staff=world.nurse, acting_user=world.service)
