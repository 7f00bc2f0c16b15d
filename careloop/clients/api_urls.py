"""API routes of careloop.clients, mounted under /api/v1/."""

from rest_framework.routers import SimpleRouter

from careloop.clients.api import ClientViewSet, EnterpriseViewSet

router = SimpleRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("enterprises", EnterpriseViewSet, basename="enterprise")
urlpatterns = router.urls
