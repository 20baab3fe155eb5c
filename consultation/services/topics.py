"""Writes of the consultation app: topics put to the owners, their moves through the seven
steps, and the ballots that decide them. Keyword-only, validated field by field (every
bad field at once), atomic."""

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Dwelling, User
from compounds.selectors import compounds_visible_to
from compounds.statemachine import check_move
from compounds.uploads import CheckedImage, checked_image
from compounds.validation import Errors, add_error, as_id
from consultation.models import Ballot, BallotEvent, Choice, Method, Rule, Scope, Topic, TopicKind
from consultation.models.topics import (
    STAGE_DONE_MAX_LENGTH,
    TOPIC_TRANSITIONS,
    TopicStage,
    TopicStageChange,
)
from consultation.selectors import eligible_dwellings, topics_visible_to
from consultation.services.rows import locked_or_404


def _threshold(errors: Errors, *, rule: str, threshold: Any) -> Decimal | None:
    if rule != Rule.CONSENT_SHARE:
        if threshold not in (None, ""):
            add_error(errors, "threshold",
                      _("A threshold applies only to the consent-share rule."))
        return None
    if threshold in (None, ""):
        add_error(errors, "threshold",
                  _("The consent-share rule needs a threshold, e.g. 0.80."))
        return None
    try:
        value = Decimal(str(threshold))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) < value <= Decimal(1):
        add_error(errors, "threshold",
                  _("Give the threshold as a share above 0 and at most 1, e.g. 0.80."))
        return None
    return value


def _scope_place(errors: Errors, *, compound_id: int | None, scope: str, building_id: Any,
                 unit: str) -> Building | None:
    if scope not in Scope.values:
        return None
    if scope == Scope.COMPOUND:
        if building_id not in (None, ""):
            add_error(errors, "building",
                      _("A topic of the whole compound names no building."))
        if unit:
            add_error(errors, "unit", _("A topic of the whole compound names no unit."))
        return None
    building = None
    if building_id in (None, ""):
        add_error(errors, "building", _("Choose the building this topic concerns."))
    elif compound_id is not None:
        pk = as_id(building_id)
        building = Building.objects.filter(pk=pk, compound_id=compound_id).first() if pk else None
        if building is None:
            add_error(errors, "building", _("This building is not in the topic's compound."))
    if scope == Scope.BUILDING and unit:
        add_error(errors, "unit", _("A topic of one building names no unit."))
    if scope == Scope.UNIT:
        if not unit:
            add_error(errors, "unit", _("Give the unit (staircase) this topic concerns."))
        elif building is not None and not building.dwellings.filter(unit=unit).exists():
            add_error(errors, "unit",
                      _("Building %(building)s has no registered dwelling in unit %(unit)s.")
                      % {"building": building.number, "unit": unit})
    return building


@transaction.atomic
def topic_create(
    *,
    by: User,
    compound_id: int,
    title: str,
    scope: str,
    kind: str,
    rule: str,
    building_id: int | None = None,
    unit: str = "",
    threshold: Decimal | str | None = None,
    affected_dwelling_ids: Iterable[int] = (),
) -> Topic:
    """Put a matter to the owners of a compound, one of its buildings or one unit."""
    errors: Errors = {}
    unit = (unit or "").strip()
    affected_ids = list(affected_dwelling_ids or ())

    pk = as_id(compound_id)
    compound = compounds_visible_to(by).filter(pk=pk).first() if pk else None
    if compound is None:
        add_error(errors, "compound", _("Choose a compound in your area."))
    building = _scope_place(errors, compound_id=compound and compound.pk, scope=scope,
                            building_id=building_id, unit=unit)
    value = _threshold(errors, rule=rule, threshold=threshold)

    topic = Topic(
        compound=compound, title=(title or "").strip(), scope=scope, building=building,
        unit=unit if scope == Scope.UNIT else "", kind=kind, rule=rule, threshold=value,
        created_by=by,
    )
    try:
        topic.full_clean(exclude=[*errors, "compound", "building", "created_by"],
                         validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)

    affected: list[Dwelling] = []
    if affected_ids:
        if kind != TopicKind.ELEVATOR:
            add_error(errors, "affected_dwellings",
                      _("Only an elevator topic lists affected dwellings."))
        elif not errors.keys() & {"compound", "scope", "building", "unit"}:
            wanted = {as_id(i) for i in affected_ids}
            affected = list(eligible_dwellings(topic).filter(pk__in=wanted - {None}))
            outside = sorted((str(i) for i in wanted - {d.pk for d in affected}),
                             key=lambda s: (len(s), s))
            if outside:
                add_error(errors, "affected_dwellings",
                          _("These dwellings are not in the topic's scope (%(scope)s): "
                            "%(ids)s.")
                          % {"scope": Scope(scope).label, "ids": ", ".join(outside)})
    if errors:
        raise ValidationError(errors)

    topic.save()
    if affected:
        topic.affected_dwellings.set(affected)
    return topic


