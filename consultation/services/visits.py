"""Writes of door-to-door visits: log a visit, and turn it, one tap each, into a ballot,
a golden idea or a resident issue, linked on the visit. Keyword-only, validated field by
field (every bad field at once), atomic; the area gate first."""

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Compound, Dwelling, User
from compounds.selectors import compounds_visible_to
from compounds.validation import Errors, add_error, as_id
from consultation.models import Method
from consultation.models.ideas import IdeaSource
from consultation.models.visits import OPINIONS_MAX, Attitude, Visit, VisitMethod
from consultation.selectors import topics_visible_to
from consultation.selectors.visits import visits_visible_to
from consultation.services.ideas import idea_submit
from consultation.services.rows import locked_or_404
from consultation.services.topics import ballot_cast
from grievances.models import Channel
from grievances.services.intake import grievance_submit

# A phone's clock may run a little ahead of the server's.
FUTURE_GRACE = timedelta(minutes=2)


def _visited_at(errors: Errors, value: Any) -> datetime:
    now = timezone.now()
    if value in (None, ""):
        return now
    when = parse_datetime(value) if isinstance(value, str) else value
    if not isinstance(when, datetime):
        add_error(errors, "visited_at", _("Give the time of the visit, e.g. 2025-05-20 15:30."))
        return now
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    if when > now + FUTURE_GRACE:
        add_error(errors, "visited_at", _("The visit cannot be in the future."))
    return when


def _place(errors: Errors, *, compound: Compound | None, building_id: Any, unit: str,
           dwelling_id: Any) -> tuple[Building | None, str, Dwelling | None]:
    """The building, unit and dwelling of the visit, each checked against the compound
    and against each other. A dwelling alone brings its building and unit."""
    building = dwelling = None
    if building_id not in (None, ""):
        pk = as_id(building_id)
        building = (Building.objects.filter(pk=pk, compound=compound).first()
                    if pk and compound else None)
        if building is None and compound is not None:
            add_error(errors, "building", _("This building is not in the compound."))
    if dwelling_id not in (None, ""):
        pk = as_id(dwelling_id)
        dwelling = (Dwelling.objects.select_related("building")
                    .filter(pk=pk, building__compound=compound).first()
                    if pk and compound else None)
        if dwelling is None:
            if compound is not None:
                add_error(errors, "dwelling", _("This dwelling is not in the compound."))
        elif building_id not in (None, "") and building is not None \
                and dwelling.building_id != building.pk:
            add_error(errors, "dwelling",
                      _("This dwelling is in building %(actual)s, not in building "
                        "%(chosen)s.") % {"actual": dwelling.building.number,
                                          "chosen": building.number})
        elif unit and unit != dwelling.unit:
            add_error(errors, "unit",
                      _("This dwelling is in unit %(actual)s, not in unit %(chosen)s.")
                      % {"actual": dwelling.unit, "chosen": unit})
        else:
            building, unit = dwelling.building, dwelling.unit
    if unit and building is None and "building" not in errors and "dwelling" not in errors:
        add_error(errors, "unit", _("Choose the building of this unit first."))
    return building, unit, dwelling


