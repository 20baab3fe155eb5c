"""Matching the rows against the registry, and writing them.

A plan is made in a handful of queries whatever the row count (subdistricts,
communities, then the compounds, buildings and dwellings of the communities the file
names); every row is checked against it; the preview reports the plan and the apply
writes it with bulk inserts and updates, all or nothing, and then recomputes the totals
of the compounds the file names from the database.

Per-row `full_clean()` is not used on purpose: it runs queries for every object
(foreign keys, unique checks), which a 10,000-row file cannot afford. The reader checks
the same limits as the model fields, the plan checks the keys, and the database
constraints stand behind both.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, TypeVar

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Model, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.importing.layout import LAYOUT
from compounds.importing.reader import RowData, read_workbook
from compounds.importing.report import ImportReport, RowError
from compounds.importing.tabular import ReadResult
from compounds.models import Building, Community, Compound, Dwelling, User
from compounds.selectors import communities_visible_to, subdistricts_visible_to

T = TypeVar("T")
CHUNK = 500  # ids per IN (...) list, well under SQLite's limit on parameters
INSERT_BATCH = 1000
UPDATE_BATCH = 5000
_DWELLING_FIELDS = ("area", "owner_ref", "owner_name", "owner_phone")


def _chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class _DwellingPlan:
    row: RowData
    existing_id: int | None = None
    changed: bool = False


@dataclass
class _BuildingPlan:
    number: str
    existing: tuple[int, int, int] | None = None  # id, units, floors
    units: int | None = None
    units_row: int = 0
    floors: int | None = None
    floors_row: int = 0
    unit_names: set[str] = field(default_factory=set)
    dwellings: dict[tuple[str, str], _DwellingPlan] = field(default_factory=dict)

    def final_units(self) -> int:
        if self.units is not None:
            return self.units
        return self.existing[1] if self.existing else max(1, len(self.unit_names))

    def final_floors(self) -> int:
        if self.floors is not None:
            return self.floors
        return self.existing[2] if self.existing else 1

    @property
    def changed(self) -> bool:
        return self.existing is not None and (
            (self.final_units(), self.final_floors()) != self.existing[1:]
        )


@dataclass
class _CompoundPlan:
    community_id: int
    name: str
    first_row: int
    existing: dict | None = None
    address: str | None = None
    address_row: int = 0
    build_year: int | None = None
    build_year_row: int = 0
    buildings: dict[str, _BuildingPlan] = field(default_factory=dict)
    # Totals after the import (households = dwellings, floor area = their areas).
    households: int = 0
    floor_area: Decimal = Decimal("0")
    building_count: int = 0

    def final(self) -> dict:
        stored = self.existing or {}
        return {
            "address": self.address if self.address is not None else stored.get("address", ""),
            "build_year": self.build_year if self.build_year is not None
            else stored.get("build_year"),
            "households": self.households,
            "floor_area": self.floor_area,
            "building_count": self.building_count,
        }

    @property
    def changed(self) -> bool:
        if self.existing is None:
            return False
        return any(self.existing[key] != value for key, value in self.final().items())


@dataclass
class _Plan:
    report: ImportReport
    compounds: dict[tuple[int, str], _CompoundPlan] = field(default_factory=dict)
    keep_owner_name: bool = True
    keep_owner_phone: bool = True


def _error(errors: list[RowError], row: int, key: str, reason: str) -> None:
    errors.append(LAYOUT.problem(row, key, reason))


def _differs(errors, row: RowData, key: str, first_row: int, first_value) -> None:
    values = {"row": first_row, "value": first_value}
    if key in ("address", "build_year"):
        reason = _("Differs from row %(row)d for the same compound (“%(value)s”).") % values
    else:
        reason = _("Differs from row %(row)d for the same building (“%(value)s”).") % values
    _error(errors, row.row, key, reason)


def _check_rows(user: User, read: ReadResult, *, lock: bool) -> _Plan:
    """Resolve names to the user's area and group the rows by compound and building."""
    report = ImportReport(rows=read.row_count, errors=list(read.errors))
    plan = _Plan(report=report, keep_owner_name="owner_name" not in read.columns,
                 keep_owner_phone="owner_phone" not in read.columns)
    errors = report.errors
    subdistricts = dict(subdistricts_visible_to(user).values_list("name", "id"))
    subdistrict_names = {pk: name for name, pk in subdistricts.items()}
    community_names = {r.community for r in read.rows}
    communities = {
        name: (pk, subdistrict_id)
        for name, pk, subdistrict_id in communities_visible_to(user)
        .filter(name__in=community_names).values_list("name", "id", "subdistrict_id")
    }
    if lock and communities:
        # One import at a time per community: a second confirm waits, then finds the
        # rows already there and writes nothing.
        list(Community.objects.select_for_update().filter(
            pk__in=[pk for pk, _sd in communities.values()]).order_by("pk").values_list("pk"))

    seen: dict[tuple[str, str, str, str, str], int] = {}
    for row in read.rows:
        bad = False
        key = (row.community, row.compound, row.building, row.unit, row.number)
        if key in seen:
            _error(errors, row.row, "number", _(
                "Duplicate of row %(row)d: the same compound, building, unit and dwelling "
                "number.") % {"row": seen[key]})
            bad = True
        else:
            seen[key] = row.row
        subdistrict_id = subdistricts.get(row.subdistrict)
        if subdistrict_id is None:
            _error(errors, row.row, "subdistrict", _(
                "No subdistrict “%(name)s” in your area. The import creates no subdistricts: "
                "add it in the registry first.") % {"name": row.subdistrict})
            bad = True
        community = communities.get(row.community)
        if community is None:
            _error(errors, row.row, "community", _(
                "No community “%(name)s” in your area. The import creates no communities: "
                "add it in the registry first.") % {"name": row.community})
            bad = True
        elif subdistrict_id is not None and community[1] != subdistrict_id:
            _error(errors, row.row, "community", _(
                "Community “%(community)s” belongs to “%(actual)s”, not to “%(given)s”.")
                % {"community": row.community,
                   "actual": subdistrict_names.get(community[1], "?"),
                   "given": row.subdistrict})
            bad = True
        if bad:
            continue

        compound = plan.compounds.get((community[0], row.compound))
        if compound is None:
            compound = plan.compounds[(community[0], row.compound)] = _CompoundPlan(
                community_id=community[0], name=row.compound, first_row=row.row)
        building = compound.buildings.get(row.building)
        if building is None:
            building = compound.buildings[row.building] = _BuildingPlan(number=row.building)
        consistent = True
        for target, key_, row_key in ((compound, "address", "address_row"),
                                      (compound, "build_year", "build_year_row"),
                                      (building, "units", "units_row"),
                                      (building, "floors", "floors_row")):
            value = getattr(row, key_)
            if value is None:
                continue
            first = getattr(target, key_)
            if first is None:
                setattr(target, key_, value)
                setattr(target, row_key, row.row)
            elif first != value:
                _differs(errors, row, key_, getattr(target, row_key), first)
                consistent = False
        if consistent:
            building.unit_names.add(row.unit)
            building.dwellings[(row.unit, row.number)] = _DwellingPlan(row=row)
    return plan


