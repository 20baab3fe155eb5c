"""Public API of residents' issues (no account: a WeChat mini-program, any phone client).

    POST /api/v1/public/grievances/                      multipart → 201 {"tracking_code"}
    GET  /api/v1/public/grievances/{tracking_code}/     status, public replies, dates
    POST /api/v1/public/grievances/{tracking_code}/confirm/  {"rating", "comment"?}
    POST /api/v1/public/grievances/{tracking_code}/reopen/   {"reason"}

No authentication at all (no session, so no CSRF); AllowAny. An `Idempotency-Key`
header makes a repeat return the first tracking code and create nothing. Rate limits and
the honeypot come from grievances.limits: over a limit → 429 {"detail"}; a filled
`website` field → 201 {"tracking_code": null} and nothing saved. A photo over 10 MB →
413; a photo that is not one → 400 {"photos": [...]}. Never a name or phone number out.
Dates are ISO 8601 in Asia/Shanghai (+08:00).
"""

import hashlib

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from compounds.ratelimit import client_address
from compounds.selectors import one_row
from grievances.forms_public import status_words
from grievances.limits import check_submit_limits, honeypot_filled
from grievances.models import Channel, Grievance, Rating
from grievances.selectors import grievance_by_tracking_code, public_timeline
from grievances.services.handling import grievance_confirm, grievance_reopen
from grievances.services.intake import IDEMPOTENCY_KEY_MAX, grievance_submit

IDEMPOTENCY_PREFIX = "api:"


def idempotency_key(header: str | None) -> str | None:
    """The client's key, kept apart from other channels' keys; a long one is hashed."""
    key = (header or "").strip()
    if not key:
        return None
    if len(IDEMPOTENCY_PREFIX) + len(key) > IDEMPOTENCY_KEY_MAX:
        key = hashlib.sha256(key.encode()).hexdigest()
    return IDEMPOTENCY_PREFIX + key


def iso(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- serializers (parse and present; the services decide) ------------------------------

class PublicSubmitSerializer(serializers.Serializer):
    compound = serializers.CharField(required=False, allow_blank=True,
                                     help_text="Compound id (or give `qr`).")
    qr = serializers.CharField(required=False, allow_blank=True,
                               help_text="The QR point's code, e.g. from /q/<code>.")
    category = serializers.CharField(required=False, allow_blank=True,
                                     help_text="Category code, e.g. `leak`.")
    description = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    building = serializers.CharField(required=False, allow_blank=True)
    unit = serializers.CharField(required=False, allow_blank=True)
    name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    consent_contact = serializers.BooleanField(required=False, default=False)
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text="Up to 3 photos (repeat the field).")


class PublicTrackingCodeSerializer(serializers.Serializer):
    tracking_code = serializers.CharField(allow_null=True)


class PublicReplySerializer(serializers.Serializer):
    text = serializers.CharField()
    at = serializers.CharField()


class PublicEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    at = serializers.CharField()


class PublicGrievanceSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    compound = serializers.IntegerField()
    compound_name = serializers.CharField()
    received_at = serializers.CharField()
    updated_at = serializers.CharField()
    resolved_at = serializers.CharField(allow_null=True)
    closed_at = serializers.CharField(allow_null=True)
    replies = PublicReplySerializer(many=True)
    events = PublicEventSerializer(many=True)


class PublicConfirmSerializer(serializers.Serializer):
    rating = serializers.ChoiceField(choices=Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class PublicReopenSerializer(serializers.Serializer):
    reason = serializers.CharField()


def present(grievance: Grievance) -> dict:
    """What anyone holding the code may read: no name, phone, staff or internal note."""
    timeline = public_timeline(grievance=grievance)
    return {
        "tracking_code": grievance.tracking_code,
        "status": grievance.status,
        "status_label": status_words(grievance.status),
        "category": grievance.category.code,
        "category_name": grievance.category.name,
        "compound": grievance.compound_id,
        "compound_name": grievance.compound.name,
        "received_at": iso(grievance.received_at),
        "updated_at": iso(grievance.updated_at),
        "resolved_at": iso(grievance.resolved_at),
        "closed_at": iso(grievance.closed_at),
        "replies": [{"text": e.text, "at": iso(e.at)} for e in timeline if e.kind == "reply"],
        "events": [{"status": e.status, "at": iso(e.at)} for e in timeline
                   if e.kind == "status"],
    }


# --- the viewset ---------------------------------------------------------------------------

class PublicGrievanceViewSet(viewsets.ViewSet):
    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    lookup_field = "tracking_code"
    lookup_value_regex = r"[^/]+"

    @extend_schema(
        request={"multipart/form-data": PublicSubmitSerializer},
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER,
                                     required=False,
                                     description="A repeat returns the first tracking code.")],
        responses={201: PublicTrackingCodeSerializer,
                   400: OpenApiResponse(description="Field errors, by field."),
                   413: OpenApiResponse(description="A photo over 10 MB."),
                   429: OpenApiResponse(description="Too many reports.")},
        summary="Report a problem (no account)",
    )
    def create(self, request):
        key = idempotency_key(request.headers.get("Idempotency-Key"))
        if key:
            code = one_row(Grievance.objects.filter(idempotency_key=key)
                           .values_list("tracking_code", flat=True))
            if code:
                return Response({"tracking_code": code}, status=status.HTTP_201_CREATED)
        if honeypot_filled(request.data):
            return Response({"tracking_code": None}, status=status.HTTP_201_CREATED)
        parsed = PublicSubmitSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        check_submit_limits(address=client_address(request), phone=data.get("phone", ""))
        grievance = grievance_submit(
            by=None, channel=Channel.API, compound_id=data.get("compound") or None,
            qr_code=data.get("qr") or None, category_code=data.get("category", ""),
            description=data.get("description", ""), building_id=data.get("building") or None,
            unit=data.get("unit", ""), name=data.get("name", ""), phone=data.get("phone", ""),
            consent_contact=data.get("consent_contact", False),
            photos=request.FILES.getlist("photos"), idempotency_key=key,
            idempotency_checked=True,  # looked up above
        )
        return Response({"tracking_code": grievance.tracking_code},
                        status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: PublicGrievanceSerializer,
                              404: OpenApiResponse(description="Unknown tracking code.")},
                   summary="Follow a report by its tracking code")
    def retrieve(self, request, tracking_code=None):
        return Response(present(grievance_by_tracking_code(tracking_code)))

    @extend_schema(request=PublicConfirmSerializer, responses={200: PublicGrievanceSerializer},
                   summary="Confirm a resolved report and rate the handling")
    @action(detail=True, methods=["post"])
    def confirm(self, request, tracking_code=None):
        parsed = PublicConfirmSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        grievance = grievance_by_tracking_code(tracking_code)
        grievance_confirm(tracking_code=grievance.tracking_code, **parsed.validated_data)
        return Response(present(grievance_by_tracking_code(grievance.tracking_code)))

    @extend_schema(request=PublicReopenSerializer, responses={200: PublicGrievanceSerializer},
                   summary="Reopen a resolved report within 7 days")
    @action(detail=True, methods=["post"])
    def reopen(self, request, tracking_code=None):
        parsed = PublicReopenSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        grievance = grievance_by_tracking_code(tracking_code)
        grievance_reopen(tracking_code=grievance.tracking_code, **parsed.validated_data)
        return Response(present(grievance_by_tracking_code(grievance.tracking_code)))


routes = [("public/grievances", PublicGrievanceViewSet, "public-grievance")]
