# ruff: noqa: F811 (the fixtures shared with the service tests are imported by name)
"""The grading pages (staff overview, a compound's rounds, printable slips), the residents'
phone form (honeypot, one per phone, 429) and the grading API, with the area gate and
constant queries."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from consultation.models.codes import code_hash
from consultation.models.grading import GradingCode, GradingResponse, GradingRound
from consultation.services import grading as grading_services
from consultation.services.grading import grading_codes_issue
from tests.consultation.test_grading import GOOD, PHONE, answers, cj, open_round  # noqa: F401 (fixtures)

OVERVIEW = reverse("consultation:grading-overview")


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def compound_url(compound):
    return reverse("consultation:grading-compound", args=[compound.pk])


def grade_url(compound):
    return reverse("resident:grade", args=[compound.pk])


# --- staff pages -----------------------------------------------------------------------


def test_the_overview_by_area(client, area, district_user, east_user, cj):
    answers(open_round(cj), 3, overall="satisfied")
    answers(open_round(area.compounds["石油大院"]), 1, overall="unsatisfied")
    client.force_login(district_user)
    page = client.get(OVERVIEW)
    assert page.status_code == 200
    assert page.context["whole_district"]
    assert {s.name for s in page.context["overview"].subdistricts} == {"黄岛街道", "薛家岛街道"}
    assert str(page.context["overview"].total.overall.percent) == "75.0"
    body = page.content.decode()
    assert "石油大院" in body and "100.0%" in body and "0.0%" in body

    client.force_login(east_user)
    page = client.get(OVERVIEW)
    assert not page.context["whole_district"]
    assert [s.name for s in page.context["overview"].subdistricts] == ["黄岛街道"]
    assert "石油大院" not in page.content.decode()
    # The picker leads to the compound page (which checks the area).
    assert client.get(OVERVIEW, {"compound": cj.pk}).url == compound_url(cj)


@pytest.mark.parametrize("n", [1, 5])
def test_the_overview_runs_constant_queries(client, area, district_user, n,
                                            django_assert_num_queries):
    for compound in area.compounds.values():
        for k in range(n):
            answers(open_round(compound, title=f"第{k}轮", closed_at=timezone.now() if k else None,
                               opens_on=timezone.localdate() - timedelta(days=k)),
                    n, overall="basically")
    client.force_login(district_user)
    # session, user, compounds with rates, subdistricts, district, the picker's compounds
    with django_assert_num_queries(6):
        client.get(OVERVIEW)


def test_open_a_round_from_the_compound_page(client, east_a_user, cj):
    client.force_login(east_a_user)
    page = client.get(compound_url(cj))
    assert page.status_code == 200 and page.context["unclosed"] is None
    refused = client.post(compound_url(cj), {
        "title": "", "opens_on": timezone.localdate().isoformat(),
        "closes_on": (timezone.localdate() - timedelta(days=2)).isoformat()})
    assert refused.status_code == 200
    assert set(refused.context["open_form"].errors) == {"title", "closes_on"}
    assert not GradingRound.objects.exists()

    assert client.post(compound_url(cj), {"title": "改造完工请您阅卷"}).status_code == 302
    grading_round = GradingRound.objects.get()
    assert (grading_round.opens_on, grading_round.opened_by) == (timezone.localdate(),
                                                                  east_a_user)
    page = client.get(compound_url(cj))
    assert page.context["unclosed"] == grading_round and page.context["unclosed_open"]
    assert grade_url(cj) in page.content.decode()

    # A second one while it is open: refused, with the reason.
    response = client.post(compound_url(cj), {"title": "再来一轮"}, follow=True)
    assert GradingRound.objects.count() == 1
    assert list(response.context["messages"])

    close = reverse("consultation:grading-round-close", args=[grading_round.pk])
    assert client.post(close).status_code == 302
    grading_round.refresh_from_db()
    assert grading_round.closed_at is not None


def test_the_compound_page_shows_rates_and_comments_without_personal_data(
        client, east_a_user, cj):
    grading_round = open_round(cj)
    answers(grading_round, 7, overall="satisfied")
    answers(grading_round, 2, overall="basically")
    answers(grading_round, 1, overall="unsatisfied")
    GradingResponse.objects.filter(overall="unsatisfied").update(comments="施工期间噪音太大")
    client.force_login(east_a_user)
    page = client.get(compound_url(cj))
    body = page.content.decode()
    assert "90.0%" in body and "施工期间噪音太大" in body
    assert f"h{grading_round.pk}-" not in body  # no phone hash on the page


@pytest.mark.parametrize("n", [1, 6])
def test_the_compound_page_runs_constant_queries(client, east_a_user, cj, n,
                                                 django_assert_num_queries):
    for k in range(n):
        grading_round = open_round(cj, title=f"第{k}轮", closed_at=timezone.now() if k else None,
                                   opens_on=timezone.localdate() - timedelta(days=k))
        answers(grading_round, n, overall="satisfied")
        GradingResponse.objects.filter(round=grading_round).update(comments="好")
    client.force_login(east_a_user)
    # session, user, compound, rounds with rates and code counts, comments, buildings
    with django_assert_num_queries(6):
        page = client.get(compound_url(cj))
    assert len(page.context["rounds"]) == n


def test_printing_slips_shows_each_code_once_with_a_qr(client, east_a_user, cj):
    grading_round = open_round(cj)
    client.force_login(east_a_user)
    response = client.post(reverse("consultation:grading-codes", args=[grading_round.pk]))
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    slips = response.context["slips"]
    assert len(slips) == 3
    body = response.content.decode()
    assert body.count("<svg") == 3
    for slip in slips:
        plain = slip["code"].replace("-", "")
        assert slip["url"].endswith(f"{grade_url(cj)}?code={plain}")
        assert GradingCode.objects.filter(code_hash=code_hash(plain)).exists()
    building = cj.buildings.get(number="2")
    response = client.post(reverse("consultation:grading-codes", args=[grading_round.pk]),
                           {"building": building.pk})
    assert len(response.context["slips"]) == 1


def test_the_area_gate_on_grading_pages(client, west_user, cj):
    grading_round = open_round(cj)
    client.force_login(west_user)
    assert client.get(compound_url(cj)).status_code == 404
    assert client.post(compound_url(cj), {"title": "x"}).status_code == 404
    for name in ("grading-round-close", "grading-codes"):
        url = reverse(f"consultation:{name}", args=[grading_round.pk])
        assert client.post(url).status_code == 404
    grading_round.refresh_from_db()
    assert grading_round.closed_at is None and not GradingCode.objects.exists()


# --- the residents' form ---------------------------------------------------------------


def post_grade(client, compound, **fields):
    data = {**GOOD, "phone": PHONE, "comments": "", "code": "", "website": ""}
    data.update(fields)
    return client.post(grade_url(compound), data)


def test_no_open_round_says_grading_comes_after_completion(client, cj):
    page = client.get(grade_url(cj))
    assert page.status_code == 200
    assert "resident/grade_closed.html" in [t.name for t in page.templates]
    assert not page.context["scheduled"]
    open_round(cj, opens_on=timezone.localdate() + timedelta(days=3))
    page = client.get(grade_url(cj))
    assert page.context["scheduled"]
    assert post_grade(client, cj).status_code == 200 and not GradingResponse.objects.exists()
    assert client.get(reverse("resident:grade", args=[999999])).status_code == 404


def test_grading_with_a_phone_once(client, cj):
    grading_round = open_round(cj)
    page = client.get(grade_url(cj), {"code": "abcdefghjk"})
    assert page.context["form"].initial["code"] == "ABCD-EFGH-JK"
    assert 'name="website"' in page.content.decode()
    response = post_grade(client, cj, comments="楼道灯亮了，谢谢")
    assert response.status_code == 302
    assert response.url == reverse("resident:grade-thanks", args=[cj.pk])
    assert client.get(response.url).status_code == 200
    saved = GradingResponse.objects.get()
    assert (saved.round, saved.overall, saved.comments) == (grading_round, "satisfied",
                                                           "楼道灯亮了，谢谢")
    assert PHONE not in saved.phone_hash

    again = post_grade(client, cj, comments="第二次")
    assert again.status_code == 200
    assert list(again.context["form"].errors) == ["phone"]
    assert "第二次" in again.content.decode()  # what was typed stays
    assert GradingResponse.objects.count() == 1


def test_grading_with_a_code_once(client, east_a_user, cj):
    grading_round = open_round(cj)
    code = grading_codes_issue(by=east_a_user, round_id=grading_round.pk)[0]
    assert post_grade(client, cj, code=code.printed, phone="").status_code == 302
    again = post_grade(client, cj, code=code.code, phone="")
    assert list(again.context["form"].errors) == ["code"]
    assert GradingResponse.objects.get().code.dwelling == code.dwelling


def test_bad_input_comes_back_field_by_field(client, cj):
    open_round(cj)
    response = post_grade(client, cj, overall="", quality="great", phone="123")
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"overall", "quality", "phone"}
    assert not GradingResponse.objects.exists()


def test_the_honeypot_keeps_nothing(client, cj):
    open_round(cj)
    response = post_grade(client, cj, website="http://spam.example")
    assert response.status_code == 302
    assert not GradingResponse.objects.exists()


def test_too_many_from_one_address_is_a_429_page(client, cj, monkeypatch):
    monkeypatch.setattr(grading_services, "SUBMIT_LIMIT", 2)
    open_round(cj)
    assert post_grade(client, cj, phone="13900000001").status_code == 302
    assert post_grade(client, cj, phone="13900000002").status_code == 302
    limited = post_grade(client, cj, phone="13900000003")
    assert limited.status_code == 429
    assert "resident/grade_limited.html" in [t.name for t in limited.templates]
    assert post_grade(client, cj, website="x").status_code == 429  # robots too
    assert GradingResponse.objects.count() == 2


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_rounds_and_rates(api, area, east_user, west_user, cj):
    grading_round = open_round(cj)
    answers(grading_round, 7, overall="satisfied")
    answers(grading_round, 2, overall="basically")
    answers(grading_round, 1, overall="unsatisfied")
    answers(open_round(area.compounds["石油大院"]), 2, overall="satisfied")
    api.force_authenticate(east_user)

    rounds = api.get("/api/v1/consultation/grading/rounds/").json()
    assert rounds["count"] == 1
    assert rounds["results"][0]["rates"]["satisfaction_percent"] == "90.0"
    assert rounds["results"][0]["rates"]["aspects"]["overall"]["basically"] == 2

    overview = api.get("/api/v1/consultation/grading/rates/").json()
    assert overview["total"]["satisfaction_percent"] == "90.0"
    assert [s["name"] for s in overview["subdistricts"]] == ["黄岛街道"]
    one = api.get(f"/api/v1/consultation/grading/rates/?compound={cj.pk}").json()
    assert one["latest"]["id"] == grading_round.pk and len(one["rounds"]) == 1
    by_round = api.get(f"/api/v1/consultation/grading/rates/?round={grading_round.pk}")
    assert by_round.json()["rates"]["responses"] == 10

    west_compound = area.compounds["石油大院"]
    assert api.get(f"/api/v1/consultation/grading/rates/?compound={west_compound.pk}"
                   ).status_code == 404
    api.force_authenticate(west_user)
    assert api.get(f"/api/v1/consultation/grading/rates/?round={grading_round.pk}"
                   ).status_code == 404
    assert api.post(f"/api/v1/consultation/grading/rounds/{grading_round.pk}/close/"
                    ).status_code == 404


def test_api_open_and_close(api, east_a_user, cj):
    api.force_authenticate(east_a_user)
    bad = api.post("/api/v1/consultation/grading/rounds/", {"compound": cj.pk, "title": ""},
                   format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["title"]
    opened = api.post("/api/v1/consultation/grading/rounds/",
                      {"compound": cj.pk, "title": "请您阅卷"}, format="json")
    assert opened.status_code == 201
    again = api.post("/api/v1/consultation/grading/rounds/",
                     {"compound": cj.pk, "title": "再来"}, format="json")
    assert again.status_code == 409
    closed = api.post(f"/api/v1/consultation/grading/rounds/{opened.json()['id']}/close/")
    assert closed.status_code == 200 and closed.json()["closed_at"]


@pytest.mark.parametrize("n", [1, 8])
def test_api_rounds_run_constant_queries(api, area, district_user, n,
                                         django_assert_num_queries):
    for compound in area.compounds.values():
        for k in range(n):
            answers(open_round(compound, title=f"{k}", closed_at=timezone.now() if k else None,
                               opens_on=timezone.localdate() - timedelta(days=k)),
                    2, overall="satisfied")
    api.force_authenticate(district_user)
    with django_assert_num_queries(2):  # count, page with rates
        assert api.get("/api/v1/consultation/grading/rounds/").json()["count"] == 3 * n


def test_api_public_response(api, cj, monkeypatch):
    grading_round = open_round(cj)
    url = f"/api/v1/consultation/grading/{grading_round.pk}/responses/"
    created = api.post(url, {**GOOD, "phone": PHONE}, format="json")
    assert created.status_code == 201 and created.json()["round"] == grading_round.pk
    again = api.post(url, {**GOOD, "phone": PHONE}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["phone"]
    bad = api.post(url, {"overall": "great", "phone": "139"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"overall", "quality", "environment", "site_management", "phone"}
    spam = api.post(url, {**GOOD, "phone": "13900000000", "website": "x"}, format="json")
    assert spam.status_code == 201
    assert GradingResponse.objects.count() == 1
    assert api.post("/api/v1/consultation/grading/999999/responses/", GOOD,
                    format="json").status_code == 404

    monkeypatch.setattr(grading_services, "SUBMIT_LIMIT", 5)
    limited = api.post(url, {**GOOD, "phone": "13900000001"}, format="json")
    assert limited.status_code == 429 and limited.json()["detail"]

    grading_round.closed_at = timezone.now()
    grading_round.save()
    cache.clear()
    assert api.post(url, {**GOOD, "phone": "13900000002"}, format="json").status_code == 409
