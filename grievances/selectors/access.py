"""The area gate for residents' issues, and the public way in by tracking code.

Every staff list, detail, API, export and task starts from `grievances_visible_to`; an
issue outside the user's area does not exist for them (404, never 403). Residents have
no account: they reach their own issue by its tracking code only.
"""

from django.db.models import QuerySet
from django.http import Http404

from compounds.models import User
from compounds.selectors import area_q
from compounds.validation import as_id
from grievances.models import Grievance


def grievances_visible_to(user: User) -> QuerySet[Grievance]:
    """The issues of the compounds in `user`'s area (nothing for no role / anonymous)."""
    return Grievance.objects.filter(area_q(user, compound_path="compound__"))


def grievance_get_visible(*, user: User, grievance_id) -> Grievance:
    """One issue `user` may see, with its compound, category and assignee (one query),
    or Http404: another area's issue does not exist."""
    pk = as_id(grievance_id)
    grievance = None
    if pk is not None:
        grievance = (
            grievances_visible_to(user)
            .select_related("compound__community__subdistrict", "category", "assignee",
                            "building", "merged_into")
            .filter(pk=pk)
            .first()
        )
    if grievance is None:
        raise Http404("grievance not found")
    return grievance


def normalize_code(code: str | None) -> str:
    """A tracking code as a resident typed it → the stored form (see intake)."""
    from grievances.services.intake import normalize_tracking_code

    return normalize_tracking_code(code)


def grievance_by_tracking_code(code: str | None) -> Grievance:
    """The issue behind a tracking code, however the resident typed it ("abcd 2345",
    "ABCD－2345"), with its compound, category and the issue it was merged into; Http404
    for an unknown or blank code. Public: no gate, the code is the key."""
    normalized = normalize_code(code)
    grievance = None
    if normalized:
        grievance = (
            Grievance.objects.select_related("compound", "category", "merged_into")
            .filter(tracking_code=normalized)
            .first()
        )
    if grievance is None:
        raise Http404("tracking code not found")
    return grievance
