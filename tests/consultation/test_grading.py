"""Satisfaction grading (请您阅卷): rounds, grading codes, one response per code and per
phone, the keyed phone hash, the per-address limit, and the rate arithmetic at compound,
subdistrict and district level (exact, in the database, constant queries)."""

from datetime import timedelta
from fractions import Fraction

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import override

from compounds.errors import ApplicationError
from consultation.models.codes import code_format, code_hash
from consultation.models.grading import GradingCode, GradingResponse, GradingRound
from consultation.selectors.grading import (
    compound_rounds,
    grading_overview,
    latest_rounds,
    rates_of,
)
from consultation.services import grading as grading_services
from consultation.services.grading import (
    grading_codes_issue,
    grading_submit,
    phone_hash,
    round_close,
    round_open,
)
from tests.conftest import make_staff

PHONE = "13812345678"
GOOD = {"overall": "satisfied", "quality": "satisfied", "environment": "basically",
        "site_management": "unsatisfied"}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def cj(area):
    """长江路小区 with two dwellings in building 1 and one in building 2."""
    c = area.compounds["长江路小区"]
    area.dwelling(c, building="1", unit="1", number="101", owner_ref="A")
    area.dwelling(c, building="1", unit="1", number="102", owner_ref="B")
    area.dwelling(c, building="2", unit="1", number="101", owner_ref="C")
    return c


def open_round(compound, by=None, **fields) -> GradingRound:
    values = {"title": "改造完工，请您阅卷", "opens_on": timezone.localdate()}
    values.update(fields)
    return GradingRound.objects.create(compound=compound, opened_by=by, **values)


def submit(grading_round, **fields):
    values = {**GOOD, "phone": PHONE}
    values.update(fields)
    with override("en"):
        return grading_submit(round_id=grading_round.pk, **values)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc, override("en"):
        call()
    return exc.value.message_dict


def answers(grading_round, n, *, overall, **others):
    """n responses straight into the database, each with its own phone hash."""
    start = GradingResponse.objects.filter(round=grading_round).count()
    GradingResponse.objects.bulk_create(
        GradingResponse(round=grading_round, overall=overall,
                        quality=others.get("quality", overall),
                        environment=others.get("environment", overall),
                        site_management=others.get("site_management", overall),
                        phone_hash=f"h{grading_round.pk}-{start + i}",
                        submitted_at=timezone.now())
        for i in range(n)
    )


# --- rounds ------------------------------------------------------------------------------


def test_open_and_close_a_round(east_a_user, cj):
    grading_round = round_open(by=east_a_user, compound_id=cj.pk, title=" 请您阅卷 ")
    assert (grading_round.title, grading_round.opens_on, grading_round.opened_by) == (
        "请您阅卷", timezone.localdate(), east_a_user)
    assert grading_round.is_open_on(timezone.localdate())
    with pytest.raises(ApplicationError) as exc:
        round_open(by=east_a_user, compound_id=cj.pk, title="第二轮")
    assert exc.value.status_code == 409
    closed = round_close(by=east_a_user, round_id=grading_round.pk)
    assert closed.closed_at and closed.closed_by == east_a_user
    assert round_close(by=east_a_user, round_id=grading_round.pk).closed_at == closed.closed_at
    round_open(by=east_a_user, compound_id=cj.pk, title="第二轮")


def test_a_round_past_its_last_day_is_closed_when_the_next_opens(east_a_user, cj):
    old = open_round(cj, opens_on=timezone.localdate() - timedelta(days=30),
                     closes_on=timezone.localdate() - timedelta(days=1))
    round_open(by=east_a_user, compound_id=cj.pk, title="第二轮")
    old.refresh_from_db()
    assert old.closed_at is not None


