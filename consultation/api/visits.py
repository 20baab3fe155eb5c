"""API: door-to-door visits and their follow-ups.

- `GET/POST /api/v1/consultation/visits/` list (filters as the page) and log a visit;
- `GET .../visits/{id}/`;
- `POST .../visits/{id}/ballot/` {"choice"}, `/idea/` {"text"?}, `/grievance/`
  {"category", "description"?}: one tap each, linked on the visit; a second one of the
  same kind is 409 with `existing`;
- `GET .../visits/attitudes/`: support / neutral / oppose per compound (same filters).
Thin: the services write, the selectors read, every query starts at the area gate.
"""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from consultation.forms.visits import VisitFilterSet
from consultation.models.visits import Visit
from consultation.selectors.visits import attitude_summary, visit_list, visits_visible_to
from consultation.services.visits import (
    visit_log,
    visit_to_ballot,
    visit_to_grievance,
    visit_to_idea,
)


class VisitSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    building_number = serializers.CharField(source="building.number", read_only=True,
                                            default=None)
    dwelling_number = serializers.CharField(source="dwelling.number", read_only=True,
                                            default=None)

    class Meta:
        model = Visit
        fields = [
            "id", "compound", "compound_name", "building", "building_number", "unit",
            "dwelling", "dwelling_number", "method", "attitude", "opinions", "topic",
            "visited_by", "visited_at", "ballot", "idea", "grievance", "created_at",
        ]
        read_only_fields = fields


class VisitCreateSerializer(serializers.Serializer):
    # Choices and places are the service's to check, so every bad field comes back at once.
    compound = serializers.IntegerField(required=False, allow_null=True, default=None)
    method = serializers.CharField(required=False, allow_blank=True, default="")
    attitude = serializers.CharField(required=False, allow_blank=True, default="")
    building = serializers.IntegerField(required=False, allow_null=True, default=None)
    unit = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)
    dwelling = serializers.IntegerField(required=False, allow_null=True, default=None)
    opinions = serializers.CharField(required=False, allow_blank=True, default="",
                                     trim_whitespace=True)
    topic = serializers.IntegerField(required=False, allow_null=True, default=None)
    visited_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class BallotFollowSerializer(serializers.Serializer):
    choice = serializers.CharField(required=False, allow_blank=True, default="")


class IdeaFollowSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                 default=None)


class GrievanceFollowSerializer(serializers.Serializer):
    category = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                        default=None)


FollowUpResult = inline_serializer(name="VisitFollowUp", fields={
    "visit": VisitSerializer(),
    "created": inline_serializer(name="VisitFollowUpRecord", fields={
        "kind": serializers.CharField(), "id": serializers.IntegerField(),
    }),
})

PERCENT_HELP = "A percentage as a decimal string, e.g. \"66.7\" (null without visits)."

AttitudeSummary = inline_serializer(name="VisitAttitudes", many=True, fields={
    "compound": serializers.IntegerField(),
    "compound_name": serializers.CharField(),
    "visits": serializers.IntegerField(),
    "support": serializers.IntegerField(),
    "neutral": serializers.IntegerField(),
    "oppose": serializers.IntegerField(),
    "support_share": serializers.CharField(allow_null=True, help_text=PERCENT_HELP),
    "neutral_share": serializers.CharField(allow_null=True, help_text=PERCENT_HELP),
    "oppose_share": serializers.CharField(allow_null=True, help_text=PERCENT_HELP),
})


class VisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                   viewsets.GenericViewSet):
    serializer_class = VisitSerializer
    filterset_class = VisitFilterSet

    def get_queryset(self):
        return visit_list(user=self.request.user)

    @extend_schema(request=VisitCreateSerializer, responses={201: VisitSerializer})
    def create(self, request):
        data = VisitCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        f = data.validated_data
        visit = visit_log(
            by=request.user, compound_id=f["compound"], method=f["method"],
            attitude=f["attitude"], building_id=f["building"], unit=f["unit"],
            dwelling_id=f["dwelling"], opinions=f["opinions"], topic_id=f["topic"],
            visited_at=f["visited_at"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=visit.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _follow(self, request, pk, serializer_class, kind, run):
        # Another area's visit is a 404 before its body is even read.
        visit = get_object_or_404(visits_visible_to(request.user), pk=pk)
        data = serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        record = run(visit.pk, data.validated_data)
        fresh = self.get_queryset().get(pk=visit.pk)
        return Response({"visit": self.get_serializer(fresh).data,
                         "created": {"kind": kind, "id": record.pk}},
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=BallotFollowSerializer, responses={201: FollowUpResult})
    @action(detail=True, methods=["post"])
    def ballot(self, request, pk=None):
        return self._follow(request, pk, BallotFollowSerializer, "ballot", lambda vid, f:
                            visit_to_ballot(by=request.user, visit_id=vid, choice=f["choice"]))

    @extend_schema(request=IdeaFollowSerializer, responses={201: FollowUpResult})
    @action(detail=True, methods=["post"])
    def idea(self, request, pk=None):
        return self._follow(request, pk, IdeaFollowSerializer, "idea", lambda vid, f:
                            visit_to_idea(by=request.user, visit_id=vid, text=f["text"]))

    @extend_schema(request=GrievanceFollowSerializer, responses={201: FollowUpResult})
    @action(detail=True, methods=["post"])
    def grievance(self, request, pk=None):
        return self._follow(
            request, pk, GrievanceFollowSerializer, "grievance",
            lambda vid, f: visit_to_grievance(by=request.user, visit_id=vid,
                                              category_code=f["category"],
                                              description=f["description"]))

    @extend_schema(request=None, responses=AttitudeSummary)
    @action(detail=False, methods=["get"])
    def attitudes(self, request):
        visits = self.filter_queryset(visits_visible_to(request.user))
        return Response([row.as_api() for row in attitude_summary(visits)])


routes = [("consultation/visits", VisitViewSet, "consultation-visit")]
