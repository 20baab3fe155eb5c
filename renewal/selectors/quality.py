"""Reads for quality control: inspections and rectification orders in the user's area,
the look-backs that fall due (the lists' FilterSets are in renewal/filtersets/quality.py).

Look-backs (回头看) come in three shapes, each a list a person can act on:
- `seasonal_checks_due`: finished projects with a roof, waterproofing or drainage item
  (WorkItemType.seasonal_check) that have had no `seasonal` inspection carried out this
  year before the rainy season starts (settings.RAINY_SEASON_START, "MM-DD", default
  "06-01");
- `warranties_ending`: work items whose warranty ends within the next N days, so the
  defects can be claimed from the contractor while it still has to pay for them;
- `lookbacks_due`: projects completed at least settings.LOOKBACK_AFTER_DAYS (default 365)
  days ago with no `lookback` inspection carried out in the last 365 days — in other
  words, every finished project is looked back at once a year from its first
  anniversary on.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import (
    Count,
    DateField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from compounds.models import Compound, User
from renewal.models import (
    STAGE_ORDER,
    Inspection,
    InspectionKind,
    ItemStatus,
    Project,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Stage,
    StageChange,
    WorkItem,
)
from renewal.models.quality import UNCLOSED_STATUSES
from renewal.selectors.access import (
    inspections_visible_to,
    projects_visible_to,
    rectifications_visible_to,
    work_items_visible_to,
)

# Look-back, seasonal and warranty checks only make sense once the work is finished.
AFTER_COMPLETION_STAGES = tuple(STAGE_ORDER[STAGE_ORDER.index(Stage.COMPLETED):])
AFTER_COMPLETION_KINDS = (
    InspectionKind.LOOKBACK, InspectionKind.SEASONAL, InspectionKind.WARRANTY,
)
DEFAULT_RAINY_SEASON_START = "06-01"
DEFAULT_LOOKBACK_AFTER_DAYS = 365
WARRANTY_WINDOW_DAYS = 60

_PROJECT_PLACE = "project__compound__community__subdistrict"


def rainy_season_start_of(year: int) -> dt.date:
    """The day the rains are expected in `year` (settings.RAINY_SEASON_START, "MM-DD")."""
    value = getattr(settings, "RAINY_SEASON_START", DEFAULT_RAINY_SEASON_START)
    try:
        month, day = (int(part) for part in str(value).split("-"))
        return dt.date(year, month, day)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f'RAINY_SEASON_START must be a day of the year as "MM-DD", not {value!r}'
        ) from exc


def upcoming_rainy_season_year(today: dt.date | None = None) -> int:
    """The year whose rains come next: this year until they start, then the next."""
    today = today or timezone.localdate()
    return today.year if today < rainy_season_start_of(today.year) else today.year + 1


def lookback_after_days() -> int:
    return int(getattr(settings, "LOOKBACK_AFTER_DAYS", DEFAULT_LOOKBACK_AFTER_DAYS))


# --- inspections ---------------------------------------------------------------------


def inspection_list(*, user: User) -> QuerySet[Inspection]:
    """The inspections in the user's area with their place and rectification counts
    (one query for any number of rows)."""
    return (
        inspections_visible_to(user)
        .select_related(_PROJECT_PLACE, "project__batch", "inspector")
        .annotate(
            rectification_count=Count("rectifications"),
            unclosed_count=Count(
                "rectifications", filter=Q(rectifications__status__in=UNCLOSED_STATUSES)
            ),
        )
        .order_by(Coalesce("carried_out_on", "scheduled_for").desc(), "-id")
    )


def inspection_get_visible(*, user: User, inspection_id: int) -> Inspection:
    """One inspection with its rectification orders, or 404 outside the user's area."""
    inspection = (
        inspections_visible_to(user)
        .select_related(_PROJECT_PLACE, "project__batch", "inspector")
        .prefetch_related(
            Prefetch(
                "rectifications",
                queryset=Rectification.objects.select_related("work_item__type", "verified_by"),
            )
        )
        .filter(pk=inspection_id)
        .first()
    )
    if inspection is None:
        raise Http404("inspection not found")
    return inspection


