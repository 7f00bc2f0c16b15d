import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import time_machine
from django.core.management import call_command

from careloop.crm.models import LedgerEntry
from careloop.crm.tasks import recompute_tiers


def test_recompute_prints_the_moves(world):
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        LedgerEntry.objects.create(client=world.own, date=dt.date(2026, 11, 1), kind="purchase", amount=Decimal("9000"))
        out = StringIO()
        call_command("tiers", "recompute", "--dry-run", stdout=out)
        assert f"client {world.own.pk}: C -> A" in out.getvalue()
        assert "3 active clients, would move 1 (C->A: 1)" in out.getvalue()
        world.own.refresh_from_db()
        assert world.own.tier == "C"
        assert recompute_tiers.call_local() == 1
        world.own.refresh_from_db()
        assert world.own.tier == "A"
