"""People and places: the organisation tree, staff users with their roles, teams."""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.lib.fields import EncryptedTextField


class UnitKind(models.TextChoices):
    HQ = "hq", _("Headquarters")
    BRANCH = "branch", _("Branch")
    SITE = "site", _("Site")


class OrgUnit(models.Model):
    """A node of the tree 总公司 → 分公司 → 门店/体检中心. ``path`` makes subtree queries one range scan."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(max_length=255, db_index=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True, default="",
                                     help_text=_("Given to staff of other branches who find a client registered here."))

    class Meta:
        verbose_name = _("organisation unit")
        verbose_name_plural = _("organisation units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def branch(self) -> OrgUnit:
        """The branch this unit belongs to (itself for a branch or the HQ)."""
        unit = self
        while unit.kind == UnitKind.SITE and unit.parent_id is not None:
            unit = unit.parent  # type: ignore[assignment]
        return unit


class Role(models.TextChoices):
    FOLLOWUP = "followup", _("Follow-up staff")
    LEAD = "lead", _("Follow-up team lead")
    EXPERT = "expert", _("Medical expert")
    DOCTOR = "doctor", _("Family doctor")
    NUTRITIONIST = "nutritionist", _("Nutritionist")
    SERVICE = "service", _("Customer service")
    CLERK = "clerk", _("Checkup clerk")
    INSPECTOR = "inspector", _("Quality inspector")
    ADMIN = "admin", _("Administrator")
    AUDITOR = "auditor", _("Auditor")
    MANAGER = "manager", _("General manager")


class User(AbstractUser):
    """A staff member. Clients are not users."""

    org_unit = models.ForeignKey(
        OrgUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="staff", verbose_name=_("unit")
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    daily_capacity = models.PositiveSmallIntegerField(_("daily follow-up capacity"), default=90)
    totp_secret = EncryptedTextField(context="user.totp_secret", blank=True, default="")
    totp_enabled = models.BooleanField(_("two-step login enabled"), default=False)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    failures_counted_from = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")

    def __str__(self) -> str:
        return self.display_name or self.username

    @cached_property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class RoleGrant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="uniq_user_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class TeamKind(models.TextChoices):
    FOLLOWUP = "followup", _("Follow-up team")
    EXPERT = "expert", _("Expert team")


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=TeamKind.choices, default=TeamKind.FOLLOWUP)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="teams", verbose_name=_("unit"))
    lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams", verbose_name=_("lead")
    )
    members = models.ManyToManyField(User, through="TeamMembership", related_name="teams")

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["org_unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="uniq_team_member")]
