"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2): what the views at
/open311/v2/ answer, in JSON only.

- services = our active categories (service_code = Category.code, metadata false, type
  realtime: the service_request_id, our tracking code, comes back at once; tokens are
  never issued).
- A request's location is a compound: `address_id` = the compound id; `lat`/`long` pick
  the nearest compound with coordinates within MAX_DISTANCE_M; `address_string` is
  accepted when it is exactly one compound's name.
- Status: closed when the issue is in OPEN311_CLOSED (resolved, closed, rejected,
  merged), open otherwise. Dates are W3C/ISO 8601 with the local offset (+08:00).
- Nothing personal goes out: no reporter name or phone, mobile numbers inside a
  description are masked, photos (staff-only) are not linked.
- API keys (POST only) are stored as SHA-256 hex digests (`open311_key` command).
- Errors are `[{"code", "description"}]`: 403 missing/invalid api_key, 404 a resource
  (or service_code) that does not exist, 400 anything else.
"""

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Compound
from compounds.privacy import mask_phone
from compounds.validation import as_id
from grievances.limits import check_submit_limits
from grievances.models import (
    OPEN311_CLOSED,
    Category,
    Channel,
    Grievance,
    Open311Key,
    Reply,
)
from grievances.services.intake import grievance_submit, normalize_tracking_code, tracking_url

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this implementation (the discovery document) last changed.
CHANGESET = "2026-11-22T00:00:00+08:00"
MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
MAX_DISTANCE_M = 1000
EARTH_RADIUS_M = 6_371_000
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")
# An unescaped "+08:00" in a query string arrives as " 08:00".
_SPACE_OFFSET = re.compile(r"^(.*T[\d:.]+) (\d{2}:?\d{2})$")


class Open311Error(Exception):
    """An error answer: HTTP `status` and the descriptions, one error each."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = descriptions

    def as_json(self) -> list[dict]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


# --- keys ---------------------------------------------------------------------------------

def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def open311_key_create(*, name: str) -> tuple[Open311Key, str]:
    """A new active key for the client `name`: (the stored row, the key itself). Only
    the key's SHA-256 is stored; the key cannot be shown again."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the client's name.")]})
    key = secrets.token_urlsafe(32)
    client = Open311Key(name=name, key_hash=key_hash(key))
    client.full_clean()
    client.save()
    return client, key


@transaction.atomic
def open311_key_deactivate(*, name: str) -> int:
    """Switch off every active key of the client `name`; how many were switched off."""
    return Open311Key.objects.filter(name=(name or "").strip(), active=True).update(
        active=False)


def open311_client(api_key: str | None) -> Open311Key | None:
    """The active key `api_key` is, or None."""
    if not api_key:
        return None
    return Open311Key.objects.filter(key_hash=key_hash(api_key), active=True).first()


# --- output -------------------------------------------------------------------------------

def w3(moment: datetime | None) -> str | None:
    """2024-05-01T09:30:00+08:00 (the local zone's offset, whole seconds)."""
    if moment is None:
        return None
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def discovery(*, endpoint_url: str) -> dict:
    return {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", "") or _(
            "Ask the district's renovation office (老旧小区改造办公室)."),
        "key_service": _("API keys are issued by the district's renovation office, one per "
                         "client application."),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": endpoint_url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": ["application/json"],
        }],
    }


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description or category.name,
        "metadata": False,
        "type": "realtime",
        "keywords": category.name,
        "group": _("Residential compound"),
    }


def services() -> list[dict]:
    return [_service(c) for c in Category.objects.filter(active=True).order_by("sort", "id")]


