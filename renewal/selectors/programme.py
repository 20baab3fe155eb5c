"""Reads of the programme: batches with what they cover, projects for lists and the
project page. Every project read starts from the area gate (renewal.selectors.access)."""

from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from compounds.models import Compound, Role, User
from compounds.selectors import area_q, sees_whole_district
from renewal.models import (
    Batch,
    Inspection,
    ItemStatus,
    Project,
    Rectification,
    RectificationStatus,
    StageChange,
    WorkItem,
)
from renewal.selectors.access import projects_visible_to

MONEY_SUM = DecimalField(max_digits=16, decimal_places=2)
MONEY_ZERO = Value(Decimal("0"), output_field=MONEY_SUM)


def may_plan_batches(user: User) -> bool:
    """Batches are the district's yearly plan: only the district office writes them."""
    return sees_whole_district(user)


def _is_staff_member(user: User) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active
        and (user.is_superuser or user.role in Role.values)
    )


def batches_visible_to(user: User) -> QuerySet[Batch]:
    """Every staff member sees the district's batches (a plan's name and targets are not
    area data); what a batch covers is counted inside the user's area only."""
    if not _is_staff_member(user):
        return Batch.objects.none()
    return Batch.objects.all()


def batches_with_actuals(*, user: User) -> QuerySet[Batch]:
    """Batches annotated with what they cover in the user's area, in one query:
    `project_count`, `household_count` (households of the projects' compounds) and
    `planned_investment` (budgets of the projects' work items, cancelled ones aside)."""
    in_area = area_q(user, compound_path="projects__compound__")
    investment = (
        WorkItem.objects.filter(project__batch=OuterRef("pk"))
        .filter(area_q(user, compound_path="project__compound__"))
        .exclude(status=ItemStatus.CANCELLED)
        .order_by()
        .values("project__batch")
        .annotate(total=Sum("budget"))
        .values("total")
    )
    return batches_visible_to(user).annotate(
        project_count=Count("projects", filter=in_area),
        household_count=Coalesce(
            Sum("projects__compound__households", filter=in_area), Value(0)
        ),
        planned_investment=Coalesce(
            Subquery(investment, output_field=MONEY_SUM), MONEY_ZERO
        ),
    )


def batch_get_visible(*, user: User, batch_id: int) -> Batch:
    batch = batches_with_actuals(user=user).filter(pk=batch_id).first()
    if batch is None:
        raise Http404("batch not found")
    return batch


def projects_for_list(*, user: User) -> QuerySet[Project]:
    """The user's projects with what a list row shows, in the list's one query."""
    return projects_visible_to(user).select_related(
        "compound__community__subdistrict", "batch"
    ).order_by("-batch__year", "batch__name", "compound__name", "id")


def project_for_detail(*, user: User, project_id: int) -> Project:
    """One project with its parties and its history (who moved it, when), or 404."""
    project = (
        projects_visible_to(user)
        .select_related(
            "compound__community__subdistrict", "batch",
            "engineering_coordinator", "residents_coordinator",
        )
        .prefetch_related(
            Prefetch("history", queryset=StageChange.objects.select_related("by"))
        )
        .filter(pk=project_id)
        .first()
    )
    if project is None:
        raise Http404("project not found")
    return project


def _count_of(queryset: QuerySet, project_path: str) -> Coalesce:
    counted = (
        queryset.filter(**{project_path: OuterRef("pk")})
        .order_by()
        .values(project_path)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def project_counts(*, project_id: int) -> dict[str, int]:
    """Work items (not cancelled), inspections and rectifications not yet verified
    closed, in one query."""
    row = (
        Project.objects.filter(pk=project_id)
        .annotate(
            n_work_items=_count_of(
                WorkItem.objects.exclude(status=ItemStatus.CANCELLED), "project"
            ),
            n_inspections=_count_of(Inspection.objects.all(), "project"),
            n_open_rectifications=_count_of(
                Rectification.objects.exclude(status=RectificationStatus.VERIFIED),
                "inspection__project",
            ),
        )
        .values("n_work_items", "n_inspections", "n_open_rectifications")
        .first()
    ) or {}
    return {name: row.get(f"n_{name}", 0)
            for name in ("work_items", "inspections", "open_rectifications")}


def coordinator_candidates(*, compound: Compound) -> QuerySet[User]:
    """Active staff whose area covers the compound: the people who may coordinate it."""
    return User.objects.filter(is_active=True).filter(
        Q(is_superuser=True)
        | Q(role=Role.DISTRICT)
        | Q(role=Role.SUBDISTRICT, subdistrict_id=compound.community.subdistrict_id)
        | Q(role=Role.COMMUNITY, community_id=compound.community_id)
    ).order_by("role", "username")
