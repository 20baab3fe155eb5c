"""The one way a consultation service takes the row it changes: through the area gate,
by an id as the user typed it, locked for the rest of the transaction."""

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from compounds.validation import as_id

M = TypeVar("M", bound=Model)


def locked_or_404(rows: QuerySet[M], raw_id: Any, *, what: str) -> M:
    """The row `raw_id` of `rows` (a gate's queryset, with whatever it selects related),
    its own table's row locked (SELECT … FOR UPDATE OF), or 404 when it is not there —
    outside the user's area it does not exist. Call inside a transaction."""
    pk = as_id(raw_id)
    found = rows.select_for_update(of=("self",)).filter(pk=pk).first() if pk else None
    if found is None:
        raise Http404(f"{what} not found")
    return found
