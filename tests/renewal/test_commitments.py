"""Public commitments (实事承诺): at most five a year per compound, ticked off in public,
kept by staff inside their own area."""

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from renewal.models import PublicCommitment
from renewal.selectors.commitments import public_commitments
from renewal.services.commitments import commitment_create, commitment_tick, commitment_update

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def compound(area):
    return area.compounds["长江路小区"]


@pytest.fixture
def west_compound(area):
    return area.compounds["石油大院"]


def promise(compound, title, year=YEAR, **fields):
    return PublicCommitment.objects.create(compound=compound, year=year, title=title, **fields)


def fill(compound, year=YEAR, n=5):
    return [promise(compound, f"承诺{i}", year=year, sort=i) for i in range(n)]


# --- services -----------------------------------------------------------------------------


def test_create_a_commitment(compound, east_a_user):
    c = commitment_create(by=east_a_user, compound_id=compound.pk, year=YEAR,
                          title="  加装路灯 40 盏 ", detail="主路和宅间路")
    assert c.title == "加装路灯 40 盏" and c.done_on is None and c.compound == compound


def test_at_most_five_a_year(compound, area, east_user):
    fill(compound)
    with pytest.raises(ValidationError) as caught:
        commitment_create(by=east_user, compound_id=compound.pk, year=YEAR, title="第六件")
    errors = caught.value.message_dict
    assert list(errors) == ["year"]
    assert "每个小区每年最多 5 项实事承诺，2025 年已有 5 项" in errors["year"][0]
    assert PublicCommitment.objects.filter(compound=compound, year=YEAR).count() == 5
    # Another year, or another compound, has room.
    commitment_create(by=east_user, compound_id=compound.pk, year=YEAR + 1, title="第六件")
    commitment_create(by=east_user, compound_id=area.compounds["育才苑"].pk, year=YEAR,
                      title="第六件")


def test_moving_into_a_full_year_is_refused(compound, east_user):
    fill(compound)
    next_year = promise(compound, "明年的事", year=YEAR + 1)
    with pytest.raises(ValidationError) as caught:
        commitment_update(commitment_id=next_year.pk, by=east_user, data={"year": YEAR})
    assert "year" in caught.value.message_dict
    # Editing one of the five within its own year is fine.
    first = PublicCommitment.objects.filter(year=YEAR).first()
    commitment_update(commitment_id=first.pk, by=east_user, data={"title": "改了措辞"})


def test_the_same_promise_twice_names_the_title(compound, east_user):
    promise(compound, "楼道粉刷")
    with pytest.raises(ValidationError) as caught:
        commitment_create(by=east_user, compound_id=compound.pk, year=YEAR, title="楼道粉刷")
    assert list(caught.value.message_dict) == ["title"]


def test_bad_fields_are_named(compound, east_user):
    with pytest.raises(ValidationError) as caught:
        commitment_create(by=east_user, compound_id=compound.pk, year=1990, title="")
    assert set(caught.value.message_dict) == {"year", "title"}


def test_another_areas_compound_is_a_field_error(west_compound, east_user):
    with pytest.raises(ValidationError) as caught:
        commitment_create(by=east_user, compound_id=west_compound.pk, year=YEAR, title="x")
    assert caught.value.message_dict == {"compound": ["您的辖区内没有这个小区。"]}
    c = promise(west_compound, "西区的事")
    with pytest.raises(Http404):
        commitment_tick(commitment_id=c.pk, by=east_user)
    with pytest.raises(Http404):
        commitment_update(commitment_id=c.pk, by=east_user, data={"title": "改"})


def test_tick_off_and_take_back(compound, east_a_user):
    c = promise(compound, "楼道粉刷")
    assert commitment_tick(commitment_id=c.pk, by=east_a_user).done_on == timezone.localdate()
    ticked = commitment_tick(commitment_id=c.pk, by=east_a_user, done_on=date(2025, 3, 8))
    assert ticked.done_on == date(2025, 3, 8)
    assert commitment_tick(commitment_id=c.pk, by=east_a_user, undo=True).done_on is None