def _load_existing(plan: _Plan) -> None:
    """Attach what the registry holds to the plan: a few queries, none per row."""
    community_ids = {c.community_id for c in plan.compounds.values()}
    stored_compounds = {}
    for ids in _chunks(sorted(community_ids)):
        for values in Compound.objects.filter(community_id__in=ids).values(
            "id", "community_id", "name", "address", "build_year", "households",
            "floor_area", "building_count",
        ):
            stored_compounds[(values["community_id"], values["name"])] = values
    by_id: dict[int, _CompoundPlan] = {}
    for key, compound in plan.compounds.items():
        compound.existing = stored_compounds.get(key)
        if compound.existing:
            by_id[compound.existing["id"]] = compound

    building_of: dict[int, tuple[_CompoundPlan, _BuildingPlan | None]] = {}
    building_totals: dict[int, int] = dict.fromkeys(by_id, 0)
    for ids in _chunks(sorted(by_id)):
        for pk, compound_id, number, units, floors in Building.objects.filter(
            compound_id__in=ids
        ).values_list("id", "compound_id", "number", "units", "floors"):
            compound = by_id[compound_id]
            building = compound.buildings.get(number)
            if building is not None:
                building.existing = (pk, units, floors)
            building_of[pk] = (compound, building)
            building_totals[compound_id] += 1

    for compound in plan.compounds.values():
        compound.building_count = (building_totals.get(compound.existing["id"], 0)
                                   if compound.existing else 0)
        compound.building_count += sum(1 for b in compound.buildings.values() if not b.existing)
    for ids in _chunks(sorted(by_id)):
        for pk, building_id, unit, number, *stored in Dwelling.objects.filter(
            building__compound_id__in=ids
        ).values_list("id", "building_id", "unit", "number", *_DWELLING_FIELDS):
            compound, building = building_of[building_id]
            dwelling = building.dwellings.get((unit, number)) if building else None
            area = stored[0]
            if dwelling is not None:
                dwelling.existing_id = pk
                dwelling.changed = _dwelling_values(plan, dwelling.row, stored) != tuple(stored)
                area = dwelling.row.area
            compound.households += 1
            compound.floor_area += area
    for compound in plan.compounds.values():
        for building in compound.buildings.values():
            for dwelling in building.dwellings.values():
                if dwelling.existing_id is None:
                    compound.households += 1
                    compound.floor_area += dwelling.row.area


