"""Quality services: inspections (role/level and date rules), rectification orders and
every move of their state machine, with its history and the different-verifier rule.

The `quality` fixture here is shared by the other test_quality_* modules."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from compounds.errors import ApplicationError
from renewal.models import (
    Inspection,
    InspectionLevel,
    Rectification,
    RectificationEvent,
)
from renewal.services.quality import (
    inspection_create,
    inspection_update,
    rectification_create,
    rectification_transition,
)
from tests.renewal.factories import OPEN, SUBMITTED, VERIFIED

pytestmark = pytest.mark.django_db


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- inspections: who may record which level ------------------------------------------


@pytest.mark.parametrize(
    ("user_fixture", "allowed"),
    [
        ("district_user", {"district", "subdistrict", "community"}),
        ("east_user", {"subdistrict", "community"}),
        ("east_a_user", {"community"}),
    ],
)
def test_each_office_records_its_own_level_and_the_ones_below(
    request, quality, user_fixture, allowed
):
    user = request.getfixturevalue(user_fixture)
    project = quality.project()
    for level in InspectionLevel.values:
        if level in allowed:
            inspection = inspection_create(
                by=user, project_id=project.pk, level=level, kind="surprise",
                carried_out_on=quality.today,
            )
            assert inspection.level == level
            assert inspection.inspector == user
        else:
            with pytest.raises(ValidationError) as excinfo:
                inspection_create(
                    by=user, project_id=project.pk, level=level, kind="surprise",
                    carried_out_on=quality.today,
                )
            assert list(errors_of(excinfo)) == ["level"]
    assert Inspection.objects.count() == len(allowed)


def test_superuser_may_record_any_level(quality, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-long-pw-123")
    inspection = inspection_create(
        by=root, project_id=quality.project().pk, level="district", kind="announced",
        scheduled_for=quality.today,
    )
    assert inspection.level == "district"


def test_project_outside_the_area_does_not_exist(quality, east_user):
    west = quality.project("石油大院")
    with pytest.raises(Http404):
        inspection_create(
            by=east_user, project_id=west.pk, level="subdistrict", kind="announced",
            scheduled_for=quality.today,
        )
    assert not Inspection.objects.exists()


# --- inspections: dates and kinds -----------------------------------------------------


def test_a_date_is_required(quality, district_user):
    with pytest.raises(ValidationError) as excinfo:
        inspection_create(
            by=district_user, project_id=quality.project().pk, level="district",
            kind="announced",
        )
    assert set(errors_of(excinfo)) == {"scheduled_for", "carried_out_on"}


@pytest.mark.parametrize("field", ["scheduled_for", "carried_out_on"])
def test_either_date_is_enough(quality, district_user, field):
    inspection = inspection_create(
        by=district_user, project_id=quality.project().pk, level="district",
        kind="announced", **{field: quality.today},
    )
    assert getattr(inspection, field) == quality.today
    assert inspection.date == quality.today


def test_cannot_have_been_carried_out_tomorrow(quality, district_user):
    with pytest.raises(ValidationError) as excinfo:
        inspection_create(
            by=district_user, project_id=quality.project().pk, level="district",
            kind="announced", carried_out_on=quality.today + dt.timedelta(days=1),
        )
    assert list(errors_of(excinfo)) == ["carried_out_on"]


@pytest.mark.parametrize("kind", ["lookback", "seasonal", "warranty"])
@pytest.mark.parametrize(
    ("stage", "ok"),
    [("construction", False), ("planned", False), ("completed", True), ("accepted", True),
     ("aftercare", True)],
)
def test_lookback_kinds_only_after_completion(quality, district_user, kind, stage, ok):
    project = quality.project(stage=stage)
    kwargs = {"by": district_user, "project_id": project.pk, "level": "district",
              "kind": kind, "scheduled_for": quality.today}
    if ok:
        assert inspection_create(**kwargs).kind == kind
    else:
        with pytest.raises(ValidationError) as excinfo:
            inspection_create(**kwargs)
        assert list(errors_of(excinfo)) == ["kind"]


def test_every_bad_field_is_named_at_once(quality, east_a_user):
    with pytest.raises(ValidationError) as excinfo:
        inspection_create(
            by=east_a_user, project_id=quality.project().pk, level="district",
            kind="lookback",
        )
    assert set(errors_of(excinfo)) == {"level", "kind", "scheduled_for", "carried_out_on"}


def test_unknown_level_and_kind_are_field_errors(quality, district_user):
    with pytest.raises(ValidationError) as excinfo:
        inspection_create(
            by=district_user, project_id=quality.project().pk, level="city", kind="party",
            scheduled_for=quality.today,
        )
    assert set(errors_of(excinfo)) == {"level", "kind"}


def test_recording_the_result_of_a_planned_inspection(quality, district_user, east_user):
    planned = inspection_create(
        by=district_user, project_id=quality.project().pk, level="subdistrict",
        kind="announced", scheduled_for=quality.today + dt.timedelta(days=3),
    )
    done = inspection_update(
        by=east_user, inspection_id=planned.pk,
        data={"carried_out_on": quality.today, "summary": "屋面完好"},
    )
    done.refresh_from_db()
    assert done.carried_out_on == quality.today
    assert done.summary == "屋面完好"
    assert done.inspector == east_user


def test_update_keeps_the_rules(quality, east_user, west_user):
    inspection = quality.inspection(quality.project(), level="district")
    # A subdistrict account cannot touch a district-level inspection…
    with pytest.raises(ValidationError) as excinfo:
        inspection_update(by=east_user, inspection_id=inspection.pk, data={"summary": "x"})
    assert list(errors_of(excinfo)) == ["level"]
    # …nor clear both dates, nor see another area's inspection at all.
    inspection.level = "community"
    inspection.save()
    with pytest.raises(ValidationError) as excinfo:
        inspection_update(
            by=east_user, inspection_id=inspection.pk,
            data={"carried_out_on": None, "scheduled_for": None},
        )
    assert set(errors_of(excinfo)) == {"scheduled_for", "carried_out_on"}
    with pytest.raises(Http404):
        inspection_update(by=west_user, inspection_id=inspection.pk, data={"summary": "x"})
    with pytest.raises(ValueError):
        inspection_update(by=east_user, inspection_id=inspection.pk, data={"project": 1})


# --- rectification orders -------------------------------------------------------------


def test_a_finding_becomes_an_open_order_with_its_first_history_row(quality, east_user):
    project = quality.project()
    roof = quality.item(project)
    inspection = quality.inspection(project, carried_out_on=quality.today)
    order = rectification_create(
        by=east_user, inspection_id=inspection.pk, finding="  3号楼屋面渗水  ",
        responsible_party="青岛建工", deadline=quality.today, work_item_id=roof.pk,
    )
    order.refresh_from_db()
    assert (order.status, order.finding, order.work_item, order.deadline) == (
        OPEN, "3号楼屋面渗水", roof, quality.today
    )
    events = list(order.history.values_list("from_status", "to_status", "by_id", "note"))
    assert events == [("", OPEN, east_user.pk, "")]


def test_deadline_not_before_the_inspection(quality, district_user):
    inspection = quality.inspection(quality.project(), carried_out_on=dt.date(2024, 5, 10))
    with pytest.raises(ValidationError) as excinfo:
        quality.order(inspection, by=district_user, deadline=dt.date(2024, 5, 9))
    assert list(errors_of(excinfo)) == ["deadline"]
    # The day of the inspection itself is allowed.
    assert quality.order(inspection, by=district_user, deadline=dt.date(2024, 5, 10)).pk


def test_a_planned_inspection_counts_from_its_planned_day(quality, district_user):
    inspection = quality.inspection(quality.project(), scheduled_for=dt.date(2030, 1, 10))
    with pytest.raises(ValidationError) as excinfo:
        quality.order(inspection, by=district_user, deadline=dt.date(2030, 1, 9))
    assert list(errors_of(excinfo)) == ["deadline"]


def test_work_item_must_belong_to_the_inspected_project(quality, district_user):
    project = quality.project()
    other = quality.project("育才苑")
    foreign = quality.item(other)
    inspection = quality.inspection(project)
    with pytest.raises(ValidationError) as excinfo:
        quality.order(inspection, by=district_user, work_item_id=foreign.pk)
    assert list(errors_of(excinfo)) == ["work_item"]
    with pytest.raises(ValidationError) as excinfo:
        quality.order(inspection, by=district_user, work_item_id=999_999)
    assert list(errors_of(excinfo)) == ["work_item"]
    assert not Rectification.objects.exists()


def test_missing_fields_are_named(quality, district_user):
    inspection = quality.inspection(quality.project())
    with pytest.raises(ValidationError) as excinfo:
        rectification_create(
            by=district_user, inspection_id=inspection.pk, finding="  ",
            responsible_party="", deadline=None,
        )
    assert set(errors_of(excinfo)) == {"finding", "responsible_party", "deadline"}


def test_no_order_on_another_areas_inspection(quality, east_user):
    inspection = quality.inspection(quality.project("石油大院"))
    with pytest.raises(Http404):
        quality.order(inspection, by=east_user)


# --- the state machine ----------------------------------------------------------------

LEGAL = {(OPEN, SUBMITTED), (SUBMITTED, VERIFIED), (SUBMITTED, OPEN)}
STATES = [OPEN, SUBMITTED, VERIFIED]


@pytest.mark.parametrize("current", STATES)
@pytest.mark.parametrize("target", STATES)
def test_every_move(quality, east_a_user, current, target):
    order = quality.order(quality.inspection(quality.project()), by=east_a_user, status=current)
    before = order.history.count()
    mover = quality.verifier if target == VERIFIED else east_a_user
    if (current, target) in LEGAL:
        moved = rectification_transition(
            rectification_id=order.pk, to=target, by=mover, note="见照片"
        )
        assert moved.status == target
        last = order.history.last()
        assert (last.from_status, last.to_status, last.by, last.note) == (
            current, target, mover, "见照片"
        )
        assert order.history.count() == before + 1
    elif current == target:
        # A repeat is a no-op: no error, no history row, nothing changed.
        moved = rectification_transition(rectification_id=order.pk, to=target, by=mover)
        assert moved.status == current
        assert order.history.count() == before
    else:
        with pytest.raises(ApplicationError) as excinfo:
            rectification_transition(rectification_id=order.pk, to=target, by=mover)
        assert excinfo.value.status_code == 400
        assert order.history.count() == before
    order.refresh_from_db()
    assert order.status == (target if (current, target) in LEGAL else current)


def test_unknown_state_is_refused(quality, district_user):
    order = quality.order(quality.inspection(quality.project()), by=district_user)
    with pytest.raises(ApplicationError) as excinfo:
        rectification_transition(rectification_id=order.pk, to="done", by=district_user)
    assert excinfo.value.extra == {"allowed": [SUBMITTED]}


def test_dates_follow_the_moves(quality, east_a_user):
    order = quality.order(quality.inspection(quality.project()), by=east_a_user)
    order = rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=east_a_user)
    assert order.rectified_on == quality.today
    assert order.verified_on is None
    # The check failed: back to open, and the rectification date goes with it.
    order = rectification_transition(
        rectification_id=order.pk, to=OPEN, by=quality.verifier, note="仍有渗水"
    )
    assert (order.status, order.rectified_on) == (OPEN, None)
    rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=east_a_user)
    order = rectification_transition(rectification_id=order.pk, to=VERIFIED, by=quality.verifier)
    order.refresh_from_db()
    assert (order.status, order.rectified_on, order.verified_on, order.verified_by) == (
        VERIFIED, quality.today, quality.today, quality.verifier
    )
    history = list(
        order.history.values_list("from_status", "to_status", "by__username", "note")
    )
    assert history == [
        ("", OPEN, "east-a", ""),
        (OPEN, SUBMITTED, "east-a", ""),
        (SUBMITTED, OPEN, "verifier", "仍有渗水"),
        (OPEN, SUBMITTED, "east-a", ""),
        (SUBMITTED, VERIFIED, "verifier", ""),
    ]
    assert all(e.at is not None for e in RectificationEvent.objects.all())


def test_who_reported_it_rectified_cannot_verify_it(quality, east_user, east_a_user):
    order = quality.order(quality.inspection(quality.project()), by=east_user)
    rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=east_a_user)
    with pytest.raises(ApplicationError):
        rectification_transition(rectification_id=order.pk, to=VERIFIED, by=east_a_user)
    order.refresh_from_db()
    assert (order.status, order.verified_on, order.verified_by) == (SUBMITTED, None, None)
    assert order.history.count() == 2
    # Someone else may, including the one who opened the order.
    order = rectification_transition(rectification_id=order.pk, to=VERIFIED, by=east_user)
    assert order.verified_by == east_user


def test_the_last_submitter_counts(quality, east_user, east_a_user):
    order = quality.order(quality.inspection(quality.project()), by=east_user)
    rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=east_a_user)
    rectification_transition(rectification_id=order.pk, to=OPEN, by=east_user)
    rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=east_user)
    # east_user submitted last: east_a_user (the earlier submitter) may verify now.
    with pytest.raises(ApplicationError):
        rectification_transition(rectification_id=order.pk, to=VERIFIED, by=east_user)
    order = rectification_transition(rectification_id=order.pk, to=VERIFIED, by=east_a_user)
    assert order.status == VERIFIED


def test_no_move_on_another_areas_order(quality, district_user, west_user):
    order = quality.order(quality.inspection(quality.project("长江路小区")), by=district_user)
    with pytest.raises(Http404):
        rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=west_user)
    order.refresh_from_db()
    assert order.status == OPEN


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_moves_lock_the_order_row(quality, district_user):
    order = quality.order(quality.inspection(quality.project()), by=district_user)
    with CaptureQueriesContext(connection) as queries:
        rectification_transition(rectification_id=order.pk, to=SUBMITTED, by=district_user)
    assert any("FOR UPDATE" in q["sql"] for q in queries.captured_queries)
