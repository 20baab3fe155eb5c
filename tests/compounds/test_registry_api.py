"""The registry API (issue 3, item 6): create, read, update through the area gate."""

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from compounds.models import Building, Community, Compound, Dwelling, Subdistrict

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def east_dwelling(area):
    dwelling = area.dwelling(area.compounds["长江路小区"], owner_ref="O-7")
    dwelling.owner_name = "王小五"
    dwelling.owner_phone = "13812345678"
    dwelling.save()
    return dwelling


@pytest.fixture
def west_dwelling(area):
    return area.dwelling(area.compounds["石油大院"], owner_ref="W-1")


def as_user(api, user):
    api.force_authenticate(user)
    return api


# --- create: 201 ---------------------------------------------------------------------


def test_post_subdistrict(api, district_user):
    response = as_user(api, district_user).post("/api/v1/subdistricts/", {"name": " 灵珠山街道 "})
    assert response.status_code == 201, response.json()
    assert response.json()["name"] == "灵珠山街道"
    assert Subdistrict.objects.filter(name="灵珠山街道").exists()


def test_post_community(api, area, east_user):
    response = as_user(api, east_user).post(
        "/api/v1/communities/", {"name": "新区社区", "subdistrict": area.east.pk}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["subdistrict"] == area.east.pk


def test_post_compound(api, area, east_a_user):
    response = as_user(api, east_a_user).post(
        "/api/v1/compounds/",
        {"name": "海军公寓", "community": area.east_a.pk, "address": "长江中路1号",
         "build_year": 1995, "households": 120},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subdistrict"] == area.east.pk
    assert body["is_eligible"] is True
    assert body["floor_area"] == "0.00"
    assert Compound.objects.get(pk=body["id"]).households == 120


def test_post_building_and_dwelling_keep_the_compound_totals(api, area, east_user):
    compound = area.compounds["育才苑"]
    api = as_user(api, east_user)
    response = api.post(
        "/api/v1/buildings/", {"compound": compound.pk, "number": "5", "units": 2, "floors": 6}
    )
    assert response.status_code == 201, response.json()
    building = response.json()["id"]
    response = api.post(
        "/api/v1/dwellings/",
        {"building": building, "unit": "1", "number": "101", "area": "72.50",
         "owner_ref": "O-1", "owner_name": "张三", "owner_phone": "13812345678"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["area"] == "72.50"
    assert body["compound"] == compound.pk
    assert body["owner_name"] == "张三"
    compound = api.get(f"/api/v1/compounds/{compound.pk}/").json()
    assert (compound["building_count"], compound["households"], compound["floor_area"]) == (
        1, 1, "72.50"
    )


# --- bad fields: 400 naming each ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "payload", "fields"),
    [
        ("/api/v1/subdistricts/", {"name": ""}, {"name"}),
        ("/api/v1/communities/", {"name": "x"}, {"subdistrict"}),
        ("/api/v1/compounds/", {"name": "x", "community": "abc", "build_year": "old"},
         {"community", "build_year"}),
        ("/api/v1/compounds/", {"name": "x", "community": 1, "build_year": 1850,
                                "households": -1}, {"build_year", "households"}),
        ("/api/v1/buildings/", {"compound": 1, "number": "", "units": "two"},
         {"number", "units"}),
        ("/api/v1/dwellings/", {"building": 1, "unit": "1", "number": "101",
                                "area": "12.345"}, {"area", "owner_ref"}),
    ],
)
def test_bad_fields_are_named(api, area, district_user, url, payload, fields):
    response = as_user(api, district_user).post(url, payload)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_service_rules_come_back_as_400_by_field(api, area, district_user, east_dwelling):
    api = as_user(api, district_user)
    response = api.post("/api/v1/subdistricts/", {"name": "黄岛街道"})
    assert response.status_code == 400
    assert set(response.json()) == {"name"}
    response = api.post(
        "/api/v1/compounds/",
        {"name": "长江路小区", "community": area.east_a.pk, "build_year": 1990,
         "latitude": "95"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name", "latitude"}
    response = api.post(
        "/api/v1/buildings/", {"compound": east_dwelling.building.compound_id, "number": "1"}
    )
    assert set(response.json()) == {"number"}
    response = api.post(
        "/api/v1/dwellings/",
        {"building": east_dwelling.building_id, "unit": "1", "number": "101",
         "area": "0", "owner_ref": "Z"},
    )
    assert response.status_code == 400
    assert set(response.json()) == {"number", "area"}


# --- the area gate -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/communities/", {"name": "新区社区", "subdistrict": "west"}, "subdistrict"),
        ("/api/v1/compounds/", {"name": "海军公寓", "community": "west_a",
                                "build_year": 1995}, "community"),
        ("/api/v1/buildings/", {"compound": "石油大院", "number": "9"}, "compound"),
        ("/api/v1/dwellings/", {"building": "west building", "unit": "1", "number": "9",
                                "area": "50.00", "owner_ref": "X"}, "building"),
    ],
)
def test_related_id_outside_the_area_is_400_on_that_field(
    api, area, east_user, west_dwelling, url, payload, field
):
    ids = {
        "west": area.west.pk,
        "west_a": area.west_a.pk,
        "石油大院": area.compounds["石油大院"].pk,
        "west building": west_dwelling.building_id,
    }
    payload = {key: ids.get(value, value) for key, value in payload.items()}
    response = as_user(api, east_user).post(url, payload)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    # Worded exactly as for an id that does not exist.
    missing = as_user(api, east_user).post(url, {**payload, field: 999_999})
    assert missing.json() == response.json()


def test_another_areas_objects_are_404(api, area, east_user, west_dwelling):
    api = as_user(api, east_user)
    urls = [
        f"/api/v1/subdistricts/{area.west.pk}/",
        f"/api/v1/communities/{area.west_a.pk}/",
        f"/api/v1/compounds/{area.compounds['石油大院'].pk}/",
        f"/api/v1/buildings/{west_dwelling.building_id}/",
        f"/api/v1/dwellings/{west_dwelling.pk}/",
    ]
    for url in urls:
        assert api.get(url).status_code == 404, url
    assert api.patch(urls[2], {"name": "x"}).status_code == 404
    assert api.patch(urls[3], {"floors": 9}).status_code == 404
    assert api.patch(urls[4], {"unit": "9"}).status_code == 404
    assert Compound.objects.get(name="石油大院")


def test_lists_show_only_the_area(api, area, east_a_user, east_dwelling, west_dwelling):
    api = as_user(api, east_a_user)
    buildings = api.get("/api/v1/buildings/").json()["results"]
    assert [b["id"] for b in buildings] == [east_dwelling.building_id]
    dwellings = api.get("/api/v1/dwellings/").json()["results"]
    assert [d["id"] for d in dwellings] == [east_dwelling.pk]
    # Filtering by another area's compound yields nothing, not its rows.
    west = area.compounds["石油大院"].pk
    assert api.get("/api/v1/dwellings/", {"compound": west}).json()["results"] == []
    assert api.get("/api/v1/buildings/", {"compound": west}).json()["results"] == []


@pytest.mark.parametrize("who", ["east_user", "east_a_user", "roleless_user"])
def test_only_the_district_posts_subdistricts(api, request, area, who):
    response = as_user(api, request.getfixturevalue(who)).post(
        "/api/v1/subdistricts/", {"name": "灵珠山街道"}
    )
    assert response.status_code == 403
    assert not Subdistrict.objects.filter(name="灵珠山街道").exists()


def test_community_staff_cannot_post_communities(api, area, east_a_user):
    response = as_user(api, east_a_user).post(
        "/api/v1/communities/", {"name": "新区社区", "subdistrict": area.east.pk}
    )
    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "url", ["subdistricts", "communities", "compounds", "buildings", "dwellings"]
)
def test_anonymous_is_refused(api, area, url):
    assert api.get(f"/api/v1/{url}/").status_code in (401, 403)
    assert api.post(f"/api/v1/{url}/", {"name": "x"}).status_code in (401, 403)


# --- update --------------------------------------------------------------------------


def test_patch_and_put_a_compound(api, area, east_user):
    api = as_user(api, east_user)
    compound = area.compounds["长江路小区"]
    response = api.patch(f"/api/v1/compounds/{compound.pk}/", {"has_owners_committee": True})
    assert response.status_code == 200, response.json()
    assert response.json()["has_owners_committee"] is True
    body = api.get(f"/api/v1/compounds/{compound.pk}/").json()
    body.update(name="长江路新村", community=area.east_b.pk, residents=150)
    response = api.put(f"/api/v1/compounds/{compound.pk}/", body)
    assert response.status_code == 200, response.json()
    compound.refresh_from_db()
    assert (compound.name, compound.community, compound.residents) == (
        "长江路新村", area.east_b, 150
    )
    response = api.patch(f"/api/v1/compounds/{compound.pk}/", {"community": area.west_a.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["community"]
    response = api.put(f"/api/v1/compounds/{compound.pk}/", {"name": "x"})
    assert response.status_code == 400
    assert {"community", "build_year"} <= set(response.json())


def test_counted_compound_figures_are_refused_on_patch(api, area, east_user, east_dwelling):
    compound = east_dwelling.building.compound
    response = as_user(api, east_user).patch(
        f"/api/v1/compounds/{compound.pk}/", {"households": 999}
    )
    assert response.status_code == 400
    assert list(response.json()) == ["households"]


def test_patch_building_and_dwelling(api, area, east_user, east_dwelling):
    api = as_user(api, east_user)
    response = api.patch(f"/api/v1/buildings/{east_dwelling.building_id}/", {"floors": 7})
    assert response.status_code == 200, response.json()
    assert Building.objects.get(pk=east_dwelling.building_id).floors == 7
    response = api.patch(f"/api/v1/dwellings/{east_dwelling.pk}/", {"area": "90.00"})
    assert response.status_code == 200, response.json()
    assert Compound.objects.get(name="长江路小区").floor_area == Decimal("90.00")
    response = api.patch(f"/api/v1/dwellings/{east_dwelling.pk}/", {"area": "-1"})
    assert response.status_code == 400
    assert list(response.json()) == ["area"]


# --- owners' personal data -----------------------------------------------------------


def test_dwelling_lists_carry_no_owner_name_or_phone(api, area, district_user, east_dwelling):
    row = as_user(api, district_user).get("/api/v1/dwellings/").json()["results"][0]
    assert row["owner_ref"] == "O-7"
    assert "owner_name" not in row and "owner_phone" not in row


@pytest.mark.parametrize(
    ("who", "name", "phone"),
    [
        ("district_user", "王小五", "13812345678"),
        ("east_user", "王小五", "13812345678"),
        ("east_a_user", "王**", "138****5678"),
    ],
)
def test_dwelling_detail_masks_owner_contacts_for_community_staff(
    api, request, area, east_dwelling, who, name, phone
):
    body = as_user(api, request.getfixturevalue(who)).get(
        f"/api/v1/dwellings/{east_dwelling.pk}/"
    ).json()
    assert (body["owner_name"], body["owner_phone"]) == (name, phone)


def test_community_staff_cannot_write_owner_contacts(api, area, east_a_user, east_dwelling):
    api = as_user(api, east_a_user)
    response = api.post(
        "/api/v1/dwellings/",
        {"building": east_dwelling.building_id, "unit": "1", "number": "102",
         "area": "50.00", "owner_ref": "O-8", "owner_phone": "13900000000"},
    )
    assert response.status_code == 403
    # A PUT of what they were shown (masked) leaves the record alone.
    body = api.get(f"/api/v1/dwellings/{east_dwelling.pk}/").json()
    response = api.put(f"/api/v1/dwellings/{east_dwelling.pk}/", {**body, "number": "109"})
    assert response.status_code == 200, response.json()
    east_dwelling.refresh_from_db()
    assert (east_dwelling.number, east_dwelling.owner_phone) == ("109", "13812345678")


# --- filters and cost ----------------------------------------------------------------


def test_compound_filters_are_the_pages(api, area, district_user):
    Compound.objects.filter(name="育才苑").update(
        has_owners_committee=True, property_management="company", build_year=1998
    )
    api = as_user(api, district_user)

    def names(**params):
        return sorted(r["name"] for r in api.get("/api/v1/compounds/", params).json()["results"])

    assert names(build_year_from=1995, build_year_to=2000) == ["育才苑"]
    assert names(eligible="false") == ["石油大院"]
    assert names(has_owners_committee="true") == ["育才苑"]
    assert names(property_management="company") == ["育才苑"]
    response = api.get("/api/v1/compounds/", {"property_management": "bogus"})
    assert response.status_code == 400
    assert list(response.json()) == ["property_management"]


def test_dwellings_filter_by_owner(api, area, district_user, east_dwelling, west_dwelling):
    rows = as_user(api, district_user).get("/api/v1/dwellings/", {"owner_ref": "W-1"}).json()
    assert [r["id"] for r in rows["results"]] == [west_dwelling.pk]


def _grow(area, extra: int) -> None:
    area.dwelling(area.compounds["长江路小区"])
    for i in range(extra):
        subdistrict = Subdistrict.objects.create(name=f"街道{i}")
        community = Community.objects.create(name=f"社区{i}", subdistrict=subdistrict)
        compound = Compound.objects.create(name=f"小区{i}", community=community, build_year=1990)
        area.dwelling(compound, owner_ref=f"O-{i}")


@pytest.mark.parametrize("extra", [0, 30])
@pytest.mark.parametrize(
    "url", ["subdistricts", "communities", "compounds", "buildings", "dwellings"]
)
def test_lists_run_constant_queries(api, area, district_user, extra, url,
                                    django_assert_num_queries):
    _grow(area, extra)
    api = as_user(api, district_user)
    with django_assert_num_queries(2):  # count, page
        response = api.get(f"/api/v1/{url}/")
    assert response.status_code == 200
    assert response.json()["count"] >= 1 + extra


def test_dwellings_list_is_constant_for_community_staff_too(api, area, east_a_user,
                                                            django_assert_num_queries):
    compound = area.compounds["长江路小区"]
    for i in range(25):
        area.dwelling(compound, number=str(200 + i))
    with django_assert_num_queries(2):
        body = as_user(api, east_a_user).get("/api/v1/dwellings/").json()
    assert body["count"] == 25
    assert Dwelling.objects.count() == 25
