"""A project's progress, derived from its work items and never typed in.

Each item contributes min(completed / planned, 1), weighted by its budget; cancelled
items do not count. A project whose items have no budget yet is the plain average of
its items; a project without items is at 0 %.

The arithmetic is done here in Decimal, exactly, from one query over the items of all
the projects asked about (a list page asks once for its page of projects).
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from renewal.models import ItemStatus, WorkItem

ZERO, ONE, HUNDRED = Decimal("0"), Decimal("1"), Decimal("100")
PERCENT = Decimal("0.1")


def progress_percent(items: Iterable[tuple[Decimal, Decimal, Decimal]]) -> Decimal:
    """(planned, completed, budget) of the counted items → percentage, one decimal."""
    items = list(items)
    if not items:
        return ZERO.quantize(PERCENT)
    fractions = [(min(completed / planned, ONE), budget) for planned, completed, budget in items]
    total_budget = sum((budget for _, budget in fractions), ZERO)
    if total_budget > 0:
        ratio = sum((f * budget for f, budget in fractions), ZERO) / total_budget
    else:
        ratio = sum((f for f, _ in fractions), ZERO) / len(fractions)
    return (ratio * HUNDRED).quantize(PERCENT, ROUND_HALF_UP)


def progress_by_project(project_ids: Iterable[int]) -> dict[int, Decimal]:
    """{project id: progress %} for every id given (0.0 for projects without items)."""
    ids = list(project_ids)
    grouped: dict[int, list] = defaultdict(list)
    rows = (
        WorkItem.objects.filter(project_id__in=ids)
        .exclude(status=ItemStatus.CANCELLED)
        .values_list("project_id", "planned_quantity", "completed_quantity", "budget")
    )
    for project_id, planned, completed, budget in rows:
        grouped[project_id].append((planned, completed, budget))
    return {pid: progress_percent(grouped.get(pid, ())) for pid in ids}


def project_progress(*, project_id: int) -> Decimal:
    return progress_by_project([project_id])[project_id]
