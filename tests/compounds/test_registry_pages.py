"""Registry staff pages: create and edit compounds, buildings and dwellings, the filtered
list and its Excel export, all through the area gate."""

import html as html_lib
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from compounds.models import Building, Compound, Dwelling, Grid

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def compound_post(area, **overrides) -> dict:
    data = {
        "name": "海军公寓",
        "community": area.east_a.pk,
        "grid": "",
        "address": "长江中路1号",
        "build_year": "1995",
        "households": "120",
        "residents": "300",
        "building_count": "0",
        "floor_area": "0",
        "property_management": "company",
        "has_owners_committee": "on",
        "latitude": "",
        "longitude": "",
    }
    data.update(overrides)
    return data


# --- compounds: create and edit ------------------------------------------------------


def test_create_compound_round_trip(client, area, east_a_user):
    client.force_login(east_a_user)
    form = client.get(reverse("compounds:create"))
    assert form.status_code == 200
    # Only the user's own community is offered.
    choices = [value for value, _label in form.context["form"].fields["community"].choices]
    assert choices == ["", area.east_a.pk]
    response = client.post(reverse("compounds:create"), compound_post(area))
    compound = Compound.objects.get(name="海军公寓")
    assert response.status_code == 302
    assert response["Location"] == reverse("compounds:detail", args=[compound.pk])
    assert (compound.community, compound.households, compound.property_management) == (
        area.east_a, 120, "company"
    )
    assert compound.has_owners_committee and not compound.has_party_branch
    page = html(client.get(response["Location"]))
    assert "海军公寓" in page and "长江中路1号" in page


def test_create_errors_sit_next_to_their_fields_and_keep_what_was_typed(
    client, area, east_user
):
    client.force_login(east_user)
    response = client.post(
        reverse("compounds:create"),
        compound_post(area, name="长江路小区", build_year="1850", address="滨海大道88号"),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"name", "build_year"}
    page = html(response)
    assert 'value="滨海大道88号"' in page and 'value="1850"' in page
    assert page.count('class="field-error"') == 2
    assert Compound.objects.filter(name="长江路小区").count() == 1


def test_create_with_a_community_outside_the_area_is_refused(client, area, east_user):
    client.force_login(east_user)
    response = client.post(
        reverse("compounds:create"), compound_post(area, community=area.west_a.pk)
    )
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["community"]
    assert not Compound.objects.filter(name="海军公寓").exists()


def test_create_page_in_chinese_by_default(client, area, east_user):
    client.force_login(east_user)
    response = client.post(reverse("compounds:create"), compound_post(area, name=""))
    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert required != "This field is required."
    assert f'<span class="field-error">{required}</span>' in html(response)


def test_edit_compound_round_trip(client, area, east_user):
    client.force_login(east_user)
    compound = area.compounds["育才苑"]
    grid = Grid.objects.create(community=area.east_b, name="第三网格")
    url = reverse("compounds:edit", args=[compound.pk])
    form = client.get(url).context["form"]
    assert form.initial["name"] == "育才苑"
    assert form.initial["community"] == area.east_b.pk
    response = client.post(
        url,
        compound_post(area, name="育才苑二期", community=area.east_b.pk, grid=grid.pk,
                      households="60", latitude="35.960000", longitude="120.180000"),
    )
    assert response.status_code == 302
    compound.refresh_from_db()
    assert (compound.name, compound.grid, compound.households) == ("育才苑二期", grid, 60)
    assert compound.latitude == Decimal("35.96")


def test_edit_shows_counted_figures_as_counted(client, area, east_user):
    client.force_login(east_user)
    compound = area.compounds["育才苑"]
    area.dwelling(compound, area="80.00")
    url = reverse("compounds:edit", args=[compound.pk])
    form = client.get(url).context["form"]
    assert form.fields["households"].disabled and form.fields["floor_area"].disabled
    # A disabled field ignores what is posted: the counted figure stays.
    response = client.post(url, compound_post(area, community=area.east_b.pk, name="育才苑",
                                              households="999"))
    assert response.status_code == 302
    compound.refresh_from_db()
    assert compound.households == 48  # typed before records; counted from the next change


