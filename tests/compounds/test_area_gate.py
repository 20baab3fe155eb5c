"""The area gate: what each role may see, on pages and in the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from compounds.models import Compound
from compounds.selectors import compounds_visible_to

pytestmark = pytest.mark.django_db


def names(queryset):
    return sorted(c.name for c in queryset)


def test_district_sees_every_compound(area, district_user):
    assert names(compounds_visible_to(district_user)) == ["石油大院", "育才苑", "长江路小区"]


def test_subdistrict_sees_only_its_subdistrict(area, east_user, west_user):
    assert names(compounds_visible_to(east_user)) == ["育才苑", "长江路小区"]
    assert names(compounds_visible_to(west_user)) == ["石油大院"]


def test_community_sees_only_its_community(area, east_a_user):
    assert names(compounds_visible_to(east_a_user)) == ["长江路小区"]


def test_account_without_role_sees_nothing(area, roleless_user):
    assert names(compounds_visible_to(roleless_user)) == []


def test_inactive_account_sees_nothing(area, district_user):
    district_user.is_active = False
    assert names(compounds_visible_to(district_user)) == []


def test_superuser_sees_the_whole_district(area, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x-very-long-pw")
    assert compounds_visible_to(admin).count() == 3


# --- pages -------------------------------------------------------------------------


def test_other_subdistricts_compound_page_is_404(client, area, east_user):
    client.force_login(east_user)
    other = area.compounds["石油大院"]
    own = area.compounds["长江路小区"]
    assert client.get(reverse("compounds:detail", args=[other.pk])).status_code == 404
    response = client.get(reverse("compounds:detail", args=[own.pk]))
    assert response.status_code == 200
    assert "长江路小区" in response.content.decode()


def test_list_page_never_shows_another_area(client, area, east_user):
    client.force_login(east_user)
    # Even asked for explicitly, the other subdistrict stays invisible.
    response = client.get(reverse("compounds:list"), {"subdistrict": area.west.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "石油大院" not in html
    response = client.get(reverse("compounds:list"))
    html = response.content.decode()
    assert "长江路小区" in html and "育才苑" in html
    assert "石油大院" not in html


def test_home_counts_only_the_users_area(client, area, east_a_user):
    client.force_login(east_a_user)
    summary = client.get(reverse("home")).context["summary"]
    assert summary["compounds"] == 1
    assert summary["households"] == 48


def test_anonymous_is_sent_to_login(client, area):
    response = client.get(reverse("compounds:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_list_filters_search(client, area, district_user):
    client.force_login(district_user)
    response = client.get(reverse("compounds:list"), {"q": "育才"})
    assert [c.name for c in response.context["page"].object_list] == ["育才苑"]


@pytest.mark.parametrize("extra", [0, 40])
def test_list_page_runs_constant_queries(client, area, east_user, extra,
                                         django_assert_num_queries):
    for i in range(extra):
        Compound.objects.create(name=f"新建小区{i}", community=area.east_a, build_year=1990)
    client.force_login(east_user)
    # session, user, count, page rows, subdistrict options, community options
    with django_assert_num_queries(6):
        response = client.get(reverse("compounds:list"))
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 2 + extra


# --- API ---------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_detail_outside_area_is_404(api, area, east_user):
    api.force_authenticate(east_user)
    other = area.compounds["石油大院"]
    assert api.get(f"/api/v1/compounds/{other.pk}/").status_code == 404
    own = area.compounds["育才苑"]
    body = api.get(f"/api/v1/compounds/{own.pk}/").json()
    assert body["name"] == "育才苑"
    assert body["subdistrict"] == area.east.pk


def test_api_list_is_gated_and_filtered(api, area, east_user, west_user):
    api.force_authenticate(east_user)
    body = api.get("/api/v1/compounds/").json()
    assert sorted(r["name"] for r in body["results"]) == ["育才苑", "长江路小区"]
    # A filter naming another area yields nothing, not that area's rows.
    body = api.get("/api/v1/compounds/", {"subdistrict": area.west.pk}).json()
    assert body["results"] == []
    body = api.get("/api/v1/compounds/", {"q": "长江"}).json()
    assert [r["name"] for r in body["results"]] == ["长江路小区"]
    api.force_authenticate(west_user)
    assert [r["name"] for r in api.get("/api/v1/compounds/").json()["results"]] == ["石油大院"]


def test_api_subdistricts_and_communities_are_gated(api, area, east_a_user):
    api.force_authenticate(east_a_user)
    assert [r["name"] for r in api.get("/api/v1/subdistricts/").json()["results"]] == ["黄岛街道"]
    assert [r["name"] for r in api.get("/api/v1/communities/").json()["results"]] == ["南屯社区"]


def test_api_refuses_anonymous_and_roleless(api, area, roleless_user):
    assert api.get("/api/v1/compounds/").status_code in (401, 403)
    api.force_authenticate(roleless_user)
    assert api.get("/api/v1/compounds/").status_code == 403


def test_api_filter_with_bad_value_names_the_field(api, area, district_user):
    api.force_authenticate(district_user)
    response = api.get("/api/v1/compounds/", {"subdistrict": "abc"})
    assert response.status_code == 400
    assert "subdistrict" in response.json()


@pytest.mark.parametrize("extra", [0, 40])
def test_api_list_runs_constant_queries(api, area, district_user, extra,
                                        django_assert_num_queries):
    for i in range(extra):
        Compound.objects.create(name=f"新建小区{i}", community=area.west_a, build_year=1990)
    api.force_authenticate(district_user)
    with django_assert_num_queries(2):  # count, page
        response = api.get("/api/v1/compounds/")
    assert response.json()["count"] == 3 + extra


def test_search_folds_case_only_for_latin_letters(client, area, district_user):
    area.compound("SOHO公寓", area.east_a)
    client.force_login(district_user)
    names = [c.name for c in client.get(reverse("compounds:list"), {"q": "soho"})
             .context["page"].object_list]
    assert names == ["SOHO公寓"]
    names = [c.name for c in client.get(reverse("compounds:list"), {"q": "长江"})
             .context["page"].object_list]
    assert names == ["长江路小区"]
