"""API: consultation topics, their seven steps, their ballots and the tally (see
docs/architecture.md).

Thin: serializers parse and present, consultation.services writes, the selectors read.
Every endpoint starts from the area gate: another area's topic is a 404.
"""


from django.db.models import Prefetch
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from compounds.api.moves import AvailableMovesField
from consultation.filtersets import BallotFilterSet, TopicFilterSet
from consultation.models import Ballot, Choice, Method, Topic
from consultation.models.topics import TOPIC_TRANSITIONS, TopicStage, TopicStageChange
from consultation.selectors import topic_tally, topics_visible_to
from consultation.services import ballot_cast, topic_create, topic_move

# --- serializers ---------------------------------------------------------------------


# "from" is a Python keyword, so this serializer is built with type() rather than a
# class statement; the fields keep their order.
TopicStageChangeSerializer = type("TopicStageChangeSerializer", (serializers.Serializer,), {
    "__doc__": "One move of a topic: from which step to which, what was done, by whom, when.",
    "from": serializers.CharField(source="from_stage"),
    "to": serializers.CharField(source="to_stage"),
    "done": serializers.CharField(),
    "by": serializers.CharField(source="by.username", default=None),
    "at": serializers.DateTimeField(),
})


class TopicSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_number = serializers.CharField(source="building.number", read_only=True,
                                            default=None)
    affected_dwellings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    available_moves = AvailableMovesField(source="stage", transitions=TOPIC_TRANSITIONS,
                                          choices=TopicStage)

    class Meta:
        model = Topic
        fields = [
            "id", "title", "compound", "compound_name", "scope", "building",
            "building_number", "unit", "kind", "rule", "threshold", "affected_dwellings",
            "stage", "stage_display", "available_moves", "created_by", "created_at",
        ]
        read_only_fields = fields


class TopicDetailSerializer(TopicSerializer):
    """A topic as read alone: with the history of its moves through the seven steps."""

    stage_history = TopicStageChangeSerializer(many=True, read_only=True)

    class Meta(TopicSerializer.Meta):
        fields = [*TopicSerializer.Meta.fields, "stage_history"]
        read_only_fields = fields


class TopicStageSerializer(serializers.Serializer):
    to = serializers.CharField(max_length=32)
    # Required and judged by the service, so a blank text gets its words, not DRF's.
    done = serializers.CharField(allow_blank=True, required=False, default="",
                                 trim_whitespace=False)


class TopicCreateSerializer(serializers.Serializer):
    # Choices and places are checked by the service, so every bad field comes back at once.
    title = serializers.CharField(max_length=200)
    compound = serializers.IntegerField()
    scope = serializers.CharField()
    building = serializers.IntegerField(required=False, allow_null=True)
    unit = serializers.CharField(required=False, allow_blank=True, default="")
    kind = serializers.CharField()
    rule = serializers.CharField()
    threshold = serializers.DecimalField(max_digits=5, decimal_places=4, required=False,
                                         allow_null=True)
    affected_dwellings = serializers.ListField(child=serializers.IntegerField(),
                                               required=False, default=list)


class BallotSerializer(serializers.ModelSerializer):
    """A standing ballot. No owner name or phone: API lists never carry them."""

    building_number = serializers.CharField(source="dwelling.building.number", read_only=True)
    unit = serializers.CharField(source="dwelling.unit", read_only=True)
    number = serializers.CharField(source="dwelling.number", read_only=True)
    sheet_photo = serializers.ImageField(read_only=True, use_url=True)

    class Meta:
        model = Ballot
        fields = ["id", "topic", "dwelling", "building_number", "unit", "number", "choice",
                  "method", "recorded_by", "cast_at", "sheet_photo"]
        read_only_fields = fields


PaginatedBallotSerializer = inline_serializer(
    name="PaginatedBallotList",
    fields={
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": BallotSerializer(many=True),
    },
)


class BallotCastSerializer(serializers.Serializer):
    dwelling = serializers.IntegerField()
    choice = serializers.CharField()
    method = serializers.CharField()
    # Optional photo of the signed sheet (multipart); checked by content in the service.
    sheet_photo = serializers.FileField(required=False, allow_null=True,
                                        allow_empty_file=True)


TallySerializer = inline_serializer(
    name="Tally",
    fields={
        "rule": serializers.CharField(),
        "eligible_owners": serializers.IntegerField(),
        "eligible_area": serializers.DecimalField(max_digits=12, decimal_places=2),
        "eligible_dwellings": serializers.IntegerField(),
        "participating_owners": serializers.IntegerField(),
        "participating_area": serializers.DecimalField(max_digits=12, decimal_places=2),
        "participating_dwellings": serializers.IntegerField(),
        "agree_owners": serializers.IntegerField(),
        "agree_area": serializers.DecimalField(max_digits=12, decimal_places=2),
        "agree_dwellings": serializers.IntegerField(),
        "threshold": serializers.DecimalField(max_digits=5, decimal_places=4,
                                              allow_null=True),
        "affected_not_agreeing": serializers.ListField(child=serializers.CharField()),
        "quorum_met": serializers.BooleanField(),
        "passed": serializers.BooleanField(),
        "reasons": serializers.ListField(child=serializers.CharField()),
    },
)


