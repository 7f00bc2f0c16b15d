"""The audit trail: append-only, hash-chained with a key kept outside the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One audit row. Written unsealed (``append_id`` and ``mac`` only); the sealer later gives it its place
    in the chain (``seq``, ``prev_hash``, ``hash``) — the one change the database triggers allow."""

    # Assigned at INSERT: a sequence's nextval on PostgreSQL, max + 1 on SQLite (writers are serialised there).
    append_id = models.BigIntegerField(unique=True, editable=False)
    seq = models.BigIntegerField(unique=True, null=True, editable=False)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+", verbose_name=_("actor"),
    )
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    roles = models.CharField(_("roles"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    client_id = models.BigIntegerField(_("client"), null=True, blank=True, db_index=True)
    ip = models.CharField(_("from"), max_length=64, blank=True)
    channel = models.CharField(_("channel"), max_length=10, blank=True)  # web, api, cli, job
    result = models.CharField(_("result"), max_length=20, default="ok")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    # HMAC of the content at INSERT (chain.row_mac): the sealer seals only rows careloop wrote.
    mac = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64, null=True)
    hash = models.CharField(max_length=64, null=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-append_id"]
        indexes = [
            models.Index(fields=["actor", "-append_id"], name="audit_actor_append"),
            # The sealer's queue: only the rows not chained yet.
            models.Index(fields=["append_id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"),
        ]

    def __str__(self) -> str:
        return f"#{self.append_id} {self.action}"

    @property
    def detail_pairs(self) -> list[tuple[str, object]]:
        """(key, value) pairs for templates: ``detail.items`` would read a key named "items" instead."""
        return list(self.detail.items()) if isinstance(self.detail, dict) else [("", self.detail)]
