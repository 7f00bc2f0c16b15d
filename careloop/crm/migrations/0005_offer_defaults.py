"""Shipped defaults: the offers of seed 002 (tier B: 年度套餐优惠; tier C: 首次复诊挂号折扣), editable data."""

import datetime as dt

from django.db import migrations

OFFERS = [
    ("首次复诊挂号折扣", "新客户专享：3个月内复诊挂号费八折，来院出示本短信即可。", "C"),
    ("年度体检套餐优惠", "季度体检客户专享：年度体检套餐九折，另赠基础检查一项。", "B"),
]


def forwards(apps, schema_editor):
    Offer = apps.get_model("crm", "Offer")
    for name, text, tiers in OFFERS:
        Offer.objects.get_or_create(name=name, branch=None, defaults={
            "description": text, "tiers": tiers, "valid_from": dt.date(2026, 1, 1), "active": True})


class Migration(migrations.Migration):
    dependencies = [("crm", "0004_offers_events")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