# --- viewsets ------------------------------------------------------------------------


class TopicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    serializer_class = TopicSerializer
    filterset_class = TopicFilterSet
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        queryset = (
            topics_visible_to(self.request.user)
            .select_related("compound", "building")
            .prefetch_related("affected_dwellings")
        )
        if self.action != "list":
            queryset = queryset.prefetch_related(Prefetch(
                "stage_history", queryset=TopicStageChange.objects.select_related("by")
            ))
        return queryset

    def get_serializer_class(self):
        return TopicSerializer if self.action == "list" else TopicDetailSerializer

    def _detail(self, topic_id: int, code=status.HTTP_200_OK) -> Response:
        topic = self.get_queryset().get(pk=topic_id)
        return Response(TopicDetailSerializer(topic, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=TopicCreateSerializer, responses={201: TopicDetailSerializer})
    def create(self, request):
        data = TopicCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        topic = topic_create(
            by=request.user, compound_id=fields.pop("compound"),
            building_id=fields.pop("building", None),
            affected_dwelling_ids=fields.pop("affected_dwellings", []), **fields,
        )
        return self._detail(topic.pk, status.HTTP_201_CREATED)

    @extend_schema(request=TopicStageSerializer, responses={
        200: TopicDetailSerializer,
        400: OpenApiResponse(description="Unknown or illegal step (`allowed` lists the moves "
                                         "from here), or `done` missing (a field error)."),
        404: OpenApiResponse(description="No such topic in your area."),
        409: OpenApiResponse(
            inline_serializer("TopicStageBlocked", {
                "detail": serializers.CharField(),
                "missing": serializers.ListField(child=serializers.CharField()),
            }),
            description="Applying the result needs at least one recorded ballot.",
        ),
    })
    @action(detail=True, methods=["post"])
    def stage(self, request, pk=None):
        """Move the topic to step `to` of the seven, saying what was `done` in the step it
        leaves. A repeat of the current step changes nothing."""
        topic = get_object_or_404(topics_visible_to(request.user), pk=pk)
        data = TopicStageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topic_move(by=request.user, topic_id=topic.pk, **data.validated_data)
        return self._detail(topic.pk)

    @extend_schema(methods=["GET"], request=None, responses=PaginatedBallotSerializer,
                   filters=False, operation_id="consultation_topics_ballots_list",
                   parameters=[
                       OpenApiParameter("choice", str, enum=Choice.values),
                       OpenApiParameter("method", str, enum=Method.values),
                       OpenApiParameter("building", int),
                       OpenApiParameter("page", int),
                       OpenApiParameter("page_size", int),
                   ])
    @extend_schema(methods=["POST"], request={
        "application/json": BallotCastSerializer,
        "multipart/form-data": BallotCastSerializer,
    }, responses={201: BallotSerializer})
    @action(detail=True, methods=["get", "post"])
    def ballots(self, request, pk=None):
        """GET: the topic's standing ballots, a page at a time (`?choice=`, `?method=`,
        `?building=`). POST: record a dwelling's vote (a revote replaces it), as JSON or
        multipart with an optional `sheet_photo` of the signed sheet."""
        # Another area's topic is a 404 before its body is even read.
        topic = get_object_or_404(topics_visible_to(request.user), pk=pk)
        context = self.get_serializer_context()
        if request.method == "GET":
            filterset = BallotFilterSet(
                request.query_params,
                queryset=Ballot.objects.filter(topic=topic).select_related("dwelling__building")
                .order_by("dwelling__building__number", "dwelling__unit", "dwelling__number",
                          "id"),
            )
            if not filterset.is_valid():
                raise ValidationError(filterset.errors)
            page = self.paginate_queryset(filterset.qs)
            return self.get_paginated_response(
                BallotSerializer(page, many=True, context=context).data
            )
        data = BallotCastSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        ballot = ballot_cast(by=request.user, topic_id=topic.pk,
                             dwelling_id=fields.pop("dwelling"), **fields)
        return Response(BallotSerializer(ballot, context=context).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TallySerializer)
    @action(detail=True, methods=["get"])
    def tally(self, request, pk=None):
        # The topic alone (no joins, no prefetch), through the area gate, or 404.
        topic = get_object_or_404(topics_visible_to(request.user), pk=pk)
        self.check_object_permissions(request, topic)
        return Response(topic_tally(topic=topic).as_api())


routes = [("consultation/topics", TopicViewSet, "consultation-topic")]