@transaction.atomic
def visit_log(
    *,
    by: User,
    compound_id: int,
    method: str,
    attitude: str,
    building_id: int | None = None,
    unit: str = "",
    dwelling_id: int | None = None,
    opinions: str = "",
    topic_id: int | None = None,
    visited_at: datetime | str | None = None,
) -> Visit:
    """Record a visit: where (the compound, and as far as known the building, unit and
    dwelling), how the talk happened, the resident's attitude and opinions, and the
    topic discussed (a topic of the same compound)."""
    errors: Errors = {}
    unit = (unit or "").strip()
    opinions = (opinions or "").strip()

    pk = as_id(compound_id)
    compound = compounds_visible_to(by).filter(pk=pk).first() if pk else None
    if compound is None:
        add_error(errors, "compound", _("Choose a compound in your area."))
    if method not in VisitMethod.values:
        add_error(errors, "method", _("Choose where the talk happened."))
    if attitude not in Attitude.values:
        add_error(errors, "attitude", _("Choose the resident's attitude."))
    building, unit, dwelling = _place(errors, compound=compound, building_id=building_id,
                                      unit=unit, dwelling_id=dwelling_id)
    if len(opinions) > OPINIONS_MAX:
        add_error(errors, "opinions",
                  _("Keep it to at most %(max)s characters (this text has %(length)s).")
                  % {"max": OPINIONS_MAX, "length": len(opinions)})
    topic = None
    if topic_id not in (None, ""):
        pk = as_id(topic_id)
        topic = topics_visible_to(by).filter(pk=pk, compound=compound).first() \
            if pk and compound else None
        if topic is None and compound is not None:
            add_error(errors, "topic", _("This topic is not one of the compound's topics."))
    when = _visited_at(errors, visited_at)

    visit = Visit(compound=compound, building=building, unit=unit, dwelling=dwelling,
                  method=method, attitude=attitude, opinions=opinions, topic=topic,
                  visited_by=by, visited_at=when)
    try:
        visit.full_clean(exclude=[*errors, "compound", "building", "dwelling", "topic",
                                  "visited_by", "ballot", "idea", "grievance"],
                         validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    visit.save()
    return visit


# --- follow-ups ------------------------------------------------------------------------


def _locked_visit(by: User, visit_id: Any) -> Visit:
    return locked_or_404(visits_visible_to(by), visit_id, what="visit")


def _not_twice(visit: Visit, kind: str) -> None:
    """A visit becomes at most one record of each kind: a second tap is refused (409),
    naming the record already made (`existing` carries its kind and id)."""
    existing = getattr(visit, f"{kind}_id")
    if existing is None:
        return
    messages = {
        "ballot": _("This visit has already been recorded as a vote (ballot no. %(id)s)."),
        "idea": _("This visit has already become golden idea no. %(id)s."),
        "grievance": _("This visit has already become resident issue no. %(id)s."),
    }
    raise ApplicationError(messages[kind] % {"id": existing}, status_code=409,
                           extra={"existing": {"kind": kind, "id": existing}})


@transaction.atomic
def visit_to_ballot(*, by: User, visit_id: int, choice: str):
    """Record the vote the resident gave at the door on the visit's topic (method door
    to door) and link the ballot on the visit. Needs a dwelling and a topic (409 with
    `missing` otherwise)."""
    visit = _locked_visit(by, visit_id)
    _not_twice(visit, "ballot")
    missing = []
    if visit.dwelling_id is None:
        missing.append(_("The visit names no dwelling: a vote is the vote of one dwelling."))
    if visit.topic_id is None:
        missing.append(_("The visit names no topic to vote on."))
    if missing:
        raise ApplicationError(
            _("This visit cannot be recorded as a vote: %(missing)s")
            % {"missing": " ".join(missing)},
            status_code=409, extra={"missing": missing},
        )
    ballot = ballot_cast(by=by, topic_id=visit.topic_id, dwelling_id=visit.dwelling_id,
                         choice=choice, method=Method.DOOR_TO_DOOR)
    visit.ballot = ballot
    visit.save(update_fields=["ballot"])
    return ballot


@transaction.atomic
def visit_to_idea(*, by: User, visit_id: int, text: str | None = None):
    """Turn what the resident suggested into a golden idea (source: visit), the visit's
    opinions unless another text is given, and link it on the visit."""
    visit = _locked_visit(by, visit_id)
    _not_twice(visit, "idea")
    idea = idea_submit(by=by, compound_id=visit.compound_id,
                       text=visit.opinions if text is None else text,
                       source=IdeaSource.VISIT, building_id=visit.building_id)
    visit.idea = idea
    visit.save(update_fields=["idea"])
    return idea


@transaction.atomic
def visit_to_grievance(*, by: User, visit_id: int, category_code: str,
                       description: str | None = None):
    """Report the problem the resident raised as a resident issue (channel: visit), at
    the visit's building and unit, received when the visit happened; link it on the
    visit."""
    visit = _locked_visit(by, visit_id)
    _not_twice(visit, "grievance")
    grievance = grievance_submit(
        by=by, channel=Channel.VISIT, compound_id=visit.compound_id,
        category_code=category_code or "",
        description=visit.opinions if description is None else description,
        building_id=visit.building_id, unit=visit.unit, received_at=visit.visited_at,
        idempotency_key=f"visit:{visit.pk}",
    )
    visit.grievance = grievance
    visit.save(update_fields=["grievance"])
    return grievance

