"""API: meetings (see docs/architecture.md). List, retrieve, schedule (POST), change
(PATCH), record the minutes (`POST {id}/minutes/`), cancel (`POST {id}/cancel/`).
Thin: consultation.services.meetings decides; every request starts at the area gate."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from compounds.models import User
from consultation.filtersets_meetings import MeetingFilterSet
from consultation.models.meetings import Meeting
from consultation.selectors.meetings import meeting_list
from consultation.services.meetings import (
    meeting_cancel,
    meeting_record_minutes,
    meeting_schedule,
    meeting_update,
)


class MeetingSerializer(serializers.ModelSerializer):
    compound_name = serializers.CharField(source="compound.name", read_only=True)
    topics = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    invitees = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    attendance = serializers.SerializerMethodField()
    attendance_total = serializers.IntegerField(read_only=True)
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id", "compound", "compound_name", "type", "title", "starts_at", "ends_at",
            "place", "topics", "invitees", "state", "attendance", "attendance_total",
            "minutes", "decisions", "minutes_recorded_at", "cancelled_at", "cancel_reason",
            "created_by", "created_at",
        ]
        read_only_fields = fields

    def get_attendance(self, meeting: Meeting) -> dict[str, int]:
        """{role: head count} of the roles recorded."""
        return {row.role: row.count for row in meeting.attendance.all()}


class MeetingUpdateSerializer(serializers.Serializer):
    # Choices, times and places are the service's to judge: every bad field at once.
    type = serializers.CharField(required=False)
    title = serializers.CharField(required=False, allow_blank=True)
    starts_at = serializers.DateTimeField(required=False)
    ends_at = serializers.DateTimeField(required=False, allow_null=True)
    place = serializers.CharField(required=False, allow_blank=True)
    topics = serializers.ListField(child=serializers.IntegerField(), required=False)
    invitees = serializers.ListField(child=serializers.IntegerField(), required=False,
                                     help_text="ids of active staff accounts (any area)")

    def service_data(self) -> dict:
        data = dict(self.validated_data)
        if "topics" in data:
            data["topic_ids"] = data.pop("topics")
        if "invitees" in data:
            data["invitee_ids"] = data.pop("invitees")
        return data


class MeetingCreateSerializer(MeetingUpdateSerializer):
    compound = serializers.IntegerField()
    type = serializers.CharField()
    title = serializers.CharField(allow_blank=True)
    starts_at = serializers.DateTimeField()
    place = serializers.CharField(allow_blank=True)


class MeetingMinutesSerializer(serializers.Serializer):
    attendance = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="{role: head count}; roles: residents, representatives, owners_committee, "
                  "party_members, community_workers, subdistrict_staff, property_company, "
                  "contractor, other. A bad count comes back as `attendance_<role>`.",
    )
    minutes = serializers.CharField(allow_blank=True, trim_whitespace=False)
    decisions = serializers.CharField(required=False, allow_blank=True, default="")


class MeetingCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                     viewsets.GenericViewSet):
    serializer_class = MeetingSerializer
    filterset_class = MeetingFilterSet

    def get_queryset(self):
        return meeting_list(user=self.request.user).prefetch_related(
            "attendance",
            "topics",
            Prefetch("invitees", queryset=User.objects.only("id")),
        )

    def _answer(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=pk)).data, status=code)

    @extend_schema(request=MeetingCreateSerializer, responses={201: MeetingSerializer})
    def create(self, request):
        data = MeetingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.service_data()
        meeting = meeting_schedule(by=request.user, compound_id=fields.pop("compound"),
                                   **fields)
        return self._answer(meeting.pk, status.HTTP_201_CREATED)

    @extend_schema(request=MeetingUpdateSerializer, responses=MeetingSerializer)
    def partial_update(self, request, pk=None):
        meeting = self.get_object()
        data = MeetingUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        meeting_update(by=request.user, meeting_id=meeting.pk, data=data.service_data())
        return self._answer(meeting.pk)

    @extend_schema(request=MeetingMinutesSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def minutes(self, request, pk=None):
        meeting = self.get_object()
        data = MeetingMinutesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting_record_minutes(by=request.user, meeting_id=meeting.pk, **data.validated_data)
        return self._answer(meeting.pk)

    @extend_schema(request=MeetingCancelSerializer, responses=MeetingSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting = self.get_object()
        data = MeetingCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        meeting_cancel(by=request.user, meeting_id=meeting.pk, **data.validated_data)
        return self._answer(meeting.pk)


routes = [("consultation/meetings", MeetingViewSet, "consultation-meeting")]