def test_another_areas_pages_are_404(client, area, east_user):
    west = area.compounds["石油大院"]
    dwelling = area.dwelling(west)
    client.force_login(east_user)
    for url in [
        reverse("compounds:detail", args=[west.pk]),
        reverse("compounds:edit", args=[west.pk]),
        reverse("compounds:building", args=[dwelling.building_id]),
        reverse("compounds:building-edit", args=[dwelling.building_id]),
        reverse("compounds:dwelling-edit", args=[dwelling.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"name": "x", "building-number": "9"}).status_code == 404, url
    west.refresh_from_db()
    assert west.name == "石油大院"
    assert west.buildings.count() == 1


def test_anonymous_is_sent_to_login(client, area):
    for name in ["compounds:create", "compounds:export"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- buildings and dwellings ---------------------------------------------------------


def test_add_building_on_the_compound_page(client, area, east_a_user):
    client.force_login(east_a_user)
    compound = area.compounds["长江路小区"]
    url = reverse("compounds:detail", args=[compound.pk])
    response = client.post(url, {"building-number": "3", "building-units": "2",
                                  "building-floors": "6", "building-build_year": ""})
    assert response.status_code == 302
    building = compound.buildings.get()
    assert (building.number, building.units, building.floors) == ("3", 2, 6)
    compound.refresh_from_db()
    assert compound.building_count == 1
    page = html(client.get(url))
    assert reverse("compounds:building", args=[building.pk]) in page
    # A duplicate comes back next to the number, with what was typed.
    response = client.post(url, {"building-number": "3", "building-units": "4",
                                  "building-floors": "6"})
    assert response.status_code == 200
    assert list(response.context["building_form"].errors) == ["number"]
    assert 'value="4"' in html(response)


def test_add_and_edit_a_dwelling(client, area, east_user):
    client.force_login(east_user)
    compound = area.compounds["育才苑"]
    building = Building.objects.create(compound=compound, number="1")
    url = reverse("compounds:building", args=[building.pk])
    response = client.post(url, {
        "dwelling-unit": "1", "dwelling-number": "101", "dwelling-area": "72.50",
        "dwelling-owner_ref": "O-1", "dwelling-owner_name": "张三",
        "dwelling-owner_phone": "13812345678",
    })
    assert response.status_code == 302
    dwelling = Dwelling.objects.get()
    assert (dwelling.area, dwelling.owner_name) == (Decimal("72.50"), "张三")
    compound.refresh_from_db()
    assert (compound.households, compound.floor_area) == (1, Decimal("72.50"))
    page = html(client.get(url))
    assert "张三" in page and "O-1" in page

    edit = reverse("compounds:dwelling-edit", args=[dwelling.pk])
    assert client.get(edit).context["form"].initial["owner_phone"] == "13812345678"
    response = client.post(edit, {"unit": "1", "number": "101", "area": "70.00",
                                  "owner_ref": "O-1", "owner_name": "张三",
                                  "owner_phone": "13812345678"})
    assert response.status_code == 302
    compound.refresh_from_db()
    assert compound.floor_area == Decimal("70.00")
    response = client.post(edit, {"unit": "1", "number": "101", "area": "abc",
                                  "owner_ref": "O-1"})
    assert list(response.context["form"].errors) == ["area"]


def test_community_staff_see_owner_names_masked_and_cannot_type_them(
    client, area, east_a_user
):
    dwelling = area.dwelling(area.compounds["长江路小区"])
    Dwelling.objects.filter(pk=dwelling.pk).update(owner_name="王小五", owner_phone="13812345678")
    client.force_login(east_a_user)
    page = html(client.get(reverse("compounds:building", args=[dwelling.building_id])))
    assert "王**" in page and "王小五" not in page
    form = client.get(reverse("compounds:building", args=[dwelling.building_id])).context[
        "dwelling_form"
    ]
    assert "owner_name" not in form.fields and "owner_phone" not in form.fields
    edit = html(client.get(reverse("compounds:dwelling-edit", args=[dwelling.pk])))
    assert "138****5678" in edit and "13812345678" not in edit
    response = client.post(reverse("compounds:dwelling-edit", args=[dwelling.pk]),
                           {"unit": "2", "number": "101", "area": "72.50", "owner_ref": "O-1"})
    assert response.status_code == 302
    dwelling.refresh_from_db()
    assert (dwelling.unit, dwelling.owner_name) == ("2", "王小五")


def test_edit_building(client, area, east_user):
    client.force_login(east_user)
    building = Building.objects.create(compound=area.compounds["育才苑"], number="1")
    Building.objects.create(compound=area.compounds["育才苑"], number="2")
    url = reverse("compounds:building-edit", args=[building.pk])
    response = client.post(url, {"number": "1", "units": "3", "floors": "7"})
    assert response.status_code == 302
    building.refresh_from_db()
    assert (building.units, building.floors) == (3, 7)
    response = client.post(url, {"number": "2", "units": "3", "floors": "0"})
    assert set(response.context["form"].errors) == {"number", "floors"}


# --- list filters and export ---------------------------------------------------------


def export_names(response) -> list[str]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "名称"
    return [row[0] for row in rows[1:]]


def page_names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


@pytest.fixture
def varied(area):
    Compound.objects.filter(name="育才苑").update(
        build_year=1998, property_management="company", has_owners_committee=True
    )
    area.compound("海军公寓", area.east_b, build_year=1985, has_owners_committee=True)
    area.compound("新港湾", area.west_a, build_year=2008, property_management="company")
    return area


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["新港湾", "海军公寓", "石油大院", "育才苑", "长江路小区"]),
        ({"build_year_from": "1990", "build_year_to": "2000"}, ["育才苑", "长江路小区"]),
        ({"eligible": "false"}, ["新港湾", "石油大院"]),
        ({"property_management": "company"}, ["新港湾", "育才苑"]),
        ({"has_owners_committee": "true", "q": "苑"}, ["育才苑"]),
        ({"has_owners_committee": "false", "subdistrict": "east"}, ["长江路小区"]),
    ],
)
def test_export_holds_exactly_the_filtered_list(client, varied, district_user, params,
                                                expected):
    if params.get("subdistrict") == "east":
        params = {**params, "subdistrict": varied.east.pk}
    client.force_login(district_user)
    listed = client.get(reverse("compounds:list"), params)
    assert sorted(page_names(listed)) == sorted(expected)
    assert sorted(export_names(client.get(reverse("compounds:export"), params))) == sorted(
        expected
    )
    # The page links to the export of the same query.
    query = listed.context["query"]
    link = f'{reverse("compounds:export")}{"?" + query if query else ""}'
    assert f'href="{link}"' in html_lib.unescape(html(listed))


