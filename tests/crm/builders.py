import datetime as dt

from django.utils import timezone

from careloop.clients.models import Consent
from careloop.crm.models import AppointmentService, Slot, SlotTemplate


def consent(client, purpose="reminders"):
    return Consent.objects.create(client=client, purpose=purpose, granted=True, given_at=timezone.now())


def service(code="checkup"):
    return AppointmentService.objects.get(code=code)


def slot(site, day: dt.date, hhmm: str = "09:00", *, capacity=4, booked=0, code="checkup"):
    h, m = (int(x) for x in hhmm.split(":"))
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(h, m)))
    return Slot.objects.create(site=site, service=service(code), start=start, capacity=capacity, booked=booked)


def template(site, weekday, start="08:00", end="10:00", capacity=4, code="checkup"):
    h1, m1 = (int(x) for x in start.split(":"))
    h2, m2 = (int(x) for x in end.split(":"))
    return SlotTemplate.objects.create(site=site, service=service(code), weekday=weekday, start=dt.time(h1, m1),
                                       end=dt.time(h2, m2), capacity=capacity)