def project_inspections(*, project: Project) -> QuerySet[Inspection]:
    """A project's inspections, each with its orders and their history, in a constant
    number of queries (the project has already passed the area gate)."""
    history = RectificationEvent.objects.select_related("by").order_by("at", "id")
    orders = (
        Rectification.objects.select_related("work_item__type", "verified_by")
        .prefetch_related(Prefetch("history", queryset=history))
        .order_by("deadline", "id")
    )
    return (
        project.inspections.select_related("inspector")
        .prefetch_related(Prefetch("rectifications", queryset=orders))
        .order_by(Coalesce("carried_out_on", "scheduled_for").desc(), "-id")
    )



# --- rectification orders ------------------------------------------------------------


def overdue_q(today: dt.date | None = None) -> Q:
    """Orders not verified closed by their deadline (open, or rectified but not yet
    verified), as the model's `is_overdue` says."""
    return Q(status__in=UNCLOSED_STATUSES, deadline__lt=today or timezone.localdate())


def rectification_list(
    *, user: User, overdue: bool | None = None, today: dt.date | None = None
) -> QuerySet[Rectification]:
    """The rectification orders in the user's area, with their inspection and place
    (one query for any number of rows); `overdue=True` keeps the late ones only,
    `overdue=False` the others."""
    queryset = rectifications_visible_to(user).select_related(
        "inspection__" + _PROJECT_PLACE, "work_item__type", "verified_by"
    )
    if overdue is True:
        queryset = queryset.filter(overdue_q(today))
    elif overdue is False:
        queryset = queryset.exclude(overdue_q(today))
    return queryset.order_by("deadline", "id")


def rectification_get_visible(*, user: User, rectification_id: int) -> Rectification:
    """One order with its history, or 404 outside the user's area."""
    rectification = (
        rectifications_visible_to(user)
        .select_related("inspection__" + _PROJECT_PLACE, "work_item__type", "verified_by")
        .prefetch_related(
            Prefetch("history", queryset=RectificationEvent.objects.select_related("by"))
        )
        .filter(pk=rectification_id)
        .first()
    )
    if rectification is None:
        raise Http404("rectification not found")
    return rectification


def last_submitter_id(rectification: Rectification) -> int | None:
    """Who last reported the order rectified (from prefetched history when present)."""
    submitted = [
        e for e in rectification.history.all() if e.to_status == RectificationStatus.SUBMITTED
    ]
    return submitted[-1].by_id if submitted else None


# --- look-backs ----------------------------------------------------------------------


@dataclass(frozen=True)
class SeasonalCheckDue:
    """A finished project whose roof/drainage items need looking at before the rains."""

    project: Project
    items: list[WorkItem]
    deadline: dt.date
    scheduled_for: dt.date | None

    @property
    def compound(self) -> Compound:
        return self.project.compound


def seasonal_check_projects(
    projects: QuerySet[Project], *, year: int, deadline: dt.date
) -> QuerySet[Project]:
    """Of `projects`, those due a seasonal check in `year`: finished, with at least one
    (not cancelled) item whose type needs the check, and no `seasonal` inspection carried
    out between 1 January and the day before `deadline`. Annotated with
    `seasonal_scheduled_for`, the day of a seasonal check already planned this year."""
    seasonal_items = WorkItem.objects.filter(
        project=OuterRef("pk"), type__seasonal_check=True
    ).exclude(status=ItemStatus.CANCELLED)
    done_before_rains = Inspection.objects.filter(
        project=OuterRef("pk"), kind=InspectionKind.SEASONAL,
        carried_out_on__gte=dt.date(year, 1, 1), carried_out_on__lt=deadline,
    )
    planned = (
        Inspection.objects.filter(
            project=OuterRef("pk"), kind=InspectionKind.SEASONAL, carried_out_on__isnull=True,
            scheduled_for__gte=dt.date(year, 1, 1), scheduled_for__lte=dt.date(year, 12, 31),
        )
        .order_by("scheduled_for")
        .values("scheduled_for")[:1]
    )
    return (
        projects.filter(stage__in=AFTER_COMPLETION_STAGES)
        .filter(Exists(seasonal_items))
        .exclude(Exists(done_before_rains))
        .annotate(seasonal_scheduled_for=Subquery(planned))
    )


