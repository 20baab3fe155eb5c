"""API: the work-item catalogue, work items and progress reports (see
docs/architecture.md). Thin: the same selectors, FilterSets and services as the pages.

Projects and items named in a POST are plain ids, resolved by the service through the
area gate: one outside the user's area is "no such project in your area" (400 naming
the field), the same answer as an id that does not exist at all.
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from renewal.filtersets.works import ProgressReportFilterSet, WorkItemFilterSet
from renewal.models import ProgressPhoto, ProgressReport, WorkItem, WorkItemType
from renewal.models.programme import MONEY
from renewal.models.works import QUANTITY
from renewal.selectors.works import (
    item_percent,
    progress_report_list,
    work_item_list,
    work_item_types,
)
from renewal.services.works import (
    progress_report_create,
    work_item_cancel,
    work_item_create,
    work_item_reinstate,
    work_item_update,
)

# --- serializers --------------------------------------------------------------------------


class WorkItemTypeSerializer(serializers.ModelSerializer):
    unit_display = serializers.CharField(source="get_unit_display", read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = WorkItemType
        fields = ["id", "code", "name", "category", "category_display", "unit",
                  "unit_display", "warranty_years", "seasonal_check"]


class WorkItemSerializer(serializers.ModelSerializer):
    type_name = serializers.CharField(source="type.name", read_only=True)
    category = serializers.CharField(source="type.category", read_only=True)
    unit = serializers.CharField(source="type.unit", read_only=True)
    unit_display = serializers.CharField(source="type.get_unit_display", read_only=True)
    percent = serializers.SerializerMethodField(
        help_text="min(completed / planned, 1) × 100, one decimal, as a string"
    )

    class Meta:
        model = WorkItem
        fields = [
            "id", "project", "type", "type_name", "category", "unit", "unit_display",
            "description", "planned_quantity", "completed_quantity", "budget", "spent",
            "planned_start", "planned_end", "actual_start", "actual_end", "status",
            "warranty_until", "percent",
        ]
        read_only_fields = fields

    def get_percent(self, item: WorkItem) -> str:
        return str(item_percent(item))


def _quantity(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**QUANTITY, **kwargs)


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, **kwargs)


class WorkItemUpdateSerializer(serializers.Serializer):
    type = serializers.IntegerField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    planned_quantity = _quantity(required=False)
    completed_quantity = _quantity(required=False)
    budget = _money(required=False)
    spent = _money(required=False)
    planned_start = serializers.DateField(required=False, allow_null=True)
    planned_end = serializers.DateField(required=False, allow_null=True)
    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_end = serializers.DateField(required=False, allow_null=True)


class WorkItemCreateSerializer(WorkItemUpdateSerializer):
    project = serializers.IntegerField()
    type = serializers.IntegerField()
    planned_quantity = _quantity()


class PhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProgressPhoto
        fields = ["id", "url", "width", "height"]

    def get_url(self, photo: ProgressPhoto) -> str:
        request = self.context.get("request")
        url = photo.image.url
        return request.build_absolute_uri(url) if request else url


class ProgressReportSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="work_item.project_id", read_only=True)
    reported_by_name = serializers.SerializerMethodField()
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = ["id", "work_item", "project", "quantity_done", "spent", "note",
                  "reported_by", "reported_by_name", "reported_at", "photos"]
        read_only_fields = fields

    def get_reported_by_name(self, report: ProgressReport) -> str:
        user = report.reported_by
        return (user.get_full_name() or user.username) if user else ""


class ProgressReportCreateSerializer(serializers.Serializer):
    work_item = serializers.IntegerField()
    quantity_done = _quantity()
    spent = _money(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    # What each file is, the service decides (compounds.uploads): by content, not name.
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        required=False, help_text="Up to 6 image files (repeat the field).",
    )


# --- viewsets ---------------------------------------------------------------------------


class WorkItemTypeViewSet(viewsets.ReadOnlyModelViewSet):
    """The national catalogue (基础类 / 完善类 / 提升类), the same for everyone."""

    serializer_class = WorkItemTypeSerializer

    def get_queryset(self):
        return work_item_types()


class WorkItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):
    serializer_class = WorkItemSerializer
    filterset_class = WorkItemFilterSet

    def get_queryset(self):
        return work_item_list(user=self.request.user)

    def _answer(self, item_id: int, code: int = status.HTTP_200_OK) -> Response:
        item = self.get_queryset().get(pk=item_id)
        return Response(self.get_serializer(item).data, status=code)

    @extend_schema(request=WorkItemCreateSerializer, responses={201: WorkItemSerializer})
    def create(self, request):
        data = WorkItemCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        item = work_item_create(
            by=request.user, project_id=fields.pop("project"), type_id=fields.pop("type"),
            **fields,
        )
        return self._answer(item.pk, status.HTTP_201_CREATED)

    @extend_schema(request=WorkItemUpdateSerializer, responses=WorkItemSerializer)
    def partial_update(self, request, pk=None):
        item = self.get_object()
        if "project" in request.data:
            raise ValidationError(
                {"project": [_("A work item cannot move to another project.")]}
            )
        data = WorkItemUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        work_item_update(work_item_id=item.pk, by=request.user, data=dict(data.validated_data))
        return self._answer(item.pk)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        item = self.get_object()
        work_item_cancel(work_item_id=item.pk, by=request.user)
        return self._answer(item.pk)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        item = self.get_object()
        work_item_reinstate(work_item_id=item.pk, by=request.user)
        return self._answer(item.pk)


class ProgressReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            viewsets.GenericViewSet):
    """Progress reports; POST as multipart/form-data with `photos` repeated per file."""

    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):
        return progress_report_list(user=self.request.user)

    @extend_schema(request={"multipart/form-data": ProgressReportCreateSerializer},
                   responses={201: ProgressReportSerializer})
    def create(self, request):
        data = ProgressReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        report = progress_report_create(
            work_item_id=fields.pop("work_item"), by=request.user,
            photos=fields.pop("photos", []), **fields,
        )
        saved = self.get_queryset().get(pk=report.pk)
        return Response(self.get_serializer(saved).data, status=status.HTTP_201_CREATED)


routes = [
    ("work-item-types", WorkItemTypeViewSet, "work-item-type"),
    ("work-items", WorkItemViewSet, "work-item"),
    ("progress-reports", ProgressReportViewSet, "progress-report"),
]
