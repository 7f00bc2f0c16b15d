"""The service desk (SPEC SVC-1…4, seed 003): tickets with their history, satisfaction surveys, and the
theme dictionary and stop words that the feedback analysis reads (data, with admin screens)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    COMPLAINT = "complaint", _("Complaint")
    SUGGESTION = "suggestion", _("Suggestion")
    COMMENDATION = "commendation", _("Commendation")


class TicketChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    LETTER = "letter", _("Letter")
    WEB = "web", _("Web")
    WALK_IN = "walk_in", _("Walk-in")
    FOLLOWUP = "followup", _("Follow-up call")


class TicketStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("ticket", "Open")
    INVESTIGATING = "investigating", pgettext_lazy("ticket", "Investigating")
    ANSWERED = "answered", pgettext_lazy("ticket", "Answered")
    CLOSED = "closed", pgettext_lazy("ticket", "Closed")


OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.INVESTIGATING)


class Ticket(models.Model):
    """One consultation, complaint, suggestion or commendation, recorded in full."""

    kind = models.CharField(_("kind"), max_length=14, choices=TicketKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=TicketChannel.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("what was said"))
    client = models.ForeignKey("clients.Client", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="tickets", verbose_name=_("client"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="tickets_about", verbose_name=_("staff member concerned"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    urgent = models.BooleanField(_("urgent"), default=False)
    due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=14, choices=TicketStatus.choices, default=TicketStatus.OPEN)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="tickets_assigned", verbose_name=_("assigned to"))
    record = models.ForeignKey("followups.FollowupRecord", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("follow-up record"))
    investigation = models.TextField(_("investigation"), blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("answered by"))
    response_minutes = models.PositiveIntegerField(_("response time (minutes)"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="tickets_escalated", verbose_name=_("escalated to"))
    followup_requested = models.BooleanField(_("follow-up requested"), default=False)
    followed_up_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    followup_note = models.TextField(_("follow-up note"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction with the answer"), null=True, blank=True)
    satisfaction_comment = models.TextField(_("satisfaction comment"), blank=True)
    satisfaction_at = models.DateTimeField(_("satisfaction recorded at"), null=True, blank=True)
    malpractice = models.BooleanField(_("malpractice dispute"), default=False)
    routed_to = models.CharField(_("routed to"), max_length=100, blank=True)
    approved_at = models.DateTimeField(_("reward approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("reward approved by"))
    legacy_id = models.PositiveIntegerField(_("former follow-up ticket number"), null=True, blank=True, unique=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "urgent", "due_at"], name="ticket_worklist"),
            models.Index(fields=["kind", "created_at"], name="ticket_kind_created"),
            models.Index(fields=["staff", "kind"], name="ticket_staff_kind"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__range=(1, 5)),
                                   name="ticket_satisfaction_1_5"),
            # closed only once answered; tickets moved from follow-ups may have been closed without one
            models.CheckConstraint(condition=~models.Q(status="closed") | models.Q(answered_at__isnull=False)
                                   | models.Q(legacy_id__isnull=False), name="ticket_closed_only_answered"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


class TicketEvent(models.Model):
    """One line of a ticket's history."""

    class Action(models.TextChoices):
        CREATED = "created", pgettext_lazy("ticket", "Recorded")
        ASSIGNED = "assigned", pgettext_lazy("ticket", "Assigned")
        INVESTIGATING = "investigating", pgettext_lazy("ticket", "Investigation started")
        RESOLVED = "resolved", pgettext_lazy("ticket", "Resolved")
        ANSWERED = "answered", pgettext_lazy("ticket", "Answered")
        SATISFACTION = "satisfaction", pgettext_lazy("ticket", "Satisfaction recorded")
        FOLLOWED_UP = "followed_up", pgettext_lazy("ticket", "Followed up")
        ESCALATED = "escalated", pgettext_lazy("ticket", "Escalated")
        ROUTED_OUT = "routed_out", pgettext_lazy("ticket", "Routed out as a malpractice dispute")
        APPROVED = "approved", pgettext_lazy("ticket", "Reward approved")
        CLOSED = "closed", pgettext_lazy("ticket", "Closed")
        NOTE = "note", pgettext_lazy("ticket", "Note")
        SURVEY = "survey", pgettext_lazy("ticket", "Survey sent")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=14, choices=Action.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("ticket history entry")
        verbose_name_plural = _("ticket history")
        ordering = ["at", "pk"]


class SurveyAbout(models.TextChoices):
    VISIT = "visit", _("Visit")
    FOLLOWUP = "followup", _("Follow-up")
    TICKET = "ticket", _("Answered ticket")


class Survey(models.Model):
    """A scan-to-rate satisfaction survey. Only a hash of the link's token is kept."""

    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="surveys",
                               verbose_name=_("client"))
    branch = models.ForeignKey("org.OrgUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit"))
    about = models.CharField(_("about"), max_length=10, choices=SurveyAbout.choices)
    object_id = models.PositiveIntegerField(_("object"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="surveys_about", verbose_name=_("staff member rated"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("sent by"))
    created_at = models.DateTimeField(_("sent at"))
    expires_at = models.DateTimeField(_("expires at"))
    message_refused = models.CharField(_("message not sent because"), max_length=40, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    recommend = models.PositiveSmallIntegerField(_("likelihood to recommend (0–10)"), null=True, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1–5)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered_at")]
        constraints = [
            models.UniqueConstraint(fields=["about", "object_id"], name="uniq_survey_per_object"),
            models.CheckConstraint(condition=models.Q(recommend__isnull=True) | models.Q(recommend__lte=10),
                                   name="survey_recommend_0_10"),
            models.CheckConstraint(condition=models.Q(satisfaction__isnull=True) | models.Q(satisfaction__range=(1, 5)),
                                   name="survey_satisfaction_1_5"),
        ]

    def __str__(self) -> str:
        return f"{self.get_about_display()} #{self.object_id}"


class FeedbackTheme(models.Model):
    """A theme of the feedback dictionary: the comment words that mean it (editable data)."""

    name = models.CharField(_("theme"), max_length=40, unique=True)
    keywords = models.TextField(_("keywords"), help_text=_("One word or phrase per line."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("feedback theme")
        verbose_name_plural = _("feedback themes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def keyword_list(self) -> list[str]:
        return [w.strip() for w in self.keywords.replace(",", "\n").replace("，", "\n").splitlines() if w.strip()]


class StopWord(models.Model):
    """A word the feedback analysis ignores (editable data)."""

    word = models.CharField(_("word"), max_length=20, unique=True)

    class Meta:
        verbose_name = _("stop word")
        verbose_name_plural = _("stop words")
        ordering = ["word"]

    def __str__(self) -> str:
        return self.word
