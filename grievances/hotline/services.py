"""Matching a hotline export against the issues already recorded, and writing it.

The plan takes a handful of queries whatever the row count (the hotline issues with the
file's work-order numbers, the compounds the new rows name in the user's area, their
buildings, the categories). Preview reports it and writes nothing; apply checks the file
again under row locks and writes all or nothing: new work orders go through
`grievance_submit` (channel hotline, the work-order number as `external_id`, the
hotline's 受理时间 as `received_at`); a work order already recorded is updated in place
(description, contact, a forward status, the rating) with one `updated` event, never
duplicated. The same file again changes nothing.
"""

import re
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.importing.report import Problems, RowError, problems_as_dicts
from compounds.importing.tabular import ReadResult
from compounds.models import Building, User
from compounds.selectors import compounds_visible_to
from grievances.hotline.layout import (
    CATEGORY_KEYWORDS,
    COLUMN_BY_KEY,
    LAYOUT,
    OTHER_CATEGORY,
    normalize,
)
from grievances.hotline.reader import HotlineRow, read_file
from grievances.models import Category, Channel, EventKind, Grievance, GrievanceEvent, Status
from grievances.services.intake import DESCRIPTION_MIN, grievance_submit

CHUNK = 500
# How far along an issue is: a hotline status is applied only when it is further on
# than ours (an older export never undoes what staff did since); finished issues stay.
STATUS_RANK = {
    Status.RECEIVED: 0, Status.ACCEPTED: 1, Status.ASSIGNED: 2, Status.IN_PROGRESS: 3,
    Status.REOPENED: 3, Status.RESOLVED: 4, Status.CLOSED: 5, Status.REJECTED: 5,
    Status.MERGED: 5,
}
FINISHED = (Status.CLOSED, Status.REJECTED, Status.MERGED)
_BUILDING_SUFFIX = re.compile(r"(号楼|号|栋|幢|#|楼)$")
_EXISTING_FIELDS = ("id", "tracking_code", "compound_id", "building_id", "description",
                    "reporter_name", "reporter_phone", "consent_contact", "status", "rating",
                    "resolved_at", "closed_at")


@dataclass(frozen=True)
class RowChange:
    """What the import does to one work order: `action` is "created" or "updated";
    `fields` the headers of the columns that change it."""

    row: int
    external_id: str
    action: str
    fields: tuple[str, ...] = ()
    tracking_code: str = ""


