import datetime as dt
import random
from collections import Counter

from careloop.checkups.demo import generate_checkups
from careloop.checkups.models import Checkup, ResultItem
from careloop.followups.models import Encounter
from tests.factories import make_client


def test_demo_checkups_are_plausible_by_sex_and_age(world):
    rng = random.Random(4)
    clients = [make_client(branch=world.bj, sex="male" if i % 2 else "female",
                           birth_date=dt.date(1950 + (i % 45), 1 + i % 12, 1 + i % 28)) for i in range(60)]
    created = generate_checkups(clients, rng, today=dt.date(2026, 11, 23))
    assert len(created) == Checkup.objects.count() >= 60
    assert Encounter.objects.filter(kind="checkup").count() == 60
    hgb_male = [i.value_num for i in ResultItem.objects.filter(code="HGB", checkup__client__sex="male")]
    hgb_female = [i.value_num for i in ResultItem.objects.filter(code="HGB", checkup__client__sex="female")]
    assert 140 < sum(hgb_male) / len(hgb_male) < 160
    assert 120 < sum(hgb_female) / len(hgb_female) < 140
    older = [i.value_num for i in ResultItem.objects.filter(code="SBP", checkup__client__birth_date__lt=dt.date(1965, 1, 1))]
    younger = [i.value_num for i in ResultItem.objects.filter(code="SBP", checkup__client__birth_date__gte=dt.date(1980, 1, 1))]
    assert sum(older) / len(older) > sum(younger) / len(younger) + 5
    statuses = Counter(Checkup.objects.values_list("health_status", flat=True))
    assert set(statuses) == {"normal", "abnormal_stable", "complex"}
    assert all(c.delivery.due_date > c.date for c in Checkup.objects.select_related("delivery"))
