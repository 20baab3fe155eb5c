"""API: online voting with household codes, and a topic's consent history.

- `POST /api/v1/consultation/votes/` {"code", "choice"}: a resident votes with the code on
  the slip. No account, no session (so no CSRF): AllowAny, no authentication. Wrong
  codes are counted per client address (429 past the limit).
- `GET /api/v1/consultation/topics/{id}/history/`: the support curve as points, shares
  as decimal strings; through the area gate (another area's topic is a 404).
"""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from compounds.ratelimit import client_address
from consultation.selectors import topics_visible_to
from consultation.selectors.history import consent_series
from consultation.services.codes import vote_with_code


class VoteSerializer(serializers.Serializer):
    # Blank is let through so that the service reports code and choice together.
    code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    choice = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                   default="")


VoteResultSerializer = inline_serializer(
    name="VoteResult",
    fields={"topic": serializers.IntegerField(), "choice": serializers.CharField()},
)

HistorySerializer = inline_serializer(
    name="ConsentHistory",
    fields={
        "points": inline_serializer(
            name="SupportPoint",
            many=True,
            fields={
                "at": serializers.DateTimeField(),
                "agree": serializers.IntegerField(),
                "voted": serializers.IntegerField(),
                "eligible": serializers.IntegerField(),
                "share": serializers.DecimalField(max_digits=5, decimal_places=4),
            },
        )
    },
)


class VoteViewSet(viewsets.GenericViewSet):
    """A resident's online vote with a household code."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = VoteSerializer

    @extend_schema(request=VoteSerializer, responses={
        201: VoteResultSerializer,
        400: OpenApiResponse(description="Field errors: `code` (missing, malformed, unknown, "
                                         "revoked or used) and/or `choice`."),
        409: OpenApiResponse(description="The topic's result is already being applied."),
        429: OpenApiResponse(description="Too many wrong codes from this address lately."),
    })
    def create(self, request):
        data = VoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = vote_with_code(client=client_address(request), **data.validated_data)
        return Response({"topic": ballot.topic_id, "choice": ballot.choice},
                        status=status.HTTP_201_CREATED)


class _OneObject(AutoSchema):
    """The history is one object ({"points": [...]}), though served on a list route."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class TopicHistoryViewSet(viewsets.GenericViewSet):
    """The consent history of one topic (every vote cast, support after each)."""

    pagination_class = None
    schema = _OneObject()

    def get_queryset(self):
        return topics_visible_to(self.request.user)

    @extend_schema(request=None, responses=HistorySerializer, parameters=[
        OpenApiParameter("topic_id", int, OpenApiParameter.PATH)])
    def list(self, request, topic_id=None):
        topic = get_object_or_404(self.get_queryset(), pk=topic_id)
        at = serializers.DateTimeField()  # local time, as every other date in the API
        return Response({"points": [p.as_api() | {"at": at.to_representation(p.at)}
                                    for p in consent_series(topic=topic)]})


routes = [
    ("consultation/votes", VoteViewSet, "consultation-vote"),
    (r"consultation/topics/(?P<topic_id>[0-9]+)/history", TopicHistoryViewSet,
     "consultation-topic-history"),
]
