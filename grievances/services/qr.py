"""QR points: the codes on stairwell walls. Each has a short stable code (its URL is
/q/<code>; a reprinted poster keeps it), a compound and optionally a building or a named
spot. Staff create them in their area and switch them off (never delete: old posters
still point at them). The reads the staff pages need sit here too, each starting at the
area gate."""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Community, Compound, User
from compounds.selectors import area_q, communities_visible_to, compound_get_visible
from compounds.validation import Errors, add_error, as_id
from grievances.models import QRPoint
from grievances.services.intake import CODE_ALPHABET

QR_CODE_LENGTH = 6
SPOT_MAX = 60
_ATTEMPTS = 5


def new_qr_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(QR_CODE_LENGTH))


def normalize_qr_code(value: str | None) -> str:
    return "".join((value or "").split()).upper()


def qr_path(code: str) -> str:
    return reverse("public-issues:qr", args=[code])


def qr_absolute_url(code: str, request=None) -> str:
    """What the QR encodes: PUBLIC_BASE_URL + /q/<code>, or the request's own host."""
    base = getattr(settings, "PUBLIC_BASE_URL", "")
    if base:
        return base.rstrip("/") + qr_path(code)
    if request is not None:
        return request.build_absolute_uri(qr_path(code))
    return qr_path(code)


# --- reads --------------------------------------------------------------------------

def qr_points_visible_to(user: User) -> QuerySet[QRPoint]:
    return QRPoint.objects.filter(area_q(user, compound_path="compound__"))


def qr_point_get_visible(*, user: User, code: str) -> QRPoint:
    point = (qr_points_visible_to(user)
             .select_related("compound__community", "building")
             .filter(code=normalize_qr_code(code)).first())
    if point is None:
        raise Http404("QR point not found")
    return point


def qr_points_of_compound(*, compound: Compound) -> QuerySet[QRPoint]:
    return (QRPoint.objects.filter(compound=compound).select_related("building")
            .annotate(issue_count=Count("grievances")).order_by("-active", "building__number",
                                                                 "spot", "id"))


def qr_compounds_of_area(*, user: User) -> QuerySet[Compound]:
    """The user's compounds with their count of active QR points (one query)."""
    return (Compound.objects.filter(area_q(user))
            .select_related("community")
            .annotate(qr_active=Count("qr_points", filter=Q(qr_points__active=True)))
            .order_by("community__name", "name", "id"))


def community_get_visible(*, user: User, community_id: int) -> Community:
    community = communities_visible_to(user).filter(pk=community_id).first()
    if community is None:
        raise Http404("community not found")
    return community


def community_poster_points(*, community: Community) -> list[QRPoint]:
    """Every active point of a community, in print order (one query)."""
    return list(QRPoint.objects.filter(compound__community=community, active=True)
                .select_related("compound__community", "building")
                .order_by("compound__name", "compound_id", "building__number", "spot", "id"))


def buildings_of(compound: Compound) -> QuerySet[Building]:
    return Building.objects.filter(compound=compound).order_by("number", "id")


# --- writes -------------------------------------------------------------------------

@transaction.atomic
def qr_point_create(*, by: User, compound_id, building_id=None, spot: str = "") -> QRPoint:
    """A new point in a compound of the user's area (404 outside it)."""
    compound = compound_get_visible(user=by, compound_id=as_id(compound_id) or 0)
    errors: Errors = {}
    building = None
    if building_id not in (None, ""):
        pk = as_id(building_id)
        building = Building.objects.filter(pk=pk, compound=compound).first() if pk else None
        if building is None:
            add_error(errors, "building", _("This building is not in this compound."))
    spot = (spot or "").strip()
    if len(spot) > SPOT_MAX:
        add_error(errors, "spot", _("At most %(max)s characters.") % {"max": SPOT_MAX})
    if errors:
        raise ValidationError(errors)
    point = QRPoint(compound=compound, building=building, spot=spot)
    for _attempt in range(_ATTEMPTS):
        point.code = new_qr_code()
        point.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                point.save(force_insert=True)
            return point
        except IntegrityError:
            point.pk = None
            point._state.adding = True
            if not QRPoint.objects.filter(code=point.code).exists():
                raise
    raise ApplicationError(_("Could not give the QR point a code; try again."),
                           status_code=503)


@transaction.atomic
def qr_point_set_active(*, by: User, code: str, active: bool) -> QRPoint:
    """Switch a point off (its poster then says so) or on again; a repeat is a no-op."""
    point = qr_point_get_visible(user=by, code=code)
    if point.active != active:
        point.active = active
        point.save(update_fields=["active"])
    return point