@transaction.atomic
def topic_move(*, by: User, topic_id: int, to: str, done: str) -> Topic:
    """Move a topic to step `to` of the seven (议事七步), saying what was done in the step
    it leaves. A repeat of the current step changes nothing; an unknown or illegal move is
    refused (400, naming the moves allowed from here); applying the result needs votes
    (409). Every move writes a TopicStageChange."""
    topic = locked_or_404(topics_visible_to(by), topic_id, what="topic")
    if not check_move(current=topic.stage, target=to, transitions=TOPIC_TRANSITIONS,
                      choices=TopicStage):
        return topic

    done = (done or "").strip()
    if not done:
        raise ValidationError({"done": _(
            "Say what was done in the step “%(stage)s” before moving on."
        ) % {"stage": TopicStage(topic.stage).label}})
    if len(done) > STAGE_DONE_MAX_LENGTH:
        raise ValidationError({"done": _(
            "Keep it to at most %(max)s characters (this text has %(length)s)."
        ) % {"max": STAGE_DONE_MAX_LENGTH, "length": len(done)}})
    if to == TopicStage.APPLY and not topic.ballots.exists():
        missing = _("No vote has been recorded on this topic: record the owners' ballots "
                    "before applying the result.")
        raise ApplicationError(
            _("The topic cannot enter “%(stage)s” yet: %(missing)s")
            % {"stage": TopicStage(to).label, "missing": missing},
            extra={"missing": [missing]}, status_code=409,
        )

    from_stage = topic.stage
    topic.stage = to
    topic.save(update_fields=["stage"])
    TopicStageChange.objects.create(topic=topic, from_stage=from_stage, to_stage=to,
                                    done=done, by=by, at=timezone.now())
    return topic


# Once the result is being applied, the vote is over: no ballot of any method, no codes.
CLOSED_STAGES = frozenset({TopicStage.APPLY, TopicStage.SUPERVISE, TopicStage.FEEDBACK})


def voting_open_check(topic: Topic) -> None:
    """No votes (on paper, at the door, online) and no codes once the result is being
    applied (409)."""
    if topic.stage in CLOSED_STAGES:
        raise ApplicationError(
            _("Voting on this topic has closed: its result is already being applied."),
            status_code=409,
        )


@transaction.atomic
def ballot_cast(*, by: User, topic_id: int, dwelling_id: int, choice: str,
                method: str, sheet_photo: Any = None) -> Ballot:
    """Record a dwelling's vote, with the photo of the signed sheet if there is one. A
    later vote replaces the earlier one; every vote cast is kept as a BallotEvent (the
    consent history), each with its own sheet."""
    pk = as_id(topic_id)
    topic = topics_visible_to(by).filter(pk=pk).first() if pk else None
    if topic is None:
        raise Http404("topic not found")
    voting_open_check(topic)

    errors: Errors = {}
    photo: CheckedImage | None = None
    if sheet_photo:
        try:
            photo = checked_image(sheet_photo)
        except ValidationError as exc:
            errors.setdefault("sheet_photo", []).extend(exc.messages)
    if choice not in Choice.values:
        add_error(errors, "choice", _("Choose agree, disagree or abstain."))
    if method not in Method.values:
        add_error(errors, "method", _("Choose how the vote was collected."))
    dwelling_pk = as_id(dwelling_id)
    # The dwelling's row is locked so that two first votes of one dwelling queue up
    # instead of both inserting a ballot.
    dwelling = (
        eligible_dwellings(topic).select_for_update(of=("self",)).filter(pk=dwelling_pk).first()
        if dwelling_pk else None
    )
    if dwelling is None:
        add_error(errors, "dwelling",
                  _("This dwelling is outside the topic's scope (%(scope)s): its owner "
                    "does not vote on it.") % {"scope": _scope_label(topic)})
    if errors:
        raise ValidationError(errors)

    return ballot_record(topic=topic, dwelling=dwelling, choice=choice, method=method, by=by,
                         sheet_photo=photo)


def ballot_record(*, topic: Topic, dwelling: Dwelling, choice: str, method: str,
                  by: User | None, sheet_photo: CheckedImage | None = None) -> Ballot:
    """Write one vote whose topic, dwelling (locked, in scope), choice and method the
    caller has checked: replace the standing ballot, append the event. `by` is None for
    a resident voting online with a household code. `sheet_photo` is a photo already
    through `compounds.uploads.checked_image`: it is stored once and kept on the ballot
    and its event; a vote without one leaves the standing ballot without a sheet (the
    earlier sheet stays on the earlier event). Call inside a transaction."""
    now = timezone.now()
    ballot = (Ballot.objects.select_for_update()
              .filter(topic=topic, dwelling=dwelling).first())
    previous = ballot.choice if ballot else ""
    if ballot is None:
        ballot = Ballot(topic=topic, dwelling=dwelling)
    ballot.choice, ballot.method, ballot.recorded_by, ballot.cast_at = choice, method, by, now
    stored = ""
    if sheet_photo is not None:
        ballot.sheet_photo.save(sheet_photo.name, sheet_photo, save=False)
        stored = ballot.sheet_photo.name
    else:
        ballot.sheet_photo = ""
    try:
        ballot.full_clean(exclude=["topic", "dwelling", "recorded_by"], validate_unique=False,
                          validate_constraints=False)
        ballot.save()
        BallotEvent.objects.create(topic=topic, dwelling=dwelling, previous=previous,
                                   choice=choice, method=method, recorded_by=by, at=now,
                                   sheet_photo=stored)
    except BaseException:
        if stored:  # no row points at the file: it does not stay behind
            default_storage.delete(stored)
        raise
    return ballot


def _scope_label(topic: Topic) -> str:
    if topic.scope == Scope.UNIT:
        return _("building %(building)s, unit %(unit)s") % {
            "building": topic.building.number, "unit": topic.unit}
    if topic.scope == Scope.BUILDING:
        return _("building %(building)s") % {"building": topic.building.number}
    return str(Scope(topic.scope).label)