def test_open_round_bad_input(east_a_user, west_user, cj):
    today = timezone.localdate()
    errors = errors_of(lambda: round_open(by=east_a_user, compound_id=cj.pk, title="",
                                          opens_on=today, closes_on=today - timedelta(1)))
    assert set(errors) == {"title", "closes_on"}
    assert list(errors_of(lambda: round_open(by=west_user, compound_id=cj.pk,
                                             title="x"))) == ["compound"]
    assert list(errors_of(lambda: round_open(by=east_a_user, compound_id=cj.pk,
                                             title="x" * 101))) == ["title"]
    with pytest.raises(Http404):
        round_close(by=west_user, round_id=open_round(cj).pk)


# --- codes -------------------------------------------------------------------------------


def test_codes_are_issued_once_shown_hashed_and_reissued(east_a_user, cj):
    grading_round = open_round(cj)
    issued = grading_codes_issue(by=east_a_user, round_id=grading_round.pk)
    assert len(issued) == 3
    stored = set(GradingCode.objects.values_list("code_hash", flat=True))
    assert stored == {code_hash(i.code) for i in issued}
    assert not any(i.code in h for i in issued for h in stored)

    # The first dwelling grades with its code (as printed, lower case, with dashes).
    submit(grading_round, code=code_format(issued[0].code).lower(), phone="")
    again = grading_codes_issue(by=east_a_user, round_id=grading_round.pk)
    # It has graded: no new slip for it; the others get new slips, the old ones stop.
    assert [i.dwelling for i in again] == [i.dwelling for i in issued[1:]]
    assert list(errors_of(lambda: submit(grading_round, code=issued[1].code,
                                         phone=""))) == ["code"]
    building_2 = cj.buildings.get(number="2")
    (only_b2,) = grading_codes_issue(by=east_a_user, round_id=grading_round.pk,
                                     building_id=building_2.pk)
    assert only_b2.dwelling.building == building_2
    assert list(errors_of(lambda: submit(grading_round, code=again[1].code,
                                         phone=""))) == ["code"]
    submit(grading_round, code=only_b2.code, phone="")
    submit(grading_round, code=again[0].code, phone="")
    assert GradingResponse.objects.filter(code__isnull=False).count() == 3
    assert GradingCode.objects.filter(revoked_at__isnull=False).count() == 3
    # Every dwelling has graded: nothing left to print.
    assert list(errors_of(lambda: grading_codes_issue(
        by=east_a_user, round_id=grading_round.pk))) == ["building"]


def test_codes_need_an_open_round_in_the_area(east_a_user, west_user, cj, area):
    grading_round = open_round(cj)
    with pytest.raises(Http404):
        grading_codes_issue(by=west_user, round_id=grading_round.pk)
    other = area.dwelling(area.compounds["石油大院"], owner_ref="W")
    assert list(errors_of(lambda: grading_codes_issue(
        by=east_a_user, round_id=grading_round.pk, building_id=other.building_id))) == [
        "building"]
    round_close(by=east_a_user, round_id=grading_round.pk)
    with pytest.raises(ApplicationError) as exc:
        grading_codes_issue(by=east_a_user, round_id=grading_round.pk)
    assert exc.value.status_code == 409


# --- one response per code, per phone ----------------------------------------------------


def test_one_response_per_phone_per_round_kept_only_as_a_keyed_hash(cj):
    grading_round = open_round(cj)
    response = submit(grading_round, phone="138 1234-5678", comments=" 楼道亮了 ")
    assert response.phone_hash == phone_hash(round_id=grading_round.pk, phone=PHONE)
    assert PHONE not in response.phone_hash and len(response.phone_hash) == 64
    assert response.comments == "楼道亮了" and response.code is None
    errors = errors_of(lambda: submit(grading_round, phone="+86 13812345678"))
    assert list(errors) == ["phone"] and "already graded" in errors["phone"][0]
    # Full-width digits from a Chinese input method are the same phone.
    assert list(errors_of(lambda: submit(grading_round, phone="１３８１２３４５６７８"))) == [
        "phone"]
    assert GradingResponse.objects.count() == 1
    # The same phone grades the next round; its hash there is another.
    grading_round.closed_at = timezone.now()
    grading_round.save()
    second = open_round(cj, title="第二轮")
    assert submit(second).phone_hash != response.phone_hash


