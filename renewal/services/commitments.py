"""Writes of the public commitments (实事承诺): a compound promises 3–5 things a year
and ticks them off in public. Keyword-only, validated, atomic."""

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from compounds.models import Compound, User
from compounds.selectors import compounds_visible_to
from compounds.validation import Errors, add_error, as_id, save_unique
from renewal.models import PublicCommitment
from renewal.models.commitments import MAX_COMMITMENTS_PER_YEAR
from renewal.selectors.commitments import commitments_visible_to

YEAR_MIN, YEAR_MAX = 2000, 2100
EDITABLE = ("year", "title", "detail", "sort", "done_on")



def _locked_compound(*, by: User, compound_id: Any) -> Compound | None:
    """The compound, locked, so that two people adding at once cannot both take the
    last place of a year's list."""
    pk = as_id(compound_id)
    if pk is None:
        return None
    return compounds_visible_to(by).select_for_update().filter(pk=pk).first()


def _check(commitment: PublicCommitment, errors: Errors) -> None:
    try:
        commitment.full_clean(exclude=[*errors, "compound"], validate_unique=False,
                              validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if "year" not in errors and not YEAR_MIN <= commitment.year <= YEAR_MAX:
        add_error(errors, "year", _("Give a year between %(min)s and %(max)s.")
             % {"min": YEAR_MIN, "max": YEAR_MAX})
    if "done_on" not in errors and commitment.done_on and (
        commitment.done_on > timezone.localdate()
    ):
        add_error(errors, "done_on", _("A commitment cannot be ticked off in the future."))
    if errors.keys() & {"year", "title"}:
        raise ValidationError(errors)
    same_year = PublicCommitment.objects.filter(
        compound_id=commitment.compound_id, year=commitment.year
    ).exclude(pk=commitment.pk)
    if same_year.filter(title=commitment.title).exists():
        add_error(errors, "title", _("This compound already promised “%(title)s” for %(year)s.")
             % {"title": commitment.title, "year": commitment.year})
    elif same_year.count() >= MAX_COMMITMENTS_PER_YEAR:
        add_error(errors, "year",
             _("A compound makes at most %(max)s public commitments a year, and %(year)s "
               "already has %(max)s. Change one of them, or put this one in another year.")
             % {"max": MAX_COMMITMENTS_PER_YEAR, "year": commitment.year})
    if errors:
        raise ValidationError(errors)


def _save(commitment: PublicCommitment) -> PublicCommitment:
    save_unique(commitment, field="title", message=_(
        "This compound already promised “%(title)s” for %(year)s."
    ) % {"title": commitment.title, "year": commitment.year})
    return commitment


@transaction.atomic
def commitment_create(
    *,
    by: User,
    compound_id: int,
    year: int,
    title: str,
    detail: str = "",
    sort: int = 0,
    done_on: date | None = None,
) -> PublicCommitment:
    """Promise something for a compound the user may see; at most five a year."""
    errors: Errors = {}
    compound = _locked_compound(by=by, compound_id=compound_id)
    if compound is None:
        add_error(errors, "compound", _("There is no such compound in your area."))
    commitment = PublicCommitment(
        compound=compound, year=year, title=(title or "").strip(),
        detail=(detail or "").strip(), sort=sort or 0, done_on=done_on,
    )
    if errors:
        # Report the other fields' problems too, but nothing to count against.
        try:
            commitment.full_clean(exclude=["compound"], validate_unique=False,
                                  validate_constraints=False)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
        raise ValidationError(errors)
    _check(commitment, errors)
    return _save(commitment)


def _locked_commitment(*, by: User, commitment_id: int) -> PublicCommitment:
    commitment = (
        commitments_visible_to(by).select_related("compound").filter(pk=commitment_id).first()
    )
    if commitment is None:
        raise Http404("commitment not found")
    # Lock the compound first, as creating does, so the yearly count stays true.
    Compound.objects.select_for_update().filter(pk=commitment.compound_id).first()
    return PublicCommitment.objects.select_for_update().get(pk=commitment.pk)


@transaction.atomic
def commitment_update(*, commitment_id: int, by: User, data: dict[str, Any]) -> PublicCommitment:
    """Reword a commitment, move it to another year, reorder it, or correct the day it
    was done (`commitment_tick` is the one-click tick)."""
    unknown = sorted(set(data) - set(EDITABLE))
    if unknown:
        raise ValidationError({name: _("This field cannot be set here.") for name in unknown})
    commitment = _locked_commitment(by=by, commitment_id=commitment_id)
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "sort" and value is None:
            value = 0
        setattr(commitment, name, value)
    _check(commitment, {})
    return _save(commitment)


@transaction.atomic
def commitment_tick(*, commitment_id: int, by: User,
                    done_on: date | None = None, undo: bool = False) -> PublicCommitment:
    """Tick a commitment off as done on `done_on` (today when not given), or, with
    `undo`, take the tick back (it was ticked by mistake)."""
    commitment = _locked_commitment(by=by, commitment_id=commitment_id)
    commitment.done_on = None if undo else (done_on or timezone.localdate())
    _check(commitment, {})
    commitment.save(update_fields=["done_on"])
    return commitment