def test_cannot_tick_off_in_the_future(compound, east_user):
    c = promise(compound, "楼道粉刷")
    with pytest.raises(ValidationError) as caught:
        commitment_tick(commitment_id=c.pk, by=east_user,
                        done_on=timezone.localdate() + timedelta(days=1))
    assert list(caught.value.message_dict) == ["done_on"]
    c.refresh_from_db()
    assert c.done_on is None


def test_public_commitments_show_only_public_fields(compound, area):
    promise(compound, "楼道粉刷", sort=2)
    promise(compound, "加装路灯", sort=1, done_on=date(2025, 4, 1), detail="40 盏")
    promise(compound, "去年的事", year=YEAR - 1)
    promise(area.compounds["育才苑"], "别的小区")
    rows = public_commitments(compound.pk, YEAR)
    assert [asdict(r) for r in rows] == [
        {"title": "加装路灯", "detail": "40 盏", "done_on": date(2025, 4, 1)},
        {"title": "楼道粉刷", "detail": "", "done_on": None},
    ]
    assert [r.done for r in rows] == [True, False]


# --- pages ----------------------------------------------------------------------------------


def test_page_lists_by_year_and_adds(client, compound, east_a_user):
    promise(compound, "加装路灯", done_on=date(2025, 4, 1))
    promise(compound, "去年的事", year=YEAR - 1)
    client.force_login(east_a_user)
    url = reverse("commitments:compound", args=[compound.pk])
    html = client.get(url).content.decode()
    assert html.index("加装路灯") < html.index("去年的事")
    assert "2025-04-01" in html
    response = client.post(url, {"year": YEAR, "title": "楼道粉刷", "detail": "", "sort": ""})
    assert response.status_code == 302
    assert PublicCommitment.objects.filter(title="楼道粉刷", sort=0).exists()


def test_sixth_is_refused_next_to_the_year_and_input_kept(client, compound, east_user):
    fill(compound)
    client.force_login(east_user)
    url = reverse("commitments:compound", args=[compound.pk])
    response = client.post(url, {"year": YEAR, "title": "第六件事", "detail": "说明"})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["year"]
    html = response.content.decode()
    assert 'id="id_year_error"' in html and 'value="第六件事"' in html and "说明" in html
    assert PublicCommitment.objects.count() == 5


def test_tick_and_untick_on_the_page(client, compound, east_user):
    c = promise(compound, "楼道粉刷")
    client.force_login(east_user)
    tick = reverse("commitments:tick", args=[c.pk])
    assert client.get(tick).status_code == 405
    assert client.post(tick, {f"c{c.pk}-done_on": "2025-05-04"}).status_code == 302
    c.refresh_from_db()
    assert c.done_on == date(2025, 5, 4)
    client.post(tick, {"undo": "1"})
    c.refresh_from_db()
    assert c.done_on is None


def test_future_tick_is_shown_next_to_its_date(client, compound, east_user):
    c = promise(compound, "楼道粉刷")
    client.force_login(east_user)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(reverse("commitments:tick", args=[c.pk]),
                           {f"c{c.pk}-done_on": future})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_c{c.pk}-done_on_error"' in html and f'value="{future}"' in html


def test_edit_on_the_page(client, compound, east_user):
    c = promise(compound, "楼道粉刷")
    client.force_login(east_user)
    url = reverse("commitments:edit", args=[c.pk])
    assert 'value="楼道粉刷"' in client.get(url).content.decode()
    response = client.post(url, {"year": YEAR, "title": "楼道粉刷及扶手更换", "sort": "3"})
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.title == "楼道粉刷及扶手更换" and c.sort == 3


