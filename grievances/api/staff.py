"""Staff API of residents' issues: /api/v1/grievances/ (see docs/architecture.md).

Thin: the FilterSet the inbox uses, the area gate (`grievances_visible_to`), and the
services of grievances.services.handling / .intake for every write. An issue outside the
user's area is a 404.

Personal data: lists and details carry the reporter's name and phone masked only
(`name_masked`, `phone_masked`), for everyone. `POST {id}/contact/` gives the unmasked
ones to those allowed (the assignee, district staff: else 403) and writes a ContactView
audit row each time, so every unmasked read is a deliberate, recorded act.
"""

from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from compounds.api.moves import AvailableMovesField
from grievances.filtersets import GrievanceFilterSet
from grievances.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    GrievanceEvent,
    Level,
    Party,
    Priority,
    Reply,
    Status,
)
from grievances.privacy import mask_name, mask_phone, reveal_contact
from grievances.selectors import grievance_get_visible, grievances_visible_to
from grievances.services.handling import (
    grievance_assign,
    grievance_merge,
    grievance_reply,
    grievance_transition,
)
from grievances.services.intake import STAFF_CHANNELS, grievance_submit

# --- serializers ---------------------------------------------------------------------


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


class GrievanceListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tracking_code = serializers.CharField()
    received_at = serializers.DateTimeField()
    channel = serializers.CharField()
    compound = serializers.IntegerField(source="compound_id")
    compound_name = serializers.CharField(source="compound.name")
    building = serializers.IntegerField(source="building_id", allow_null=True)
    building_number = serializers.SerializerMethodField()
    unit = serializers.CharField()
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    status = serializers.CharField()
    level = serializers.CharField()
    party = serializers.CharField()
    party_name = serializers.CharField()
    priority = serializers.CharField()
    assignee = serializers.IntegerField(source="assignee_id", allow_null=True)
    assignee_name = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.SerializerMethodField()
    merged_into = serializers.IntegerField(source="merged_into_id", allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    rating = serializers.CharField()
    phone_masked = serializers.SerializerMethodField()

    def get_building_number(self, g) -> str:
        return g.building.number if g.building_id else ""

    def get_assignee_name(self, g) -> str:
        return _who(g.assignee)

    def get_is_overdue(self, g) -> bool:
        return bool(g.status in OPEN_STATUSES and g.due_at and g.due_at < timezone.now())

    def get_phone_masked(self, g) -> str:
        return mask_phone(g.reporter_phone)


class GrievancePhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()

    def get_url(self, photo) -> str:
        request = self.context.get("request")
        url = photo.image.url
        return request.build_absolute_uri(url) if request is not None else url


class GrievanceEventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    to = serializers.CharField(source="to_status")
    from_level = serializers.CharField()
    to_level = serializers.CharField()
    note = serializers.CharField()
    by = serializers.IntegerField(source="by_id", allow_null=True)
    by_name = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    def get_fields(self):
        # "from" is a Python keyword, so it cannot be declared in the class body.
        return {"from": serializers.CharField(source="from_status"), **super().get_fields()}

    def get_by_name(self, event) -> str:
        return _who(event.by)


class GrievanceReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    public = serializers.BooleanField()
    by = serializers.IntegerField(source="by_id", allow_null=True)
    by_name = serializers.SerializerMethodField()
    at = serializers.DateTimeField()

    def get_by_name(self, reply) -> str:
        return _who(reply.by)


class GrievanceDetailSerializer(GrievanceListSerializer):
    description = serializers.CharField()
    external_id = serializers.CharField()
    qr_point = serializers.IntegerField(source="qr_point_id", allow_null=True)
    name_masked = serializers.SerializerMethodField()
    consent_contact = serializers.BooleanField()
    rating_comment = serializers.CharField()
    photos = GrievancePhotoSerializer(many=True, source="photos.all")
    events = GrievanceEventSerializer(many=True, source="events.all")
    replies = GrievanceReplySerializer(many=True, source="replies.all")
    # The moves grievance_transition makes; assign and merge have their own actions.
    available_moves = AvailableMovesField(source="status", transitions=TRANSITIONS,
                                          choices=Status)

    def get_name_masked(self, g) -> str:
        return mask_name(g.reporter_name)


class GrievanceCreateSerializer(serializers.Serializer):
    """Parsed loosely on purpose: the intake service checks every field and answers all
    bad ones at once."""

    channel = serializers.ChoiceField(choices=[(c, Channel(c).label) for c in STAFF_CHANNELS])
    compound = serializers.CharField(required=False, allow_blank=True, default="")
    building = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     default=None)
    unit = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="",
                                        trim_whitespace=False)
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    consent_contact = serializers.BooleanField(required=False, default=False)
    received_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    external_id = serializers.CharField(required=False, allow_blank=True, default="")
    photos = serializers.ListField(child=serializers.FileField(), required=False, default=list)

    FIELDS = ("channel", "compound", "building", "unit", "category", "description", "name",
              "phone", "consent_contact", "received_at", "external_id")


