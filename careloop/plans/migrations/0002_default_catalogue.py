"""Ship the seed-004 catalogue: services, archive sections and the four plans (data, editable on screen)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

DEFAULTS = Path(__file__).resolve().parent.parent / "defaults" / "catalogue.json"


def load(apps, schema_editor):
    Service = apps.get_model("plans", "Service")
    ArchiveSection = apps.get_model("plans", "ArchiveSection")
    Plan = apps.get_model("plans", "Plan")
    PlanVersion = apps.get_model("plans", "PlanVersion")
    PlanService = apps.get_model("plans", "PlanService")
    data = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    services = {}
    for order, (code, name, description) in enumerate(data["services"]):
        services[code], _ = Service.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "sort_order": order})
    for order, (code, name, level) in enumerate(data["archive_sections"]):
        ArchiveSection.objects.update_or_create(code=code, defaults={"name": name, "level": level, "sort_order": order})
    for spec in data["plans"]:
        if Plan.objects.filter(code=spec["code"]).exists():
            continue
        plan = Plan.objects.create(code=spec["code"], name=spec["name"], audience=spec["audience"],
                                   description=spec["description"])
        version = PlanVersion.objects.create(
            plan=plan, number=1, price=Decimal(spec["price"]), archive_level=spec["archive_level"],
            newsletter_copy_price=Decimal(spec.get("newsletter_copy_price", "0")), note="初始版本")
        for line in spec["services"]:
            code, quota, period = line[:3]
            PlanService.objects.create(version=version, service=services[code], quota=quota, period=period,
                                       per_group=bool(line[3]) if len(line) > 3 else False)


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