def test_pages_of_another_area_are_404(client, west_compound, east_user):
    c = promise(west_compound, "西区的事")
    client.force_login(east_user)
    assert client.get(reverse("commitments:compound", args=[west_compound.pk])).status_code == 404
    assert client.post(reverse("commitments:compound", args=[west_compound.pk]),
                       {"year": YEAR, "title": "x"}).status_code == 404
    assert client.get(reverse("commitments:edit", args=[c.pk])).status_code == 404
    assert client.post(reverse("commitments:tick", args=[c.pk])).status_code == 404
    c.refresh_from_db()
    assert c.done_on is None


@pytest.mark.parametrize("years", [1, 6])
def test_page_runs_constant_queries(client, compound, east_user, years,
                                    django_assert_num_queries):
    for y in range(years):
        fill(compound, year=2020 + y, n=3)
    client.force_login(east_user)
    with django_assert_num_queries(4):  # session, user, compound, commitments
        response = client.get(reverse("commitments:compound", args=[compound.pk]))
    assert len(response.context["years"]) == years


# --- API ------------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_create_list_filter(api, compound, area, east_user):
    promise(area.compounds["育才苑"], "别处", year=YEAR)
    promise(compound, "去年", year=YEAR - 1)
    api.force_authenticate(east_user)
    response = api.post("/api/v1/commitments/", {
        "compound": compound.pk, "year": YEAR, "title": "加装路灯", "detail": "40 盏",
    }, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["done"] is False and body["done_on"] is None and body["sort"] == 0
    assert api.get("/api/v1/commitments/").json()["count"] == 3
    body = api.get("/api/v1/commitments/", {"compound": compound.pk, "year": YEAR}).json()
    assert [r["title"] for r in body["results"]] == ["加装路灯"]


def test_api_limit_and_area(api, compound, west_compound, east_user):
    fill(compound)
    api.force_authenticate(east_user)
    response = api.post("/api/v1/commitments/",
                        {"compound": compound.pk, "year": YEAR, "title": "第六件"},
                        format="json")
    assert response.status_code == 400 and list(response.json()) == ["year"]
    response = api.post("/api/v1/commitments/",
                        {"compound": west_compound.pk, "year": YEAR, "title": "x"},
                        format="json")
    assert response.status_code == 400
    assert response.json() == {"compound": ["您的辖区内没有这个小区。"]}
    other = promise(west_compound, "西区")
    assert api.get(f"/api/v1/commitments/{other.pk}/").status_code == 404
    assert api.post(f"/api/v1/commitments/{other.pk}/tick/").status_code == 404
    assert api.get("/api/v1/commitments/", {"compound": west_compound.pk}).json()["count"] == 0


def test_api_tick_and_patch(api, compound, east_user):
    c = promise(compound, "楼道粉刷")
    api.force_authenticate(east_user)
    body = api.post(f"/api/v1/commitments/{c.pk}/tick/", {"done_on": "2025-06-01"},
                    format="json").json()
    assert body["done"] is True and body["done_on"] == "2025-06-01"
    body = api.post(f"/api/v1/commitments/{c.pk}/tick/", {"undo": True}, format="json").json()
    assert body["done"] is False
    response = api.patch(f"/api/v1/commitments/{c.pk}/", {"title": "楼道粉刷及扶手"},
                         format="json")
    assert response.status_code == 200 and response.json()["title"] == "楼道粉刷及扶手"
    future = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = api.patch(f"/api/v1/commitments/{c.pk}/", {"done_on": future}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["done_on"]


def test_api_refuses_anonymous(api, compound):
    assert api.get("/api/v1/commitments/").status_code == 401


@pytest.mark.parametrize("n", [1, 20])
def test_api_list_runs_constant_queries(api, area, district_user, n,
                                        django_assert_num_queries):
    for i in range(n):
        promise(area.compounds["长江路小区"], f"承诺{i}", year=2000 + i)
    api.force_authenticate(district_user)
    with django_assert_num_queries(2):  # count, page
        assert api.get("/api/v1/commitments/").json()["count"] == n
