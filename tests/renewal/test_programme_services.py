"""The programme's services: batches, projects, and the stage machine with its gate."""

import itertools
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compounds.errors import ApplicationError
from compounds.models import Role
from renewal.models import STAGE_ORDER, TRANSITIONS, Batch, Project, Stage, StageChange
from renewal.selectors import gates
from renewal.services import programme as services
from renewal.services.programme import (
    batch_create,
    batch_update,
    project_create,
    project_transition,
    project_update,
)
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

LEGAL = [(a, b) for a, targets in TRANSITIONS.items() for b in targets]
ILLEGAL = [
    (a, b) for a, b in itertools.product(STAGE_ORDER, STAGE_ORDER)
    if a != b and b not in TRANSITIONS[a]
]
PLAN_MISSING = str(gates.STAGE_GATES[0].missing)


@pytest.fixture
def plan_passed(monkeypatch):
    """The consultation app's answer, as if the residents had voted the plan through."""
    monkeypatch.setattr(gates, "renovation_plan_passed", lambda *, compound_id: True)


@pytest.fixture
def batch(district_user):
    return batch_create(by=district_user, year=2025, name="第一批")


@pytest.fixture
def project(area, batch, east_user):
    return project_create(
        by=east_user, compound_id=area.compounds["长江路小区"].pk, batch_id=batch.pk
    )


def put_at(project: Project, stage: str) -> Project:
    Project.objects.filter(pk=project.pk).update(stage=stage)
    project.refresh_from_db()
    return project


def field_errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --- the transition tables are what the tests assume --------------------------------


def test_every_pair_is_classified():
    assert len(LEGAL) == 13
    assert len(LEGAL) + len(ILLEGAL) + len(STAGE_ORDER) == len(STAGE_ORDER) ** 2


# --- batches ------------------------------------------------------------------------


def test_district_creates_a_batch(district_user):
    batch = batch_create(by=district_user, year=2025, name=" 第一批 ", target_compounds=146,
                         target_households=9000, target_investment=Decimal("52000000.00"))
    batch.refresh_from_db()
    assert (batch.year, batch.name, batch.target_compounds) == (2025, "第一批", 146)
    assert batch.target_investment == Decimal("52000000.00")


