"""API of careloop.checkups: checkups with their result items, and results imports."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.audit.reads import audited_read
from careloop.checkups import selectors, services
from careloop.checkups.forms import UploadForm
from careloop.checkups.models import (
    Checkup,
    CheckupPackage,
    ColumnMapping,
    GroupBooking,
    ImportBatch,
    ReportDelivery,
    ResultItem,
)
from careloop.checkups.permissions import batch_for, checkups_visible_to, require
from careloop.checkups.progress import read_progress
from careloop.clients.models import Client, Enterprise
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q


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
    qs = checkups_visible_to(cast(User, request.user)).select_related("package", "delivery")
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

    @audited_read("checkup.list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class CheckupDetail(generics.RetrieveAPIView):
    serializer_class = CheckupDetailSerializer

    def get_queryset(self) -> QuerySet[Checkup]:
        return _checkups_for(self.request).prefetch_related("items")

    @audited_read("checkup.view")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


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
    branch = serializers.IntegerField(required=False, help_text="organisation unit the results belong to (default: your own)")


class ImportCreate(APIView):
    """POST a results file (multipart ``file``); the import runs in the background. 202 + the batch."""

    parser_classes = [MultiPartParser]

    @extend_schema(request=ImportUploadSerializer, responses={202: ImportBatchSerializer})
    def post(self, request: Request) -> Response:
        user = cast(User, request.user)
        require(user, Cap.IMPORT_RESULTS)
        data: Any = request.data
        mapping = None
        if data.get("mapping"):
            mapping = ColumnMapping.objects.filter(institution=data["mapping"]).first()
            if mapping is None:
                return Response({"mapping": [_("no saved column mapping for %(i)s") % {"i": data["mapping"]}]}, status=400)
        form = UploadForm(data={"lenient": data.get("lenient", ""), "branch": data.get("branch", "")}, files=request.FILES,
                          user=user)
        if not form.is_valid():
            return Response({f: [str(m) for m in msgs] for f, msgs in form.errors.items()}, status=400)
        batch = services.results_import_start(
            upload=form.cleaned_data["file"], branch=form.cleaned_data["branch"], acting_user=user, mapping=mapping,
            strict=False if form.cleaned_data["lenient"] else None,
        )
        batch.refresh_from_db()
        return Response(ImportBatchSerializer(batch).data, status=status.HTTP_202_ACCEPTED)


class ImportDetail(generics.RetrieveAPIView):
    serializer_class = ImportBatchSerializer

    def get_object(self) -> ImportBatch:
        return batch_for(cast(User, self.request.user), self.kwargs["pk"])

    def get_queryset(self) -> QuerySet[ImportBatch]:
        require(self.request.user, Cap.IMPORT_RESULTS)
        return selectors.batches_visible_to(cast(User, self.request.user))


class GroupBookingSerializer(serializers.ModelSerializer):
    package: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = GroupBooking
        fields = ["id", "enterprise", "branch", "package", "date", "change_deadline", "status", "members"]

    def get_members(self, booking: GroupBooking) -> list[int]:
        return sorted(m.client_id for m in booking.members.all() if not m.cancelled)


class GroupBookingCreateSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    branch = serializers.IntegerField()
    package = serializers.CharField(help_text="package code: economy, standard, comprehensive, luxury, …")
    date = serializers.DateField()
    clients = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)


class GroupBookingChangeSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    add = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    remove = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


def _user_of(request: Request) -> User:
    user = cast(User, request.user)
    if not user_can(user, Cap.CREATE_CLIENT):
        raise PermissionDenied()
    return user


def _visible_clients(user: User, ids: list[int], field: str) -> list[Client]:
    found = list(clients_visible_to(user).filter(pk__in=ids))
    missing = sorted(set(ids) - {c.pk for c in found})
    if missing:
        raise ValidationError({field: [_("No such client: %(ids)s") % {"ids": ", ".join(map(str, missing))}]})
    return found


def _bookings_for(user: User) -> QuerySet[GroupBooking]:
    return GroupBooking.objects.filter(subtree_q(user, "branch")).select_related("package").prefetch_related("members")


class GroupBookingList(generics.ListAPIView):
    """Group checkups booked for enterprises (SPEC RPT-2); POST books one."""

    serializer_class = GroupBookingSerializer

    def get_queryset(self) -> QuerySet[GroupBooking]:
        return _bookings_for(_user_of(self.request)).order_by("date", "id")

    @extend_schema(request=GroupBookingCreateSerializer, responses={201: GroupBookingSerializer})
    def post(self, request: Request) -> Response:
        user = _user_of(request)
        incoming = GroupBookingCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        enterprise = Enterprise.objects.filter(subtree_q(user, "branch"), pk=data["enterprise"]).first()
        branch = OrgUnit.objects.filter(pk=data["branch"]).first()
        package = CheckupPackage.objects.filter(code=data["package"]).first()
        errors: dict[str, list[str]] = {}
        if enterprise is None:
            errors["enterprise"] = [_("No such enterprise.")]
        if branch is None:
            errors["branch"] = [_("No such organisation unit.")]
        if package is None:
            errors["package"] = [_("No such package.")]
        if errors or enterprise is None or branch is None or package is None:
            raise ValidationError(errors)
        clients = _visible_clients(user, data["clients"], "clients")
        booking = services.group_booking_create(
            enterprise=enterprise, branch=branch, package=package, date=data["date"], clients=clients, acting_user=user,
        )
        return Response(GroupBookingSerializer(_bookings_for(user).get(pk=booking.pk)).data, status=status.HTTP_201_CREATED)


class GroupBookingDetail(generics.RetrieveAPIView):
    serializer_class = GroupBookingSerializer

    def get_queryset(self) -> QuerySet[GroupBooking]:
        return _bookings_for(_user_of(self.request))

    @extend_schema(request=GroupBookingChangeSerializer, responses={200: GroupBookingSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        user = _user_of(request)
        booking = self.get_object()
        incoming = GroupBookingChangeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        services.group_booking_change(
            booking=booking, acting_user=user, date=data.get("date"),
            add=_visible_clients(user, data["add"], "add"), remove=_visible_clients(user, data["remove"], "remove"),
        )
        return Response(GroupBookingSerializer(_bookings_for(user).get(pk=booking.pk)).data)

    @extend_schema(request=None, responses={200: GroupBookingSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        user = _user_of(request)
        booking = self.get_object()
        services.group_booking_cancel(booking=booking, acting_user=user)
        return Response(GroupBookingSerializer(_bookings_for(user).get(pk=booking.pk)).data)
