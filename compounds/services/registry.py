"""Writes to the registry: subdistricts down to dwellings, through the area gate, keeping
each compound's counted figures in line with its records."""

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model
from django.http import Http404
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import (
    Building,
    Community,
    Compound,
    Dwelling,
    Grid,
    PropertyManagement,
    Role,
    Subdistrict,
    User,
)
from compounds.selectors import (
    area_q,
    communities_visible_to,
    compound_counted_fields,
    compound_registry_totals,
    compounds_visible_to,
    sees_whole_district,
    subdistricts_visible_to,
)
from compounds.validation import save_unique

COMPOUND_FIELDS = frozenset(
    {
        "name", "address", "community_id", "grid_id", "build_year", "households",
        "residents", "building_count", "floor_area", "property_management",
        "has_owners_committee", "has_party_branch", "latitude", "longitude",
    }
)
BUILDING_FIELDS = frozenset({"compound_id", "number", "units", "floors", "build_year"})
DWELLING_FIELDS = frozenset(
    {"building_id", "unit", "number", "area", "owner_ref", "owner_name", "owner_phone"}
)

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")


def _validate(instance: Model, errors: dict[str, Any]) -> None:
    """full_clean() plus the service's own field errors, reported together so every bad
    field is named at once. Fields the service already refused are not checked twice."""
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, messages)
    if errors:
        raise ValidationError(errors)


