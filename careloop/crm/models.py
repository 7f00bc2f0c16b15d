"""CRM (seed 002): the ledger of spending and visits, tiers computed from it, appointments."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import Client


class LedgerKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    VISIT = "visit", _("Visit")
    CHECKUP = "checkup", _("Checkup")
    REFUND = "refund", _("Refund")


class LedgerEntry(models.Model):
    """One line of a client's spending and visit history (the input of tier computation, CRM-1).

    ``amount`` is signed revenue: purchases, visits and checkups are >= 0, a refund is stored
    negative (a refund given as a positive number is negated by ``ledger_entry_add``), so the sum
    of a client's amounts is the client's net value.
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="ledger_entries",
                               verbose_name=_("client"))
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerKind.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=60, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["client", "date"], name="ledger_client_date"),
            models.Index(fields=["date"], name="ledger_date"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id} {self.date} {self.kind} {self.amount}"
