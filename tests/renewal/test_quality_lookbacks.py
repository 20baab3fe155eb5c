"""Look-backs: the seasonal roof-and-drainage check before the rains (and scheduling it),
warranties ending, yearly look-backs, and overdue rectification orders."""

import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from compounds.errors import ApplicationError
from renewal.models import (
    Inspection,
    ItemStatus,
    Rectification,
    Stage,
    StageChange,
)
from renewal.selectors.quality import (
    lookbacks_due,
    rainy_season_start_of,
    rectification_list,
    seasonal_checks_due,
    upcoming_rainy_season_year,
    warranties_ending,
)
from renewal.services.quality import _seasonal_check_day, schedule_seasonal_checks

pytestmark = pytest.mark.django_db

YEAR = 2024


def due_names(user, year=YEAR, **kwargs):
    return [d.compound.name for d in seasonal_checks_due(user, year=year, **kwargs)]


@pytest.fixture
def roofed(quality):
    """A finished project with a roof and a lamp (only the roof needs the check)."""
    project = quality.project(stage=Stage.ACCEPTED)
    quality.roof = quality.item(project, "roof-waterproofing")
    quality.item(project, "lighting")
    return project


# --- the seasonal check ---------------------------------------------------------------


def test_a_finished_roof_with_no_check_this_year_is_due(quality, roofed, district_user):
    due = seasonal_checks_due(district_user, year=YEAR)
    assert len(due) == 1
    assert due[0].project == roofed
    assert due[0].compound.name == "长江路小区"
    assert [i.type.code for i in due[0].items] == ["roof-waterproofing"]
    assert due[0].deadline == dt.date(YEAR, 6, 1)
    assert due[0].scheduled_for is None


def test_a_check_before_june_first_clears_it(quality, roofed, district_user):
    quality.inspection(roofed, kind="seasonal", carried_out_on=dt.date(YEAR, 5, 31))
    assert due_names(district_user) == []
    # …for that year only.
    assert due_names(district_user, year=YEAR + 1) == ["长江路小区"]


@pytest.mark.parametrize(
    ("kind", "day"),
    [
        ("seasonal", dt.date(YEAR, 6, 1)),  # on the first day of the rains: too late
        ("seasonal", dt.date(YEAR - 1, 5, 1)),  # last year's
        ("announced", dt.date(YEAR, 5, 1)),  # another kind of inspection
    ],
)
def test_other_inspections_do_not_clear_it(quality, roofed, district_user, kind, day):
    quality.inspection(roofed, kind=kind, carried_out_on=day)
    assert due_names(district_user) == ["长江路小区"]


def test_a_planned_check_is_still_due_and_shows_its_day(quality, roofed, district_user):
    quality.inspection(roofed, kind="seasonal", scheduled_for=dt.date(YEAR, 5, 2))
    [due] = seasonal_checks_due(district_user, year=YEAR)
    assert due.scheduled_for == dt.date(YEAR, 5, 2)


def test_projects_without_seasonal_items_are_not_due(quality, district_user):
    lamps = quality.project(stage=Stage.COMPLETED)
    quality.item(lamps, "lighting")
    cancelled = quality.project("育才苑", stage=Stage.COMPLETED)
    quality.item(cancelled, "drainage", status=ItemStatus.CANCELLED)
    assert due_names(district_user) == []


@pytest.mark.parametrize("stage", ["approved", "construction"])
def test_unfinished_projects_are_not_due(quality, district_user, stage):
    quality.item(quality.project(stage=stage), "drainage")
    assert due_names(district_user) == []


@pytest.mark.parametrize("stage", ["completed", "accepted", "aftercare"])
def test_finished_stages_are_due(quality, district_user, stage):
    quality.item(quality.project(stage=stage), "sewage-separation")
    assert due_names(district_user) == ["长江路小区"]


def test_outside_the_area_is_not_listed(quality, east_user, west_user, east_a_user):
    quality.item(quality.project("石油大院", stage=Stage.COMPLETED), "drainage")
    quality.item(quality.project("育才苑", stage=Stage.COMPLETED), "drainage")
    assert due_names(east_user) == ["育才苑"]
    assert due_names(west_user) == ["石油大院"]
    assert due_names(east_a_user) == []


def test_rainy_season_start_is_configurable(quality, roofed, district_user, settings):
    settings.RAINY_SEASON_START = "05-15"
    quality.inspection(roofed, kind="seasonal", carried_out_on=dt.date(YEAR, 5, 20))
    [due] = seasonal_checks_due(district_user, year=YEAR)
    assert due.deadline == dt.date(YEAR, 5, 15)
    # An explicit start wins over the setting.
    assert due_names(district_user, rainy_season_start=dt.date(YEAR, 6, 1)) == []


def test_a_malformed_rainy_season_start_names_the_setting(settings):
    settings.RAINY_SEASON_START = "June"
    with pytest.raises(ImproperlyConfigured, match="RAINY_SEASON_START"):
        rainy_season_start_of(YEAR)