def _check_fields(data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {sorted(unknown)}")


def _is_staff(by: User) -> bool:
    return bool(by.is_active and (by.is_superuser or by.role in Role.values))


def _require_year(value: int | None, field: str, errors: dict[str, Any]) -> None:
    if value is not None and not 1900 <= value <= 2100:
        errors.setdefault(field, _("Enter a year between 1900 and 2100."))


def _require_at_least_one(instance: Model, fields: tuple[str, ...], errors: dict) -> None:
    for field in fields:
        value = getattr(instance, field)
        if value is not None and value < 1:
            errors.setdefault(field, _("Enter 1 or more."))


@transaction.atomic
def subdistrict_create(*, by: User, name: str) -> Subdistrict:
    """Add a subdistrict: the district office's decision only."""
    if not sees_whole_district(by):
        raise ApplicationError(
            _("Only the district office can add subdistricts."), status_code=403
        )
    subdistrict = Subdistrict(name=name.strip())
    message = _("A subdistrict named “%(name)s” already exists.") % {"name": subdistrict.name}
    errors: dict[str, Any] = {}
    if subdistrict.name and Subdistrict.objects.filter(name=subdistrict.name).exists():
        errors["name"] = message
    _validate(subdistrict, errors)
    save_unique(subdistrict, field="name", message=message)
    return subdistrict


@transaction.atomic
def community_create(
    *,
    by: User,
    name: str,
    subdistrict_id: int,
    office_phone: str = "",
    office_address: str = "",
) -> Community:
    """Add a community: district staff anywhere, subdistrict staff in their own
    subdistrict."""
    if not (sees_whole_district(by) or (by.is_active and by.role == Role.SUBDISTRICT)):
        raise ApplicationError(
            _("Only district or subdistrict staff can add communities."), status_code=403
        )
    errors: dict[str, Any] = {}
    subdistrict = subdistricts_visible_to(by).filter(pk=subdistrict_id).first()
    if subdistrict is None:
        errors["subdistrict"] = _("Choose a subdistrict in your area.")
    community = Community(
        name=name.strip(),
        subdistrict=subdistrict,
        office_phone=office_phone.strip(),
        office_address=office_address.strip(),
    )
    message = _("A community named “%(name)s” already exists.") % {"name": community.name}
    if community.name and Community.objects.filter(name=community.name).exists():
        errors["name"] = message
    _validate(community, errors)
    save_unique(community, field="name", message=message)
    return community


@transaction.atomic
def grid_create(*, by: User, community_id: int, name: str, worker_name: str = "") -> Grid:
    """Add a grid to a community in the user's area."""
    errors: dict[str, Any] = {}
    community = None
    if _is_staff(by):
        community = communities_visible_to(by).filter(pk=community_id).first()
    if community is None:
        errors["community"] = _("Choose a community in your area.")
    grid = Grid(community=community, name=name.strip(), worker_name=worker_name.strip())
    message = _("This community already has a grid named “%(name)s”.") % {"name": grid.name}
    if community and grid.name and community.grids.filter(name=grid.name).exists():
        errors["name"] = message
    _validate(grid, errors)
    save_unique(grid, field="name", message=message)
    return grid


def _compound_parents(
    compound: Compound,
    *,
    by: User,
    community_id: int,
    grid_id: int | None,
    errors: dict[str, Any],
) -> None:
    """Resolve the community (through the gate) and the grid (in that community)."""
    community = None
    if _is_staff(by):
        community = (
            communities_visible_to(by).select_related("subdistrict").filter(pk=community_id)
        ).first()
    if community is None:
        errors["community"] = _("Choose a community in your area.")
        compound.grid = None
        return
    compound.community = community
    if grid_id is None:
        compound.grid = None
        return
    grid = Grid.objects.filter(pk=grid_id, community=community).first()
    if grid is None:
        errors["grid"] = _("Choose a grid of the compound's community.")
    compound.grid = grid


def _compound_checks(compound: Compound, errors: dict[str, Any]) -> str:
    """Field checks the model cannot make; returns the duplicate-name message."""
    message = _("A compound named “%(name)s” already exists in this community.") % {
        "name": compound.name
    }
    if (
        compound.name
        and compound.community_id
        and "community" not in errors
        and Compound.objects.filter(community_id=compound.community_id, name=compound.name)
        .exclude(pk=compound.pk)
        .exists()
    ):
        errors["name"] = message
    _require_year(compound.build_year, "build_year", errors)
    if compound.latitude is not None and not -90 <= compound.latitude <= 90:
        errors.setdefault("latitude", _("Enter a latitude between -90 and 90."))
    if compound.longitude is not None and not -180 <= compound.longitude <= 180:
        errors.setdefault("longitude", _("Enter a longitude between -180 and 180."))
    return message


@transaction.atomic
def compound_create(
    *,
    by: User,
    name: str,
    community_id: int,
    build_year: int,
    address: str = "",
    grid_id: int | None = None,
    households: int = 0,
    residents: int = 0,
    building_count: int = 0,
    floor_area: Decimal = Decimal("0"),
    property_management: str = PropertyManagement.NONE,
    has_owners_committee: bool = False,
    has_party_branch: bool = False,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Compound:
    """Add a compound to a community in the user's area."""
    compound = Compound(
        name=name.strip(),
        address=address.strip(),
        build_year=build_year,
        households=households,
        residents=residents,
        building_count=building_count,
        floor_area=floor_area,
        property_management=property_management,
        has_owners_committee=has_owners_committee,
        has_party_branch=has_party_branch,
        latitude=latitude,
        longitude=longitude,
    )
    errors: dict[str, Any] = {}
    _compound_parents(
        compound, by=by, community_id=community_id, grid_id=grid_id, errors=errors
    )
    message = _compound_checks(compound, errors)
    _validate(compound, errors)
    save_unique(compound, field="name", message=message)
    return compound


@transaction.atomic
def compound_update(*, by: User, compound_id: int, data: Mapping[str, Any]) -> Compound:
    """Change some of a compound's fields (`data` keys: COMPOUND_FIELDS). Another area's
    compound is a 404; figures counted from its records cannot be typed over."""
    _check_fields(data, COMPOUND_FIELDS)
    compound = (
        compounds_visible_to(by)
        .select_related("community")
        .select_for_update(of=("self",))
        .filter(pk=compound_id)
        .first()
    )
    if compound is None:
        raise Http404("compound not found")
    errors: dict[str, Any] = {}
    for field in compound_counted_fields(compound_id=compound.pk) & set(data):
        if data[field] != getattr(compound, field):
            errors[field] = _(
                "Counted from the buildings and dwellings recorded: change those instead."
            )
    for field, value in data.items():
        if field in ("community_id", "grid_id") or field in errors:
            continue
        setattr(compound, field, value.strip() if isinstance(value, str) else value)
    if "community_id" in data or "grid_id" in data:
        _compound_parents(
            compound,
            by=by,
            community_id=data.get("community_id", compound.community_id),
            grid_id=data.get("grid_id", compound.grid_id),
            errors=errors,
        )
    message = _compound_checks(compound, errors)
    _validate(compound, errors)
    save_unique(compound, field="name", message=message)
    return compound


def _compound_refresh_totals(compound: Compound) -> None:
    """Bring the compound's counted figures in line with its records (one aggregate
    query, one update). The caller holds the compound's row lock."""
    totals = compound_registry_totals(compound_id=compound.pk)
    compound.building_count = totals["buildings"]
    fields = ["building_count", "updated_at"]
    if totals["dwellings"]:
        compound.households = totals["dwellings"]
        compound.floor_area = totals["area"]
        fields += ["households", "floor_area"]
    compound.save(update_fields=fields)


def _building_checks(building: Building, errors: dict[str, Any]) -> str:
    message = _("This compound already has a building numbered “%(number)s”.") % {
        "number": building.number
    }
    if (
        building.number
        and building.compound_id
        and Building.objects.filter(compound_id=building.compound_id, number=building.number)
        .exclude(pk=building.pk)
        .exists()
    ):
        errors["number"] = message
    _require_at_least_one(building, ("units", "floors"), errors)
    _require_year(building.build_year, "build_year", errors)
    return message


@transaction.atomic
def building_create(
    *,
    by: User,
    compound_id: int,
    number: str,
    units: int = 1,
    floors: int = 1,
    build_year: int | None = None,
) -> Building:
    """Add a building to a compound in the user's area; the compound's building count
    follows."""
    compound = (
        compounds_visible_to(by).select_for_update().filter(pk=compound_id).first()
        if _is_staff(by)
        else None
    )
    errors: dict[str, Any] = {}
    if compound is None:
        errors["compound"] = _("Choose a compound in your area.")
    building = Building(
        compound=compound, number=number.strip(), units=units, floors=floors,
        build_year=build_year,
    )
    message = _building_checks(building, errors)
    _validate(building, errors)
    save_unique(building, field="number", message=message)
    _compound_refresh_totals(compound)
    return building


def _building_locked(*, by: User, building_id: int) -> Building | None:
    """A building in the user's area, with its compound, both rows locked (the compound
    lock keeps its totals right when dwellings change concurrently)."""
    if not _is_staff(by):
        return None
    return (
        Building.objects.filter(area_q(by, compound_path="compound__"))
        .select_related("compound")
        .select_for_update(of=("self", "compound"))
        .filter(pk=building_id)
        .first()
    )


@transaction.atomic
def building_update(*, by: User, building_id: int, data: Mapping[str, Any]) -> Building:
    """Change a building (`data` keys: BUILDING_FIELDS). A building stays in its
    compound."""
    _check_fields(data, BUILDING_FIELDS)
    building = _building_locked(by=by, building_id=building_id)
    if building is None:
        raise Http404("building not found")
    errors: dict[str, Any] = {}
    if data.get("compound_id", building.compound_id) != building.compound_id:
        errors["compound"] = _("A building cannot move to another compound.")
    for field, value in data.items():
        if field != "compound_id":
            setattr(building, field, value.strip() if isinstance(value, str) else value)
    message = _building_checks(building, errors)
    _validate(building, errors)
    save_unique(building, field="number", message=message)
    return building


def _owner_contact_allowed(by: User, dwelling: Dwelling, *, name: str, phone: str) -> None:
    """Only staff who may read owners' names and phones may record them. Sending back
    the masked value one was shown counts as leaving it alone."""
    if by.sees_owner_contact:
        return
    unchanged_name = name in (dwelling.owner_name, dwelling.masked_owner_name)
    unchanged_phone = phone in (dwelling.owner_phone, dwelling.masked_owner_phone)
    if not (unchanged_name and unchanged_phone):
        raise ApplicationError(
            _("Only district and subdistrict staff may record owners' names and phones."),
            status_code=403,
        )


def _dwelling_checks(dwelling: Dwelling, errors: dict[str, Any]) -> str:
    message = _("Unit %(unit)s already has a dwelling numbered “%(number)s”.") % {
        "unit": dwelling.unit,
        "number": dwelling.number,
    }
    if (
        dwelling.unit
        and dwelling.number
        and dwelling.building_id
        and Dwelling.objects.filter(
            building_id=dwelling.building_id, unit=dwelling.unit, number=dwelling.number
        )
        .exclude(pk=dwelling.pk)
        .exists()
    ):
        errors["number"] = message
    if isinstance(dwelling.area, Decimal) and dwelling.area <= 0:
        errors.setdefault("area", _("Enter an area of more than 0 m²."))
    if dwelling.owner_phone and not _PHONE.match(dwelling.owner_phone):
        errors.setdefault(
            "owner_phone", _("Enter a phone number: digits, spaces and dashes only.")
        )
    return message


@transaction.atomic
def dwelling_create(
    *,
    by: User,
    building_id: int,
    unit: str,
    number: str,
    area: Decimal,
    owner_ref: str,
    owner_name: str = "",
    owner_phone: str = "",
) -> Dwelling:
    """Add a dwelling to a building in the user's area; the compound's households and
    floor area follow."""
    building = _building_locked(by=by, building_id=building_id)
    errors: dict[str, Any] = {}
    if building is None:
        errors["building"] = _("Choose a building in your area.")
    dwelling = Dwelling(
        building=building,
        unit=unit.strip(),
        number=number.strip(),
        area=area,
        owner_ref=owner_ref.strip(),
        owner_name=owner_name.strip(),
        owner_phone=owner_phone.strip(),
    )
    _owner_contact_allowed(by, Dwelling(), name=dwelling.owner_name, phone=dwelling.owner_phone)
    message = _dwelling_checks(dwelling, errors)
    _validate(dwelling, errors)
    save_unique(dwelling, field="number", message=message)
    _compound_refresh_totals(building.compound)
    return dwelling


@transaction.atomic
def dwelling_update(*, by: User, dwelling_id: int, data: Mapping[str, Any]) -> Dwelling:
    """Change a dwelling (`data` keys: DWELLING_FIELDS). A dwelling stays in its
    building; a changed area moves the compound's floor area with it."""
    _check_fields(data, DWELLING_FIELDS)
    dwelling = (
        Dwelling.objects.filter(area_q(by, compound_path="building__compound__"))
        .filter(pk=dwelling_id)
        .first()
        if _is_staff(by)
        else None
    )
    if dwelling is None:
        raise Http404("dwelling not found")
    building = _building_locked(by=by, building_id=dwelling.building_id)
    dwelling.building = building
    errors: dict[str, Any] = {}
    if data.get("building_id", building.pk) != building.pk:
        errors["building"] = _("A dwelling cannot move to another building.")
    changes = {
        field: value.strip() if isinstance(value, str) else value
        for field, value in data.items()
        if field != "building_id"
    }
    _owner_contact_allowed(
        by,
        dwelling,
        name=changes.get("owner_name", dwelling.owner_name),
        phone=changes.get("owner_phone", dwelling.owner_phone),
    )
    if not by.sees_owner_contact:
        # What came back was the masked value (or the same one): keep the record.
        changes.pop("owner_name", None)
        changes.pop("owner_phone", None)
    old_area = dwelling.area
    for field, value in changes.items():
        setattr(dwelling, field, value)
    message = _dwelling_checks(dwelling, errors)
    _validate(dwelling, errors)
    save_unique(dwelling, field="number", message=message)
    if dwelling.area != old_area:
        _compound_refresh_totals(building.compound)
    return dwelling
