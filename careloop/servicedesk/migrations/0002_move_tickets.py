"""Copy every ticket of the former follow-up model (followups.ServiceTicket) to the desk, nothing lost:
kind, text, client, record, status, who recorded it and when; the old number is kept in ``legacy_id``.
Also ships the default feedback theme dictionary and stop words (editable in the admin)."""

import json
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "themes.json"


def move_tickets(apps, schema_editor):
    Old = apps.get_model("followups", "ServiceTicket")
    Ticket = apps.get_model("servicedesk", "Ticket")
    Event = apps.get_model("servicedesk", "TicketEvent")
    for old in Old.objects.select_related("client").order_by("pk").iterator():
        text = old.text or ""
        first = text.strip().splitlines()[0][:60] if text.strip() else old.kind
        ticket = Ticket.objects.create(
            kind=old.kind, channel="followup", subject=first, body=text, client_id=old.client_id,
            branch_id=old.client.branch_id, record_id=old.record_id, status=old.status,
            created_by_id=old.created_by_id, created_at=old.created_at, legacy_id=old.pk,
            closed_at=old.created_at if old.status == "closed" else None,
        )
        Event.objects.create(ticket=ticket, at=old.created_at, actor_id=old.created_by_id, action="created",
                             note=f"followups.ServiceTicket #{old.pk}")


def move_back(apps, schema_editor):
    Old = apps.get_model("followups", "ServiceTicket")
    Ticket = apps.get_model("servicedesk", "Ticket")
    for t in Ticket.objects.filter(legacy_id__isnull=False, client__isnull=False):
        Old.objects.create(pk=t.legacy_id, client_id=t.client_id, kind=t.kind if t.kind in ("complaint", "suggestion")
                           else "suggestion", text=t.body, record_id=t.record_id,
                           status="closed" if t.status == "closed" else "open", created_by_id=t.created_by_id,
                           created_at=t.created_at)
    Ticket.objects.filter(legacy_id__isnull=False).delete()


def load_defaults(apps, schema_editor):
    Theme = apps.get_model("servicedesk", "FeedbackTheme")
    StopWord = apps.get_model("servicedesk", "StopWord")
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    for name, words in data["themes"].items():
        Theme.objects.get_or_create(name=name, defaults={"keywords": "\n".join(words)})
    for word in data["stop_words"]:
        StopWord.objects.get_or_create(word=word)


def unload(apps, schema_editor):
    apps.get_model("servicedesk", "FeedbackTheme").objects.all().delete()
    apps.get_model("servicedesk", "StopWord").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_initial"),
        ("followups", "0002_default_rules"),
    ]
    operations = [
        migrations.RunPython(move_tickets, move_back),
        migrations.RunPython(load_defaults, unload),
    ]
