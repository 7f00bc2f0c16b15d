"""API routes of careloop.audit, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from careloop.audit.api import AuditEventViewSet

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="audit-event")
urlpatterns = router.urls
