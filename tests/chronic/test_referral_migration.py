"""Free-text referrals survive the move to partner hospitals (chronic 0008–0010): the text stays in ``note`` and
a name that matches a partner hospital (and its department) also gets the foreign keys; and back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("chronic", "0007_referral"), ("plans", "0002_default_catalogue"), ("org", "0002_sec_unit_contact_phone"),
          ("clients", "0003_verbose_names")]
AFTER = [("chronic", "0010_referral_drop_free_text"), *BEFORE[1:]]


def test_free_text_is_kept_and_matched_names_are_linked() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Unit, User, Client = (old.get_model("org", "OrgUnit"), old.get_model("org", "User"),
                          old.get_model("clients", "Client"))
    Hospital, Department = old.get_model("plans", "PartnerHospital"), old.get_model("plans", "Department")
    Referral = old.get_model("chronic", "Referral")
    unit = Unit.objects.create(name="北京", code="mig-bj", kind="branch", path="/mig/")
    user = User.objects.create(username="mig-nurse", org_unit=unit)
    client = Client.objects.create(name="迁移", sex="female", birth_date=dt.date(1970, 1, 1), branch=unit,
                                   phone="", id_number="", phone_hash="x1", id_number_hash="y1")
    hospital = Hospital.objects.create(name="北京协和医院")
    dept = Department.objects.create(hospital=hospital, name="内分泌科")
    matched = Referral.objects.create(client=client, hospital="北京协和医院 ", department="内分泌科", reason="r1",
                                      created_by=user)
    unknown = Referral.objects.create(client=client, hospital="某社区医院", department="全科", expert="张医生",
                                      reason="r2", created_by=user)
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("chronic", "Referral")
    rows = list(new.objects.order_by("pk").values_list("pk", "hospital_id", "department_id", "note", "expert"))
    assert rows == [(matched.pk, hospital.pk, dept.pk, "医院：北京协和医院；科室：内分泌科", ""),
                    (unknown.pk, None, None, "医院：某社区医院；科室：全科", "张医生")]
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)  # and back: the hospital's name returns as text
    back = executor.loader.project_state(BEFORE).apps.get_model("chronic", "Referral")
    assert list(back.objects.order_by("pk").values_list("hospital", "department")) == [
        ("北京协和医院", "内分泌科"), ("某社区医院", "")]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
