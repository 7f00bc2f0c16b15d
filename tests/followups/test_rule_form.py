"""Issue 9 item 8: rules are edited on a structured form; the JSON is only the advanced view.

Every shipped rule opens on the form and previews its dates, and saving the form unchanged gives back
exactly the stored rule (the form and the API take the same structure).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client as WebClient

from careloop.followups.forms import RuleForm, StepFormSet, rule_data, rule_initial
from careloop.followups.models import FollowupRule

NOW = dt.datetime(2026, 11, 2, 1, tzinfo=dt.UTC)


def as_post(rule: FollowupRule) -> dict[str, object]:
    """What the browser sends back for the form as the page shows it."""
    initial, steps = rule_initial(rule.as_data() | {"active": rule.active})
    post: dict[str, object] = {"steps-TOTAL_FORMS": str(len(steps)), "steps-INITIAL_FORMS": str(len(steps))}
    for name, value in initial.items():
        if value is None or value is False or value == "":
            continue
        post[name] = "on" if value is True else value
    for i, step in enumerate(steps):
        for name, value in step.items():
            if value is None or value is False:
                continue
            post[f"steps-{i}-{name}"] = "on" if value is True else value
    post.setdefault("repeat_unit", "month")
    post.setdefault("cycle_unit", "month")
    return post


@pytest.mark.parametrize("code", sorted(r["code"] for r in __import__(
    "careloop.followups.defaults", fromlist=["load"]).load("rules")))
def test_every_shipped_rule_round_trips_through_the_form(db, code) -> None:
    rule = FollowupRule.objects.get(code=code)
    post = as_post(rule)
    form, formset = RuleForm(post, editing=True), StepFormSet(post, prefix="steps")
    assert form.is_valid(), form.errors
    assert formset.is_valid(), formset.errors
    assert rule_data(form, formset, code=rule.code) == rule.as_data() | {"active": rule.active}


def test_every_shipped_rule_previews_its_dates_on_its_page(world) -> None:
    admin = WebClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    admin.force_login(world.admin)
    with time_machine.travel(NOW, tick=False):
        empty = {}
        for rule in FollowupRule.objects.all():
            page = admin.get(f"/followups/rules/{rule.pk}/")
            assert page.status_code == 200
            if not page.context["preview"]:
                empty[rule.code] = page.context.get("preview_error")
        assert empty == {}
        fu2 = FollowupRule.objects.get(code="FU-2-1m")
        page = admin.get(f"/followups/rules/{fu2.pk}/")
        assert [i.due_date for i in page.context["preview"]] == [  # sample: a 33-day prescription from today
            dt.date(2026, 11, 5), dt.date(2026, 11, 17), dt.date(2026, 12, 2)]
        html = page.content.decode()
        assert "高级：规则的 JSON" in html and "就诊日期" in html
        assert "tcm_first_visit" not in html.split('id="preview"')[1]  # the sample's kind by its label
        assert "中医初诊" in html.split('id="preview"')[1]


def test_a_new_rule_is_saved_from_the_form_with_its_audit_row(world) -> None:
    from careloop.audit.models import AuditEvent

    admin = WebClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    admin.force_login(world.admin)
    post = {"code": "FU-X", "name": "出院后第2天电话", "active": "on", "kinds": ["discharge"],
            "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-0-anchor": "encounter",
            "steps-0-offset": "2", "steps-0-unit": "day", "steps-0-window_days": "1", "repeat_unit": "month",
            "cycle_unit": "month", "makes": "task", "channel": "phone", "priority": "5", "action": "save"}
    with time_machine.travel(NOW, tick=False):
        response = admin.post("/followups/rules/new/", post)
        missing = admin.post("/followups/rules/new/", {**post, "code": "FU-Y", "kinds": []})
    assert response.status_code == 302
    rule = FollowupRule.objects.get(code="FU-X")
    assert rule.steps == [{"anchor": "encounter", "offset": 2, "unit": "day", "window_days": 1}]
    assert (rule.repeat, rule.cycle, rule.action) == (None, None, "task")
    assert AuditEvent.objects.filter(action="followup_rule.create", object_id=str(rule.pk)).count() == 1
    assert missing.status_code == 400
    assert missing.context["error_list"] == ["适用的就诊类型：该字段是必填项。"]
    assert not FollowupRule.objects.filter(code="FU-Y").exists()