def test_export_respects_the_area_gate(client, varied, east_user):
    client.force_login(east_user)
    names = export_names(client.get(reverse("compounds:export")))
    assert sorted(names) == ["海军公寓", "育才苑", "长江路小区"]
    assert export_names(
        client.get(reverse("compounds:export"), {"subdistrict": varied.west.pk})
    ) == []


def test_export_with_bad_filters_goes_back_to_the_list(client, area, district_user):
    client.force_login(district_user)
    response = client.get(reverse("compounds:export"), {"build_year_from": "soon"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("compounds:list"))
    listed = client.get(response["Location"])
    assert 'role="alert"' in html(listed)


def test_export_columns(client, area, district_user):
    Compound.objects.filter(name="育才苑").update(floor_area=Decimal("1234.50"))
    client.force_login(district_user)
    response = client.get(reverse("compounds:export"), {"q": "育才苑"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["街道"] == "黄岛街道"
    assert record["社区"] == "渡口社区"
    assert record["建成年份"] == 1992
    assert record["户数"] == 48
    assert Decimal(str(record["建筑面积（㎡）"])) == Decimal("1234.5")


# --- constant queries ----------------------------------------------------------------


def _more_compounds(area, extra: int) -> None:
    for i in range(extra):
        compound = area.compound(f"新建小区{i}", area.east_a, has_owners_committee=True)
        area.dwelling(compound, building=str(i % 3))


@pytest.mark.parametrize("extra", [1, 30])
def test_filtered_list_and_export_run_constant_queries(client, area, east_user, extra,
                                                       django_assert_num_queries):
    _more_compounds(area, extra)
    client.force_login(east_user)
    params = {"has_owners_committee": "true", "build_year_from": "1980", "eligible": "true"}
    # session, user, count, page rows, subdistrict options, community options
    with django_assert_num_queries(6):
        client.get(reverse("compounds:list"), params)
    # session, user, rows
    with django_assert_num_queries(3):
        response = client.get(reverse("compounds:export"), params)
    assert len(export_names(response)) == extra


@pytest.mark.parametrize("extra", [1, 30])
def test_compound_and_building_pages_run_constant_queries(client, area, east_user, extra,
                                                          django_assert_num_queries):
    compound = area.compounds["育才苑"]
    for i in range(extra):
        area.dwelling(compound, building=str(i % 5), number=str(100 + i))
    building = compound.buildings.first()
    client.force_login(east_user)
    with django_assert_num_queries(4):  # session, user, compound, buildings with counts
        client.get(reverse("compounds:detail", args=[compound.pk]))
    with django_assert_num_queries(5):  # session, user, building, count, dwellings
        response = client.get(reverse("compounds:building", args=[building.pk]))
    assert response.context["page"].paginator.count == building.dwellings.count()
    # session, user, compound, counted figures, community choices, grid choices
    with django_assert_num_queries(6):
        client.get(reverse("compounds:edit", args=[compound.pk]))
