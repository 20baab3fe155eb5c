"""Reads of the works: a project's items by category, the "by the numbers" roll-up,
warranties running out and items overdue, all inside the user's area."""

from datetime import date
from decimal import Decimal

import pytest

from renewal.models import ItemStatus
from renewal.selectors.works import (
    item_percent,
    items_overdue,
    project_works,
    warranty_ending,
    works_by_the_numbers,
)
from tests.renewal.factories import make_item, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(area, catalog):
    return {
        "east": make_project(area.compounds["长江路小区"]),
        "east_b": make_project(area.compounds["育才苑"]),
        "west": make_project(area.compounds["石油大院"]),
    }


def test_item_percent_is_exact_and_capped():
    from renewal.models import WorkItem

    assert item_percent(WorkItem(planned_quantity=Decimal("3"),
                                 completed_quantity=Decimal("1"))) == Decimal("33.3")
    assert item_percent(WorkItem(planned_quantity=Decimal("3"),
                                 completed_quantity=Decimal("2"))) == Decimal("66.7")
    assert item_percent(WorkItem(planned_quantity=Decimal("10"),
                                 completed_quantity=Decimal("12"))) == Decimal("100.0")


def test_project_items_grouped_by_category_with_totals(projects):
    project = projects["east"]
    make_item(project, "roof-waterproofing", planned="1000", completed="500", budget="300000")
    make_item(project, "lighting", planned="40", completed="40", budget="100000",
              status=ItemStatus.DONE)
    make_item(project, "elevator", planned="2", completed="1", budget="800000")
    make_item(project, "parking", planned="50", completed="0", budget="500000",
              status=ItemStatus.CANCELLED)
    works = project_works(project=project)
    assert [g.category for g in works.groups] == ["basic", "improvement"]
    basic, improvement = works.groups
    assert [i.type.code for i in basic.items] == ["roof-waterproofing", "lighting"]
    assert [i.percent for i in basic.items] == [Decimal("50.0"), Decimal("100.0")]
    assert basic.budget == Decimal("400000") and basic.percent == Decimal("62.5")
    # The cancelled item is listed, but counts in no total.
    assert len(improvement.items) == 2
    assert improvement.budget == Decimal("800000") and improvement.percent == Decimal("50.0")
    # (0.5×300k + 1×100k + 0.5×800k) / 1.2M = 54.2 %
    assert works.progress == Decimal("54.2")
    assert works.budget == Decimal("1200000")


def test_by_the_numbers_sums_completed_quantities_per_type(projects, east_user,
                                                          district_user,
                                                          django_assert_num_queries):
    make_item(projects["east"], "water-supply", planned="2.5", completed="1.25")
    make_item(projects["east_b"], "water-supply", planned="3", completed="3")
    make_item(projects["west"], "water-supply", planned="10", completed="9")
    make_item(projects["east"], "lighting", planned="40", completed="31")
    make_item(projects["east_b"], "lighting", planned="10", completed="10",
              status=ItemStatus.CANCELLED)

    with django_assert_num_queries(1):
        rows = works_by_the_numbers(user=east_user)
    by_code = {r.code: r for r in rows}
    assert list(by_code) == ["water-supply", "lighting"]  # national order
    assert by_code["water-supply"].completed == Decimal("4.25")  # west's 9 km not counted
    assert by_code["water-supply"].planned == Decimal("5.5")
    assert by_code["water-supply"].unit_display == "km" and by_code["water-supply"].items == 2
    assert by_code["lighting"].completed == Decimal("31")  # the cancelled one aside

    everything = {r.code: r.completed for r in works_by_the_numbers(user=district_user)}
    assert everything["water-supply"] == Decimal("13.25")
    only = works_by_the_numbers(user=district_user, project_ids=[projects["west"].pk])
    assert [(r.code, r.completed) for r in only] == [("water-supply", Decimal("9"))]


def test_warranty_ending_within_n_days(projects, east_user):
    today = date(2025, 5, 1)
    soon = make_item(projects["east"], "roads", completed="100", status=ItemStatus.DONE,
                     warranty_until=date(2025, 5, 20))
    make_item(projects["east"], "lighting", completed="100", status=ItemStatus.DONE,
              warranty_until=date(2025, 8, 1))  # later than 30 days
    make_item(projects["east"], "greening", completed="100", status=ItemStatus.DONE,
              warranty_until=date(2025, 4, 30))  # already over
    make_item(projects["west"], "roads", completed="100", status=ItemStatus.DONE,
              warranty_until=date(2025, 5, 2))  # another area
    assert list(warranty_ending(user=east_user, within_days=30, today=today)) == [soon]
    assert warranty_ending(user=east_user, within_days=100, today=today).count() == 2


def test_items_past_planned_end_and_not_done(projects, east_user):
    today = date(2025, 9, 1)
    late = make_item(projects["east"], "roads", completed="10", status=ItemStatus.IN_PROGRESS,
                     planned_end=date(2025, 8, 31))
    make_item(projects["east"], "lighting", completed="100", status=ItemStatus.DONE,
              planned_end=date(2025, 6, 1))
    make_item(projects["east"], "greening", status=ItemStatus.CANCELLED,
              planned_end=date(2025, 6, 1))
    make_item(projects["east"], "fibre", planned_end=date(2025, 9, 1))  # due today: not late
    make_item(projects["west"], "roads", planned_end=date(2025, 1, 1))
    assert list(items_overdue(user=east_user, today=today)) == [late]
