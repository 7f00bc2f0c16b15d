"""Prometheus metrics for operators (issue 18): ``GET /metrics``.

Request latencies come from a middleware histogram (prometheus-client; with several gunicorn
processes the multiprocess mode aggregates them, ``PROMETHEUS_MULTIPROC_DIR`` being set by
``careloop serve``). The rest is read from the database and the queue at scrape time, so every web
process reports the same truth: queue depth, outbox backlog and its oldest due message, failed and
dead sends, backup age, open follow-up tasks without an owner, open operations alerts.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

REQUEST_SECONDS = Histogram(
    "careloop_http_request_duration_seconds", "Time to answer a request, by route and status class.",
    ["method", "route", "status"], buckets=(0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.4, 0.75, 1.5, 3, 10),
)
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


class RequestMetricsMiddleware:
    """Times every request; the route is the URL pattern's name (never the path: ids would explode it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = match.view_name if match and match.view_name else "unmatched"
        REQUEST_SECONDS.labels(request.method or "", route, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
        return response


class DatabaseCollector:
    """Gauges read at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from careloop.followups.models import FollowupTask
        from careloop.messaging.models import Message
        from careloop.ops.models import OpsAlert
        from careloop.ops.services import backup_age_seconds

        by_status = GaugeMetricFamily("careloop_outbox_messages", "Messages in the outbox by status.", labels=["status"])
        for row in Message.objects.values("status").annotate(n=Count("id")).order_by():
            by_status.add_metric([row["status"]], row["n"])
        yield by_status
        now = timezone.now()
        due = Message.objects.filter(status="queued", next_attempt_at__lte=now)
        stats = due.aggregate(n=Count("id"), oldest=Min("next_attempt_at"))
        yield GaugeMetricFamily("careloop_outbox_due_backlog", "Queued messages already due.", value=stats["n"])
        lag = (now - stats["oldest"]).total_seconds() if stats["oldest"] else 0.0
        yield GaugeMetricFamily("careloop_outbox_oldest_due_seconds", "How long the oldest due message has waited.",
                                value=lag)
        yield GaugeMetricFamily("careloop_queue_depth", "Background jobs waiting in the Huey queue.",
                                value=queue_depth())
        age = backup_age_seconds()
        yield GaugeMetricFamily("careloop_backup_age_seconds", "Age of the newest backup (-1: none).",
                                value=-1 if age is None else age)
        unowned = FollowupTask.objects.filter(status__in=["pending", "in_progress"], assignee__isnull=True,
                                              team__isnull=True).count()
        yield GaugeMetricFamily("careloop_followup_tasks_without_owner", "Open follow-up tasks nobody owns.",
                                value=unowned)
        yield GaugeMetricFamily("careloop_ops_alerts_open", "Unresolved operations alerts.",
                                value=OpsAlert.objects.filter(resolved_at__isnull=True).count())


def queue_depth() -> int:
    from huey.contrib.djhuey import HUEY

    return int(HUEY.pending_count())


def _allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    networks = [*LOOPBACK, *(ipaddress.ip_network(n, strict=False) for n in settings.METRICS_ALLOWED_NETWORKS)]
    return any(address in network for network in networks)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """From loopback or CARELOOP_METRICS_ALLOWED_NETWORKS without signing in; anywhere else: 404."""
    if not _allowed(request):
        return HttpResponseNotFound()
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