@pytest.mark.parametrize(
    ("today", "year"),
    [(dt.date(YEAR, 1, 1), YEAR), (dt.date(YEAR, 5, 31), YEAR), (dt.date(YEAR, 6, 1), YEAR + 1),
     (dt.date(YEAR, 11, 22), YEAR + 1)],
)
def test_the_pages_look_at_the_next_rains(today, year):
    assert upcoming_rainy_season_year(today) == year


def test_due_list_runs_two_queries(quality, district_user, django_assert_num_queries):
    for name in ("长江路小区", "育才苑", "石油大院"):
        project = quality.project(name, stage=Stage.COMPLETED)
        quality.item(project, "drainage")
        quality.item(project, "roof-waterproofing")
    with django_assert_num_queries(2):
        due = seasonal_checks_due(district_user, year=YEAR)
        assert sum(len(d.items) for d in due) == 6


# --- scheduling the seasonal checks ---------------------------------------------------


def test_schedule_creates_one_check_per_due_project_once(quality, district_user):
    year = timezone.localdate().year + 1
    for name in ("长江路小区", "石油大院"):
        quality.item(quality.project(name, stage=Stage.COMPLETED), "drainage")
    lamps = quality.project("育才苑", stage=Stage.COMPLETED)
    quality.item(lamps, "lighting")

    created = schedule_seasonal_checks(year=year, by=None)
    assert len(created) == 2
    checks = Inspection.objects.filter(kind="seasonal").order_by("project__compound__name")
    assert {c.project.compound.name for c in checks} == {"长江路小区", "石油大院"}
    for check in checks:
        assert check.level == "district"
        assert check.carried_out_on is None
        assert check.scheduled_for == dt.date(year, 5, 2)  # a month before 1 June
        assert check.scheduled_for < rainy_season_start_of(year)
    # Idempotent: again, and again by a user, nothing new.
    assert schedule_seasonal_checks(year=year, by=None) == []
    assert schedule_seasonal_checks(year=year, by=district_user) == []
    assert Inspection.objects.count() == 2
    # Still due (planned, not carried out), now with the planned day.
    assert {d.scheduled_for for d in seasonal_checks_due(district_user, year=year)} == {
        dt.date(year, 5, 2)
    }


def test_schedule_by_subdistrict_staff_stays_in_their_area(quality, east_user):
    year = timezone.localdate().year + 1
    quality.item(quality.project("长江路小区", stage=Stage.COMPLETED), "drainage")
    quality.item(quality.project("石油大院", stage=Stage.COMPLETED), "drainage")
    [check] = schedule_seasonal_checks(year=year, by=east_user.pk)  # an id, as a task sends
    check.refresh_from_db()
    assert check.project.compound.name == "长江路小区"
    assert check.level == "subdistrict"


def test_community_staff_cannot_schedule(quality, east_a_user):
    quality.item(quality.project(stage=Stage.COMPLETED), "drainage")
    with pytest.raises(ApplicationError) as excinfo:
        schedule_seasonal_checks(year=YEAR, by=east_a_user)
    assert excinfo.value.status_code == 403
    assert not Inspection.objects.exists()


def test_a_check_done_or_planned_this_year_is_not_scheduled_again(quality):
    year = timezone.localdate().year + 1
    late = quality.project(stage=Stage.COMPLETED)
    quality.item(late, "drainage")
    # Carried out after the rains began: still due, but scheduling another is pointless.
    Inspection.objects.create(
        project=late, level="district", kind="seasonal", carried_out_on=dt.date(year, 7, 1)
    )
    assert schedule_seasonal_checks(year=year) == []


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (dt.date(YEAR, 3, 1), dt.date(YEAR, 5, 2)),  # a month ahead
        (dt.date(YEAR, 5, 20), dt.date(YEAR, 5, 20)),  # late in the spring: today
        (dt.date(YEAR, 7, 1), dt.date(YEAR, 5, 31)),  # never on or after the first rains
    ],
)
def test_scheduled_day_is_before_the_rains(today, expected):
    assert _seasonal_check_day(deadline=dt.date(YEAR, 6, 1), today=today) == expected


# --- warranties -----------------------------------------------------------------------


def test_warranty_window_includes_both_ends(quality, east_user):
    today = dt.date(2025, 3, 1)
    project = quality.project(stage=Stage.COMPLETED)
    days = {-1: None, 0: None, 30: None, 60: None, 61: None}
    for offset in days:
        days[offset] = quality.item(
            project, "lighting", warranty_until=today + dt.timedelta(days=offset)
        )
    quality.item(project, "roads")  # no warranty date yet
    west = quality.project("石油大院", stage=Stage.COMPLETED)
    quality.item(west, "lighting", warranty_until=today)

    ending = list(warranties_ending(east_user, today=today))
    assert ending == [days[0], days[30], days[60]]
    assert [i.pk for i in warranties_ending(east_user, within_days=30, today=today)] == [
        days[0].pk, days[30].pk
    ]


