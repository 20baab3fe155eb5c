"""Reads of the works: the catalogue, a project's items grouped by category, the
reports and photos, and the roll-ups the dashboards and look-backs use.

Every read of items or reports starts from the area gate (renewal.selectors.access).
Percentages are exact Decimals from renewal.selectors.progress, the one place that
knows how progress is derived.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from compounds.models import User
from compounds.selectors import area_q
from renewal.models import (
    ItemCategory,
    ItemStatus,
    ProgressPhoto,
    ProgressReport,
    Project,
    QuantityUnit,
    WorkItem,
    WorkItemType,
)
from renewal.selectors.access import work_items_visible_to
from renewal.selectors.progress import progress_by_project, progress_percent

ZERO = Decimal("0")
OPEN_STATUSES = (ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS)


def item_percent(item: WorkItem) -> Decimal:
    """min(completed / planned, 1) as a percentage with one decimal, exactly."""
    return progress_percent([(item.planned_quantity, item.completed_quantity, item.budget)])


def _counted(item: WorkItem) -> tuple[Decimal, Decimal, Decimal]:
    return item.planned_quantity, item.completed_quantity, item.budget


# --- catalogue and lists ------------------------------------------------------------------


def work_item_types() -> QuerySet[WorkItemType]:
    return WorkItemType.objects.order_by("category", "sort", "code")


def work_item_list(*, user: User) -> QuerySet[WorkItem]:
    """The items the user may see, with what a list shows of each, in one query."""
    return work_items_visible_to(user).select_related("type").order_by(
        "project_id", "type__category", "type__sort", "id"
    )


def work_item_get_visible(*, user: User, work_item_id: int) -> WorkItem:
    item = (
        work_items_visible_to(user)
        .select_related("type", "project__compound__community", "project__batch")
        .filter(pk=work_item_id)
        .first()
    )
    if item is None:
        raise Http404("work item not found")
    return item


def progress_reports_visible_to(user: User) -> QuerySet[ProgressReport]:
    return ProgressReport.objects.filter(
        area_q(user, compound_path="work_item__project__compound__")
    )


def progress_report_list(*, user: User) -> QuerySet[ProgressReport]:
    """Reports with their item, reporter and photos: three queries for any number."""
    return (
        progress_reports_visible_to(user)
        .select_related("work_item", "reported_by")
        .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.order_by("id")))
        .order_by("-reported_at", "-id")
    )


def item_reports(*, item: WorkItem) -> list[ProgressReport]:
    """The item's report timeline, newest first, with photos (two queries). The caller
    has already fetched `item` through the area gate."""
    return list(
        ProgressReport.objects.filter(work_item=item)
        .select_related("reported_by")
        .prefetch_related(Prefetch("photos", queryset=ProgressPhoto.objects.order_by("id")))
        .order_by("-reported_at", "-id")
    )


# --- a project's items --------------------------------------------------------------------


@dataclass
class CategoryGroup:
    category: str
    label: str
    items: list[WorkItem] = field(default_factory=list)
    budget: Decimal = ZERO
    spent: Decimal = ZERO
    percent: Decimal = ZERO


@dataclass
class ProjectWorks:
    project: Project
    groups: list[CategoryGroup]
    items: list[WorkItem]
    progress: Decimal
    budget: Decimal
    spent: Decimal


def project_items(project: Project) -> QuerySet[WorkItem]:
    """The items of a project already fetched through the area gate, in national order."""
    return (
        WorkItem.objects.filter(project=project)
        .select_related("type")
        .order_by("type__category", "type__sort", "id")
    )


def project_works(*, project: Project, items: QuerySet[WorkItem] | None = None) -> ProjectWorks:
    """A project's items (`items`, e.g. filtered, or all of them) grouped by category in
    national order, each with its `percent`, and per category: budget, spent, progress.
    Cancelled items are listed but count in no total. The project's own progress is
    always over all its items. Two queries: items, progress. `project` comes from
    project_get_visible (the area gate)."""
    items = list(project_items(project) if items is None else items)
    labels = dict(ItemCategory.choices)
    groups: dict[str, CategoryGroup] = {
        value: CategoryGroup(category=value, label=labels[value])
        for value in ItemCategory.values
    }
    counted: dict[str, list] = {value: [] for value in ItemCategory.values}
    for item in items:
        item.percent = item_percent(item)
        group = groups[item.type.category]
        group.items.append(item)
        if item.status != ItemStatus.CANCELLED:
            group.budget += item.budget
            group.spent += item.spent
            counted[item.type.category].append(_counted(item))
    for value, group in groups.items():
        group.percent = progress_percent(counted[value])
    present = [group for group in groups.values() if group.items]
    return ProjectWorks(
        project=project,
        groups=present,
        items=items,
        progress=progress_by_project([project.pk])[project.pk],
        budget=sum((g.budget for g in present), ZERO),
        spent=sum((g.spent for g in present), ZERO),
    )


# --- roll-ups -------------------------------------------------------------------------------


@dataclass
class TypeTotal:
    type_id: int
    code: str
    name: str
    category: str
    unit: str
    unit_display: str
    items: int
    planned: Decimal
    completed: Decimal


def works_by_the_numbers(*, user: User, project_ids: list[int] | None = None) -> list[TypeTotal]:
    """Xiamen's "by the numbers": per item type, the completed (and planned) quantity
    summed over the projects given (all the user may see when None), cancelled items
    aside. One query; types with nothing recorded are left out."""
    items = work_items_visible_to(user).exclude(status=ItemStatus.CANCELLED)
    if project_ids is not None:
        items = items.filter(project_id__in=project_ids)
    rows = (
        items.order_by()
        .values("type_id", "type__code", "type__name", "type__category", "type__unit",
                "type__sort")
        .annotate(items=Count("id"), planned=Sum("planned_quantity"),
                  completed=Sum("completed_quantity"))
        .order_by("type__category", "type__sort", "type__code")
    )
    units = dict(QuantityUnit.choices)
    return [
        TypeTotal(
            type_id=row["type_id"], code=row["type__code"], name=row["type__name"],
            category=row["type__category"], unit=row["type__unit"],
            unit_display=units.get(row["type__unit"], row["type__unit"]),
            items=row["items"], planned=row["planned"] or ZERO,
            completed=row["completed"] or ZERO,
        )
        for row in rows
    ]


def warranty_ending(*, user: User, within_days: int = 30,
                    today: date | None = None) -> QuerySet[WorkItem]:
    """Finished items whose warranty runs out within `within_days` from today (today
    included): the look-back has to happen before then."""
    today = today or timezone.localdate()
    return (
        work_items_visible_to(user)
        .filter(status=ItemStatus.DONE, warranty_until__gte=today,
                warranty_until__lte=today + timedelta(days=within_days))
        .select_related("type", "project__compound")
        .order_by("warranty_until", "id")
    )


def items_overdue(*, user: User, today: date | None = None) -> QuerySet[WorkItem]:
    """Items past their planned end and not finished (cancelled ones aside)."""
    today = today or timezone.localdate()
    return (
        work_items_visible_to(user)
        .filter(Q(planned_end__lt=today) & Q(status__in=OPEN_STATUSES))
        .select_related("type", "project__compound")
        .order_by("planned_end", "id")
    )