def _dwelling_values(plan: _Plan, row: RowData, stored: list | tuple) -> tuple:
    """The dwelling's fields after the import (a column left out keeps its value)."""
    return (
        row.area,
        row.owner_ref,
        stored[2] if plan.keep_owner_name else row.owner_name,
        stored[3] if plan.keep_owner_phone else row.owner_phone,
    )


def _check_new_compounds(plan: _Plan) -> None:
    for compound in plan.compounds.values():
        if compound.existing is None and compound.build_year is None:
            _error(plan.report.errors, compound.first_row, "build_year", _(
                "Required for a new compound: give the build year in one of its rows."))


def _count(plan: _Plan) -> None:
    report = plan.report
    for compound in plan.compounds.values():
        level = ("created" if compound.existing is None
                 else "updated" if compound.changed else "unchanged")
        setattr(report.compounds, level, getattr(report.compounds, level) + 1)
        for building in compound.buildings.values():
            level = ("created" if building.existing is None
                     else "updated" if building.changed else "unchanged")
            setattr(report.buildings, level, getattr(report.buildings, level) + 1)
            for dwelling in building.dwellings.values():
                level = ("created" if dwelling.existing_id is None
                         else "updated" if dwelling.changed else "unchanged")
                setattr(report.dwellings, level, getattr(report.dwellings, level) + 1)


def _make_plan(*, user: User, read: ReadResult, lock: bool = False) -> _Plan:
    plan = _check_rows(user, read, lock=lock)
    _load_existing(plan)
    _check_new_compounds(plan)
    _count(plan)
    LAYOUT.sort(plan.report.errors)
    return plan


def _file_report(read: ReadResult) -> ImportReport:
    return ImportReport(rows=read.row_count, errors=list(read.errors), fatal=True)


def registry_import_preview(*, user: User, fileobj: IO[bytes]) -> ImportReport:
    """What importing `fileobj` would do, and every problem in it. Writes nothing."""
    read = read_workbook(fileobj)
    if read.fatal:
        return _file_report(read)
    return _make_plan(user=user, read=read).report


def registry_import_apply(*, user: User, fileobj: IO[bytes]) -> ImportReport:
    """Check `fileobj` again and, only if every row is valid, write it in one
    transaction. An invalid file writes nothing and comes back with its errors."""
    read = read_workbook(fileobj)  # parsed outside the transaction: no lock held meanwhile
    if read.fatal:
        return _file_report(read)
    try:
        with transaction.atomic():
            plan = _make_plan(user=user, read=read, lock=True)
            if plan.report.is_valid:
                _write(plan)
                plan.report.applied = True
    except IntegrityError as exc:
        raise ApplicationError(
            _("The registry changed while the file was being imported; nothing was written. "
              "Please try again."), status_code=409) from exc
    return plan.report


