"""The demo programme: every stage present, histories that add up, idempotent."""

from decimal import Decimal

import pytest
from django.db.models import Sum

from compounds.demo import load_demo
from renewal.demo import load_programme_demo
from renewal.models import (
    STAGE_ORDER,
    Inspection,
    Project,
    PublicCommitment,
    Rectification,
    StageChange,
    WorkItem,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    load_demo(seed=2020, compounds_per_community=2)
    return load_programme_demo(seed=2020)


def test_projects_in_every_stage_with_a_complete_history(programme):
    assert set(Project.objects.values_list("stage", flat=True)) == set(STAGE_ORDER)
    for project in Project.objects.prefetch_related("history"):
        path = [(c.from_stage, c.to_stage) for c in project.history.all()]
        expected = list(zip(["", *STAGE_ORDER], STAGE_ORDER, strict=False))
        assert path == expected[: STAGE_ORDER.index(project.stage) + 1], project
        times = [c.at for c in project.history.all()]
        assert times == sorted(times)


def test_only_eligible_compounds_and_one_project_per_batch(programme):
    assert not Project.objects.filter(compound__build_year__gt=2000).exists()
    assert Project.objects.values("compound").distinct().count() == Project.objects.count()


def test_funding_equals_the_work_item_budgets(programme):
    for project in Project.objects.all()[:40]:
        budgets = project.work_items.aggregate(total=Sum("budget"))["total"] or Decimal("0")
        assert project.funding_total == budgets


def test_work_done_matches_the_stage(programme):
    early = WorkItem.objects.filter(project__stage__in=STAGE_ORDER[:5])
    assert early.exists() and not early.exclude(completed_quantity=0).exists()
    finished = WorkItem.objects.filter(project__stage__in=STAGE_ORDER[6:])
    assert finished.exists()
    assert all(i.completed_quantity == i.planned_quantity for i in finished)
    assert not finished.filter(warranty_until__isnull=True, type__warranty_years__gt=0).exists()


def test_the_roof_lookback_story_is_there(programme):
    lookback = Inspection.objects.get(kind="lookback")
    order = Rectification.objects.get(inspection=lookback)
    assert "100平方米" in order.finding
    assert order.status == "verified"
    assert (order.rectified_on - lookback.carried_out_on).days == 5


def test_second_run_creates_nothing(programme):
    counts = [m.objects.count() for m in (Project, WorkItem, StageChange, Inspection,
                                          Rectification, PublicCommitment)]
    again = load_programme_demo(seed=2020)
    assert again == {"projects": 0, "work_items": 0, "inspections": 0, "commitments": 0,
                     "ballots": 0}
    assert counts == [m.objects.count() for m in (Project, WorkItem, StageChange, Inspection,
                                                  Rectification, PublicCommitment)]


def test_counted_things_are_whole_numbers(programme):
    counted = WorkItem.objects.exclude(type__unit__in=["km", "m", "m2"])
    assert counted.exists()
    assert all(i.completed_quantity == i.completed_quantity.to_integral_value()
               and i.planned_quantity == i.planned_quantity.to_integral_value()
               for i in counted)


def test_every_project_past_approved_has_a_passed_plan_and_consultation_ones_do_not(
        programme):
    from consultation.selectors import renovation_plan_passed

    after = Project.objects.filter(stage__in=STAGE_ORDER[STAGE_ORDER.index("approved"):])
    assert after.exists()
    assert all(renovation_plan_passed(compound_id=p.compound_id) for p in after[:20])
    consulting = Project.objects.filter(stage="consultation")
    assert consulting.exists()
    assert not any(renovation_plan_passed(compound_id=p.compound_id) for p in consulting)
    early = Project.objects.filter(stage__in=STAGE_ORDER[:3])
    assert not early.filter(compound__topics__isnull=False).exists()
