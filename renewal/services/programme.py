"""Writes of the programme: yearly batches, projects, and the moves of a project
between its stages. Keyword-only, validated, atomic; each move leaves a history row."""

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import User
from compounds.selectors import compounds_visible_to
from compounds.statemachine import check_move
from compounds.validation import Errors, add_error, dates_in_order, save_unique
from renewal.models import TRANSITIONS, Batch, Project, Stage, StageChange
from renewal.selectors.access import project_get_visible
from renewal.selectors.gates import stage_gate_missing
from renewal.selectors.programme import coordinator_candidates, may_plan_batches

BATCH_FIELDS = (
    "year", "name", "target_compounds", "target_households", "target_investment", "notes",
)
PROJECT_FIELDS = (
    "delivery_model", "contractor", "designer", "supervisor", *Project.FUNDING_FIELDS,
    "planned_start", "planned_end", "actual_start", "actual_end",
    "engineering_coordinator", "residents_coordinator",
)
YEAR_MIN, YEAR_MAX = 2000, 2100



# --- validation helpers -----------------------------------------------------------------


def _apply(instance: models.Model, data: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        setattr(instance, name, value)


def _validate(instance: models.Model, rules: Callable[[Errors], None]) -> None:
    """The model's own field checks first, then the service's rules on the fields that
    passed them; every bad field is reported at once."""
    errors: Errors = {}
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    rules(errors)
    if errors:
        raise ValidationError(errors)


def _require_planner(user: User) -> None:
    if not may_plan_batches(user):
        raise ApplicationError(
            _("Only the district office may plan yearly batches."), status_code=403
        )


# --- batches ----------------------------------------------------------------------------


def _batch_rules(batch: Batch) -> Callable[[Errors], None]:
    def rules(errors: Errors) -> None:
        if isinstance(batch.year, int) and not YEAR_MIN <= batch.year <= YEAR_MAX:
            # This says more than the field's own bounds would, so it replaces them.
            errors["year"] = [_("Give a year between %(min)s and %(max)s.")
                              % {"min": YEAR_MIN, "max": YEAR_MAX}]
        if "target_investment" not in errors and batch.target_investment < 0:
            add_error(errors, "target_investment", _("This cannot be negative."))
        if not errors.keys() & {"year", "name"}:
            taken = Batch.objects.filter(year=batch.year, name=batch.name).exclude(pk=batch.pk)
            if taken.exists():
                add_error(errors, "name", _(
                    "There is already a batch named “%(name)s” in %(year)s."
                ) % {"name": batch.name, "year": batch.year})
    return rules


def _save_batch(batch: Batch) -> Batch:
    _validate(batch, _batch_rules(batch))
    save_unique(batch, field="name", message=_(
        "There is already a batch named “%(name)s” in %(year)s."
    ) % {"name": batch.name, "year": batch.year})
    return batch


@transaction.atomic
def batch_create(
    *,
    by: User,
    year: int,
    name: str,
    target_compounds: int = 0,
    target_households: int = 0,
    target_investment: Decimal = Decimal("0"),
    notes: str = "",
) -> Batch:
    """A new yearly batch (district office only)."""
    _require_planner(by)
    batch = Batch()
    _apply(batch, {
        "year": year, "name": name, "target_compounds": target_compounds,
        "target_households": target_households, "target_investment": target_investment,
        "notes": notes,
    }, BATCH_FIELDS)
    return _save_batch(batch)


@transaction.atomic
def batch_update(*, batch_id: int, by: User, data: dict[str, Any]) -> Batch:
    """Change a batch's year, name, targets or notes (district office only)."""
    _require_planner(by)
    batch = Batch.objects.select_for_update().filter(pk=batch_id).first()
    if batch is None:
        raise Http404("batch not found")
    _apply(batch, data, BATCH_FIELDS)
    return _save_batch(batch)


# --- projects ---------------------------------------------------------------------------


def _project_rules(project: Project) -> Callable[[Errors], None]:
    def rules(errors: Errors) -> None:
        for name in Project.FUNDING_FIELDS:
            if name not in errors and getattr(project, name) < 0:
                add_error(errors, name, _("Funding cannot be negative."))
        dates_in_order(errors, project)
        candidates = None
        for name in ("engineering_coordinator", "residents_coordinator"):
            person_id = getattr(project, f"{name}_id")
            if name in errors or person_id is None:
                continue
            if candidates is None:
                candidates = coordinator_candidates(compound=project.compound)
            if not candidates.filter(pk=person_id).exists():
                add_error(errors, name,
                     _("Choose an active staff member whose area covers this compound."))
    return rules


def _already_planned(compound_name: str, batch: Batch) -> ValidationError:
    return ValidationError(
        {"compound": _("%(compound)s already has a project in the batch %(batch)s.")
         % {"compound": compound_name, "batch": batch}}
    )


@transaction.atomic
def project_create(
    *, by: User, compound_id: int, batch_id: int, data: dict[str, Any] | None = None
) -> Project:
    """Put a compound the user may see into a batch. The project starts at `planned`,
    and that start is the first row of its history."""
    errors: Errors = {}
    compound = (
        compounds_visible_to(by).select_related("community").filter(pk=compound_id).first()
    )
    if compound is None:
        add_error(errors, "compound", _("There is no such compound in your area."))
    batch = Batch.objects.filter(pk=batch_id).first()
    if batch is None:
        add_error(errors, "batch", _("There is no such batch."))
    if errors:
        raise ValidationError(errors)
    if Project.objects.filter(compound=compound, batch=batch).exists():
        raise _already_planned(compound.name, batch)

    project = Project(compound=compound, batch=batch, stage=Stage.PLANNED)
    _apply(project, data or {}, PROJECT_FIELDS)
    _validate(project, _project_rules(project))
    try:
        with transaction.atomic():
            project.save()
    except IntegrityError as exc:  # created by someone else a moment ago
        raise _already_planned(compound.name, batch) from exc
    StageChange.objects.create(
        project=project, from_stage="", to_stage=Stage.PLANNED, by=by, at=timezone.now()
    )
    return project


@transaction.atomic
def project_update(*, project_id: int, by: User, data: dict[str, Any]) -> Project:
    """Change a project's parties, funding, dates or coordinators. Its stage moves only
    through `project_transition`; its compound and batch do not change."""
    project = project_get_visible(user=by, project_id=project_id, for_update=True)
    _apply(project, data, PROJECT_FIELDS)
    _validate(project, _project_rules(project))
    project.save()
    return project


@transaction.atomic
def project_transition(*, project_id: int, to: str, by: User, note: str = "") -> Project:
    """Move a project to stage `to`, recording who, when and why.

    A repeat of the current stage changes nothing and writes no history. An unknown or
    illegal move is refused (400, naming the moves allowed from here); a move whose gate
    is not met is refused (409) with the list of what is missing."""
    project = project_get_visible(user=by, project_id=project_id, for_update=True)
    if not check_move(current=project.stage, target=to, transitions=TRANSITIONS,
                      choices=Stage):
        return project
    missing = stage_gate_missing(project, to)
    if missing:
        raise ApplicationError(
            _("The project cannot enter “%(stage)s” yet: %(missing)s")
            % {"stage": Stage(to).label, "missing": " ".join(missing)},
            extra={"missing": missing},
            status_code=409,
        )
    now = timezone.now()
    from_stage = project.stage
    project.stage = to
    if to == Stage.CONSTRUCTION and project.actual_start is None:
        project.actual_start = timezone.localdate(now)
    if to == Stage.COMPLETED and project.actual_end is None:
        project.actual_end = timezone.localdate(now)
    project.save(update_fields=["stage", "actual_start", "actual_end", "updated_at"])
    StageChange.objects.create(
        project=project, from_stage=from_stage, to_stage=to, by=by, at=now,
        note=note.strip(),
    )
    return project