def _write(plan: _Plan) -> None:
    now = timezone.now()
    new_compounds = [c for c in plan.compounds.values() if c.existing is None]
    created = Compound.objects.bulk_create(
        [Compound(community_id=c.community_id, name=c.name, **c.final()) for c in new_compounds],
        batch_size=INSERT_BATCH,
    )
    compound_ids = {id(plan_): obj.pk for plan_, obj in zip(new_compounds, created, strict=True)}
    for compound in plan.compounds.values():
        if compound.existing is not None:
            compound_ids[id(compound)] = compound.existing["id"]

    new_buildings: list[tuple[_BuildingPlan, Building]] = []
    changed_buildings: list[tuple] = []
    for compound in plan.compounds.values():
        for building in compound.buildings.values():
            values = {"units": building.final_units(), "floors": building.final_floors()}
            if building.existing is None:
                new_buildings.append((building, Building(
                    compound_id=compound_ids[id(compound)], number=building.number, **values)))
            elif building.changed:
                changed_buildings.append((building.existing[0], values["units"], values["floors"]))
    Building.objects.bulk_create([b for _p, b in new_buildings], batch_size=INSERT_BATCH)
    _bulk_set(Building, ["units", "floors"], changed_buildings)
    building_ids = {id(p): b.pk for p, b in new_buildings}

    fields = ["area", "owner_ref"]
    fields += [] if plan.keep_owner_name else ["owner_name"]
    fields += [] if plan.keep_owner_phone else ["owner_phone"]
    new_dwellings: list[Dwelling] = []
    changed_dwellings: list[tuple] = []
    for compound in plan.compounds.values():
        for building in compound.buildings.values():
            building_id = building.existing[0] if building.existing else building_ids[id(building)]
            for dwelling in building.dwellings.values():
                row = dwelling.row
                if dwelling.existing_id is None:
                    new_dwellings.append(Dwelling(
                        building_id=building_id, unit=row.unit, number=row.number,
                        area=row.area, owner_ref=row.owner_ref, owner_name=row.owner_name or "",
                        owner_phone=row.owner_phone or ""))
                elif dwelling.changed:
                    changed_dwellings.append(
                        (dwelling.existing_id, *(getattr(row, f) for f in fields)))
    Dwelling.objects.bulk_create(new_dwellings, batch_size=INSERT_BATCH)
    _bulk_set(Dwelling, fields, changed_dwellings)

    _recompute_totals(plan, compound_ids, now=now)


def _recompute_totals(plan: _Plan, compound_ids: dict[int, int], *, now) -> None:
    """Totals of the named compounds, from the database: dwellings, their areas, buildings."""
    ids = sorted(compound_ids.values())
    dwellings: dict[int, tuple[int, Decimal]] = {}
    buildings: dict[int, int] = {}
    for chunk in _chunks(ids):
        for compound_id, count, area in (
            Dwelling.objects.filter(building__compound_id__in=chunk)
            .values("building__compound_id").order_by()
            .annotate(n=Count("id"), area=Sum("area"))
            .values_list("building__compound_id", "n", "area")
        ):
            # SQLite sums in floating point: back to the cent (PostgreSQL is exact).
            dwellings[compound_id] = (count, Decimal(area).quantize(Decimal("0.01")))
        buildings.update(
            Building.objects.filter(compound_id__in=chunk).values("compound_id").order_by()
            .annotate(n=Count("id")).values_list("compound_id", "n")
        )
    fields = ["address", "build_year", "households", "floor_area", "building_count"]
    changed: list[tuple] = []
    for compound in plan.compounds.values():
        pk = compound_ids[id(compound)]
        count, area = dwellings.get(pk, (0, Decimal("0")))
        values = compound.final() | {
            "households": count, "floor_area": area, "building_count": buildings.get(pk, 0)}
        stored = compound.existing or compound.final()
        if any(stored[key] != values[key] for key in fields):
            changed.append((pk, *(values[key] for key in fields), now))
    _bulk_set(Compound, [*fields, "updated_at"], changed)


def _bulk_set(model: type[Model], fields: list[str], rows: list[tuple]) -> None:
    """UPDATE rows by primary key; each row is (pk, *values in the order of `fields`).

    Not `bulk_update`: it builds a CASE WHEN per row and field, which takes tens of
    seconds for 10,000 dwellings. PostgreSQL takes a batch in one statement from arrays;
    other databases run one prepared statement per row (executemany, one round trip on
    SQLite). Values go through the fields' `get_db_prep_save`, as the ORM would.
    """
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    model_fields = [meta.get_field(name) for name in fields]
    columns = [quote(f.column) for f in model_fields]
    table, pk = quote(meta.db_table), quote(meta.pk.column)
    prepared = [
        (row[0], *(f.get_db_prep_save(value, connection)
                   for f, value in zip(model_fields, row[1:], strict=True)))
        for row in rows
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            types = [meta.pk.rel_db_type(connection)] + [f.db_type(connection)
                                                         for f in model_fields]
            arrays = ", ".join(f"%s::{t}[]" for t in types)
            sql = (f"UPDATE {table} SET "
                   + ", ".join(f"{c} = v.{c}" for c in columns)
                   + f" FROM unnest({arrays}) AS v({pk}, {', '.join(columns)})"
                   + f" WHERE {table}.{pk} = v.{pk}")
            for batch in _chunks(prepared, UPDATE_BATCH):
                cursor.execute(sql, [list(values) for values in zip(*batch, strict=True)])
        else:
            sql = (f"UPDATE {table} SET " + ", ".join(f"{c} = %s" for c in columns)
                   + f" WHERE {pk} = %s")
            cursor.executemany(sql, [(*row[1:], row[0]) for row in prepared])
