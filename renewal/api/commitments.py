"""API: the public commitments (实事承诺) of compounds (see docs/architecture.md). At most
five a year per compound; ticking one off is `POST /commitments/{id}/tick/`."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from renewal.filtersets.commitments import CommitmentFilterSet
from renewal.models import PublicCommitment
from renewal.selectors.commitments import commitment_list
from renewal.services.commitments import commitment_create, commitment_tick, commitment_update


class CommitmentSerializer(serializers.ModelSerializer):
    done = serializers.SerializerMethodField()

    class Meta:
        model = PublicCommitment
        fields = ["id", "compound", "year", "title", "detail", "sort", "done_on", "done"]
        read_only_fields = fields

    def get_done(self, commitment: PublicCommitment) -> bool:
        return commitment.done_on is not None


class CommitmentUpdateSerializer(serializers.Serializer):
    year = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=120, required=False)
    detail = serializers.CharField(required=False, allow_blank=True)
    sort = serializers.IntegerField(required=False, min_value=0, max_value=32767)
    done_on = serializers.DateField(required=False, allow_null=True)


class CommitmentCreateSerializer(CommitmentUpdateSerializer):
    compound = serializers.IntegerField()
    year = serializers.IntegerField()
    title = serializers.CharField(max_length=120)


class TickSerializer(serializers.Serializer):
    done_on = serializers.DateField(required=False, allow_null=True,
                                    help_text="the day it was done; today when left out")
    undo = serializers.BooleanField(required=False, default=False,
                                    help_text="take the tick back")


class CommitmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        viewsets.GenericViewSet):
    serializer_class = CommitmentSerializer
    filterset_class = CommitmentFilterSet

    def get_queryset(self):
        return commitment_list(user=self.request.user)

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=code)

    @extend_schema(request=CommitmentCreateSerializer, responses={201: CommitmentSerializer})
    def create(self, request):
        data = CommitmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        commitment = commitment_create(by=request.user, compound_id=fields.pop("compound"),
                                       **fields)
        return self._answer(commitment.pk, status.HTTP_201_CREATED)

    @extend_schema(request=CommitmentUpdateSerializer, responses=CommitmentSerializer)
    def partial_update(self, request, pk=None):
        commitment = self.get_object()
        data = CommitmentUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        commitment_update(commitment_id=commitment.pk, by=request.user,
                          data=dict(data.validated_data))
        return self._answer(commitment.pk)

    @extend_schema(request=TickSerializer, responses=CommitmentSerializer)
    @action(detail=True, methods=["post"])
    def tick(self, request, pk=None):
        commitment = self.get_object()
        data = TickSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        commitment_tick(commitment_id=commitment.pk, by=request.user,
                        done_on=data.validated_data.get("done_on"),
                        undo=data.validated_data["undo"])
        return self._answer(commitment.pk)


routes = [("commitments", CommitmentViewSet, "commitment")]