def service_definition(code: str) -> dict:
    """No service has extra fields (metadata false): the definition has no attributes.
    404 for a code that is not an active category."""
    category = Category.objects.filter(code=code, active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
    return {"service_code": category.code, "attributes": []}


def _masked(text: str) -> str:
    return _MOBILE_IN_TEXT.sub(lambda m: mask_phone(m.group()), text)


def _address(grievance: Grievance) -> str:
    compound = grievance.compound
    parts = []
    if grievance.building_id:
        parts.append(_("building %(number)s") % {"number": grievance.building.number})
    parts += [compound.name, compound.address, compound.community.name,
              compound.community.subdistrict.name]
    return "，".join(p for p in parts if p)


def _agency(grievance: Grievance) -> str:
    if grievance.party_name:
        return grievance.party_name
    if grievance.party:
        return str(grievance.get_party_display())
    return str(grievance.get_level_display())


def _coordinate(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def request_json(grievance: Grievance) -> dict:
    """One service request; `grievance` comes from `_requests_query` (notes annotated)."""
    closed = grievance.status in OPEN311_CLOSED
    if closed:
        updated = grievance.closed_at or grievance.resolved_at or grievance.updated_at
    else:
        updated = grievance.updated_at
    return {
        "service_request_id": grievance.tracking_code,
        "status": "closed" if closed else "open",
        "status_notes": grievance.public_note or None,
        "service_name": grievance.category.name,
        "service_code": grievance.category.code,
        "description": _masked(grievance.description),
        "agency_responsible": _agency(grievance),
        "service_notice": None,
        "requested_datetime": w3(grievance.received_at),
        "updated_datetime": w3(updated),
        "expected_datetime": None if closed else w3(grievance.due_at),
        "address": _address(grievance),
        "address_id": grievance.compound_id,
        "zipcode": None,
        "lat": _coordinate(grievance.compound.latitude),
        "long": _coordinate(grievance.compound.longitude),
        "media_url": None,
    }


def _requests_query() -> QuerySet[Grievance]:
    """Every field a request shows, in one query: the latest public reply (a merged
    issue's own or its survivor's) comes in as `public_note`."""
    latest_reply = (
        Reply.objects.filter(Q(grievance_id=OuterRef("pk"))
                             | Q(grievance_id=OuterRef("merged_into_id")), public=True)
        .order_by("-at", "-id").values("text")[:1]
    )
    return (
        Grievance.objects.select_related("category", "building",
                                         "compound__community__subdistrict")
        .annotate(public_note=Subquery(latest_reply))
    )


def request_detail(service_request_id: str) -> list[dict]:
    code = normalize_tracking_code(service_request_id)
    grievance = _requests_query().filter(tracking_code=code).first() if code else None
    if grievance is None:
        raise Open311Error(404, _("service_request_id %(id)s not found.")
                           % {"id": service_request_id})
    return [request_json(grievance)]


# --- GET requests -------------------------------------------------------------------------

@dataclass
class RequestQuery:
    ids: list[str] | None = None
    service_codes: list[str] | None = None
    statuses: set[str] | None = None
    start: datetime | None = None
    end: datetime | None = None


def _list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def parse_moment(name: str, value: str, *, end: bool = False) -> datetime:
    """A W3C date-time (2010-01-01T00:00:00Z, …+08:00; no zone = local time) or a date
    (the start of that day; for end_date its last moment)."""
    text = value.strip()
    text = _SPACE_OFFSET.sub(r"\1+\2", text)
    try:
        if _DATE_ONLY.fullmatch(text):
            day = parse_date(text)
            moment = day and datetime.combine(day, time.max if end else time.min)
        else:
            moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        raise Open311Error(400, _(
            "%(name)s is not a W3C date-time; use e.g. 2010-01-01T00:00:00Z or "
            "2010-01-01T08:00:00+08:00.") % {"name": name})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_requests_query(params, *, now: datetime | None = None) -> RequestQuery:
    """The GET requests arguments. `service_request_id` overrides the others (spec);
    without dates the window is the last 90 days; one date makes a 90-day window from
    (or to) it; two may not span more than 90 days."""
    ids = _list(params.get("service_request_id"))
    if ids:
        return RequestQuery(ids=[normalize_tracking_code(i) for i in ids[:MAX_RESULTS]])
    errors = []
    query = RequestQuery(service_codes=_list(params.get("service_code")) or None)
    statuses = {s.lower() for s in _list(params.get("status"))}
    if statuses - {"open", "closed"}:
        errors.append(_("status must be open, closed or both (comma-separated)."))
    query.statuses = statuses or None
    moments = {}
    for name in ("start_date", "end_date"):
        value = params.get(name)
        if value and value.strip():
            try:
                moments[name] = parse_moment(name, value, end=name == "end_date")
            except Open311Error as exc:
                errors.extend(exc.descriptions)
    if errors:
        raise Open311Error(400, *errors)
    start, end = moments.get("start_date"), moments.get("end_date")
    if start and end:
        if end < start:
            raise Open311Error(400, _("end_date is before start_date."))
        if end - start > WINDOW:
            raise Open311Error(400, _("start_date to end_date may not span more than 90 "
                                      "days."))
    elif start:
        end = start + WINDOW
    elif end:
        start = end - WINDOW
    else:
        end = now or timezone.now()
        start = end - WINDOW
    query.start, query.end = start, end
    return query


def requests_list(query: RequestQuery) -> list[dict]:
    """The matching requests, newest first, at most MAX_RESULTS (one query)."""
    rows = _requests_query()
    if query.ids is not None:
        rows = rows.filter(tracking_code__in=query.ids)
    else:
        rows = rows.filter(received_at__gte=query.start, received_at__lte=query.end)
        if query.service_codes:
            rows = rows.filter(category__code__in=query.service_codes)
        if query.statuses == {"open"}:
            rows = rows.exclude(status__in=OPEN311_CLOSED)
        elif query.statuses == {"closed"}:
            rows = rows.filter(status__in=OPEN311_CLOSED)
    rows = rows.order_by("-received_at", "-id")[:MAX_RESULTS]
    return [request_json(g) for g in rows]


# --- POST requests ------------------------------------------------------------------------

def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest_compound(lat: Decimal, lon: Decimal) -> Compound | None:
    """The compound whose coordinates are nearest (lat, lon), if within MAX_DISTANCE_M."""
    box_lat = Decimal(MAX_DISTANCE_M / 111_000)
    box_lon = Decimal(MAX_DISTANCE_M / (111_000 * max(math.cos(math.radians(lat)), 0.01)))
    candidates = Compound.objects.filter(
        latitude__gte=lat - box_lat, latitude__lte=lat + box_lat,
        longitude__gte=lon - box_lon, longitude__lte=lon + box_lon,
    ).only("id", "latitude", "longitude")
    best, best_distance = None, float(MAX_DISTANCE_M)
    for compound in candidates:
        distance = _distance_m(float(lat), float(lon), float(compound.latitude),
                               float(compound.longitude))
        if distance <= best_distance:
            best, best_distance = compound, distance
    return best


def _decimal(value: str, low: int, high: int) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() and low <= number <= high else None


def _location(data) -> int:
    """The compound id the request's location names (address_id, lat/long, or an
    address_string that is one compound's exact name); Open311Error 400 otherwise."""
    address_id = (data.get("address_id") or "").strip()
    lat_text, long_text = (data.get("lat") or "").strip(), (data.get("long") or "").strip()
    address = (data.get("address_string") or "").strip()
    if address_id:
        pk = as_id(address_id)
        if pk is None or not Compound.objects.filter(pk=pk).exists():
            raise Open311Error(400, _("address_id %(id)s is not a known compound.")
                               % {"id": address_id})
        return pk
    if lat_text or long_text:
        lat, lon = _decimal(lat_text, -90, 90), _decimal(long_text, -180, 180)
        if lat is None or lon is None:
            raise Open311Error(400, _("lat and long must both be given, as WGS84 decimal "
                                      "degrees."))
        compound = nearest_compound(lat, lon)
        if compound is None:
            raise Open311Error(400, _(
                "No compound within %(m)d m of lat/long: give address_id (the compound id)."
            ) % {"m": MAX_DISTANCE_M})
        return compound.pk
    if address:
        ids = list(Compound.objects.filter(name=address).values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return ids[0]
        raise Open311Error(400, _("address_string must be exactly one compound's name; "
                                  "give address_id (the compound id) instead."))
    raise Open311Error(400, _("A location is required: address_id (the compound id) or "
                              "lat and long."))


# Intake's field names → the Open311 argument a client can fix.
_ARGUMENT = {"compound": "address_id", "category": "service_code", "description": "description",
             "name": "first_name/last_name", "phone": "phone", "building": "address_id",
             "unit": "address_id"}


def _full_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return f"{last}{first}"  # 张 + 三 → 张三


def request_create(data) -> list[dict]:
    """POST Service Request: the api_key, then the service, the location and the rest;
    the issue goes through `grievance_submit` (channel open311, no staff account). A
    phone number given is taken as consent to be contacted about this report."""
    if open311_client(data.get("api_key")) is None:
        raise Open311Error(403, _("api_key is missing, invalid or switched off."))
    code = (data.get("service_code") or "").strip()
    if not code:
        raise Open311Error(400, _("service_code was not provided."))
    if not Category.objects.filter(code=code, active=True).exists():
        raise Open311Error(404, _("service_code %(code)s not found.") % {"code": code})
    compound_id = _location(data)
    phone = (data.get("phone") or "").strip()
    try:
        check_submit_limits(address="", phone=phone)
        grievance = grievance_submit(
            by=None, channel=Channel.OPEN311, compound_id=compound_id, category_code=code,
            description=data.get("description") or "",
            name=_full_name(data.get("first_name") or "", data.get("last_name") or ""),
            phone=phone, consent_contact=bool(phone),
        )
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        raise Open311Error(400, *[
            f"{_ARGUMENT.get(name, name)}: {message}" if name else message
            for name, items in messages.items() for message in items
        ]) from exc
    except ApplicationError as exc:  # e.g. too many reports from this phone (429)
        raise Open311Error(400, exc.message) from exc
    return [{
        "service_request_id": grievance.tracking_code,
        "service_notice": _("Received. Follow it with the tracking code %(code)s at "
                            "%(url)s") % {"code": grievance.tracking_code,
                                          "url": tracking_url(grievance.tracking_code)},
        "account_id": None,
    }]