def test_one_response_per_code(east_a_user, cj):
    grading_round = open_round(cj)
    (code, *_rest) = grading_codes_issue(by=east_a_user, round_id=grading_round.pk)
    submit(grading_round, code=code.code, phone="")
    errors = errors_of(lambda: submit(grading_round, code=code.code, phone=""))
    assert list(errors) == ["code"] and "already graded" in errors["code"][0]
    row = GradingCode.objects.get(code_hash=code_hash(code.code))
    assert row.used_at is not None and row.response.round == grading_round


def test_a_code_of_another_round_or_a_garbled_one_is_refused(east_a_user, cj, area):
    grading_round = open_round(cj)
    other_round = open_round(area.compounds["育才苑"])
    area.dwelling(area.compounds["育才苑"], owner_ref="Y")
    east_b = make_staff("east-b", "community", community=area.east_b)
    (other_code,) = grading_codes_issue(by=east_b, round_id=other_round.pk)
    assert list(errors_of(lambda: submit(grading_round, code=other_code.code,
                                         phone=""))) == ["code"]
    assert list(errors_of(lambda: submit(grading_round, code="ABC", phone=""))) == ["code"]


def test_every_bad_field_at_once(cj):
    grading_round = open_round(cj)
    errors = errors_of(lambda: grading_submit(
        round_id=grading_round.pk, overall="great", quality="", environment="satisfied",
        site_management="meh", comments="字" * 1001, phone="12345"))
    assert set(errors) == {"overall", "quality", "site_management", "comments", "phone"}
    assert list(errors_of(lambda: submit(grading_round, phone=""))) == ["phone"]
    assert not GradingResponse.objects.exists()


def test_no_grading_outside_an_open_round(cj):
    closed = open_round(cj, closed_at=timezone.now())
    scheduled = open_round(cj, title="下月", opens_on=timezone.localdate() + timedelta(3))
    for grading_round in (closed, scheduled):
        with pytest.raises(ApplicationError) as exc:
            submit(grading_round)
        assert exc.value.status_code == 409
    with pytest.raises(Http404):
        grading_submit(round_id=999999, **GOOD, phone=PHONE)


def test_the_limit_per_address(cj, monkeypatch):
    monkeypatch.setattr(grading_services, "SUBMIT_LIMIT", 3)
    grading_round = open_round(cj)
    for i in range(3):
        submit(grading_round, phone=f"1390000000{i}", client="10.0.0.1")
    with pytest.raises(ApplicationError) as exc:
        submit(grading_round, phone="13900000009", client="10.0.0.1")
    assert exc.value.status_code == 429
    submit(grading_round, phone="13900000009", client="10.0.0.2")  # another address
    assert GradingResponse.objects.count() == 4


# --- rates -------------------------------------------------------------------------------


def test_rates_of_a_hand_made_set(cj):
    """7 satisfied, 2 basically satisfied, 1 unsatisfied → 90.0 %."""
    grading_round = open_round(cj)
    answers(grading_round, 7, overall="satisfied", quality="unsatisfied")
    answers(grading_round, 2, overall="basically", quality="basically")
    answers(grading_round, 1, overall="unsatisfied", quality="satisfied")
    rates = rates_of(GradingResponse.objects.all())
    assert rates.responses == 10
    assert (rates.overall.satisfied, rates.overall.basically, rates.overall.unsatisfied) == (
        7, 2, 1)
    assert rates.overall.rate == Fraction(9, 10)
    assert str(rates.overall.percent) == "90.0"
    assert str(rates.aspect("quality").percent) == "30.0"
    assert rates.as_api()["aspects"]["overall"]["percent"] == "90.0"


