"""Writes for quality control: inspections, rectification orders and their moves, and
the seasonal checks scheduled before the rains. Keyword-only, validated, atomic; every
object is reached through the area gate first."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Role, User
from compounds.statemachine import check_move
from renewal.models import (
    RECTIFICATION_TRANSITIONS,
    Inspection,
    InspectionKind,
    InspectionLevel,
    Project,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Stage,
    WorkItem,
)
from renewal.selectors.access import (
    inspections_visible_to,
    project_get_visible,
    projects_visible_to,
    rectifications_visible_to,
)
from renewal.selectors.quality import (
    AFTER_COMPLETION_KINDS,
    AFTER_COMPLETION_STAGES,
    rainy_season_start_of,
    seasonal_check_projects,
)

# Who may carry out an inspection of which level: an office inspects its own level and
# the ones below it, never above.
LEVELS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.DISTRICT: tuple(InspectionLevel.values),
    Role.SUBDISTRICT: (InspectionLevel.SUBDISTRICT, InspectionLevel.COMMUNITY),
    Role.COMMUNITY: (InspectionLevel.COMMUNITY,),
}
# How long before the rains a scheduled seasonal check is planned.
SEASONAL_CHECK_LEAD_DAYS = 30

INSPECTION_FIELDS = ("level", "kind", "scheduled_for", "carried_out_on", "summary")


def inspection_levels_for(user: User) -> tuple[str, ...]:
    """The inspection levels `user` may record (all of them for a superuser)."""
    if user.is_superuser:
        return tuple(InspectionLevel.values)
    return LEVELS_BY_ROLE.get(user.role, ())


def _validate(instance: models.Model, errors: dict[str, list]) -> None:
    """Run the model's own checks and the service's together, so one answer names every
    bad field."""
    try:
        # The date rule is already worded for people in `errors`; the database
        # constraint behind it would only repeat it in worse words.
        instance.full_clean(validate_constraints=not errors)
    except ValidationError as exc:
        exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _inspection_errors(*, by: User, inspection: Inspection) -> dict[str, list]:
    errors: dict[str, list] = {}
    level = inspection.level
    if level in InspectionLevel.values and level not in inspection_levels_for(by):
        errors["level"] = [
            _("Your account cannot record a %(level)s-level inspection.")
            % {"level": InspectionLevel(level).label}
        ]
    if (
        inspection.kind in AFTER_COMPLETION_KINDS
        and inspection.project.stage not in AFTER_COMPLETION_STAGES
    ):
        errors["kind"] = [
            _("A %(kind)s is only possible once the project is completed; it is at “%(stage)s”.")
            % {
                "kind": InspectionKind(inspection.kind).label,
                "stage": Stage(inspection.project.stage).label,
            }
        ]
    if not inspection.scheduled_for and not inspection.carried_out_on:
        message = _("Give the day it is planned for or the day it was carried out.")
        errors["scheduled_for"] = [message]
        errors["carried_out_on"] = [message]
    if inspection.carried_out_on and inspection.carried_out_on > timezone.localdate():
        errors.setdefault("carried_out_on", []).append(
            _("An inspection cannot have been carried out in the future.")
        )
    return errors


@transaction.atomic
def inspection_create(
    *,
    by: User,
    project_id: int,
    level: str,
    kind: str,
    scheduled_for: dt.date | None = None,
    carried_out_on: dt.date | None = None,
    summary: str = "",
) -> Inspection:
    """Record an inspection of a project in `by`'s area (planned, carried out, or both),
    at a level `by`'s office may inspect. `by` is recorded as the inspector."""
    project = project_get_visible(user=by, project_id=project_id)
    inspection = Inspection(
        project=project, level=level, kind=kind, scheduled_for=scheduled_for,
        carried_out_on=carried_out_on, summary=summary or "", inspector=by,
    )
    _validate(inspection, _inspection_errors(by=by, inspection=inspection))
    inspection.save()
    return inspection