class GrievanceTransitionSerializer(serializers.Serializer):
    to = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    reply = serializers.CharField(required=False, allow_blank=True, default="")


class GrievanceAssignSerializer(serializers.Serializer):
    """Loose too: the service names every bad field at once."""

    level = serializers.CharField(allow_blank=True, help_text="|".join(Level.values))
    party = serializers.CharField(allow_blank=True, help_text="|".join(Party.values))
    party_name = serializers.CharField(required=False, allow_blank=True, default="")
    assignee = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     default=None, help_text="a staff account's id")
    priority = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                     default=None, help_text="|".join(Priority.values))
    note = serializers.CharField(required=False, allow_blank=True, default="")


class GrievanceReplyCreateSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True)
    public = serializers.BooleanField(required=False, default=True)


class GrievanceMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField()


class GrievanceContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


# --- the viewset ---------------------------------------------------------------------


class GrievanceViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Residents' issues in your area. Filters (the inbox's): compound, subdistrict,
    community, status and level (repeat or comma-separate), open, category (code),
    priority, channel, overdue, mine (true/false), received_after / received_before
    (dates, inclusive), q (tracking code or words), sort (due | new | old). No default
    filter: the page's "open at my level" view is `?open=true&level=…`.

    The detail has photos (absolute /media/ URLs), events, replies (internal notes have
    `public: false`) and `available_moves`. Actions: POST …/transition/ {"to", "note",
    "reply"}, …/assign/, …/reply/, …/merge/ {"into"}, …/contact/ (the unmasked contact,
    audited). POST /api/v1/grievances/ records an issue from a staff channel."""

    filterset_class = GrievanceFilterSet
    lookup_value_regex = r"\d+"
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return grievances_visible_to(self.request.user).select_related(
            "compound", "building", "category", "assignee"
        )

    def get_serializer_class(self):
        if self.action == "list":
            return GrievanceListSerializer
        return GrievanceDetailSerializer

    def _detail(self, grievance_id) -> dict:
        grievance = grievance_get_visible(user=self.request.user, grievance_id=grievance_id)
        prefetch_related_objects(
            [grievance], "photos",
            Prefetch("events", queryset=GrievanceEvent.objects.select_related("by")),
            Prefetch("replies", queryset=Reply.objects.select_related("by")),
        )
        return GrievanceDetailSerializer(grievance, context={"request": self.request}).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(kwargs["pk"]))

    @extend_schema(request=GrievanceCreateSerializer, responses={201: GrievanceDetailSerializer})
    def create(self, request, *args, **kwargs):
        data = {key: request.data.get(key) for key in GrievanceCreateSerializer.FIELDS
                if key in request.data}
        data["photos"] = request.FILES.getlist("photos")
        form = GrievanceCreateSerializer(data=data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        grievance = grievance_submit(
            by=request.user, channel=d["channel"], compound_id=d["compound"],
            building_id=d["building"] or None, unit=d["unit"], category_code=d["category"],
            description=d["description"], name=d["name"], phone=d["phone"],
            consent_contact=d["consent_contact"], received_at=d["received_at"],
            external_id=d["external_id"], photos=d["photos"],
        )
        return Response(self._detail(grievance.pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=GrievanceTransitionSerializer, responses=GrievanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        form = GrievanceTransitionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        grievance_transition(by=request.user, grievance_id=pk, **form.validated_data)
        return Response(self._detail(pk))

    @extend_schema(request=GrievanceAssignSerializer, responses=GrievanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        form = GrievanceAssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        grievance_assign(by=request.user, grievance_id=pk, assignee_id=data.pop("assignee"),
                         **data)
        return Response(self._detail(pk))

    @extend_schema(request=GrievanceReplyCreateSerializer, responses=GrievanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        form = GrievanceReplyCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        grievance_reply(by=request.user, grievance_id=pk, **form.validated_data)
        return Response(self._detail(pk), status=status.HTTP_201_CREATED)

    @extend_schema(request=GrievanceMergeSerializer, responses=GrievanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        form = GrievanceMergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        grievance_merge(by=request.user, grievance_id=pk, into_id=form.validated_data["into"])
        return Response(self._detail(pk))

    @extend_schema(request=None, responses=GrievanceContactSerializer)
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        name, phone = reveal_contact(user=request.user, grievance_id=pk, where="api")
        return Response({"name": name, "phone": phone})


routes = [("grievances", GrievanceViewSet, "grievance")]