@dataclass
class HotlineReport(Problems):
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    applied: bool = False
    fatal: bool = False

    @property
    def has_changes(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict:
        return {
            "rows": self.rows, "valid": self.is_valid, "applied": self.applied,
            "fatal": self.fatal, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "errors": problems_as_dicts(self.errors),
            "warnings": problems_as_dicts(self.warnings),
        }


@dataclass
class _Item:
    row: HotlineRow
    description: str
    existing: Grievance | None = None
    compound_id: int | None = None
    building_id: int | None = None
    category_code: str = ""
    updates: dict[str, object] = field(default_factory=dict)
    changed: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    report: HotlineReport
    items: list[_Item] = field(default_factory=list)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _error(errors: list[RowError], row: int, key: str, reason: str) -> None:
    errors.append(LAYOUT.problem(row, key, reason))


def _building_key(number: str) -> str:
    return _BUILDING_SUFFIX.sub("", normalize(number)).upper()


def _category_for(text: str, categories: dict[str, str]) -> str | None:
    """Our category code for the hotline's category text (None: nothing matches).
    `categories` maps active codes and names to codes."""
    key = normalize(text)
    if key in categories:
        return categories[key]
    last = re.split(r"[/\-—>＞|｜、]", key)[-1]
    if last in categories:
        return categories[last]
    for keyword, code in CATEGORY_KEYWORDS:
        if keyword in key and code in categories:
            return code
    return None


def _existing(read: ReadResult, *, lock: bool) -> dict[str, Grievance]:
    ids = sorted({r.external_id for r in read.rows})
    found: dict[str, Grievance] = {}
    for chunk in _chunks(ids):
        query = Grievance.objects.filter(channel=Channel.HOTLINE, external_id__in=chunk)
        if lock:
            query = query.select_for_update().order_by("pk")
        for grievance in query.only("external_id", *_EXISTING_FIELDS):
            found[grievance.external_id] = grievance
    return found


def _make_plan(*, user: User, read: ReadResult, lock: bool = False) -> _Plan:
    report = HotlineReport(rows=read.row_count, errors=list(read.errors))
    plan = _Plan(report=report)
    errors, warnings = report.errors, report.warnings
    existing = _existing(read, lock=lock)
    visible_existing = set(
        compounds_visible_to(user)
        .filter(pk__in={g.compound_id for g in existing.values()})
        .values_list("pk", flat=True)
    ) if existing else set()
    new_rows = [r for r in read.rows if r.external_id not in existing]
    compounds: dict[str, list[tuple[int, str]]] = {}
    for pk, name, community in (
        compounds_visible_to(user).filter(name__in={r.compound for r in new_rows})
        .values_list("pk", "name", "community__name")
    ):
        compounds.setdefault(name, []).append((pk, community))
    matched_compounds = {pk for options in compounds.values() for pk, _c in options}
    existing_compounds = {g.compound_id for g in existing.values()}
    buildings: dict[tuple[int, str], int] = {}
    for chunk in _chunks(sorted(matched_compounds | existing_compounds)):
        for pk, compound_id, number in Building.objects.filter(
            compound_id__in=chunk).values_list("pk", "compound_id", "number"):
            buildings.setdefault((compound_id, _building_key(number)), pk)
    categories: dict[str, str] = {}
    for code, name in Category.objects.filter(active=True).values_list("code", "name"):
        categories[normalize(name)] = code
        categories[normalize(code)] = code

    seen: dict[str, int] = {}
    for row in read.rows:
        if row.external_id in seen:
            _error(errors, row.row, "external_id", _(
                "Work order %(id)s appears twice: first on row %(row)d.")
                % {"id": row.external_id, "row": seen[row.external_id]})
            continue
        seen[row.external_id] = row.row
        grievance = existing.get(row.external_id)
        if grievance is not None and grievance.compound_id not in visible_existing:
            _error(errors, row.row, "external_id", _(
                "This work order is recorded for a compound outside your area: ask the "
                "office that covers it to import it."))
            continue
        compound_id = grievance.compound_id if grievance else _match_compound(
            row, compounds, errors)
        if compound_id is None:
            continue
        notes = []
        code = _category_for(row.category, categories)
        if code is None:
            if OTHER_CATEGORY not in categories.values():
                _error(errors, row.row, "category", _(
                    "Unknown category “%(name)s”, and there is no active category 其他 to "
                    "file it under.") % {"name": row.category})
                continue
            code = OTHER_CATEGORY
            notes.append(f"【{COLUMN_BY_KEY['category'].header}：{row.category}】")
            warnings.append(LAYOUT.problem(row.row, "category", _(
                "Category “%(name)s” matches none of ours: filed under 其他, the hotline's "
                "category kept in front of the description.") % {"name": row.category}))
        building_id = None
        if row.building:
            building_id = buildings.get((compound_id, _building_key(row.building)))
            if building_id is None:
                notes.append(f"【{COLUMN_BY_KEY['building'].header}：{row.building}】")
                warnings.append(LAYOUT.problem(row.row, "building", _(
                    "Building “%(number)s” is not in the registry for this compound: kept in "
                    "front of the description.") % {"number": row.building}))
        description = "".join(notes) + row.description
        limit = Grievance._meta.get_field("description").max_length
        if len(row.description) < DESCRIPTION_MIN:
            _error(errors, row.row, "description", _(
                "Too short: at least %(min)d characters.") % {"min": DESCRIPTION_MIN})
            continue
        if len(description) > limit:
            _error(errors, row.row, "description", _(
                "Too long with the notes in front of it: at most %(max)d characters.")
                % {"max": limit})
            continue
        item = _Item(row=row, description=description, existing=grievance,
                     compound_id=compound_id, building_id=building_id, category_code=code)
        _plan_updates(item, warnings)
        plan.items.append(item)
    _count(plan)
    LAYOUT.sort(errors)
    LAYOUT.sort(warnings)
    return plan


def _match_compound(row: HotlineRow, compounds: dict[str, list[tuple[int, str]]],
                    errors: list[RowError]) -> int | None:
    options = compounds.get(row.compound, [])
    if row.community:
        options = [o for o in options if o[1] == row.community]
        if not options:
            _error(errors, row.row, "compound", _(
                "No compound “%(compound)s” in community “%(community)s” in your area.")
                % {"compound": row.compound, "community": row.community})
            return None
    if not options:
        _error(errors, row.row, "compound", _(
            "No compound “%(compound)s” in your area (the name as in the registry).")
            % {"compound": row.compound})
        return None
    if len(options) > 1:
        _error(errors, row.row, "community", _(
            "Several compounds in your area are called “%(compound)s” (%(communities)s): "
            "fill in 社区.") % {"compound": row.compound,
                               "communities": "、".join(sorted(c for _pk, c in options))})
        return None
    return options[0][0]


def _plan_updates(item: _Item, warnings: list[RowError]) -> None:
    """What the row changes: for a new work order, what differs from a fresh issue; for
    a recorded one, what differs from it. Fills `updates` (field → value) and `changed`
    (the headers shown in the preview and the event)."""
    row, current = item.row, item.existing
    header = {key: c.header for key, c in COLUMN_BY_KEY.items()}
    if current is None:
        status, rating, building_id = Status.RECEIVED, "", None
    else:
        status, rating, building_id = current.status, current.rating, current.building_id
        if current.description != item.description:
            item.updates["description"] = item.description
            item.changed.append(header["description"])
        if row.name is not None and current.reporter_name != row.name:
            item.updates["reporter_name"] = row.name
            item.changed.append(header["name"])
        if row.phone is not None and current.reporter_phone != row.phone:
            item.updates["reporter_phone"] = row.phone
            item.updates["consent_contact"] = bool(row.phone)
            item.changed.append(header["phone"])
        if building_id is None and item.building_id is not None:
            item.updates["building_id"] = item.building_id
            item.changed.append(header["building"])
    if row.status and row.status != status:
        if status not in FINISHED and STATUS_RANK[row.status] > STATUS_RANK[status]:
            item.updates["status"] = row.status
            item.changed.append(f"{header['status']}（{row.status_text}）")
        else:
            warnings.append(LAYOUT.problem(row.row, "status", _(
                "The hotline says “%(hotline)s” but the issue is further on or finished "
                "here: its status is kept.") % {"hotline": row.status_text}))
    if row.rating and row.rating != rating:
        item.updates["rating"] = row.rating
        item.changed.append(header["rating"])


def _count(plan: _Plan) -> None:
    report = plan.report
    for item in plan.items:
        if item.existing is None:
            report.created += 1
            report.changes.append(RowChange(item.row.row, item.row.external_id, "created",
                                            tuple(item.changed)))
        elif item.updates:
            report.updated += 1
            report.changes.append(RowChange(item.row.row, item.row.external_id, "updated",
                                            tuple(item.changed),
                                            item.existing.tracking_code))
        else:
            report.unchanged += 1


def _file_report(read: ReadResult) -> HotlineReport:
    return HotlineReport(rows=read.row_count, errors=list(read.errors), fatal=True)


def hotline_import_preview(*, user: User, fileobj: IO[bytes]) -> HotlineReport:
    """What importing the hotline export `fileobj` would do, every bad row (row, column,
    reason) and every warning. Writes nothing."""
    read = read_file(fileobj)
    if read.fatal:
        return _file_report(read)
    return _make_plan(user=user, read=read).report


def hotline_import_apply(*, user: User, fileobj: IO[bytes]) -> HotlineReport:
    """Check the file again and, only if every row is valid, write it in one transaction.
    An invalid file (or a row the intake service refuses) writes nothing and comes back
    with its errors."""
    read = read_file(fileobj)
    if read.fatal:
        return _file_report(read)
    try:
        with transaction.atomic():
            plan = _make_plan(user=user, read=read, lock=True)
            if plan.report.is_valid:
                _write(plan, user=user)
                if plan.report.is_valid:
                    plan.report.applied = True
                else:
                    transaction.set_rollback(True)
    except IntegrityError as exc:
        raise ApplicationError(_(
            "Another import wrote some of these work orders meanwhile; nothing was written. "
            "Please check the file again."), status_code=409) from exc
    if not plan.report.applied:
        plan.report.changes = []
    return plan.report


# Which intake field a refusal names → the column it came from.
_FIELD_COLUMN = {"compound": "compound", "compound_id": "compound", "category": "category",
                 "category_code": "category", "description": "description",
                 "building": "building", "building_id": "building",
                 "external_id": "external_id", "received_at": "received_at",
                 "name": "name", "phone": "phone"}


def _write(plan: _Plan, *, user: User) -> None:
    now = timezone.now()
    for item in plan.items:
        row = item.row
        if item.existing is None:
            try:
                grievance = grievance_submit(
                    by=user, channel=Channel.HOTLINE, compound_id=item.compound_id,
                    category_code=item.category_code, description=item.description,
                    building_id=item.building_id, external_id=row.external_id,
                    received_at=row.received_at,
                )
            except ValidationError as exc:
                _refused(plan.report, row, exc)
                continue
            except ApplicationError as exc:
                plan.report.errors.append(RowError(row=row.row, column="", reason=exc.message))
                continue
            # The caller's contact is the hotline's record and may be a landline (intake
            # takes mobiles only), so it is set here; the hotline answers its own callers
            # (intake sends no SMS for this channel either).
            contact = {"reporter_name": row.name or "", "reporter_phone": row.phone or "",
                       "consent_contact": bool(row.phone)}
            if any(contact.values()):
                Grievance.objects.filter(pk=grievance.pk).update(**contact)
            if not item.updates:
                continue
            item.existing = Grievance.objects.get(pk=grievance.pk)
        if item.updates:
            _update(item, user=user, now=now)


def _refused(report: HotlineReport, row: HotlineRow, exc: ValidationError) -> None:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    for name, reasons in messages.items():
        key = _FIELD_COLUMN.get(name)
        column = COLUMN_BY_KEY[key].header if key else ""
        for reason in reasons:
            report.errors.append(RowError(row=row.row, column=column, reason=str(reason)))


def _update(item: _Item, *, user: User, now) -> None:
    grievance = item.existing
    updates = dict(item.updates)
    from_status = grievance.status
    to_status = updates.get("status", from_status)
    if to_status != from_status:
        if to_status in (Status.RESOLVED, Status.CLOSED) and grievance.resolved_at is None:
            updates["resolved_at"] = now
        if to_status in (Status.CLOSED, Status.REJECTED) and grievance.closed_at is None:
            updates["closed_at"] = now
    if "rating" in updates:
        updates["rated_at"] = now
    for name, value in updates.items():
        setattr(grievance, name, value)
    grievance.save(update_fields=[*updates, "updated_at"])
    GrievanceEvent.objects.create(
        grievance=grievance, kind=EventKind.UPDATED, by=user, at=now,
        from_status=from_status if to_status != from_status else "",
        to_status=to_status if to_status != from_status else "",
        note=_("Hotline work order %(id)s: %(changes)s.")
        % {"id": item.row.external_id, "changes": "、".join(item.changed)},
    )
