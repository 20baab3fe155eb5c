"""A project's progress, derived from its work items and never typed in.

Each item contributes min(completed / planned, 1), weighted by its budget; cancelled
items do not count. A project whose items have no budget yet is the plain average of
its items; a project without items is at 0 %.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Avg,
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from renewal.models import ItemStatus, Project

_RATIO = DecimalField(max_digits=20, decimal_places=6)
_HUNDRED = Decimal("100")


def _fraction(prefix: str):
    completed, planned = F(f"{prefix}completed_quantity"), F(f"{prefix}planned_quantity")
    return Case(
        When(**{f"{prefix}completed_quantity__gte": planned}, then=Value(Decimal("1"))),
        # "1.0", not "1": SQLite stores these columns as integers when they can be, and
        # would divide 500 by 1000 as integers. PostgreSQL's numeric is exact either way.
        default=ExpressionWrapper(completed * Value(Decimal("1.0")) / planned,
                                  output_field=_RATIO),
        output_field=_RATIO,
    )


def with_progress(queryset: QuerySet[Project]) -> QuerySet[Project]:
    """Annotate `progress_ratio` (0..1, Decimal) in the same query as the projects."""
    counted = Q(work_items__isnull=False) & ~Q(work_items__status=ItemStatus.CANCELLED)
    fraction = _fraction("work_items__")
    return queryset.annotate(
        _budget=Coalesce(Sum("work_items__budget", filter=counted), Value(Decimal("0"))),
        _weighted=Sum(
            ExpressionWrapper(F("work_items__budget") * fraction, output_field=_RATIO),
            filter=counted,
        ),
        _average=Avg(fraction, filter=counted, output_field=_RATIO),
    ).annotate(
        progress_ratio=Case(
            When(_budget__gt=0, then=ExpressionWrapper(
                F("_weighted") / F("_budget"), output_field=_RATIO)),
            default=Coalesce(F("_average"), Value(Decimal("0"))),
            output_field=_RATIO,
        )
    )


def as_percent(ratio) -> Decimal:
    """0..1 → a percentage with one decimal, exact rounding half up."""
    return (Decimal(str(ratio or 0)) * _HUNDRED).quantize(Decimal("0.1"), ROUND_HALF_UP)


def project_progress(*, project_id: int) -> Decimal:
    ratio = (
        with_progress(Project.objects.filter(pk=project_id))
        .values_list("progress_ratio", flat=True)
        .first()
    )
    return as_percent(ratio)
