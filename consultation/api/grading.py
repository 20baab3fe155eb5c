"""API: satisfaction grading (请您阅卷).

- `GET /api/v1/consultation/grading/rounds/` (`?compound=`, `?subdistrict=`): the rounds
  of the user's area, each with its rates; `POST` opens a round; `POST .../{id}/close/`.
- `GET /api/v1/consultation/grading/rates/`: the area's overview (whole area, each
  subdistrict, each compound's latest round); `?compound=` one compound's latest round
  and every round; `?round=` one round.
- `POST /api/v1/consultation/grading/{round_id}/responses/`: a resident's grading. No
  account, no session (so no CSRF): AllowAny, no authentication; the same rules as the
  phone form (one per code, one per phone, a per-address limit: 429).
Percentages are decimal strings rounded to 0.1, never floats.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from compounds.ratelimit import client_address
from compounds.selectors import compound_get_visible
from compounds.validation import as_id
from consultation.forms.grading import GradingRoundFilterSet
from consultation.models.grading import GradingRound
from consultation.selectors.grading import (
    grading_overview,
    latest_rounds,
    round_get_visible,
    round_rates,
    rounds_visible_to,
    with_rate_counts,
)
from consultation.services.grading import (
    grading_limit_check,
    grading_limit_count,
    grading_submit,
    round_close,
    round_open,
)

_PERCENT = ("A percentage as a decimal string rounded to 0.1, e.g. \"90.0\"; null "
            "without answers.")


class GradingRoundSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    rates = serializers.SerializerMethodField()

    class Meta:
        model = GradingRound
        fields = ["id", "compound", "compound_name", "title", "opens_on", "closes_on",
                  "closed_at", "opened_by", "created_at", "rates"]
        read_only_fields = fields

    def get_rates(self, obj) -> dict:
        return round_rates(obj).as_api()


class RoundOpenSerializer(serializers.Serializer):
    compound = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = serializers.CharField(required=False, allow_blank=True, default="")
    opens_on = serializers.DateField(required=False, allow_null=True, default=None)
    closes_on = serializers.DateField(required=False, allow_null=True, default=None)


class ResponseSerializer(serializers.Serializer):
    # Blank is let through so that the service reports every field at once.
    overall = serializers.CharField(required=False, allow_blank=True, default="")
    quality = serializers.CharField(required=False, allow_blank=True, default="")
    environment = serializers.CharField(required=False, allow_blank=True, default="")
    site_management = serializers.CharField(required=False, allow_blank=True, default="")
    comments = serializers.CharField(required=False, allow_blank=True, default="",
                                     trim_whitespace=False)
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    phone = serializers.CharField(required=False, allow_blank=True, default="", max_length=32)
    website = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="Leave empty (a honeypot for robots).")


class GradingAspectSerializer(serializers.Serializer):
    satisfied = serializers.IntegerField()
    basically = serializers.IntegerField()
    unsatisfied = serializers.IntegerField()
    responses = serializers.IntegerField()
    percent = serializers.CharField(allow_null=True, help_text=_PERCENT)


class GradingAspectsSerializer(serializers.Serializer):
    overall = GradingAspectSerializer()
    quality = GradingAspectSerializer()
    environment = GradingAspectSerializer()
    site_management = GradingAspectSerializer()


_RATES = {
    "responses": serializers.IntegerField(),
    "satisfaction_percent": serializers.CharField(allow_null=True, help_text=_PERCENT),
    "aspects": GradingAspectsSerializer(),
}
RatesSerializer = inline_serializer(name="GradingRates", fields=_RATES)
ResponseResult = inline_serializer(name="GradingResponseResult", fields={
    "round": serializers.IntegerField(), "submitted_at": serializers.DateTimeField(allow_null=True),
})


class GradingRoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                          viewsets.GenericViewSet):
    serializer_class = GradingRoundSerializer
    filterset_class = GradingRoundFilterSet

    def get_queryset(self):
        return with_rate_counts(rounds_visible_to(self.request.user)
                                .select_related("compound").order_by("-opens_on", "-id"))

    @extend_schema(request=RoundOpenSerializer, responses={201: GradingRoundSerializer})
    def create(self, request):
        data = RoundOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        opened = round_open(by=request.user, compound_id=fields.pop("compound"), **fields)
        return Response(self.get_serializer(self.get_queryset().get(pk=opened.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=GradingRoundSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        found = round_get_visible(user=request.user, round_id=pk)
        round_close(by=request.user, round_id=found.pk)
        return Response(self.get_serializer(self.get_queryset().get(pk=found.pk)).data)


class GradingRatesViewSet(viewsets.GenericViewSet):
    """Satisfaction rates: the area's overview, one compound, or one round."""

    def get_queryset(self):
        return rounds_visible_to(self.request.user)

    @extend_schema(
        parameters=[OpenApiParameter("compound", int), OpenApiParameter("round", int)],
        responses=inline_serializer(name="GradingRatesAnswer", fields={
            "total": RatesSerializer, "rounds": GradingRoundSerializer(many=True),
        }),
        description="Without parameters: {total, subdistricts, compounds} of the area. "
                    "With `compound`: {compound, latest, rounds}. With `round`: the round "
                    "with its rates.",
    )
    def list(self, request):
        user = request.user
        if request.query_params.get("round"):
            found = get_object_or_404(with_rate_counts(self.get_queryset())
                                      .select_related("compound"),
                                      pk=as_id(request.query_params["round"]) or 0)
            return Response(GradingRoundSerializer(found).data)
        if request.query_params.get("compound"):
            compound = compound_get_visible(
                user=user, compound_id=as_id(request.query_params["compound"]) or 0)
            rounds = list(with_rate_counts(self.get_queryset().filter(compound=compound)
                                           .select_related("compound")
                                           .order_by("-opens_on", "-id")))
            latest = latest_rounds(user).filter(compound=compound).values_list("pk", flat=True)
            latest_id = next(iter(latest), None)
            latest_round = next((r for r in rounds if r.pk == latest_id), None)
            return Response({
                "compound": compound.pk,
                "latest": GradingRoundSerializer(latest_round).data if latest_round else None,
                "rounds": GradingRoundSerializer(rounds, many=True).data,
            })
        return Response(grading_overview(user=user).as_api())


class GradingResponseViewSet(viewsets.GenericViewSet):
    """A resident's grading of an open round."""

    authentication_classes = []
    permission_classes = [AllowAny]
    serializer_class = ResponseSerializer

    @extend_schema(request=ResponseSerializer, responses={201: ResponseResult})
    def create(self, request, round_id=None):
        data = ResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        client = client_address(request)
        if fields.pop("website"):  # the honeypot: answer as usual, keep nothing
            grading_limit_check(client)
            grading_limit_count(client)
            return Response({"round": as_id(round_id), "submitted_at": None},
                            status=status.HTTP_201_CREATED)
        response = grading_submit(round_id=round_id, client=client, **fields)
        return Response({"round": response.round_id, "submitted_at": response.submitted_at},
                        status=status.HTTP_201_CREATED)


routes = [
    ("consultation/grading/rounds", GradingRoundViewSet, "consultation-grading-round"),
    ("consultation/grading/rates", GradingRatesViewSet, "consultation-grading-rates"),
    (r"consultation/grading/(?P<round_id>[0-9]+)/responses", GradingResponseViewSet,
     "consultation-grading-response"),
]
