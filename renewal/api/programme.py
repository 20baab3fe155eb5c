"""API: yearly batches, projects, and the moves of a project between stages.
Thin: the area gate and the services decide (see docs/architecture.md)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from compounds.api.moves import AvailableMovesField
from compounds.models import User
from renewal.api.permissions import IsStaffMember
from renewal.filtersets.programme import BatchFilterSet, ProjectFilterSet
from renewal.models import TRANSITIONS, Batch, DeliveryModel, Project, Stage
from renewal.selectors.access import projects_visible_to
from renewal.selectors.programme import (
    batch_get_visible,
    batches_with_actuals,
    may_plan_batches,
)
from renewal.selectors.progress import progress_by_project
from renewal.services.programme import (
    batch_create,
    batch_update,
    project_create,
    project_transition,
    project_update,
)

# --- batches ----------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    project_count = serializers.IntegerField(read_only=True)
    household_count = serializers.IntegerField(read_only=True)
    planned_investment = serializers.DecimalField(max_digits=16, decimal_places=2,
                                                  read_only=True)

    class Meta:
        model = Batch
        fields = [
            "id", "year", "name", "target_compounds", "target_households",
            "target_investment", "notes", "project_count", "household_count",
            "planned_investment",
        ]
        # Uniqueness and the year's range are the service's to say, in its words.
        validators: list = []
        # The serializer only parses; the service judges content, so one answer names
        # every field that is wrong in content (a blank name and a year out of range).
        extra_kwargs = {
            "year": {"min_value": None, "max_value": None},
            "name": {"allow_blank": True},
        }


class PlansBatchesOrReadOnly(BasePermission):
    """Writes to batches are the district office's (the service says so too; asking
    first spares a planner-less user the field errors of a form they may not send)."""

    message = gettext_lazy("Only the district office may plan yearly batches.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or may_plan_batches(request.user)


class BatchViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                   viewsets.ReadOnlyModelViewSet):
    """Yearly batches. Every staff member reads them; the district office writes them.
    `project_count`, `household_count` and `planned_investment` count the user's area."""

    serializer_class = BatchSerializer
    permission_classes = [IsStaffMember, PlansBatchesOrReadOnly]
    filterset_class = BatchFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return batches_with_actuals(user=self.request.user).order_by("-year", "name")

    def _respond(self, batch, code):
        batch = batch_get_visible(user=self.request.user, batch_id=batch.pk)
        return Response(self.get_serializer(batch).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch = batch_create(by=request.user, **serializer.validated_data)
        return self._respond(batch, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        batch = self.get_object()
        serializer = self.get_serializer(batch, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        batch = batch_update(batch_id=batch.pk, by=request.user,
                             data=serializer.validated_data)
        return self._respond(batch, status.HTTP_200_OK)


# --- projects ---------------------------------------------------------------------------


# "from" is a Python keyword, so this serializer is built with type() rather than a
# class statement; the fields keep their order.
StageChangeSerializer = type("StageChangeSerializer", (serializers.Serializer,), {
    "__doc__": "One move of a project: from which stage to which, by whom, when, why.",
    "from": serializers.CharField(source="from_stage"),
    "to": serializers.CharField(source="to_stage"),
    "by": serializers.CharField(source="by.username", default=None),
    "at": serializers.DateTimeField(),
    "note": serializers.CharField(),
})


class ProjectSerializer(serializers.ModelSerializer):
    """A project as read: its stage, the moves open from it, and its progress (derived
    from its work items, a decimal string)."""

    compound_name = serializers.CharField(source="compound.name", read_only=True)
    subdistrict = serializers.IntegerField(source="compound.community.subdistrict_id",
                                           read_only=True)
    community = serializers.IntegerField(source="compound.community_id", read_only=True)
    batch_name = serializers.CharField(source="batch.__str__", read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    progress = serializers.SerializerMethodField()
    available_moves = AvailableMovesField(source="stage", transitions=TRANSITIONS, choices=Stage)
    funding_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id", "compound", "compound_name", "community", "subdistrict", "batch",
            "batch_name", "stage", "stage_display", "progress", "available_moves",
            "delivery_model", "contractor", "designer", "supervisor", *Project.FUNDING_FIELDS,
            "funding_total", "planned_start", "planned_end", "actual_start", "actual_end",
            "engineering_coordinator", "residents_coordinator", "created_at", "updated_at",
        ]
        read_only_fields = fields

    def get_progress(self, project) -> str:
        return str(self.context["progress"][project.pk])



class ProjectDetailSerializer(ProjectSerializer):
    history = StageChangeSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "history"]
        read_only_fields = fields


class ProjectWriteSerializer(serializers.Serializer):
    """The fields a client may set. Values are parsed here; the service judges them."""

    delivery_model = serializers.ChoiceField(choices=DeliveryModel.choices)
    contractor = serializers.CharField(max_length=100, allow_blank=True)
    designer = serializers.CharField(max_length=100, allow_blank=True)
    supervisor = serializers.CharField(max_length=100, allow_blank=True)
    funding_central = serializers.DecimalField(max_digits=14, decimal_places=2)
    funding_local = serializers.DecimalField(max_digits=14, decimal_places=2)
    funding_residents = serializers.DecimalField(max_digits=14, decimal_places=2)
    funding_utilities = serializers.DecimalField(max_digits=14, decimal_places=2)
    funding_social = serializers.DecimalField(max_digits=14, decimal_places=2)
    planned_start = serializers.DateField(allow_null=True)
    planned_end = serializers.DateField(allow_null=True)
    actual_start = serializers.DateField(allow_null=True)
    actual_end = serializers.DateField(allow_null=True)
    engineering_coordinator = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True
    )
    residents_coordinator = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True
    )

    def validate(self, attrs):
        # A field this endpoint does not take is named, not silently dropped.
        unknown = sorted(set(self.initial_data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({
                name: _("Change the stage with POST /api/v1/projects/{id}/transition/.")
                if name == "stage" else _("This field cannot be set here.")
                for name in unknown
            })
        return attrs


class ProjectCreateSerializer(ProjectWriteSerializer):
    compound = serializers.IntegerField()
    batch = serializers.IntegerField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name not in ("compound", "batch"):
                field.required = False


class TransitionSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=32)
    note = serializers.CharField(allow_blank=True, required=False, default="")


class ProjectViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin,
                     viewsets.ReadOnlyModelViewSet):
    """Renovation projects in the user's area. A project is created at `planned` and
    moves between stages only through `transition`."""

    filterset_class = ProjectFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        queryset = projects_visible_to(self.request.user).select_related(
            "compound__community", "batch"
        ).order_by("-batch__year", "batch__name", "compound__name", "id")
        if self.action != "list":
            queryset = queryset.prefetch_related("history__by")
        return queryset

    def get_serializer_class(self):
        if self.action == "list":
            return ProjectSerializer
        if self.action == "create":
            return ProjectCreateSerializer
        if self.action == "partial_update":
            return ProjectWriteSerializer
        if self.action == "transition":
            return TransitionSerializer
        return ProjectDetailSerializer

    def _detail(self, project: Project, code=status.HTTP_200_OK) -> Response:
        context = {**self.get_serializer_context(),
                   "progress": progress_by_project([project.pk])}
        return Response(ProjectDetailSerializer(project, context=context).data, status=code)

    def _fresh(self, project_id: int) -> Project:
        return self.get_queryset().get(pk=project_id)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(),
                   "progress": progress_by_project([p.pk for p in page])}
        return self.get_paginated_response(
            ProjectSerializer(page, many=True, context=context).data
        )

    @extend_schema(responses=ProjectDetailSerializer)
    def retrieve(self, request, *args, **kwargs):
        return self._detail(self.get_object())

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectDetailSerializer})
    def create(self, request, *args, **kwargs):
        serializer = ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        project = project_create(by=request.user, compound_id=data.pop("compound"),
                                 batch_id=data.pop("batch"), data=data)
        return self._detail(self._fresh(project.pk), status.HTTP_201_CREATED)

    @extend_schema(request=ProjectWriteSerializer, responses=ProjectDetailSerializer)
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        serializer = ProjectWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        project_update(project_id=project.pk, by=request.user, data=serializer.validated_data)
        return self._detail(self._fresh(project.pk))

    @extend_schema(request=TransitionSerializer, responses={
        200: ProjectDetailSerializer,
        400: OpenApiResponse(
            inline_serializer("TransitionRefused", {
                "detail": serializers.CharField(),
                "allowed": serializers.ListField(child=serializers.CharField()),
            }),
            description="Unknown stage or illegal move; `allowed` lists the moves from here.",
        ),
        404: OpenApiResponse(description="No such project in your area."),
        409: OpenApiResponse(
            inline_serializer("TransitionBlocked", {
                "detail": serializers.CharField(),
                "missing": serializers.ListField(child=serializers.CharField()),
            }),
            description="A gate keeps the project out of that stage; `missing` says why.",
        ),
    })
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project to stage `to`. 400 for an unknown or illegal move (with the
        `allowed` moves), 409 with `missing` when a gate keeps it out."""
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = project_transition(project_id=self.get_object().pk, by=request.user,
                                     **serializer.validated_data)
        return self._detail(self._fresh(project.pk))


routes = [
    ("batches", BatchViewSet, "batch"),
    ("projects", ProjectViewSet, "project"),
]