def test_warranties_list_is_one_query(quality, district_user, django_assert_num_queries):
    today = timezone.localdate()
    for name in ("长江路小区", "育才苑", "石油大院"):
        quality.item(quality.project(name, stage=Stage.COMPLETED), warranty_until=today)
    with django_assert_num_queries(1):
        assert {i.project.compound.community.subdistrict.name
                for i in warranties_ending(district_user)} == {"黄岛街道", "薛家岛街道"}


# --- yearly look-backs ----------------------------------------------------------------

TODAY = dt.date(2025, 3, 1)


def lookback_names(user, **kwargs):
    return [p.compound.name for p in lookbacks_due(user, today=TODAY, **kwargs)]


def test_projects_a_year_after_completion_are_due(quality, district_user):
    quality.project("长江路小区", stage=Stage.ACCEPTED, actual_end=TODAY - dt.timedelta(days=365))
    quality.project("育才苑", stage=Stage.COMPLETED, actual_end=TODAY - dt.timedelta(days=364))
    [project] = lookbacks_due(district_user, today=TODAY)
    assert project.compound.name == "长江路小区"
    assert project.completed_on == TODAY - dt.timedelta(days=365)
    assert project.last_lookback_on is None
    # The interval is configurable, by argument or setting.
    assert lookback_names(district_user, after_days=30) == ["长江路小区", "育才苑"]


def test_interval_setting(quality, district_user, settings):
    settings.LOOKBACK_AFTER_DAYS = 730
    quality.project(stage=Stage.AFTERCARE, actual_end=TODAY - dt.timedelta(days=400))
    assert lookback_names(district_user) == []


def test_a_lookback_in_the_last_year_clears_it(quality, district_user):
    project = quality.project(stage=Stage.AFTERCARE, actual_end=dt.date(2020, 9, 1))
    quality.inspection(project, kind="lookback", carried_out_on=TODAY - dt.timedelta(days=364))
    assert lookback_names(district_user) == []


def test_an_older_lookback_does_not(quality, district_user):
    project = quality.project(stage=Stage.AFTERCARE, actual_end=dt.date(2020, 9, 1))
    old = TODAY - dt.timedelta(days=365)
    quality.inspection(project, kind="lookback", carried_out_on=old)
    quality.inspection(project, kind="lookback", scheduled_for=TODAY + dt.timedelta(days=5))
    [due] = lookbacks_due(district_user, today=TODAY)
    assert due.last_lookback_on == old
    assert due.lookback_scheduled_for == TODAY + dt.timedelta(days=5)


def test_completion_day_from_the_stage_history(quality, district_user):
    project = quality.project(stage=Stage.ACCEPTED)
    StageChange.objects.create(
        project=project, from_stage="construction", to_stage="completed",
        at=timezone.make_aware(dt.datetime(2023, 7, 1, 0, 30)),
    )
    [due] = lookbacks_due(district_user, today=TODAY)
    # 00:30 on 1 July in Shanghai (still 30 June in UTC) counts as 1 July.
    assert due.completed_on == dt.date(2023, 7, 1)


def test_without_a_completion_day_or_before_completion_not_listed(quality, district_user):
    quality.project("长江路小区", stage=Stage.COMPLETED)
    quality.project("育才苑", stage=Stage.CONSTRUCTION, actual_end=dt.date(2020, 1, 1))
    assert lookback_names(district_user) == []


def test_lookbacks_are_area_gated(quality, east_user):
    quality.project("长江路小区", stage=Stage.ACCEPTED, actual_end=dt.date(2022, 1, 1))
    quality.project("石油大院", stage=Stage.ACCEPTED, actual_end=dt.date(2022, 1, 1))
    assert lookback_names(east_user) == ["长江路小区"]


# --- overdue orders -------------------------------------------------------------------


def test_overdue_means_not_verified_by_the_deadline(quality, district_user, west_user):
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    inspection = quality.inspection(quality.project(), carried_out_on=today - dt.timedelta(9))
    late_open = quality.order(inspection, by=district_user, deadline=yesterday)
    late_submitted = quality.order(
        inspection, by=district_user, deadline=yesterday, status="submitted"
    )
    quality.order(inspection, by=district_user, deadline=yesterday, status="verified")
    due_today = quality.order(inspection, by=district_user, deadline=today)

    late = rectification_list(user=district_user, overdue=True)
    assert list(late) == [late_open, late_submitted]
    assert all(o.is_overdue for o in late)
    on_time = rectification_list(user=district_user, overdue=False)
    assert due_today in on_time and len(on_time) == 2
    assert not due_today.is_overdue
    assert rectification_list(user=district_user).count() == 4
    # Tomorrow, today's order is late too.
    assert rectification_list(
        user=district_user, overdue=True, today=today + dt.timedelta(days=1)
    ).count() == 3
    assert rectification_list(user=west_user, overdue=True).count() == 0
    assert Rectification.objects.count() == 4
