"""The bench's floor: the app's URLs plus an authenticated web page and API view that do nothing.

Used by bench/followups_bench.py and bench/clients_lookup.py (settings.ROOT_URLCONF is switched to
this module in the measuring process only): floor = the p95 of an authenticated request through the
whole middleware stack (session or token authentication) that queries nothing of its own.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.urls import urlpatterns as app_urlpatterns


@login_required
def noop_page(request):  # type: ignore[no-untyped-def]
    return HttpResponse(b"ok")


class NoopApi(APIView):
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({})


urlpatterns = [
    path("bench/noop/", noop_page),
    path("api/v1/bench/noop/", NoopApi.as_view()),
    *app_urlpatterns,
]
