"""What anyone may read about a compound: the page the QR posters link to.

No personal data: no owners, no phones but the community office's, no staff names.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.http import Http404
from django.utils import timezone

from compounds.models import Compound
from renewal.models import STAGE_ORDER, ItemStatus, Project, Stage, WorkItem
from renewal.selectors.commitments import PublicCommitmentRow, public_commitments
from renewal.selectors.progress import progress_percent


@dataclass
class PublicItem:
    name: str
    category: str
    unit: str
    planned: Decimal
    completed: Decimal
    percent: Decimal


@dataclass
class PublicCompoundPage:
    compound: Compound
    project: Project | None
    progress: Decimal | None
    stages: list[tuple[str, str, str]]  # (value, label, "done" | "current" | "todo")
    items: list[PublicItem] = field(default_factory=list)
    commitments: list[PublicCommitmentRow] = field(default_factory=list)
    year: int = 0


def _stage_steps(current: str | None) -> list[tuple[str, str, str]]:
    labels = dict(Stage.choices)
    position = STAGE_ORDER.index(current) if current else -1
    return [
        (value, labels[value],
         "done" if i < position else "current" if i == position else "todo")
        for i, value in enumerate(STAGE_ORDER)
    ]


def public_compound_page(*, compound_id: int, year: int | None = None) -> PublicCompoundPage:
    """Everything on the public page, in a constant number of queries (four)."""
    compound = (
        Compound.objects.select_related("community__subdistrict")
        .only("name", "address", "build_year", "households", "building_count",
              "community__name", "community__office_phone", "community__office_address",
              "community__subdistrict__name")
        .filter(pk=compound_id)
        .first()
    )
    if compound is None:
        raise Http404("compound not found")
    year = year or timezone.localdate().year
    project = (
        Project.objects.select_related("batch")
        .filter(compound_id=compound_id)
        .order_by("-batch__year", "-id")
        .first()
    )
    page = PublicCompoundPage(
        compound=compound, project=project, progress=None,
        stages=_stage_steps(project.stage if project else None), year=year,
    )
    if project is not None:
        rows = list(
            WorkItem.objects.filter(project=project)
            .exclude(status=ItemStatus.CANCELLED)
            .select_related("type")
            .order_by("type__category", "type__sort", "id")
        )
        page.items = [
            PublicItem(
                name=item.type.name, category=item.type.get_category_display(),
                unit=item.type.get_unit_display(), planned=item.planned_quantity,
                completed=item.completed_quantity,
                percent=progress_percent([(item.planned_quantity, item.completed_quantity,
                                           item.budget)]),
            )
            for item in rows
        ]
        # The figure staff see, from the same rows (no second query).
        page.progress = progress_percent(
            (item.planned_quantity, item.completed_quantity, item.budget) for item in rows
        )
    page.commitments = public_commitments(compound_id, year)
    return page
