"""Adopting a golden idea (金点子): the idea became a work item of its compound's
project. renewal holds the link (`WorkItem.idea`), since consultation never imports
renewal; consultation.services.ideas.idea_mark_adopted moves the idea and writes its
history, and this is the only caller of it."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from compounds.models import User
from compounds.statemachine import check_move
from compounds.validation import Errors, add_error, as_id
from consultation.models.ideas import IDEA_TRANSITIONS, Idea, IdeaStatus
from consultation.selectors.ideas import ideas_visible_to
from consultation.services.ideas import NOTE_MAX, idea_mark_adopted
from renewal.models import ItemStatus
from renewal.selectors.access import work_items_visible_to


@transaction.atomic
def idea_adopt(*, by: User, idea_id: int, work_item_id: int, note: str = "") -> Idea:
    """Adopt an idea under review: link the work item it became (a work item of a
    project of the idea's own compound, in the user's area, not cancelled, not already
    carrying another idea) and mark the idea adopted. An idea already adopted may be
    linked to one more work item (an idea can become several); linking the same one
    again changes nothing."""
    pk = as_id(idea_id)
    idea = (ideas_visible_to(by).select_for_update(of=("self",)).filter(pk=pk).first()
            if pk else None)
    if idea is None:
        raise Http404("idea not found")
    # Before looking at the work item: from received or not adopted, a 400 that says
    # which moves are allowed (review it first).
    if idea.status != IdeaStatus.ADOPTED:
        check_move(current=idea.status, target=IdeaStatus.ADOPTED,
                   transitions=IDEA_TRANSITIONS, choices=IdeaStatus)

    errors: Errors = {}
    item_pk = as_id(work_item_id)
    item = (
        work_items_visible_to(by).select_for_update(of=("self",))
        .select_related("type", "project").filter(pk=item_pk).first()
        if item_pk else None
    )
    if item is None:
        add_error(errors, "work_item", _("Choose a work item in your area."))
    elif item.project.compound_id != idea.compound_id:
        add_error(errors, "work_item", _("This work item belongs to another compound's "
                                         "project: an idea becomes a work item of its own "
                                         "compound."))
    elif item.status == ItemStatus.CANCELLED:
        add_error(errors, "work_item", _("This work item is cancelled."))
    elif item.idea_id not in (None, idea.pk):
        add_error(errors, "work_item", _("This work item already came from another idea "
                                         "(#%(id)s).") % {"id": item.idea_id})
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        add_error(errors, "note", _("At most %(max)s characters.") % {"max": NOTE_MAX})
    if errors:
        raise ValidationError(errors)

    if item.idea_id == idea.pk and idea.status == IdeaStatus.ADOPTED:
        return idea
    if item.idea_id != idea.pk:
        item.idea = idea
        item.save(update_fields=["idea"])
    label = _("Became the work item “%(item)s” (#%(id)s).") % {
        "item": item.type.name + (f" · {item.description}" if item.description else ""),
        "id": item.pk,
    }
    return idea_mark_adopted(by=by, idea=idea, note=f"{label}\n{note}" if note else label)
