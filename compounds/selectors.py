"""Reads with a rule in them. The area gate lives here, and only here.

Every list, detail, API, export and task asks `area_q` (or one of the helpers built on
it) what the user may see. A user with no role sees nothing; a superuser or a district
account sees the whole district.
"""

from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from compounds.models import Building, Community, Compound, Role, Subdistrict, User

# Path from a compound to the fields the gate filters on.
_SUBDISTRICT = "community__subdistrict_id"
_COMMUNITY = "community_id"


def one_row(queryset: QuerySet):
    """The row of a lookup that matches at most one (a primary key, a unique code), or
    None. Unlike `.first()` it asks for no ORDER BY (the model's default ordering would
    be compiled and sorted for nothing), and unlike `.get()` no LIMIT 21 and no
    exception: on a resident's report, every such query costs a quarter less CPU."""
    for row in queryset.order_by()[:1]:
        return row
    return None


def sees_whole_district(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.role == Role.DISTRICT))


def area_q(user: User, *, compound_path: str = "") -> Q:
    """The Q that keeps only rows in `user`'s area.

    `compound_path` is the lookup from the filtered model to its compound, with a
    trailing "__" (e.g. "building__compound__" for dwellings); "" for compounds.
    """
    if not (user and user.is_authenticated and user.is_active):
        return Q(pk__in=[])
    if sees_whole_district(user):
        return Q()
    if user.role == Role.SUBDISTRICT and user.subdistrict_id:
        return Q(**{compound_path + _SUBDISTRICT: user.subdistrict_id})
    if user.role == Role.COMMUNITY and user.community_id:
        return Q(**{compound_path + _COMMUNITY: user.community_id})
    return Q(pk__in=[])


def compounds_visible_to(user: User) -> QuerySet[Compound]:
    return Compound.objects.filter(area_q(user))


def compound_get_visible(*, user: User, compound_id: int) -> Compound:
    """One compound the user may see, or 404: another area's compound does not exist."""
    compound = (
        compounds_visible_to(user)
        .select_related("community__subdistrict", "grid")
        .filter(pk=compound_id)
        .first()
    )
    if compound is None:
        raise Http404("compound not found")
    return compound


def subdistricts_visible_to(user: User) -> QuerySet[Subdistrict]:
    if sees_whole_district(user):
        return Subdistrict.objects.all()
    if user.is_authenticated and user.role == Role.SUBDISTRICT:
        return Subdistrict.objects.filter(pk=user.subdistrict_id)
    if user.is_authenticated and user.role == Role.COMMUNITY:
        return Subdistrict.objects.filter(communities=user.community_id)
    return Subdistrict.objects.none()


def communities_visible_to(user: User) -> QuerySet[Community]:
    if sees_whole_district(user):
        return Community.objects.all()
    if user.is_authenticated and user.role == Role.SUBDISTRICT:
        return Community.objects.filter(subdistrict_id=user.subdistrict_id)
    if user.is_authenticated and user.role == Role.COMMUNITY:
        return Community.objects.filter(pk=user.community_id)
    return Community.objects.none()


def area_summary(*, user: User) -> dict:
    """Headline figures of the user's area, in one query, for the staff home."""
    totals = compounds_visible_to(user).aggregate(
        compounds=Count("id"),
        eligible=Count("id", filter=Q(build_year__lte=2000)),
        households=Sum("households"),
        residents=Sum("residents"),
        buildings=Sum("building_count"),
    )
    return {key: value or 0 for key, value in totals.items()}


def subdistrict_breakdown(*, user: User) -> QuerySet[Subdistrict]:
    """Per-subdistrict counts of the compounds the user may see (one query)."""
    compound_filter = area_q(user, compound_path="communities__compounds__")
    return (
        subdistricts_visible_to(user)
        .annotate(
            compound_count=Count("communities__compounds", filter=compound_filter),
            household_count=Sum("communities__compounds__households", filter=compound_filter),
        )
        .order_by("name")
    )


# A compound's figures that its records decide once it has any: field → the total it is
# counted from. Until then the figures typed on the compound stand.
COUNTED_FIELDS = {
    "building_count": "buildings",
    "households": "dwellings",
    "floor_area": "dwellings",
}


def compound_registry_totals(*, compound_id: int) -> dict:
    """What a compound's building and dwelling records add up to, in one query:
    {"buildings", "dwellings", "area"} (area exact to the cent on every database)."""
    totals = Building.objects.filter(compound_id=compound_id).aggregate(
        building_total=Count("id", distinct=True),
        dwelling_total=Count("dwellings"),
        area_total=Sum("dwellings__area"),
    )
    return {
        "buildings": totals["building_total"],
        "dwellings": totals["dwelling_total"],
        "area": Decimal(str(totals["area_total"] or 0)).quantize(Decimal("0.01")),
    }


def compound_counted_fields(*, compound_id: int) -> set[str]:
    """The figures the records now decide (one query): the building count once there are
    buildings, households and floor area once there are dwellings."""
    totals = compound_registry_totals(compound_id=compound_id)
    return {field for field, source in COUNTED_FIELDS.items() if totals[source]}
