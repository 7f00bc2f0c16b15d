"""Writes of careloop.stats: generating and keeping reports, mailing them to managers, editing KPI targets."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import OrgUnit, Role, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_unit_ids
from careloop.stats.models import KpiTarget, ReportMail, ReportPeriod, StatsReport
from careloop.stats.permissions import StatsScope
from careloop.stats.reports import period_bounds, report_build, report_pdf, report_xlsx

log = logging.getLogger(__name__)


def _unit_scope(unit: OrgUnit) -> StatsScope:
    return StatsScope(unit_ids=sorted(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)),
                      root_ids=(unit.pk,))


@transaction.atomic
def stats_report_generate(*, period: str, day: dt.date, unit: OrgUnit, acting_user: User | None = None,
                          mail: bool = True) -> StatsReport:
    """Build the report of ``period`` containing ``day`` for ``unit``'s subtree and keep it (replacing an earlier
    one of the same period); queue it by e-mail to the managers of that unit (after commit)."""
    if period not in ReportPeriod.values:
        raise ValidationError({"period": [_("Period: must be one of: %(values)s") % {"values": ", ".join(ReportPeriod.values)}]})
    if acting_user is not None and not user_can(acting_user, Cap.VIEW_STATS):
        raise PermissionDenied(_("Your role does not allow reading statistics."))
    date_from, date_to = period_bounds(period, day)
    data = report_build(_unit_scope(unit), period, day, scope_name=unit.name)
    report, _created = StatsReport.objects.update_or_create(
        period=period, date_from=date_from, unit=unit,
        defaults={"date_to": date_to, "data": data, "created_by": acting_user},
    )
    audit_record(actor=acting_user, action="stats.report_generate", obj=report,
                 detail={"period": period, "from": date_from.isoformat(), "unit": unit.code})
    if mail:
        managers = User.objects.filter(role_grants__role=Role.MANAGER, is_active=True, org_unit=unit).exclude(email="")
        for manager in managers:
            ReportMail.objects.get_or_create(report=report, recipient=manager, defaults={"email": manager.email})
        transaction.on_commit(_wake_mailer)
    return report


def _wake_mailer() -> None:
    from careloop.stats.tasks import report_mails_send_task

    try:
        report_mails_send_task()
    except Exception:  # the periodic run sends whatever a lost wake-up leaves queued
        log.warning("stats: report mail wake-up failed", exc_info=True)


def stats_reports_generate_due(*, today: dt.date | None = None) -> list[StatsReport]:
    """The scheduled run (early morning): yesterday's daily report; on the 1st the past month's; on 1 January the
    past year's — for every top unit (the HQ, or each root of the tree)."""
    today = today or timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    made = []
    for unit in OrgUnit.objects.filter(parent__isnull=True, is_active=True):
        made.append(stats_report_generate(period=ReportPeriod.DAILY, day=yesterday, unit=unit))
        if today.day == 1:
            made.append(stats_report_generate(period=ReportPeriod.MONTHLY, day=yesterday, unit=unit))
        if today.month == 1 and today.day == 1:
            made.append(stats_report_generate(period=ReportPeriod.YEARLY, day=yesterday, unit=unit))
    return made


def report_mails_send(*, limit: int = 50) -> int:
    """Send queued report e-mails (XLSX and PDF attached); each row is sent at most once, failures kept."""
    sent = 0
    for mail_id in list(ReportMail.objects.filter(status=ReportMail.Status.QUEUED, attempts__lt=5)
                        .values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            mail = ReportMail.objects.select_for_update().select_related("report").filter(
                pk=mail_id, status=ReportMail.Status.QUEUED).first()
            if mail is None:
                continue
            report = mail.report
            name = f"careloop-{report.period}-{report.date_from.isoformat()}"
            message = EmailMessage(subject=str(_("careloop %(period)s report %(date)s") % {
                "period": report.get_period_display(), "date": report.date_from.isoformat()}),
                body=str(_("The report is attached (XLSX and PDF).")), to=[mail.email])
            message.attach(f"{name}.xlsx", report_xlsx(report.data),
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            message.attach(f"{name}.pdf", report_pdf(report.data), "application/pdf")
            mail.attempts += 1
            try:
                message.send()
            except Exception as exc:  # kept on the row; retried by the next run up to five times
                mail.last_error = str(exc)[:300]
                if mail.attempts >= 5:
                    mail.status = ReportMail.Status.FAILED
            else:
                mail.status, mail.sent_at = ReportMail.Status.SENT, timezone.now()
                sent += 1
            mail.save(update_fields=["attempts", "last_error", "status", "sent_at"])
    return sent


@transaction.atomic
def kpi_target_update(*, target: KpiTarget, value: Any, acting_user: User) -> KpiTarget:
    """Change a KPI's target (the general manager or an administrator)."""
    if not user_can(acting_user, Cap.MANAGE_TARGETS):
        raise PermissionDenied(_("Your role does not allow changing targets."))
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({"target": [_("Target: must be a number")]}) from None
    if number < 0 or (target.unit == "%" and number > 100):
        raise ValidationError({"target": [_("Target: must be between 0 and 100 for a percentage, and not negative")]})
    old = target.target
    target.target, target.updated_by = number, acting_user
    target.save(update_fields=["target", "updated_by", "updated_at"])
    audit_record(actor=acting_user, action="stats.kpi_target_update", obj=target,
                 detail={"code": target.code, "old": old, "new": number})
    return target


def visible_reports(user: User) -> Any:
    """Kept reports of units inside the user's subtree (the manager's; a lead sees none of the HQ's)."""
    if not user_can(user, Cap.VIEW_STATS):
        raise PermissionDenied(_("Your role does not allow reading statistics."))
    if not user.has_role(Role.MANAGER, Role.AUDITOR):
        return StatsReport.objects.none()
    return StatsReport.objects.filter(unit_id__in=subtree_unit_ids(user)).select_related("unit")
