"""Writes of the works: a project's work items and the progress reported against them.

Keyword-only, validated, atomic. An item's status follows its quantities: the first
report starts it, reaching the planned quantity finishes it (and starts its warranty);
only cancelling is a decision of its own.
"""

import calendar
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import User
from compounds.uploads import CheckedImage, checked_image
from compounds.validation import Errors, add_error, as_id, dates_in_order
from renewal.models import (
    ItemStatus,
    ProgressPhoto,
    ProgressReport,
    Stage,
    WorkItem,
    WorkItemType,
)
from renewal.models.works import MAX_PHOTOS_PER_REPORT
from renewal.selectors.access import project_get_visible, work_items_visible_to

ZERO = Decimal("0")
ITEM_FIELDS = (
    "type", "description", "planned_quantity", "completed_quantity", "budget", "spent",
    "planned_start", "planned_end", "actual_start", "actual_end",
)
# Progress is reported while the project is being built; once it is completed, a late
# report can still correct the figures. Before construction nothing is built yet, and
# after acceptance the figures are what was accepted.
REPORTING_STAGES = (Stage.CONSTRUCTION, Stage.COMPLETED)



def _validate(instance: models.Model, rules: Callable[[Errors], None], *,
              errors: Errors | None = None, exclude: Iterable[str] = ()) -> None:
    """The model's own field checks, then the service's rules on the fields that passed
    them; every bad field is reported at once."""
    errors = dict(errors or {})
    try:
        instance.full_clean(exclude=[*exclude, *errors], validate_unique=False,
                            validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    rules(errors)
    if errors:
        raise ValidationError(errors)


def _not_negative(errors: Errors, instance: models.Model, *fields: str) -> None:
    for name in fields:
        if name not in errors and getattr(instance, name) < 0:
            add_error(errors, name, _("This cannot be negative."))


# --- dates ------------------------------------------------------------------------------


def add_years(day: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    year = day.year + years
    if day.month == 2 and day.day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return day.replace(year=year)


def warranty_end(actual_end: date, warranty_years: int) -> date | None:
    """When the warranty of work finished on `actual_end` runs out; None for work that
    carries no warranty (demolition)."""
    if warranty_years <= 0:
        return None
    return add_years(actual_end, warranty_years)


def _settle_status(item: WorkItem, *, today: date) -> None:
    """Status, end date and warranty that follow from the item's quantities."""
    if item.status == ItemStatus.CANCELLED:
        return
    if item.completed_quantity >= item.planned_quantity:
        item.status = ItemStatus.DONE
        if item.actual_end is None:
            item.actual_end = today
        item.warranty_until = warranty_end(item.actual_end, item.type.warranty_years)
        return
    if item.status == ItemStatus.DONE:
        # A correction took it back under the plan: it is not finished after all.
        item.actual_end = None
        item.warranty_until = None
    started = item.completed_quantity > 0 or item.actual_start is not None
    item.status = ItemStatus.IN_PROGRESS if started else ItemStatus.NOT_STARTED


# --- work items -------------------------------------------------------------------------


def _item_rules(item: WorkItem) -> Callable[[Errors], None]:
    def rules(errors: Errors) -> None:
        if "planned_quantity" not in errors and item.planned_quantity <= 0:
            add_error(errors, "planned_quantity", _("The planned quantity must be more than 0."))
        _not_negative(errors, item, "completed_quantity", "budget", "spent")
        dates_in_order(errors, item)
    return rules


def _apply(item: WorkItem, data: dict[str, Any], errors: Errors) -> None:
    unknown = sorted(set(data) - set(ITEM_FIELDS))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in data.items():
        if name == "type":
            type_ = _item_type(value)
            if type_ is None:
                add_error(errors, "type", _("There is no such work item type."))
            else:
                item.type = type_
            continue
        if isinstance(value, str):
            value = value.strip()
        if value is None and name in ("completed_quantity", "budget", "spent"):
            value = ZERO
        setattr(item, name, value)


def _item_type(value: Any) -> WorkItemType | None:
    if isinstance(value, WorkItemType):
        return value
    type_id = as_id(value)
    return WorkItemType.objects.filter(pk=type_id).first() if type_id else None


@transaction.atomic
def work_item_create(
    *,
    by: User,
    project_id: int,
    type_id: int,
    planned_quantity: Decimal,
    completed_quantity: Decimal = ZERO,
    budget: Decimal = ZERO,
    spent: Decimal = ZERO,
    description: str = "",
    planned_start: date | None = None,
    planned_end: date | None = None,
    actual_start: date | None = None,
    actual_end: date | None = None,
) -> WorkItem:
    """A work item of a project the user may see. Its status follows from the
    quantities given (an item entered as already finished is done, with its warranty)."""
    errors: Errors = {}
    project = None
    project_pk = as_id(project_id)
    if project_pk is not None:
        try:
            project = project_get_visible(user=by, project_id=project_pk)
        except Http404:
            project = None
    if project is None:
        add_error(errors, "project", _("There is no such project in your area."))
    item = WorkItem(project=project)
    _apply(item, {
        "type": type_id, "description": description, "planned_quantity": planned_quantity,
        "completed_quantity": completed_quantity, "budget": budget, "spent": spent,
        "planned_start": planned_start, "planned_end": planned_end,
        "actual_start": actual_start, "actual_end": actual_end,
    }, errors)
    _validate(item, _item_rules(item), errors=errors)
    _settle_status(item, today=timezone.localdate())
    item.save()
    return item


def _item_for_update(*, by: User, work_item_id: int) -> WorkItem:
    """The item, locked, if the user may see it; 404 otherwise."""
    item = (
        work_items_visible_to(by)
        .select_related("type", "project")
        .select_for_update(of=("self",))
        .filter(pk=work_item_id)
        .first()
    )
    if item is None:
        raise Http404("work item not found")
    return item


@transaction.atomic
def work_item_update(*, work_item_id: int, by: User, data: dict[str, Any]) -> WorkItem:
    """Correct an item's type, description, quantities, money or dates. Its project
    does not change; its status follows the corrected quantities."""
    item = _item_for_update(by=by, work_item_id=work_item_id)
    errors: Errors = {}
    _apply(item, data, errors)
    _validate(item, _item_rules(item), errors=errors)
    _settle_status(item, today=timezone.localdate())
    item.save()
    return item


@transaction.atomic
def work_item_cancel(*, work_item_id: int, by: User) -> WorkItem:
    """Drop an item from the project (residents voted it down, the budget was cut). It
    stops counting towards the project's progress. Cancelling twice changes nothing."""
    item = _item_for_update(by=by, work_item_id=work_item_id)
    if item.status == ItemStatus.CANCELLED:
        return item
    if item.status == ItemStatus.DONE:
        raise ApplicationError(
            _("A finished work item cannot be cancelled."), status_code=409
        )
    item.status = ItemStatus.CANCELLED
    item.save(update_fields=["status"])
    return item


@transaction.atomic
def work_item_reinstate(*, work_item_id: int, by: User) -> WorkItem:
    """Bring a cancelled item back; its status follows its quantities again."""
    item = _item_for_update(by=by, work_item_id=work_item_id)
    if item.status != ItemStatus.CANCELLED:
        return item
    item.status = ItemStatus.NOT_STARTED
    _settle_status(item, today=timezone.localdate())
    item.save(update_fields=["status", "actual_end", "warranty_until"])
    return item


# --- progress reports -------------------------------------------------------------------


def _checked_photos(photos: Sequence[Any], errors: Errors) -> list[CheckedImage]:
    """Every photo through compounds.uploads; the refusals keep their codes (a caller
    may answer "file_too_large" with 413)."""
    problems: list[ValidationError] = []
    if len(photos) > MAX_PHOTOS_PER_REPORT:
        problems.append(ValidationError(
            _("At most %(max)s photos per report; you sent %(count)s.")
            % {"max": MAX_PHOTOS_PER_REPORT, "count": len(photos)},
            code="too_many_photos",
        ))
        photos = []
    checked = []
    for number, photo in enumerate(photos, start=1):
        try:
            checked.append(checked_image(photo))
        except ValidationError as exc:
            problems.extend(
                ValidationError(
                    _("Photo %(number)s (%(name)s): %(error)s") % {
                        "number": number, "name": getattr(photo, "name", "") or "—",
                        "error": message,
                    },
                    code=exc.code,
                )
                for message in exc.messages
            )
    if problems:
        errors.setdefault("photos", []).extend(problems)
    return checked


def _store_photos(report: ProgressReport, images: list[CheckedImage]) -> None:
    """Write the files, then their rows; if anything fails, no file stays behind."""
    stored: list[str] = []
    try:
        rows = []
        for image in images:
            photo = ProgressPhoto(report=report, width=image.width, height=image.height)
            photo.image.save(image.name, image, save=False)
            stored.append(photo.image.name)
            rows.append(photo)
        ProgressPhoto.objects.bulk_create(rows)
    except BaseException:
        for name in stored:
            default_storage.delete(name)
        raise


@transaction.atomic
def progress_report_create(
    *,
    work_item_id: int,
    quantity_done: Decimal,
    by: User,
    spent: Decimal = ZERO,
    note: str = "",
    photos: Sequence[Any] = (),
) -> ProgressReport:
    """Report work done on an item since the last report, with up to six photos.

    The quantity and money are added to the item's totals; the first report starts the
    item, reaching the planned quantity finishes it (end date today, warranty from the
    item type). Reports are taken while the project is in construction, or completed
    (late corrections). Every photo is checked before anything is written."""
    item_pk = as_id(work_item_id)
    item = None
    if item_pk is not None:
        try:
            item = _item_for_update(by=by, work_item_id=item_pk)
        except Http404:
            item = None
    if item is None:
        raise ValidationError({"work_item": _("There is no such work item in your area.")})
    if item.status == ItemStatus.CANCELLED:
        raise ApplicationError(
            _("This work item is cancelled: reinstate it before reporting progress."),
            status_code=409,
        )
    if item.project.stage not in REPORTING_STAGES:
        raise ApplicationError(
            _("Progress is reported while the project is in construction (or completed, "
              "to correct the figures); this project is at “%(stage)s”.")
            % {"stage": Stage(item.project.stage).label},
            status_code=409,
        )

    now = timezone.now()
    report = ProgressReport(
        work_item=item, quantity_done=quantity_done,
        spent=ZERO if spent is None else spent, note=(note or "").strip(),
        reported_by=by, reported_at=now,
    )
    errors: Errors = {}
    images = _checked_photos(list(photos or ()), errors)

    def rules(errors: Errors) -> None:
        _not_negative(errors, report, "quantity_done", "spent")
        if (not errors.keys() & {"quantity_done", "spent", "photos"}
                and report.quantity_done == 0 and report.spent == 0
                and not report.note and not images):
            add_error(errors, "quantity_done",
                 _("An empty report says nothing: give a quantity, money spent, a note "
                   "or a photo."))

    _validate(report, rules, errors=errors, exclude=["work_item", "reported_by"])

    today = timezone.localdate(now)
    item.completed_quantity += report.quantity_done
    item.spent += report.spent
    if item.actual_start is None:
        item.actual_start = today
    if item.status == ItemStatus.NOT_STARTED:
        item.status = ItemStatus.IN_PROGRESS
    _settle_status(item, today=today)
    item.save(update_fields=[
        "completed_quantity", "spent", "actual_start", "actual_end", "status",
        "warranty_until",
    ])
    report.save()
    _store_photos(report, images)
    return report
