"""Audit actions come from one registry (careloop/audit/actions.py) and show in the reader's language."""

import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import translation

from careloop.audit import actions
from careloop.audit.services import audit_record

ROOT = Path(__file__).resolve().parents[2] / "careloop"
LITERAL = re.compile(r"""action(?:\s*,\s*before)?\s*=\s*\(?\s*f?"([a-z_]+(?:\.[a-z_{}]+)+)""")


def written_actions() -> set[str]:
    found = set()
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for name in LITERAL.findall(path.read_text(encoding="utf-8")):
            found.add(name.split("{")[0])  # f"admin.{model}.create" → "admin."
    return found


def test_every_action_written_in_code_is_registered():
    written = written_actions()
    assert {"auth.login", "client.view", "followup_task.attempt"} <= written  # the scan finds them
    missing = sorted(name for name in written if actions.get(name) is None)
    assert missing == []


def test_labels_follow_the_language():
    with translation.override("zh-hans"):
        assert actions.label("auth.login") == "登录"
        assert actions.result_label("denied") == "拒绝"
        assert actions.label("admin.gradingrule.update") == "后台管理修改"
    with translation.override("en"):
        assert actions.label("auth.login") == "Sign-in"
        assert actions.result_label("denied") == "denied"
    assert actions.label("never.registered") == "never.registered"


@pytest.mark.django_db
def test_audit_screen_shows_chinese_labels(client, world):
    audit_record(actor=world.nurse, action="auth.login", obj=world.nurse, result="denied")
    client.force_login(world.auditor)
    html = client.get(reverse("audit:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in html and "拒绝" in html
    assert ">auth.login<" not in html and ">denied<" not in html
