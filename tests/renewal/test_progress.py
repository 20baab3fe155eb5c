from decimal import Decimal

import pytest

from renewal.catalog import seed_work_item_types
from renewal.models import Batch, ItemStatus, Project, WorkItem, WorkItemType
from renewal.selectors.progress import progress_by_project, project_progress

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(area):
    seed_work_item_types(WorkItemType)
    batch = Batch.objects.create(year=2025, name="第一批")
    return Project.objects.create(compound=area.compounds["长江路小区"], batch=batch)


def item(project, code, planned, completed, budget, status=ItemStatus.IN_PROGRESS):
    return WorkItem.objects.create(
        project=project, type=WorkItemType.objects.get(code=code),
        planned_quantity=Decimal(planned), completed_quantity=Decimal(completed),
        budget=Decimal(budget), status=status,
    )


def test_no_items_is_zero(project):
    assert project_progress(project_id=project.pk) == Decimal("0.0")


def test_weighted_by_budget(project):
    item(project, "roof-waterproofing", "1000", "500", "300000")  # 50 % of 300k
    item(project, "lighting", "40", "40", "100000")  # 100 % of 100k
    # (0.5 * 300000 + 1 * 100000) / 400000 = 62.5 %
    assert project_progress(project_id=project.pk) == Decimal("62.5")


def test_overrun_counts_as_done_not_more(project):
    item(project, "roads", "1000", "1200", "100000")
    assert project_progress(project_id=project.pk) == Decimal("100.0")


def test_cancelled_items_do_not_count(project):
    item(project, "roads", "1000", "0", "900000", status=ItemStatus.CANCELLED)
    item(project, "lighting", "10", "5", "100000")
    assert project_progress(project_id=project.pk) == Decimal("50.0")


def test_without_budgets_it_is_the_plain_average(project):
    item(project, "roads", "100", "25", "0")
    item(project, "lighting", "10", "10", "0")
    assert project_progress(project_id=project.pk) == Decimal("62.5")


def test_many_projects_in_one_query(area, project, django_assert_num_queries):
    other = Project.objects.create(compound=area.compounds["育才苑"], batch=project.batch)
    empty = Project.objects.create(compound=area.compounds["石油大院"], batch=project.batch)
    item(project, "lighting", "10", "3", "100")
    item(other, "lighting", "10", "9", "100")
    item(other, "roads", "3", "1", "0")  # budget 0 weighs nothing beside a budgeted item
    with django_assert_num_queries(1):
        got = progress_by_project([project.pk, other.pk, empty.pk])
    assert got == {project.pk: Decimal("30.0"), other.pk: Decimal("90.0"),
                   empty.pk: Decimal("0.0")}


def test_thirds_are_exact_not_floating(project):
    item(project, "roads", "3", "1", "1")
    item(project, "lighting", "3", "2", "1")
    # (1/3 + 2/3) / 2 = exactly 50 %, with no 49.99999 creeping in
    assert project_progress(project_id=project.pk) == Decimal("50.0")
