"""What plans registers into the lower apps and its business neighbours (called from PlansConfig.ready())."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.org.models import User


def plan_year(client: Any, day: dt.date) -> Any:
    """messaging's plan year (MSG-3): the current enrolment's service year and its subscription-change quota."""
    from careloop.messaging.planyear import PlanYear
    from careloop.messaging.policy import subscription_changes_per_year
    from careloop.plans.models import Enrolment, PlanService
    from careloop.plans.services import current_enrolments_q

    enrolments = list(Enrolment.objects.filter(current_enrolments_q(day), client=client).order_by("end_date", "id"))
    if not enrolments:
        return None
    lines = {ps.version_id: ps for ps in PlanService.objects.filter(
        version__in={e.version_id for e in enrolments}, service__code="subscription_change")}
    for enrolment in enrolments:
        line = lines.get(enrolment.version_id)
        if line is not None:
            return PlanYear(enrolment.start_date, enrolment.end_date, line.quota)
    first = enrolments[0]
    return PlanYear(first.start_date, first.end_date, subscription_changes_per_year())


def archive_coverage(client: Client, user: User) -> Any:
    from careloop.clients.sections import ArchiveCoverage, CoveredSection
    from careloop.plans.selectors import archive_depth

    depth = archive_depth(client, timezone.localdate())
    url = reverse("plans:client", args=[client.pk])
    if depth.level is None:
        return ArchiveCoverage(title=_("Archive depth: no current plan"),
                               note=_("The client holds no service plan; the archive keeps what is recorded."),
                               url=url, url_label=_("Plans and entitlements"))
    roman = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ"}[depth.level]
    missing = "、".join(s.name for s in depth.missing)
    return ArchiveCoverage(
        title=_("Archive depth: level %(level)s (%(plans)s)") % {"level": roman, "plans": "、".join(depth.plans)},
        sections=[CoveredSection(s.name, s.included) for s in depth.sections],
        note=_("Not included in the plan: %(names)s") % {"names": missing} if missing else "",
        url=url, url_label=_("Plans and entitlements"))


def timeline_entries(client: Client, user: User) -> Iterable[Any]:
    from careloop.clients.timeline import TimelineEntry
    from careloop.org.permissions import Cap, user_can
    from careloop.plans.models import Consultation, Enrolment, GreenChannelBooking

    url = reverse("plans:client", args=[client.pk])
    for e in Enrolment.objects.filter(client=client).select_related("version__plan")[:50]:
        at = timezone.make_aware(dt.datetime.combine(e.start_date, dt.time(9)))
        yield TimelineEntry(at, "plan", _("Plan: %(plan)s (version %(v)d)") % {"plan": e.version.plan.name,
                                                                            "v": e.version.number},
                            f"{e.start_date.isoformat()} – {e.end_date.isoformat()} · {e.get_status_display()}", url)
    if not user_can(user, Cap.VIEW_RESULTS):
        return
    for c in Consultation.objects.filter(client=client).select_related("doctor")[:100]:
        yield TimelineEntry(c.at, "plan", _("Family-doctor consultation: %(doctor)s") % {"doctor": c.doctor},
                            c.complaint[:80], reverse("plans:consultations", args=[client.pk]))
    for b in GreenChannelBooking.objects.filter(client=client).select_related("hospital", "department")[:100]:
        yield TimelineEntry(b.wanted_at, "plan", _("Green channel: %(kind)s at %(place)s") % {
            "kind": b.get_kind_display(), "place": f"{b.hospital.name}{b.department.name}"},
            b.get_status_display(), reverse("plans:green_channel", args=[client.pk]))


def plan_summary(client: Any) -> Any:
    """The preparation view's "current plan" (followups.preparation registry): plans and what is left."""
    from careloop.followups.preparation import PrepSection
    from careloop.plans.selectors import entitlements_of

    today = timezone.localdate()
    rows = entitlements_of(client, today)
    if not rows:
        return None
    plans = list(dict.fromkeys(r.plan_name for r in rows))
    ends = {r.plan_name: r.period_end for r in rows if r.period == "year"}
    parts = []
    for name in plans:
        until = _("until %(d)s") % {"d": ends[name].isoformat()} if name in ends else ""
        parts.append(f"{name}（{until}）" if until else name)
    title = "、".join(parts)
    lines = [_("%(service)s: %(left)d of %(quota)d left") % {"service": r.name, "left": r.remaining, "quota": r.quota}
             for r in rows if r.quota is not None and r.remaining is not None]
    return PrepSection(title=title, lines=lines, url=reverse("plans:client", args=[client.pk]))


def on_assessment_issued(assessment: Any, acting_user: User) -> None:
    from careloop.plans.services import entitlement_use_if_covered

    entitlement_use_if_covered(client=assessment.client, service="assessment", acting_user=acting_user,
                               date=timezone.localdate(assessment.issued_at), source=f"assessments:{assessment.pk}")


def on_checkup_booked(booking: Any, clients: list[Any], acting_user: User) -> None:
    from careloop.plans.models import EntitlementUse
    from careloop.plans.services import entitlement_use_if_covered

    source = f"checkups.group_booking:{booking.pk}"
    already = set(EntitlementUse.objects.filter(source=source, released_at__isnull=True)
                  .values_list("enrolment__client_id", flat=True))
    for client in clients:
        if client.pk not in already:
            entitlement_use_if_covered(client=client, service="checkup", date=booking.date, acting_user=acting_user,
                                       source=source)


def on_checkup_unbooked(booking: Any, clients: list[Any], acting_user: User) -> None:
    from careloop.plans.models import EntitlementUse

    source = f"checkups.group_booking:{booking.pk}"
    EntitlementUse.objects.filter(source=source, released_at__isnull=True,
                                  enrolment__client__in=[c.pk for c in clients]).update(released_at=timezone.now())


def _demo(clients: list, rng: Any, stdout: Any) -> None:
    from careloop.plans.demo import generate

    generate(clients, rng, stdout)


def connect() -> None:
    from django.utils.translation import gettext_lazy

    from careloop.assessments import services as assessments
    from careloop.checkups import services as checkups
    from careloop.clients import sections, timeline
    from careloop.core import demo, nav
    from careloop.messaging import planyear
    from careloop.org.permissions import Cap

    planyear.register(plan_year)
    try:  # the preparation registry arrives with branch `loop`; before it is merged there is nothing to fill
        from careloop.followups import preparation
    except ImportError:
        preparation = None  # type: ignore[assignment]
    if preparation is not None:
        preparation.register_plan(plan_summary)
    sections.register("plans.archive_depth", archive_coverage)
    timeline.register("plans.plans", timeline_entries)
    if on_assessment_issued not in assessments.ISSUED_HOOKS:
        assessments.ISSUED_HOOKS.append(on_assessment_issued)
    if on_checkup_booked not in checkups.BOOKED_HOOKS:
        checkups.BOOKED_HOOKS.append(on_checkup_booked)
    if on_checkup_unbooked not in checkups.UNBOOKED_HOOKS:
        checkups.UNBOOKED_HOOKS.append(on_checkup_unbooked)
    nav.register(gettext_lazy("Service plans"), "plans:catalogue", Cap.VIEW_CLIENTS, order=55)
    if _demo not in demo.extensions:
        demo.extensions.append(_demo)
