from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from careloop.messaging.models import Message, Status, Subscription, SubscriptionChange
from careloop.messaging.services import marketing_opt_out, message_enqueue, subscription_set
from tests.messaging.helpers import consent

SH = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def test_cancelled_reminder_type_is_refused_and_its_pending_messages_cancelled(world):
    consent(world.own)
    pending = message_enqueue(client=world.own, purpose="medication_reminder", acting_user=None).message
    subscription_set(client=world.own, purpose="medication_reminder", active=False, acting_user=world.nurse)
    pending.refresh_from_db()
    assert (pending.status, pending.cancel_reason) == (Status.CANCELLED, "unsubscribed")
    refused = message_enqueue(client=world.own, purpose="medication_reminder", acting_user=None)
    assert (refused.message, refused.refused) == (None, "unsubscribed")
    assert message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=None).refused is None


def test_yearly_change_quota_default_four(world):
    purposes = ["medication_reminder", "recheck_reminder"]
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=SH), tick=False):
        for active in (False, True):
            for purpose in purposes:
                subscription_set(client=world.own, purpose=purpose, active=active, acting_user=world.nurse)
        with pytest.raises(ValidationError) as refused:
            subscription_set(client=world.own, purpose="monitoring_reminder", active=False, acting_user=world.nurse)
        assert "4" in refused.value.message_dict["purpose"][0]
        assert not Subscription.objects.filter(purpose="monitoring_reminder").exists()
        # unchanged choice costs nothing
        subscription_set(client=world.own, purpose="recheck_reminder", active=True, acting_user=world.nurse)
    with time_machine.travel(datetime(2027, 1, 2, 10, tzinfo=SH), tick=False):
        subscription_set(client=world.own, purpose="monitoring_reminder", active=False, acting_user=world.nurse)
    assert SubscriptionChange.objects.filter(counted=True).count() == 5


def test_quota_is_a_setting(world, settings):
    settings.MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR = 1
    subscription_set(client=world.own, purpose="medication_reminder", active=False, acting_user=None)
    with pytest.raises(ValidationError):
        subscription_set(client=world.own, purpose="medication_reminder", active=True, acting_user=None)


def test_marketing_opt_out_is_immediate_and_never_counted(world, settings):
    settings.MESSAGING_SUBSCRIPTION_CHANGES_PER_YEAR = 0
    consent(world.own, "reminders")
    consent(world.own, "marketing")
    tip = message_enqueue(client=world.own, purpose="health_tips", acting_user=None).message
    news = message_enqueue(client=world.own, purpose="newsletter", context={}, acting_user=None).message
    reminder = message_enqueue(client=world.own, purpose="recheck_reminder", acting_user=None).message
    assert marketing_opt_out(client=world.own, acting_user=world.service) == 2
    statuses = dict(Message.objects.values_list("id", "status"))
    assert statuses == {tip.pk: Status.CANCELLED, news.pk: Status.CANCELLED, reminder.pk: Status.QUEUED}
    assert message_enqueue(client=world.own, purpose="offer", acting_user=None).refused == "opted_out"
    assert SubscriptionChange.objects.filter(counted=True).count() == 0


def test_service_messages_are_not_subscribable(world):
    with pytest.raises(ValidationError):
        subscription_set(client=world.own, purpose="report_ready", active=False, acting_user=None)
