"""API: inspections and rectification orders (see docs/architecture.md).

Thin: serializers parse and present, the services in renewal.services.quality write,
the selectors and FilterSets in renewal.selectors.quality read (the same ones the pages
use). A related id outside the user's area is a 400 on that field; an object outside it
is a 404.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from compounds.api.moves import AvailableMovesField
from renewal.filtersets.quality import InspectionFilterSet, RectificationFilterSet
from renewal.models import (
    RECTIFICATION_TRANSITIONS,
    Inspection,
    InspectionKind,
    InspectionLevel,
    Project,
    Rectification,
    RectificationStatus,
    WorkItem,
)
from renewal.selectors.access import (
    inspections_visible_to,
    projects_visible_to,
    work_items_visible_to,
)
from renewal.selectors.quality import (
    inspection_get_visible,
    inspection_list,
    rectification_get_visible,
    rectification_list,
)
from renewal.services.quality import (
    inspection_create,
    inspection_update,
    rectification_create,
    rectification_transition,
)

# --- serializers ---------------------------------------------------------------------


class _GatedSerializer(serializers.Serializer):
    """Limits the related-id fields named in `gated` to the requesting user's area, so an
    id outside it is 'does not exist' on that field (400), like a wrong id."""

    gated: dict = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for field, visible_to in self.gated.items():
                self.fields[field].queryset = visible_to(request.user)


class InspectionCreateSerializer(_GatedSerializer):
    gated = {"project": projects_visible_to}

    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.none())
    level = serializers.ChoiceField(choices=InspectionLevel.choices)
    kind = serializers.ChoiceField(choices=InspectionKind.choices)
    scheduled_for = serializers.DateField(required=False, allow_null=True)
    carried_out_on = serializers.DateField(required=False, allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True, default="")


class InspectionUpdateSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=InspectionLevel.choices, required=False)
    kind = serializers.ChoiceField(choices=InspectionKind.choices, required=False)
    scheduled_for = serializers.DateField(required=False, allow_null=True)
    carried_out_on = serializers.DateField(required=False, allow_null=True)
    summary = serializers.CharField(required=False, allow_blank=True)


class RectificationCreateSerializer(_GatedSerializer):
    gated = {"inspection": inspections_visible_to, "work_item": work_items_visible_to}

    inspection = serializers.PrimaryKeyRelatedField(queryset=Inspection.objects.none())
    finding = serializers.CharField()
    responsible_party = serializers.CharField(max_length=100)
    deadline = serializers.DateField()
    work_item = serializers.PrimaryKeyRelatedField(
        queryset=WorkItem.objects.none(), required=False, allow_null=True
    )


class RectificationTransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RectificationSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="inspection.project_id", read_only=True)
    compound = serializers.IntegerField(source="inspection.project.compound_id", read_only=True)
    compound_name = serializers.CharField(
        source="inspection.project.compound.name", read_only=True
    )
    level = serializers.CharField(source="inspection.level", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Rectification
        fields = [
            "id", "inspection", "project", "compound", "compound_name", "level", "work_item",
            "finding", "responsible_party", "deadline", "status", "is_overdue",
            "rectified_on", "verified_on", "verified_by", "created_at",
        ]
        read_only_fields = fields


class RectificationEventSerializer(serializers.Serializer):
    to = serializers.CharField(source="to_status")
    by = serializers.IntegerField(source="by_id", allow_null=True)
    by_name = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    note = serializers.CharField()

    def get_fields(self):
        # "from" is a Python keyword, so it cannot be declared in the class body.
        return {"from": serializers.CharField(source="from_status"), **super().get_fields()}

    def get_by_name(self, event) -> str:
        return (event.by.get_full_name() or event.by.username) if event.by else ""


class RectificationDetailSerializer(RectificationSerializer):
    history = RectificationEventSerializer(many=True, read_only=True)
    available_moves = AvailableMovesField(
        source="status", transitions=RECTIFICATION_TRANSITIONS, choices=RectificationStatus
    )

    class Meta(RectificationSerializer.Meta):
        fields = [*RectificationSerializer.Meta.fields, "history", "available_moves"]
        read_only_fields = fields



class InspectionSerializer(serializers.ModelSerializer):
    compound = serializers.IntegerField(source="project.compound_id", read_only=True)
    compound_name = serializers.CharField(source="project.compound.name", read_only=True)
    subdistrict = serializers.IntegerField(
        source="project.compound.community.subdistrict_id", read_only=True
    )
    rectification_count = serializers.IntegerField(read_only=True)
    unclosed_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id", "project", "compound", "compound_name", "subdistrict", "level", "kind",
            "scheduled_for", "carried_out_on", "inspector", "summary",
            "rectification_count", "unclosed_count", "created_at",
        ]
        read_only_fields = fields


class InspectionDetailSerializer(InspectionSerializer):
    rectifications = RectificationSerializer(many=True, read_only=True)

    class Meta(InspectionSerializer.Meta):
        fields = [
            f for f in InspectionSerializer.Meta.fields
            if f not in ("rectification_count", "unclosed_count")
        ] + ["rectifications"]
        read_only_fields = fields


# --- viewsets ------------------------------------------------------------------------


class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Inspections in your area. Filters: project, level, kind, subdistrict, date_from,
    date_to (the day carried out, or planned for). The detail lists its rectification
    orders. PATCH records the result (carried_out_on, summary) or replans it."""

    filterset_class = InspectionFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return inspection_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return InspectionDetailSerializer
        return InspectionSerializer

    def _detail(self, inspection_id: int) -> dict:
        inspection = inspection_get_visible(user=self.request.user, inspection_id=inspection_id)
        return InspectionDetailSerializer(inspection, context={"request": self.request}).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(int(kwargs["pk"])))

    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionDetailSerializer})
    def create(self, request, *args, **kwargs):
        form = InspectionCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        inspection = inspection_create(
            by=request.user, project_id=data.pop("project").pk, **data
        )
        return Response(self._detail(inspection.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=InspectionUpdateSerializer, responses=InspectionDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        form = InspectionUpdateSerializer(data=request.data, partial=True)
        form.is_valid(raise_exception=True)
        inspection = inspection_update(
            by=request.user, inspection_id=int(kwargs["pk"]), data=dict(form.validated_data)
        )
        return Response(self._detail(inspection.pk))


class RectificationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Rectification orders in your area. Filters: status, overdue (true/false: not
    verified closed by the deadline), project, inspection, responsible_party (contains),
    level, subdistrict. The detail has the history and the moves possible from here;
    POST …/transition/ {"to", "note"} makes one."""

    filterset_class = RectificationFilterSet
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return rectification_list(user=self.request.user)

    def get_serializer_class(self):
        if self.action in ("retrieve", "transition"):
            return RectificationDetailSerializer
        return RectificationSerializer

    def _detail(self, rectification_id: int) -> dict:
        rectification = rectification_get_visible(
            user=self.request.user, rectification_id=rectification_id
        )
        return RectificationDetailSerializer(
            rectification, context={"request": self.request}
        ).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(int(kwargs["pk"])))

    @extend_schema(
        request=RectificationCreateSerializer, responses={201: RectificationDetailSerializer}
    )
    def create(self, request, *args, **kwargs):
        form = RectificationCreateSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        data = form.validated_data
        rectification = rectification_create(
            by=request.user,
            inspection_id=data["inspection"].pk,
            finding=data["finding"],
            responsible_party=data["responsible_party"],
            deadline=data["deadline"],
            work_item_id=data["work_item"].pk if data.get("work_item") else None,
        )
        return Response(self._detail(rectification.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=RectificationTransitionSerializer, responses=RectificationDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        form = RectificationTransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        rectification_transition(
            rectification_id=int(pk), to=form.validated_data["to"], by=request.user,
            note=form.validated_data["note"],
        )
        return Response(self._detail(int(pk)))


routes = [
    ("inspections", InspectionViewSet, "inspection"),
    ("rectifications", RectificationViewSet, "rectification"),
]
