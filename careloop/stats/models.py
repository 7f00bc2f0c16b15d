"""Models of careloop.stats: the daily follow-up rollup, KPI targets (data), kept reports and their delivery."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FollowupDaily(models.Model):
    """Follow-up figures of one day (the tasks' due date) for one branch × team × staff member × rule.

    Kept by ``careloop.stats.rollup.rollup_refresh`` (docs/decisions/0001-stats-rollup.md); the dashboard
    and the reports sum these rows instead of grouping millions of tasks.
    """

    day = models.DateField(_("day"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("branch"))
    team = models.ForeignKey("org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("team"), db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("staff member"), db_index=False)
    rule = models.ForeignKey("followups.FollowupRule", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+", verbose_name=_("rule"), db_index=False)
    planned = models.PositiveIntegerField(_("planned"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    on_time = models.PositiveIntegerField(_("on time"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    missed = models.PositiveIntegerField(_("missed"), default=0)
    lost = models.PositiveIntegerField(_("lost to follow-up"), default=0)
    attempted = models.PositiveIntegerField(_("attempted"), default=0)
    reached = models.PositiveIntegerField(_("reached"), default=0)
    attempts = models.PositiveIntegerField(_("call attempts"), default=0)

    class Meta:
        verbose_name = _("daily follow-up figures")
        verbose_name_plural = _("daily follow-up figures")
        indexes = [
            models.Index(fields=["day", "branch"], name="stats_fu_daily_day_branch"),
            models.Index(fields=["branch", "day"], name="stats_fu_daily_branch_day"),
        ]


class FollowupDailyBranch(models.Model):
    """The same figures per day × branch only (the dashboard's totals, trend and branch table read these:
    two orders of magnitude fewer rows than ``FollowupDaily`` at scale). Written by the same refresh."""

    day = models.DateField(_("day"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.CASCADE, related_name="+", verbose_name=_("branch"),
                               db_index=False)
    planned = models.PositiveIntegerField(_("planned"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    on_time = models.PositiveIntegerField(_("on time"), default=0)
    overdue = models.PositiveIntegerField(_("overdue"), default=0)
    missed = models.PositiveIntegerField(_("missed"), default=0)
    lost = models.PositiveIntegerField(_("lost to follow-up"), default=0)
    attempted = models.PositiveIntegerField(_("attempted"), default=0)
    reached = models.PositiveIntegerField(_("reached"), default=0)
    attempts = models.PositiveIntegerField(_("call attempts"), default=0)

    class Meta:
        verbose_name = _("daily follow-up figures per branch")
        verbose_name_plural = _("daily follow-up figures per branch")
        constraints = [models.UniqueConstraint(fields=["day", "branch"], name="stats_fu_branch_day_once")]


class RollupRun(models.Model):
    """One refresh of the rollup: which days, when, how many rows (the dashboard shows "as of")."""

    day_from = models.DateField(_("from"))
    day_to = models.DateField(_("to"))
    rows = models.PositiveIntegerField(_("rows"), default=0)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))

    class Meta:
        verbose_name = _("rollup run")
        verbose_name_plural = _("rollup runs")
        ordering = ["-finished_at"]


class KpiTarget(models.Model):
    """A KPI and its target (SPEC CRM-4); data, edited on the targets screen."""

    class Comparison(models.TextChoices):
        AT_LEAST = "gte", _("at least")
        AT_MOST = "lte", _("at most")

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=80)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    target = models.FloatField(_("target"))
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices)
    definition = models.TextField(_("definition"))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def met_by(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.target if self.comparison == self.Comparison.AT_LEAST else value <= self.target


class ReportPeriod(models.TextChoices):
    DAILY = "daily", _("Daily")
    MONTHLY = "monthly", _("Monthly")
    YEARLY = "yearly", _("Yearly")


class StatsReport(models.Model):
    """A generated report, kept as its figures (JSON); XLSX and PDF are rendered from them on demand."""

    period = models.CharField(_("period"), max_length=8, choices=ReportPeriod.choices)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    unit = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("scope"))
    data = models.JSONField(_("figures"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    class Meta:
        verbose_name = _("statistics report")
        verbose_name_plural = _("statistics reports")
        ordering = ["-date_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["period", "date_from", "unit"], name="stats_report_once_per_period"),
        ]


class ReportMail(models.Model):
    """Outbox row for a report e-mailed to a staff member (the messaging outbox addresses clients only)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    report = models.ForeignKey(StatsReport, on_delete=models.CASCADE, related_name="mails")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                  verbose_name=_("recipient"))
    email = models.EmailField(_("email"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report e-mail")
        verbose_name_plural = _("report e-mails")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["report", "recipient"], name="stats_report_mail_once")]