def test_superuser_may_plan(db, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-very-long-pw")
    assert batch_create(by=root, year=2026, name="第二批").pk


@pytest.mark.parametrize("who", ["east_user", "east_a_user", "roleless_user"])
def test_only_the_district_plans_batches(request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(ApplicationError) as exc_info:
        batch_create(by=user, year=2025, name="第一批")
    assert exc_info.value.status_code == 403
    assert not Batch.objects.exists()


@pytest.mark.parametrize("year", [1999, 2101, 40000])
def test_batch_year_range(district_user, year):
    with pytest.raises(ValidationError) as exc_info:
        batch_create(by=district_user, year=year, name="第一批")
    assert list(field_errors(exc_info)) == ["year"]
    assert "2000" in field_errors(exc_info)["year"][0]


def test_batch_year_bounds_are_allowed(district_user):
    assert batch_create(by=district_user, year=2000, name="甲").pk
    assert batch_create(by=district_user, year=2100, name="甲").pk


def test_batch_name_unique_within_year(district_user, batch):
    with pytest.raises(ValidationError) as exc_info:
        batch_create(by=district_user, year=2025, name="第一批")
    assert list(field_errors(exc_info)) == ["name"]
    # Same name, other year: fine.
    assert batch_create(by=district_user, year=2026, name="第一批").pk


def test_batch_reports_every_bad_field_at_once(district_user):
    with pytest.raises(ValidationError) as exc_info:
        batch_create(by=district_user, year=1990, name="", target_compounds=-1,
                     target_investment=Decimal("-5"))
    assert set(field_errors(exc_info)) == {
        "year", "name", "target_compounds", "target_investment",
    }


def test_batch_update(district_user, batch, east_user):
    other = batch_create(by=district_user, year=2025, name="第二批")
    with pytest.raises(ValidationError) as exc_info:
        batch_update(batch_id=other.pk, by=district_user, data={"name": "第一批"})
    assert list(field_errors(exc_info)) == ["name"]
    updated = batch_update(batch_id=other.pk, by=district_user,
                           data={"name": "第二批（增补）", "target_compounds": 12})
    assert (updated.name, updated.target_compounds) == ("第二批（增补）", 12)
    # Saving a batch unchanged does not collide with itself.
    assert batch_update(batch_id=batch.pk, by=district_user, data={"name": "第一批"}).pk
    with pytest.raises(ApplicationError) as exc_info:
        batch_update(batch_id=batch.pk, by=east_user, data={"name": "改名"})
    assert exc_info.value.status_code == 403


# --- projects -----------------------------------------------------------------------


def test_project_starts_planned_with_its_first_history_row(project, east_user):
    assert project.stage == Stage.PLANNED
    rows = list(StageChange.objects.filter(project=project))
    assert len(rows) == 1
    assert (rows[0].from_stage, rows[0].to_stage, rows[0].by) == ("", Stage.PLANNED, east_user)
    assert rows[0].at <= timezone.now()


def test_one_project_per_compound_per_batch(area, project, batch, district_user):
    with pytest.raises(ValidationError) as exc_info:
        project_create(by=district_user, compound_id=project.compound_id, batch_id=batch.pk)
    assert list(field_errors(exc_info)) == ["compound"]
    assert "长江路小区" in field_errors(exc_info)["compound"][0]
    # The same compound in another batch is another project.
    later = batch_create(by=district_user, year=2026, name="第一批")
    assert project_create(by=district_user, compound_id=project.compound_id,
                          batch_id=later.pk).pk


def test_compound_must_be_in_the_users_area(area, batch, east_user):
    with pytest.raises(ValidationError) as exc_info:
        project_create(by=east_user, compound_id=area.compounds["石油大院"].pk, batch_id=batch.pk)
    assert list(field_errors(exc_info)) == ["compound"]
    assert not Project.objects.exists()


def test_unknown_compound_and_batch_are_both_named(area, east_user):
    with pytest.raises(ValidationError) as exc_info:
        project_create(by=east_user, compound_id=999999, batch_id=999999)
    assert set(field_errors(exc_info)) == {"compound", "batch"}


def test_project_create_takes_initial_fields(area, batch, district_user):
    project = project_create(
        by=district_user, compound_id=area.compounds["育才苑"].pk, batch_id=batch.pk,
        data={"contractor": "青岛城建", "funding_central": Decimal("1200000.00")},
    )
    project.refresh_from_db()
    assert project.contractor == "青岛城建"
    assert project.funding_total == Decimal("1200000.00")


def test_project_update(project, east_user, east_a_user):
    updated = project_update(project_id=project.pk, by=east_user, data={
        "contractor": " 青岛城建集团 ", "designer": "市政院", "supervisor": "监理公司",
        "delivery_model": "epc", "funding_central": Decimal("1000000"),
        "funding_local": Decimal("500000.50"), "planned_start": date(2025, 3, 1),
        "planned_end": date(2025, 10, 31), "engineering_coordinator": east_user,
        "residents_coordinator": east_a_user,
    })
    updated.refresh_from_db()
    assert updated.contractor == "青岛城建集团"
    assert updated.funding_total == Decimal("1500000.50")
    assert updated.residents_coordinator == east_a_user
    assert updated.stage == Stage.PLANNED


def test_project_update_names_every_bad_field(project, east_user):
    with pytest.raises(ValidationError) as exc_info:
        project_update(project_id=project.pk, by=east_user, data={
            "funding_central": Decimal("-1"), "funding_social": Decimal("-0.01"),
            "planned_start": date(2025, 5, 1), "planned_end": date(2025, 4, 30),
            "actual_start": date(2025, 5, 1), "actual_end": date(2025, 4, 1),
            "delivery_model": "barter",
        })
    assert set(field_errors(exc_info)) == {
        "funding_central", "funding_social", "planned_end", "actual_end", "delivery_model",
    }
    project.refresh_from_db()
    assert project.funding_central == 0


def test_project_update_refuses_the_stage_and_other_fields(project, east_user):
    with pytest.raises(ValidationError) as exc_info:
        project_update(project_id=project.pk, by=east_user,
                       data={"stage": "aftercare", "compound": 1})
    assert set(field_errors(exc_info)) == {"stage", "compound"}
    project.refresh_from_db()
    assert project.stage == Stage.PLANNED


def test_coordinator_must_cover_the_compound(area, project, east_user, west_user):
    inactive = make_staff("gone", Role.DISTRICT)
    inactive.is_active = False
    inactive.save()
    with pytest.raises(ValidationError) as exc_info:
        project_update(project_id=project.pk, by=east_user, data={
            "engineering_coordinator": west_user, "residents_coordinator": inactive,
        })
    assert set(field_errors(exc_info)) == {"engineering_coordinator", "residents_coordinator"}


def test_project_update_outside_area_is_404(project, west_user):
    with pytest.raises(Http404):
        project_update(project_id=project.pk, by=west_user, data={"contractor": "x"})


# --- the stage machine --------------------------------------------------------------


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_every_legal_move(project, district_user, plan_passed, current, target):
    put_at(project, current)
    before = StageChange.objects.count()
    moved = project_transition(project_id=project.pk, to=target, by=district_user,
                               note=f" {current}→{target} ")
    assert moved.stage == target
    project.refresh_from_db()
    assert project.stage == target
    assert StageChange.objects.count() == before + 1
    row = StageChange.objects.latest("id")
    assert (row.project_id, row.from_stage, row.to_stage) == (project.pk, current, target)
    assert row.by == district_user
    assert row.note == f"{current}→{target}"
    assert abs((timezone.now() - row.at).total_seconds()) < 60


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_move_is_refused(project, district_user, plan_passed, current, target):
    put_at(project, current)
    before = StageChange.objects.count()
    with pytest.raises(ApplicationError) as exc_info:
        project_transition(project_id=project.pk, to=target, by=district_user, note="x")
    assert exc_info.value.status_code == 400
    assert exc_info.value.extra["allowed"] == list(TRANSITIONS[current])
    project.refresh_from_db()
    assert project.stage == current
    assert StageChange.objects.count() == before


@pytest.mark.parametrize("stage", STAGE_ORDER)
def test_repeated_move_is_a_no_op(project, district_user, stage):
    put_at(project, stage)
    stamp = project.updated_at
    before = StageChange.objects.count()
    result = project_transition(project_id=project.pk, to=stage, by=district_user, note="again")
    assert result.stage == stage
    assert StageChange.objects.count() == before
    project.refresh_from_db()
    assert project.updated_at == stamp


@pytest.mark.parametrize("target", ["demolished", "", "PLANNED"])
def test_unknown_stage_is_refused(project, district_user, target):
    with pytest.raises(ApplicationError) as exc_info:
        project_transition(project_id=project.pk, to=target, by=district_user)
    assert exc_info.value.status_code == 400
    assert exc_info.value.extra["allowed"] == [Stage.SURVEY]
    assert StageChange.objects.filter(project=project).count() == 1


def test_approved_is_gated_on_the_renovation_plan_vote(project, district_user):
    put_at(project, Stage.CONSULTATION)
    with pytest.raises(ApplicationError) as exc_info:
        project_transition(project_id=project.pk, to=Stage.APPROVED, by=district_user)
    exc = exc_info.value
    assert exc.status_code == 409
    assert exc.extra == {"missing": [PLAN_MISSING]}
    assert PLAN_MISSING in exc.message
    assert str(Stage.APPROVED.label) in exc.message
    project.refresh_from_db()
    assert project.stage == Stage.CONSULTATION
    assert StageChange.objects.filter(project=project).count() == 1


def test_gate_asks_about_this_compound(project, district_user, monkeypatch):
    asked = []

    def passed(*, compound_id):
        asked.append(compound_id)
        return True

    monkeypatch.setattr(gates, "renovation_plan_passed", passed)
    put_at(project, Stage.CONSULTATION)
    project_transition(project_id=project.pk, to=Stage.APPROVED, by=district_user)
    assert asked == [project.compound_id]


def test_going_back_is_not_gated(project, district_user):
    put_at(project, Stage.APPROVED)
    moved = project_transition(project_id=project.pk, to=Stage.CONSULTATION, by=district_user,
                               note="居民提出异议，重新公示")
    assert moved.stage == Stage.CONSULTATION


def test_a_new_gate_is_one_row_in_the_table(project, district_user, plan_passed, monkeypatch):
    """How the consultation issue adds Jinshui's 80 % consent before construction."""
    consent = gates.StageGate(stage=Stage.CONSTRUCTION, passes=lambda p: False,
                              missing="Fewer than 80 % of households have agreed.")
    monkeypatch.setattr(gates, "STAGE_GATES", (*gates.STAGE_GATES, consent))
    put_at(project, Stage.APPROVED)
    with pytest.raises(ApplicationError) as exc_info:
        project_transition(project_id=project.pk, to=Stage.CONSTRUCTION, by=district_user)
    assert exc_info.value.status_code == 409
    assert exc_info.value.extra["missing"] == ["Fewer than 80 % of households have agreed."]
    assert gates.stage_gate_missing(project, Stage.APPROVED) == []


def test_the_whole_way_with_dates(project, district_user, plan_passed):
    for target in STAGE_ORDER[1:]:
        project_transition(project_id=project.pk, to=target, by=district_user)
    project.refresh_from_db()
    today = timezone.localdate()
    assert (project.stage, project.actual_start, project.actual_end) == (
        Stage.AFTERCARE, today, today)
    history = list(project.history.values_list("from_stage", "to_stage"))
    assert history == [("", "planned"), *itertools.pairwise(STAGE_ORDER)]


def test_recorded_dates_are_kept(project, district_user):
    put_at(project, Stage.APPROVED)
    Project.objects.filter(pk=project.pk).update(actual_start=date(2024, 12, 1),
                                                 actual_end=date(2025, 1, 2))
    project_transition(project_id=project.pk, to=Stage.CONSTRUCTION, by=district_user)
    project_transition(project_id=project.pk, to=Stage.COMPLETED, by=district_user)
    project.refresh_from_db()
    assert (project.actual_start, project.actual_end) == (date(2024, 12, 1), date(2025, 1, 2))


def test_transition_outside_area_is_404(project, west_user):
    with pytest.raises(Http404):
        project_transition(project_id=project.pk, to=Stage.SURVEY, by=west_user)
    assert StageChange.objects.filter(project=project).count() == 1


def test_transition_locks_the_row(project, district_user, monkeypatch):
    calls = []
    real = services.project_get_visible

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "project_get_visible", spy)
    project_transition(project_id=project.pk, to=Stage.SURVEY, by=district_user)
    assert calls == [{"user": district_user, "project_id": project.pk, "for_update": True}]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_transition_selects_for_update_on_postgresql(project, district_user):
    with CaptureQueriesContext(connection) as queries:
        project_transition(project_id=project.pk, to=Stage.SURVEY, by=district_user)
    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
