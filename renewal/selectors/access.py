"""The area gate for the programme: a project, and everything under it, is visible
when its compound is (compounds.selectors.area_q)."""

from django.db.models import QuerySet
from django.http import Http404

from compounds.models import User
from compounds.selectors import area_q
from renewal.models import Inspection, Project, Rectification, WorkItem


def projects_visible_to(user: User) -> QuerySet[Project]:
    return Project.objects.filter(area_q(user, compound_path="compound__"))


def project_get_visible(*, user: User, project_id: int, for_update: bool = False) -> Project:
    """One project the user may see, or 404. `for_update` locks the row (inside a
    transaction) for a service that is about to change it."""
    queryset = projects_visible_to(user).select_related(
        "compound__community__subdistrict", "batch"
    )
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    project = queryset.filter(pk=project_id).first()
    if project is None:
        raise Http404("project not found")
    return project


def work_items_visible_to(user: User) -> QuerySet[WorkItem]:
    return WorkItem.objects.filter(area_q(user, compound_path="project__compound__"))


def inspections_visible_to(user: User) -> QuerySet[Inspection]:
    return Inspection.objects.filter(area_q(user, compound_path="project__compound__"))


def rectifications_visible_to(user: User) -> QuerySet[Rectification]:
    return Rectification.objects.filter(
        area_q(user, compound_path="inspection__project__compound__")
    )