def test_a_rate_rounds_half_up_to_a_tenth(cj):
    grading_round = open_round(cj)
    answers(grading_round, 2, overall="satisfied")
    answers(grading_round, 1, overall="unsatisfied")
    assert str(rates_of(GradingResponse.objects.all()).overall.percent) == "66.7"
    answers(grading_round, 5, overall="satisfied")  # 7 of 8 = 87.5 exactly
    assert str(rates_of(GradingResponse.objects.all()).overall.percent) == "87.5"
    assert rates_of(GradingResponse.objects.none()).overall.percent is None


def test_compound_subdistrict_and_district_rates(area, district_user, east_user, cj):
    """长江路小区: an old round (ignored) and its latest, 7/2/1 → 90.0 %; 育才苑 (same
    subdistrict): 1/0/1 → 50.0 %; 石油大院 (west): 3/0/1 → 75.0 %.
    East pools 9 + 1 of 12 → 83.3 %; the district 13 of 16 = 81.25 → 81.3 % (half up)."""
    old = open_round(cj, opens_on=timezone.localdate() - timedelta(days=400),
                     closed_at=timezone.now())
    answers(old, 5, overall="unsatisfied")
    latest = open_round(cj)
    answers(latest, 7, overall="satisfied")
    answers(latest, 2, overall="basically")
    answers(latest, 1, overall="unsatisfied")
    yucai = open_round(area.compounds["育才苑"])
    answers(yucai, 1, overall="satisfied")
    answers(yucai, 1, overall="unsatisfied")
    west = open_round(area.compounds["石油大院"])
    answers(west, 3, overall="basically")
    answers(west, 1, overall="unsatisfied")
    open_round(area.compounds["石油大院"], title="下一轮", closed_at=timezone.now(),
               opens_on=timezone.localdate() + timedelta(days=5))  # not opened yet

    overview = grading_overview(user=district_user)
    by_compound = {r.compound.name: rates.overall.percent for r, rates in overview.compounds}
    assert {k: str(v) for k, v in by_compound.items()} == {
        "长江路小区": "90.0", "育才苑": "50.0", "石油大院": "75.0"}
    assert {s.name: str(s.rates.overall.percent) for s in overview.subdistricts} == {
        "黄岛街道": "83.3", "薛家岛街道": "75.0"}
    assert overview.total.responses == 16
    assert str(overview.total.overall.percent) == "81.3"

    east = grading_overview(user=east_user)
    assert [s.name for s in east.subdistricts] == ["黄岛街道"]
    assert (east.total.responses, str(east.total.overall.percent)) == (12, "83.3")

    rounds = compound_rounds(compound=cj)
    assert [(r.pk, str(rates.overall.percent)) for r, rates in rounds] == [
        (latest.pk, "90.0"), (old.pk, "0.0")]
    assert set(latest_rounds(east_user)) == {latest, yucai}


@pytest.mark.parametrize("n", [1, 6])
def test_the_overview_runs_constant_queries(area, district_user, n,
                                            django_assert_num_queries):
    for i, compound in enumerate(area.compounds.values()):
        for k in range(n):
            grading_round = open_round(compound, title=f"第{k}轮",
                                       opens_on=timezone.localdate() - timedelta(days=k),
                                       closed_at=timezone.now() if k else None)
            answers(grading_round, n + i, overall="satisfied")
    with django_assert_num_queries(3):  # compounds, subdistricts, district
        overview = grading_overview(user=district_user)
    assert overview.total.responses == 3 * n + 3


def test_the_database_keeps_one_response_per_phone_and_per_code(cj, east_a_user):
    grading_round = open_round(cj)
    answers(grading_round, 1, overall="satisfied")
    with pytest.raises(IntegrityError), transaction.atomic():
        answers_same = GradingResponse.objects.get()
        answers_same.pk = None
        answers_same.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        GradingResponse.objects.create(round=grading_round, submitted_at=timezone.now(),
                                       **GOOD)  # neither code nor phone
    assert GradingResponse.objects.count() == 1
