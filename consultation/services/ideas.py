"""Writes of the golden ideas (金点子): a resident's (QR form, no account) or a worker's
suggestion, then its review. Keyword-only, validated field by field, atomic; every
move writes an IdeaEvent.

The machine is IDEA_TRANSITIONS (consultation/models/ideas.py), checked by
compounds.statemachine.check_move. `adopted` is never reached through
`idea_transition`: an adopted idea is one that became a work item, and the link is held
by renewal (consultation never imports renewal). renewal.services.ideas.idea_adopt
links the work item and then calls `idea_mark_adopted`, which nothing else calls.
"""

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from compounds.errors import ApplicationError
from compounds.models import Building, Compound, User
from compounds.selectors import compounds_visible_to
from compounds.statemachine import available_moves, check_move
from compounds.validation import Errors, add_error, as_id
from consultation.models.ideas import (
    IDEA_TRANSITIONS,
    MOBILE_RE,
    TEXT_MAX,
    TEXT_MIN,
    Idea,
    IdeaEvent,
    IdeaSource,
    IdeaStatus,
)
from consultation.selectors.ideas import ideas_visible_to
from consultation.services.rows import locked_or_404

NOTE_MAX = 2000
REASON_MAX = 1000
_SEPARATORS = re.compile(r"[\s\-]")


def normalise_phone(phone: str) -> str:
    """'138 1234-5678' → '13812345678' (spaces and hyphens dropped)."""
    return _SEPARATORS.sub("", phone or "")


def _text(errors: Errors, text: str) -> str:
    text = (text or "").strip()
    if len(text) < TEXT_MIN:
        add_error(errors, "text", _("Write your idea in at least %(min)s characters.")
                  % {"min": TEXT_MIN})
    elif len(text) > TEXT_MAX:
        add_error(errors, "text", _("At most %(max)s characters (this has %(n)s).")
                  % {"max": TEXT_MAX, "n": len(text)})
    return text


@transaction.atomic
def idea_submit(
    *,
    by: User | None,
    compound_id: int,
    text: str,
    source: str,
    building_id: int | None = None,
    author_name: str = "",
    author_phone: str = "",
) -> Idea:
    """Receive a golden idea. `by` is None for a resident on the QR form (no account):
    the source is then `resident` and any compound may receive it; a staff member
    records ideas of the compounds in their area, from any source. The name and phone
    are optional (to thank or ask back) and never shown publicly; a phone must be a
    mainland mobile number."""
    errors: Errors = {}
    pk = as_id(compound_id)
    compounds = Compound.objects.all() if by is None else compounds_visible_to(by)
    compound = compounds.filter(pk=pk).first() if pk else None
    if compound is None:
        add_error(errors, "compound", _("Choose a compound in your area.") if by is not None
                  else _("There is no such compound."))

    if by is None and source != IdeaSource.RESIDENT:
        add_error(errors, "source", _("An idea sent without an account comes from a resident."))
    elif source not in IdeaSource.values:
        add_error(errors, "source", _("Choose where the idea comes from."))

    building = None
    if building_id not in (None, ""):
        building_pk = as_id(building_id)
        if compound is not None and building_pk:
            building = Building.objects.filter(pk=building_pk, compound=compound).first()
        if building is None and "compound" not in errors:
            add_error(errors, "building", _("This building is not in the compound."))

    text = _text(errors, text)
    author_name = (author_name or "").strip()
    if len(author_name) > 40:
        add_error(errors, "author_name", _("At most %(max)s characters.") % {"max": 40})
    author_phone = normalise_phone(author_phone)
    if author_phone and not re.fullmatch(MOBILE_RE, author_phone):
        add_error(errors, "author_phone",
                  _("Give an 11-digit mobile number starting with 1, e.g. 13812345678, "
                    "or leave it empty."))
    if errors:
        raise ValidationError(errors)

    idea = Idea.objects.create(
        compound=compound, building=building, text=text, source=source,
        author_name=author_name, author_phone=author_phone, created_by=by,
    )
    IdeaEvent.objects.create(idea=idea, to_status=IdeaStatus.RECEIVED, by=by)
    return idea


def _locked(*, by: User, idea_id: Any) -> Idea:
    return locked_or_404(ideas_visible_to(by), idea_id, what="idea")


@transaction.atomic
def idea_transition(*, by: User, idea_id: int, to: str, note: str = "",
                    public_reason: str = "") -> Idea:
    """Move an idea: received → under review → not adopted (with a reason the public
    page shows) and back to under review. A repeat changes nothing; an illegal move is a
    400 naming the allowed ones. Adoption is not a move of its own here: it links the
    work item the idea became (renewal.services.ideas.idea_adopt)."""
    idea = _locked(by=by, idea_id=idea_id)
    if to == IdeaStatus.ADOPTED:
        raise ApplicationError(
            _("Adopting an idea links it to the work item it became: use “Adopt” on the "
              "idea's page and choose the work item."),
            extra={"allowed": [value for value, _label in available_moves(
                current=idea.status, transitions=IDEA_TRANSITIONS, choices=IdeaStatus)
                if value != IdeaStatus.ADOPTED]},
        )
    if not check_move(current=idea.status, target=to, transitions=IDEA_TRANSITIONS,
                      choices=IdeaStatus):
        return idea

    errors: Errors = {}
    note = (note or "").strip()
    public_reason = (public_reason or "").strip()
    if len(note) > NOTE_MAX:
        add_error(errors, "note", _("At most %(max)s characters.") % {"max": NOTE_MAX})
    if to == IdeaStatus.NOT_ADOPTED:
        if not public_reason:
            add_error(errors, "public_reason", _("Say why the idea is not adopted: residents "
                                                 "read this reason on the public page."))
        elif len(public_reason) > REASON_MAX:
            add_error(errors, "public_reason", _("At most %(max)s characters.")
                      % {"max": REASON_MAX})
    elif public_reason:
        add_error(errors, "public_reason",
                  _("A public reason is given only when an idea is not adopted."))
    if errors:
        raise ValidationError(errors)

    previous = idea.status
    idea.status = to
    # Looked at again: the earlier reason stays in the history, not on the public page.
    idea.public_reason = public_reason if to == IdeaStatus.NOT_ADOPTED else ""
    idea.save(update_fields=["status", "public_reason"])
    IdeaEvent.objects.create(idea=idea, from_status=previous, to_status=to, note=note,
                             public_reason=idea.public_reason, by=by)
    return idea


def idea_mark_adopted(*, by: User, idea: Idea, note: str = "") -> Idea:
    """Mark an idea adopted and write its event. ONLY renewal.services.ideas.idea_adopt
    calls this, inside its transaction, with the idea locked and checked (in the user's
    area, under review or already adopted) and the work item linked. From any other
    state it refuses (400 with the allowed moves)."""
    previous = idea.status
    if check_move(current=previous, target=IdeaStatus.ADOPTED,
                  transitions=IDEA_TRANSITIONS, choices=IdeaStatus):
        idea.status = IdeaStatus.ADOPTED
        idea.public_reason = ""
        idea.save(update_fields=["status", "public_reason"])
    IdeaEvent.objects.create(idea=idea, from_status=previous, to_status=IdeaStatus.ADOPTED,
                             note=(note or "").strip(), by=by)
    return idea