def seasonal_checks_due(
    user: User, *, year: int, rainy_season_start: dt.date | None = None
) -> list[SeasonalCheckDue]:
    """The user's finished projects that still need this year's check before the rains,
    each with the items to look at and the deadline (two queries)."""
    deadline = rainy_season_start or rainy_season_start_of(year)
    items = (
        WorkItem.objects.filter(type__seasonal_check=True)
        .exclude(status=ItemStatus.CANCELLED)
        .select_related("type")
        .order_by("type__sort", "id")
    )
    projects = (
        seasonal_check_projects(projects_visible_to(user), year=year, deadline=deadline)
        .select_related("compound__community__subdistrict", "batch")
        .prefetch_related(Prefetch("work_items", queryset=items, to_attr="seasonal_items"))
        .order_by("compound__name", "id")
    )
    return [
        SeasonalCheckDue(
            project=p, items=p.seasonal_items, deadline=deadline,
            scheduled_for=p.seasonal_scheduled_for,
        )
        for p in projects
    ]


def warranties_ending(
    user: User, *, within_days: int = WARRANTY_WINDOW_DAYS, today: dt.date | None = None
) -> QuerySet[WorkItem]:
    """Work items whose warranty ends between today and today + `within_days`, both
    included, with their project and compound (one query)."""
    today = today or timezone.localdate()
    return (
        work_items_visible_to(user)
        .filter(warranty_until__gte=today, warranty_until__lte=today + dt.timedelta(within_days))
        .select_related("type", "project__compound__community__subdistrict", "project__batch")
        .order_by("warranty_until", "project__compound__name", "id")
    )


def lookbacks_due(
    user: User, *, today: dt.date | None = None, after_days: int | None = None
) -> QuerySet[Project]:
    """Finished projects completed at least `after_days` ago (settings.LOOKBACK_AFTER_DAYS,
    default 365) with no `lookback` inspection carried out in the last 365 days.

    The completion day is the project's `actual_end`, or else the day of its last move
    into `completed`; a project with neither is left out (nothing says when it ended).
    Annotated with `completed_on`, `last_lookback_on` and `lookback_scheduled_for` (a
    look-back planned and not yet carried out). One query."""
    today = today or timezone.localdate()
    after_days = lookback_after_days() if after_days is None else after_days
    year_ago = today - dt.timedelta(days=365)
    moved_to_completed = (
        StageChange.objects.filter(project=OuterRef("pk"), to_stage=Stage.COMPLETED)
        .order_by("-at")
        .annotate(day=TruncDate("at"))
        .values("day")[:1]
    )
    lookbacks = Inspection.objects.filter(project=OuterRef("pk"), kind=InspectionKind.LOOKBACK)
    last_lookback = (
        lookbacks.filter(carried_out_on__isnull=False)
        .order_by("-carried_out_on")
        .values("carried_out_on")[:1]
    )
    planned = (
        lookbacks.filter(carried_out_on__isnull=True, scheduled_for__gte=year_ago)
        .order_by("scheduled_for")
        .values("scheduled_for")[:1]
    )
    return (
        projects_visible_to(user)
        .filter(stage__in=AFTER_COMPLETION_STAGES)
        .annotate(
            completed_on=Coalesce(
                "actual_end", Subquery(moved_to_completed, output_field=DateField())
            ),
            last_lookback_on=Subquery(last_lookback),
            lookback_scheduled_for=Subquery(planned),
        )
        .filter(completed_on__lte=today - dt.timedelta(days=after_days))
        .exclude(Exists(lookbacks.filter(carried_out_on__gt=year_ago)))
        .select_related("compound__community__subdistrict", "batch")
        .order_by("completed_on", "compound__name", "id")
    )
