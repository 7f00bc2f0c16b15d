"""API of careloop.checkups: checkups with their result items, and results imports."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.checkups import selectors, services
from careloop.checkups.forms import UploadForm
from careloop.checkups.models import Checkup, ColumnMapping, ImportBatch, ReportDelivery, ResultItem
from careloop.checkups.progress import read_progress, upload_dir
from careloop.checkups.views import _store_upload
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


class ResultItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ResultItem
        fields = ["code", "name", "value_text", "value_num", "unit", "reference_range", "ref_low", "ref_high", "flag",
                  "severity", "finding", "further_exam"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportDelivery
        fields = ["due_date", "status", "method", "tracking_no", "sent_on", "delivered_on"]


class CheckupSerializer(serializers.ModelSerializer):
    package: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    delivery = DeliverySerializer(read_only=True)

    class Meta:
        model = Checkup
        fields = ["id", "client", "exam_no", "institution", "date", "package", "health_status", "worst_severity",
                  "abnormal_count", "needs_further_exam", "conclusions", "recommendations", "delivery"]


class CheckupDetailSerializer(CheckupSerializer):
    items = ResultItemSerializer(many=True, read_only=True)

    class Meta(CheckupSerializer.Meta):
        fields = [*CheckupSerializer.Meta.fields, "items"]


def _checkups_for(request: Request) -> QuerySet[Checkup]:
    if not user_can(request.user, Cap.VIEW_RESULTS):
        raise PermissionDenied()
    qs = Checkup.objects.filter(client__in=clients_visible_to(cast(User, request.user))).select_related("package", "delivery")
    client = request.query_params.get("client")
    if client:
        if not client.isdigit():
            raise ValidationError({"client": [_("must be a client id")]})
        qs = qs.filter(client_id=int(client))
    return qs.order_by("-date", "-id")


class CheckupList(generics.ListAPIView):
    serializer_class = CheckupSerializer

    def get_queryset(self) -> QuerySet[Checkup]:
        return _checkups_for(self.request)


class CheckupDetail(generics.RetrieveAPIView):
    serializer_class = CheckupDetailSerializer

    def get_queryset(self) -> QuerySet[Checkup]:
        return _checkups_for(self.request).prefetch_related("items")


class ImportBatchSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = ImportBatch
        fields = ["id", "file_name", "fmt", "status", "duplicate_of", "rows_total", "reports_created", "items_created",
                  "clients_created", "error_count", "errors", "created_at", "finished_at", "progress"]

    def get_progress(self, batch: ImportBatch) -> float:
        if batch.status in {ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING}:
            return float(read_progress(batch.pk).get("fraction", 0.0))
        return 1.0


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    mapping = serializers.CharField(required=False, help_text="institution of a saved column mapping")
    lenient = serializers.BooleanField(required=False, default=False)


class ImportCreate(APIView):
    """POST a results file (multipart ``file``); the import runs in the background. 202 + the batch."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportBatchSerializer})
    def post(self, request: Request) -> Response:
        if not user_can(request.user, Cap.IMPORT_RESULTS):
            raise PermissionDenied()
        data: Any = request.data
        mapping = None
        if data.get("mapping"):
            mapping = ColumnMapping.objects.filter(institution=data["mapping"]).first()
            if mapping is None:
                return Response({"mapping": [_("no saved column mapping for %(i)s") % {"i": data["mapping"]}]}, status=400)
        form = UploadForm(data={"lenient": data.get("lenient", "")}, files=request.FILES)
        if not form.is_valid():
            return Response({f: [str(m) for m in msgs] for f, msgs in form.errors.items()}, status=400)
        upload = form.cleaned_data["file"]
        stored, _token = _store_upload(upload, upload_dir())
        batch = services.import_batch_create(
            path=str(stored), file_name=Path(upload.name).name, acting_user=request.user, mapping=mapping,
            strict=False if form.cleaned_data["lenient"] else None,
        )
        from careloop.checkups.tasks import import_batch_run

        transaction.on_commit(lambda: import_batch_run(batch.pk))
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetail(generics.RetrieveAPIView):
    serializer_class = ImportBatchSerializer

    def get_queryset(self) -> Any:
        if not user_can(self.request.user, Cap.IMPORT_RESULTS):
            raise PermissionDenied()
        return selectors.batches_visible_to(cast(User, self.request.user))