@transaction.atomic
def inspection_update(*, by: User, inspection_id: int, data: dict[str, Any]) -> Inspection:
    """Change an inspection: typically record that a planned one was carried out, with its
    summary. `data` holds any of level, kind, scheduled_for, carried_out_on, summary; the
    rules of `inspection_create` apply to the result. Recording the day it was carried
    out makes `by` its inspector."""
    unknown = set(data) - set(INSPECTION_FIELDS)
    if unknown:
        raise ValueError(f"inspection_update cannot change {sorted(unknown)}")
    inspection = (
        inspections_visible_to(by)
        .select_for_update(of=("self",))
        .select_related("project")
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise Http404("inspection not found")
    carried_out_before = inspection.carried_out_on
    for field, value in data.items():
        setattr(inspection, field, value if field != "summary" else (value or ""))
    if inspection.carried_out_on and inspection.carried_out_on != carried_out_before:
        inspection.inspector = by
    _validate(inspection, _inspection_errors(by=by, inspection=inspection))
    inspection.save()
    return inspection


@transaction.atomic
def rectification_create(
    *,
    by: User,
    inspection_id: int,
    finding: str,
    responsible_party: str,
    deadline: dt.date | None,
    work_item_id: int | None = None,
) -> Rectification:
    """Turn an inspection's finding into a rectification order: who must put it right by
    when, optionally about one work item of the inspected project. Starts `open`, with
    its first history row."""
    inspection = (
        inspections_visible_to(by).select_related("project").filter(pk=inspection_id).first()
    )
    if inspection is None:
        raise Http404("inspection not found")
    errors: dict[str, list] = {}
    work_item = None
    if work_item_id is not None:
        work_item = WorkItem.objects.filter(
            pk=work_item_id, project_id=inspection.project_id
        ).first()
        if work_item is None:
            errors["work_item"] = [_("This work item is not part of the inspected project.")]
    if deadline and deadline < inspection.date:
        errors["deadline"] = [
            _("The deadline cannot be before the inspection (%(date)s).")
            % {"date": inspection.date.isoformat()}
        ]
    rectification = Rectification(
        inspection=inspection, work_item=work_item, finding=(finding or "").strip(),
        responsible_party=(responsible_party or "").strip(), deadline=deadline,
        status=RectificationStatus.OPEN,
    )
    _validate(rectification, errors)
    rectification.save()
    RectificationEvent.objects.create(
        rectification=rectification, from_status="", to_status=RectificationStatus.OPEN,
        by=by, at=timezone.now(),
    )
    return rectification


@transaction.atomic
def rectification_transition(
    *, rectification_id: int, to: str, by: User, note: str = ""
) -> Rectification:
    """Move an order: open → submitted (the responsible party says it is put right),
    submitted → verified (someone else checked and closed it) or submitted → open (the
    check failed; the rectification date is cleared). A repeated move does nothing; an
    illegal or unknown one raises ApplicationError (400)."""
    rectification = (
        rectifications_visible_to(by)
        .select_for_update(of=("self",))
        .filter(pk=rectification_id)
        .first()
    )
    if rectification is None:
        raise Http404("rectification not found")
    current = rectification.status
    if not check_move(
        current=current, target=to, transitions=RECTIFICATION_TRANSITIONS,
        choices=RectificationStatus,
    ):
        return rectification
    today = timezone.localdate()
    if to == RectificationStatus.VERIFIED:
        submitter_id = (
            rectification.history.filter(to_status=RectificationStatus.SUBMITTED)
            .order_by("-at", "-id")
            .values_list("by_id", flat=True)
            .first()
        )
        if submitter_id is not None and submitter_id == by.pk:
            raise ApplicationError(
                _("You reported this order rectified, so you cannot verify it: "
                  "someone else must check the work.")
            )
        rectification.verified_on = today
        rectification.verified_by = by
    elif to == RectificationStatus.SUBMITTED:
        rectification.rectified_on = today
    elif to == RectificationStatus.OPEN:
        rectification.rectified_on = None
    rectification.status = to
    rectification.full_clean(exclude=["inspection", "work_item", "verified_by"])
    rectification.save(update_fields=["status", "rectified_on", "verified_on", "verified_by"])
    RectificationEvent.objects.create(
        rectification=rectification, from_status=current, to_status=to, by=by,
        at=timezone.now(), note=note or "",
    )
    return rectification


def _seasonal_check_day(*, deadline: dt.date, today: dt.date) -> dt.date:
    """A month before the rains, or today if that is already past; never on or after the
    first day of the rains."""
    planned = max(deadline - dt.timedelta(days=SEASONAL_CHECK_LEAD_DAYS), today)
    return min(planned, deadline - dt.timedelta(days=1))


@transaction.atomic
def schedule_seasonal_checks(
    *,
    year: int,
    by: User | int | None = None,
    rainy_season_start: dt.date | None = None,
) -> list[Inspection]:
    """Plan a `seasonal` inspection before the rains for every project due one in `year`
    (see selectors.quality.seasonal_check_projects) that has no seasonal inspection
    planned or done that year yet. Running it again creates nothing new.

    `by` is the user asking (or their id, so a Celery task can pass ids only) and limits
    the run to their area; None is the system (beat) and covers the whole district. The
    checks are planned at the district level for the system and district staff, at the
    subdistrict level for subdistrict staff; community staff may not schedule them."""
    if isinstance(by, int):
        by = User.objects.select_related("subdistrict", "community").get(pk=by)
    if by is None:
        projects = Project.objects.all()
        level = InspectionLevel.DISTRICT
    else:
        levels = inspection_levels_for(by)
        if InspectionLevel.SUBDISTRICT not in levels:
            raise ApplicationError(
                _("Only district or subdistrict staff schedule the seasonal checks."),
                status_code=403,
            )
        projects = projects_visible_to(by)
        level = levels[0]
    deadline = rainy_season_start or rainy_season_start_of(year)
    this_year = Q(scheduled_for__year=year) | Q(carried_out_on__year=year)
    already = Inspection.objects.filter(
        this_year, project=OuterRef("pk"), kind=InspectionKind.SEASONAL
    )
    due = seasonal_check_projects(projects, year=year, deadline=deadline).exclude(
        Exists(already)
    )
    candidates = list(due.values_list("pk", flat=True))
    if not candidates:
        return []
    locked = list(
        Project.objects.select_for_update()
        .filter(pk__in=candidates)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    # Asked again now that the rows are locked: a run that got there first has committed.
    fresh = list(due.filter(pk__in=locked).order_by("pk").values_list("pk", flat=True))
    day = _seasonal_check_day(deadline=deadline, today=timezone.localdate())
    # Built from checked values only (a due project, a valid level and kind, a date), so
    # they go in one statement rather than a full_clean and an insert each.
    return Inspection.objects.bulk_create(
        Inspection(
            project_id=project_id, level=level, kind=InspectionKind.SEASONAL,
            scheduled_for=day,
        )
        for project_id in fresh
    )
