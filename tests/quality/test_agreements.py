"""Confidentiality agreements (seed 000 §7.1): private file, the administrator's list, the access block."""

from __future__ import annotations

import datetime as dt
import stat

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients.selectors import client_for, clients_visible_to
from careloop.quality import agreements
from careloop.quality.models import AgreementVersion, ConfidentialityAgreement

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def pdf():
    return SimpleUploadedFile("协议.pdf", b"%PDF-1.4 signed", content_type="application/pdf")


def record(world, staff):
    return agreements.agreement_record(staff=staff, version=AgreementVersion.objects.get(version="2026-1"),
                                       signed_on=dt.date(2026, 11, 1), upload=pdf(), acting_user=world.admin)


def test_recorded_agreement_keeps_its_file_private(world, settings):
    row = record(world, world.nurse)
    path = agreements.private_dir() / row.file_name
    assert path.read_bytes() == b"%PDF-1.4 signed"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not str(path).startswith(str(settings.MEDIA_ROOT)) and not str(path).startswith(str(settings.STATIC_ROOT))
    assert AuditEvent.objects.filter(action="quality.agreement.record").count() == 1


def test_bad_input_names_each_field_and_writes_nothing(world):
    with pytest.raises(ValidationError) as exc:
        agreements.agreement_record(staff=world.nurse2, version=None, signed_on=dt.date(2026, 12, 1),
                                    upload=SimpleUploadedFile("a.exe", b"x"), acting_user=world.admin)
    assert set(exc.value.message_dict) == {"version", "signed_on", "file"}
    with pytest.raises(PermissionDenied):
        agreements.agreement_record(
            staff=world.nurse, version=None, signed_on=None, upload=None, acting_user=world.lead)
    assert not ConfidentialityAgreement.objects.exists()
    assert list(agreements.private_dir().iterdir()) == []


def test_administrator_lists_staff_without_a_current_agreement(world):
    record(world, world.nurse)
    missing = set(agreements.staff_without_current(world.admin).values_list("username", flat=True))
    assert "nurse" not in missing and {"lead", "inspector", "nurse2"} <= missing
    with pytest.raises(PermissionDenied):
        agreements.staff_without_current(world.nurse)


def test_the_setting_blocks_client_records_until_signed(world, settings):
    settings.CARELOOP_REQUIRE_CONFIDENTIALITY = False
    assert clients_visible_to(world.nurse).filter(pk=world.own.pk).exists()
    settings.CARELOOP_REQUIRE_CONFIDENTIALITY = True
    world.nurse._careloop_access_block = False  # a new request
    assert not clients_visible_to(world.nurse).exists()
    with pytest.raises(PermissionDenied) as exc:
        client_for(world.nurse, world.own.pk)
    assert "保密协议" in str(exc.value) or "confidentiality" in str(exc.value)
    record(world, world.nurse)
    world.nurse._careloop_access_block = False
    assert client_for(world.nurse, world.own.pk) == world.own


def test_agreements_page_and_file_download(world, client):
    row = record(world, world.nurse)
    client.force_login(world.admin)
    page = client.get(reverse("quality:agreements"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "保密协议" in page and "inspector" in page
    response = client.get(reverse("quality:agreement_file", args=[row.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 signed"
    client.force_login(world.nurse_b)
    assert client.get(reverse("quality:agreement_file", args=[row.pk])).status_code == 403
    assert client.get(reverse("quality:agreements")).status_code == 403
    assert AuditEvent.objects.filter(action="quality.agreement.read").count() == 1
