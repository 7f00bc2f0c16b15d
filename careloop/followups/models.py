"""Models of careloop.followups: encounters, rules (data), tasks, attempts, records, escalations."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import Channel
from careloop.followups.schedule import RuleSpec, rule_from_data
from careloop.messaging.models import Purpose as MessagePurpose


class EncounterKind(models.TextChoices):
    CHECKUP = "checkup", _("Checkup")
    OUTPATIENT = "outpatient", _("Outpatient visit")
    TCM_FIRST_VISIT = "tcm_first_visit", _("TCM first visit")
    TCM_RETURN_VISIT = "tcm_return_visit", _("TCM return visit")
    DISCHARGE = "discharge", _("Inpatient discharge")
    PURCHASE = "purchase", _("Service purchase")
    CONSULTATION = "consultation", _("Consultation")


TCM_KINDS = (EncounterKind.TCM_FIRST_VISIT, EncounterKind.TCM_RETURN_VISIT)


class HealthStatus(models.TextChoices):
    NORMAL = "normal", _("Normal")
    ABNORMAL_STABLE = "abnormal_stable", _("Abnormal but stable")
    COMPLEX = "complex", _("Complex / key attention")
    CURED = "cured", _("Cured chronic disease")


class Encounter(models.Model):
    """A visit, checkup, discharge or purchase that starts follow-up (SPEC RPT-1)."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="encounters")
    kind = models.CharField(_("kind"), max_length=20, choices=EncounterKind.choices)
    date = models.DateField(_("date"))
    prescription_days = models.PositiveSmallIntegerField(_("prescription days"), null=True, blank=True)
    health_status = models.CharField(_("health status"), max_length=20, choices=HealthStatus.choices, blank=True)
    report_delivered_on = models.DateField(_("report delivered on"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    cancel_reason = models.CharField(_("cancel reason"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=60, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["client", "-date"], name="fu_encounter_client_date")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.date}"


class RuleAction(models.TextChoices):
    """What an occurrence of a rule makes: a follow-up for staff, or a message to the client."""

    TASK = "task", _("A follow-up task for staff")
    MESSAGE = "message", _("A message to the client")


class FollowupRule(models.Model):
    """A follow-up rule as data (SPEC FU intro); the JSON fields have the shape of schedule.rule_from_data."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    kinds = models.JSONField(_("encounter kinds"), default=list)
    min_days = models.PositiveSmallIntegerField(_("prescription from (days)"), null=True, blank=True)
    max_days = models.PositiveSmallIntegerField(_("prescription up to (days)"), null=True, blank=True)
    health_statuses = models.JSONField(_("health statuses"), default=list, blank=True)
    tiers = models.JSONField(_("tiers"), default=list, blank=True)
    first_only = models.BooleanField(_("first encounter only"), default=False)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    repeat = models.JSONField(_("repeat"), null=True, blank=True)
    cycle = models.JSONField(_("cycle"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    action = models.CharField(_("each occurrence makes"), max_length=10, choices=RuleAction.choices,
                              default=RuleAction.TASK)
    message_purpose = models.CharField(
        _("message template"), max_length=32, blank=True, choices=MessagePurpose.choices,
        help_text=_("For a message rule: the template (by purpose) sent on the rule's channel."),
    )
    move_off_nonworking = models.CharField(
        _("move off non-working days"),
        max_length=10,
        blank=True,
        choices=[("", _("No")), ("next", _("To the next working day")), ("previous", _("To the previous working day"))],
    )
    priority = models.SmallIntegerField(_("priority"), default=0)
    script = models.CharField(_("questionnaire series"), max_length=40, blank=True)
    client_series = models.CharField(
        _("per-client series"), max_length=40, blank=True,
        help_text=_("Empty: every matching encounter runs its own series. Set: the client has one running "
                    "series of this name; a newer encounter's series replaces the pending rest of the earlier one."),
    )
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    DATA_FIELDS = (
        "code", "name", "kinds", "min_days", "max_days", "health_statuses", "tiers", "first_only",
        "steps", "repeat", "cycle", "channel", "move_off_nonworking", "priority", "script", "client_series",
        "action", "message_purpose",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def as_data(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.DATA_FIELDS}

    def spec(self) -> RuleSpec:
        return rule_from_data(self.as_data())


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (TaskStatus.PENDING, TaskStatus.IN_PROGRESS)


class FollowupTask(models.Model):
    """One follow-up to make: why, when, by whom."""

    # FK columns covered by the composite indexes below carry no index of their own (10M rows).
    client = models.ForeignKey(
        "clients.Client", on_delete=models.PROTECT, related_name="followup_tasks", db_index=False
    )
    encounter = models.ForeignKey(
        Encounter, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    rule = models.ForeignKey(FollowupRule, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks")
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    total = models.PositiveSmallIntegerField(_("of"), default=1)
    labels = models.CharField(_("timing"), max_length=120, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    due_date = models.DateField(_("due date"))
    window_end = models.DateField(_("window end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PHONE)
    priority = models.SmallIntegerField(_("priority"), default=0)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="followup_tasks",
        db_index=False,
    )
    team = models.ForeignKey(
        "org.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "due_date", "id"]
        indexes = [
            # The worklist: a person's (or a team queue's) open tasks by date. Full, not partial, indexes:
            # SQLite cannot use a partial index when the status list arrives as bound parameters.
            models.Index(fields=["assignee", "status", "due_date"], name="fu_task_assignee_status_due"),
            models.Index(fields=["team", "status", "due_date"], name="fu_task_team_status_due"),
            models.Index(fields=["client", "due_date"], name="fu_task_client_due"),
            models.Index(fields=["encounter", "status"], name="fu_task_encounter"),
        ]

    def __str__(self) -> str:
        return f"{self.due_date} {self.reason_text}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def position(self) -> str:
        if self.total <= 1:
            return "only"
        if self.sequence == 1:
            return "first"
        if self.sequence >= self.total:
            return "last"
        return "middle"

    @property
    def reason_text(self) -> str:
        """Why the task exists, e.g. "TCM first visit, 30-day prescription, follow-up 2 of 3"."""
        if self.reason:
            return self.reason
        labels = reason_labels()
        encounter = self.encounter
        parts: list[str] = []
        if encounter is not None:
            parts.append(labels.kinds.get(encounter.kind, encounter.kind))
            if encounter.prescription_days:
                parts.append(labels.prescription % {"days": encounter.prescription_days})
            if encounter.health_status:
                parts.append(labels.health.get(encounter.health_status, encounter.health_status))
        elif self.rule_id is not None and self.rule is not None:
            parts.append(self.rule.name)
        parts.append(labels.follow_up % {"n": self.sequence, "total": self.total})
        return labels.separator.join(parts)


class ReasonLabels:
    """The words a task's reason is made of, in one language, looked up once per process and language.

    ``get_kind_display()`` rebuilds and hashes the whole choice list (a translation per choice) on every
    call; the worklist showed a reason per row and per companion, so those lookups were most of its page.
    """

    def __init__(self) -> None:
        self.kinds = {value: str(label) for value, label in EncounterKind.choices}
        self.health = {value: str(label) for value, label in HealthStatus.choices}
        self.prescription = gettext("%(days)s-day prescription")
        self.follow_up = gettext("follow-up %(n)s of %(total)s")
        self.separator = gettext(", ")


_REASON_LABELS: dict[str | None, ReasonLabels] = {}


def reason_labels() -> ReasonLabels:
    """The reason words of the active language (translations are fixed once the process runs)."""
    from django.utils.translation import get_language

    language = get_language()
    labels = _REASON_LABELS.get(language)
    if labels is None:
        labels = _REASON_LABELS[language] = ReasonLabels()
    return labels


class PlannedMessage(models.Model):
    """One occurrence of a message rule: the outbox row is written when it comes due (followups/services/reminders).

    Planned like a task (one series per encounter or per client, replaced, cancelled with the reason);
    consent, subscriptions, opt-outs and quiet hours are the outbox's, checked when it is handed over.
    """

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned, not yet sent")
        QUEUED = "queued", _("Handed to the outbox")
        REFUSED = "refused", _("Not sent")
        SKIPPED = "skipped", _("Skipped: its window had passed")
        CANCELLED = "cancelled", _("Cancelled")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="planned_messages")
    encounter = models.ForeignKey(Encounter, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="planned_messages")
    rule = models.ForeignKey(FollowupRule, on_delete=models.PROTECT, related_name="planned_messages")
    sequence = models.PositiveSmallIntegerField(_("sequence"), default=1)
    total = models.PositiveSmallIntegerField(_("of"), default=1)
    labels = models.CharField(_("timing"), max_length=120, blank=True)
    purpose = models.CharField(_("message template"), max_length=32, choices=MessagePurpose.choices)
    channel = models.CharField(_("channel"), max_length=16)
    due_date = models.DateField(_("due date"))
    window_end = models.DateField(_("window end"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    message = models.ForeignKey("messaging.Message", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_date", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="fu_plannedmsg_due"),
            models.Index(fields=["client", "status"], name="fu_plannedmsg_client"),
            models.Index(fields=["encounter", "status"], name="fu_plannedmsg_encounter"),
        ]

    def __str__(self) -> str:
        return f"{self.due_date} {self.purpose}/{self.channel} {self.status}"


class CallAttempt(models.Model):
    """One try to reach the client (SPEC FU-12); every one is kept."""

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("Answered")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        UNREACHABLE = "unreachable", _("Unreachable / line faulty")
        POOR_LINE = "poor_line", _("Poor line")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    task = models.ForeignKey(FollowupTask, on_delete=models.CASCADE, related_name="attempts")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    notice_sent = models.BooleanField(default=False)
    message_ids = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["client", "at"], name="fu_attempt_client_at")]


class Questionnaire(models.Model):
    """A question template for one place in a series (SPEC FU-8), e.g. tcm_first / first."""

    class Position(models.TextChoices):
        ANY = "any", _("Any")
        FIRST = "first", _("First")
        MIDDLE = "middle", _("Middle")
        LAST = "last", _("Last")
        ONLY = "only", _("Only one")

    code = models.CharField(max_length=60, unique=True)
    series = models.CharField(_("series"), max_length=40)
    position = models.CharField(_("position"), max_length=10, choices=Position.choices, default=Position.ANY)
    name = models.CharField(_("name"), max_length=120)
    # [{"key", "text", "type": "text|yesno|choice|number", "choices": [...], "required": bool}]
    questions = models.JSONField(default=list)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["series", "position"]

    def __str__(self) -> str:
        return self.name


class FollowupRecord(models.Model):
    """What happened on a follow-up (SPEC FU-13). Signed records change only by addendum."""

    class Problem(models.TextChoices):
        NONE = "none", _("None")
        GENERAL = "general", _("General problem")
        SERIOUS = "serious", _("Serious problem")

    task = models.OneToOneField(FollowupTask, on_delete=models.PROTECT, related_name="record")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="followup_records")
    questionnaire = models.ForeignKey(Questionnaire, null=True, blank=True, on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    performed_at = models.DateTimeField(_("date"))
    performed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    identity_confirmed = models.BooleanField(_("client identity confirmed"), default=False)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    client_words = models.TextField(_("the client's own words"), blank=True)
    guidance = models.TextField(_("guidance given"), blank=True)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    problem = models.CharField(_("problem"), max_length=10, choices=Problem.choices, default=Problem.NONE)
    problem_note = models.TextField(_("problem"), blank=True)
    recheck_item = models.CharField(_("item to recheck"), max_length=60, blank=True)
    feedback_kind = models.CharField(
        _("complaint or suggestion"), max_length=12, blank=True,
        choices=[("", "—"), ("complaint", _("Complaint")), ("suggestion", _("Suggestion"))],
    )
    feedback_text = models.TextField(_("complaint or suggestion"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-performed_at"]
        indexes = [models.Index(fields=["client", "-performed_at"], name="fu_record_client")]


class RecordAddendum(models.Model):
    record = models.ForeignKey(FollowupRecord, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField(_("addendum"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]


class Escalation(models.Model):
    """A serious problem (SPEC FU-14): lead → expert consultation → advice → client told → tracking."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for the lead")
        CONSULTING = "consulting", _("Expert consultation")
        ADVISED = "advised", _("Advice recorded")
        CLIENT_TOLD = "client_told", _("Client told")

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="escalations")
    task = models.ForeignKey(FollowupTask, on_delete=models.PROTECT, related_name="escalations")
    record = models.ForeignKey(FollowupRecord, null=True, blank=True, on_delete=models.PROTECT)
    summary = models.TextField(_("problem"))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    advice = models.TextField(_("consultation advice"), blank=True)
    advised_at = models.DateTimeField(null=True, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
