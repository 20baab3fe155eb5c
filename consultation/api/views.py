"""API: consultation topics, their ballots and the tally (see docs/architecture.md).

Thin: serializers parse and present, consultation.services writes, the selectors read.
Every endpoint starts from the area gate: another area's topic is a 404.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from consultation.filtersets import TopicFilterSet
from consultation.models import Ballot, Topic
from consultation.selectors import topic_tally, topics_visible_to
from consultation.services import ballot_cast, topic_create

# --- serializers ---------------------------------------------------------------------


class TopicSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_number = serializers.CharField(source="building.number", read_only=True,
                                            default=None)
    affected_dwellings = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Topic
        fields = [
            "id", "title", "compound", "compound_name", "scope", "building",
            "building_number", "unit", "kind", "rule", "threshold", "affected_dwellings",
            "created_by", "created_at",
        ]
        read_only_fields = fields


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
    class Meta:
        model = Ballot
        fields = ["id", "topic", "dwelling", "choice", "method", "recorded_by", "cast_at"]
        read_only_fields = fields


class BallotCastSerializer(serializers.Serializer):
    dwelling = serializers.IntegerField()
    choice = serializers.CharField()
    method = serializers.CharField()


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

    def get_queryset(self):
        return (
            topics_visible_to(self.request.user)
            .select_related("compound", "building")
            .prefetch_related("affected_dwellings")
        )

    @extend_schema(request=TopicCreateSerializer, responses={201: TopicSerializer})
    def create(self, request):
        data = TopicCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        topic = topic_create(
            by=request.user, compound_id=fields.pop("compound"),
            building_id=fields.pop("building", None),
            affected_dwelling_ids=fields.pop("affected_dwellings", []), **fields,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=topic.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=BallotCastSerializer, responses={201: BallotSerializer})
    @action(detail=True, methods=["post"])
    def ballots(self, request, pk=None):
        # Another area's topic is a 404 before its body is even read.
        topic = get_object_or_404(topics_visible_to(request.user), pk=pk)
        data = BallotCastSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        ballot = ballot_cast(by=request.user, topic_id=topic.pk,
                             dwelling_id=fields.pop("dwelling"), **fields)
        return Response(BallotSerializer(ballot).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=TallySerializer)
    @action(detail=True, methods=["get"])
    def tally(self, request, pk=None):
        # The topic alone (no joins, no prefetch), through the area gate, or 404.
        topic = get_object_or_404(topics_visible_to(request.user), pk=pk)
        self.check_object_permissions(request, topic)
        return Response(topic_tally(topic=topic).as_api())


routes = [("consultation/topics", TopicViewSet, "consultation-topic")]
