"""Registry writes: who may add what where, duplicates, and compound totals that follow
the building and dwelling records."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from compounds import services
from compounds.errors import ApplicationError
from compounds.models import Compound, Grid, Subdistrict
from compounds.selectors import compound_counted_fields

pytestmark = pytest.mark.django_db


def field_errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --- subdistricts and communities ----------------------------------------------------


def test_district_adds_a_subdistrict_with_its_name_trimmed(district_user):
    subdistrict = services.subdistrict_create(by=district_user, name="  长江路街道 ")
    assert subdistrict.name == "长江路街道"
    assert Subdistrict.objects.filter(name="长江路街道").exists()


def test_superuser_adds_a_subdistrict(db, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x-very-long-pw")
    assert services.subdistrict_create(by=root, name="灵珠山街道").pk


@pytest.mark.parametrize("who", ["east_user", "east_a_user", "roleless_user"])
def test_only_the_district_adds_subdistricts(request, area, who):
    with pytest.raises(ApplicationError) as exc:
        services.subdistrict_create(by=request.getfixturevalue(who), name="灵珠山街道")
    assert exc.value.status_code == 403
    assert not Subdistrict.objects.filter(name="灵珠山街道").exists()


def test_duplicate_subdistrict_is_a_field_error(area, district_user):
    with pytest.raises(ValidationError) as exc:
        services.subdistrict_create(by=district_user, name=" 黄岛街道")
    assert list(field_errors(exc)) == ["name"]
    assert "黄岛街道" in field_errors(exc)["name"][0]


def test_blank_subdistrict_name_is_a_field_error(district_user):
    with pytest.raises(ValidationError) as exc:
        services.subdistrict_create(by=district_user, name="   ")
    assert list(field_errors(exc)) == ["name"]


def test_subdistrict_staff_add_communities_in_their_own_subdistrict(area, east_user):
    community = services.community_create(
        by=east_user, name=" 新区社区 ", subdistrict_id=area.east.pk
    )
    assert (community.name, community.subdistrict) == ("新区社区", area.east)


def test_subdistrict_staff_cannot_add_a_community_elsewhere(area, east_user):
    with pytest.raises(ValidationError) as exc:
        services.community_create(by=east_user, name="新区社区", subdistrict_id=area.west.pk)
    assert list(field_errors(exc)) == ["subdistrict"]
    # The same words as for a subdistrict that does not exist: nothing is confirmed.
    with pytest.raises(ValidationError) as missing:
        services.community_create(by=east_user, name="新区社区", subdistrict_id=999_999)
    assert field_errors(missing) == field_errors(exc)


def test_district_adds_communities_anywhere(area, district_user):
    assert services.community_create(
        by=district_user, name="新区社区", subdistrict_id=area.west.pk
    ).subdistrict == area.west


def test_community_staff_cannot_add_communities(area, east_a_user):
    with pytest.raises(ApplicationError) as exc:
        services.community_create(by=east_a_user, name="新区社区", subdistrict_id=area.east.pk)
    assert exc.value.status_code == 403


def test_duplicate_community_and_bad_subdistrict_are_reported_together(area, east_user):
    with pytest.raises(ValidationError) as exc:
        services.community_create(by=east_user, name="南屯社区", subdistrict_id=area.west.pk)
    assert set(field_errors(exc)) == {"name", "subdistrict"}


def test_grids_are_added_in_the_users_area_only(area, east_a_user):
    grid = services.grid_create(by=east_a_user, community_id=area.east_a.pk, name=" 第一网格")
    assert grid.name == "第一网格"
    with pytest.raises(ValidationError) as exc:
        services.grid_create(by=east_a_user, community_id=area.east_b.pk, name="第一网格")
    assert list(field_errors(exc)) == ["community"]
    with pytest.raises(ValidationError) as exc:
        services.grid_create(by=east_a_user, community_id=area.east_a.pk, name="第一网格")
    assert list(field_errors(exc)) == ["name"]


# --- compounds -----------------------------------------------------------------------


def test_community_staff_add_a_compound_in_their_community(area, east_a_user):
    compound = services.compound_create(
        by=east_a_user,
        name="  海军公寓 ",
        community_id=area.east_a.pk,
        address=" 长江中路1号 ",
        build_year=1995,
        households=120,
    )
    compound.refresh_from_db()
    assert (compound.name, compound.address, compound.households) == (
        "海军公寓", "长江中路1号", 120
    )
    assert compound.is_eligible


@pytest.mark.parametrize(
    ("who", "community"),
    [("east_a_user", "east_b"), ("east_user", "west_a"), ("west_user", "east_a")],
)
def test_a_compound_outside_the_area_is_refused_on_the_community_field(
    request, area, who, community
):
    with pytest.raises(ValidationError) as exc:
        services.compound_create(
            by=request.getfixturevalue(who),
            name="海军公寓",
            community_id=getattr(area, community).pk,
            build_year=1995,
        )
    assert list(field_errors(exc)) == ["community"]
    assert not Compound.objects.filter(name="海军公寓").exists()


def test_roleless_account_adds_nothing(area, roleless_user):
    with pytest.raises(ValidationError) as exc:
        services.compound_create(
            by=roleless_user, name="海军公寓", community_id=area.east_a.pk, build_year=1995
        )
    assert list(field_errors(exc)) == ["community"]


def test_duplicate_compound_name_in_a_community_is_a_field_error(area, east_user):
    with pytest.raises(ValidationError) as exc:
        services.compound_create(
            by=east_user, name=" 长江路小区", community_id=area.east_a.pk, build_year=1995
        )
    assert list(field_errors(exc)) == ["name"]
    # The same name in another community is another compound.
    other = services.compound_create(
        by=east_user, name="长江路小区", community_id=area.east_b.pk, build_year=1995
    )
    assert other.community == area.east_b


def test_every_bad_compound_field_is_named_at_once(area, east_user):
    with pytest.raises(ValidationError) as exc:
        services.compound_create(
            by=east_user,
            name="长江路小区",
            community_id=area.east_a.pk,
            build_year=1850,
            property_management="nobody",
            latitude=Decimal("91"),
        )
    assert set(field_errors(exc)) == {"name", "build_year", "property_management", "latitude"}


def test_a_compounds_grid_must_be_in_its_community(area, district_user):
    grid = Grid.objects.create(community=area.east_b, name="第二网格")
    with pytest.raises(ValidationError) as exc:
        services.compound_create(
            by=district_user, name="海军公寓", community_id=area.east_a.pk, build_year=1995,
            grid_id=grid.pk,
        )
    assert list(field_errors(exc)) == ["grid"]
    compound = services.compound_create(
        by=district_user, name="海军公寓", community_id=area.east_b.pk, build_year=1995,
        grid_id=grid.pk,
    )
    assert compound.grid == grid


def test_compound_update_changes_fields(area, east_user):
    compound = area.compounds["长江路小区"]
    services.compound_update(
        by=east_user,
        compound_id=compound.pk,
        data={"name": " 长江路新村 ", "community_id": area.east_b.pk, "has_party_branch": True},
    )
    compound.refresh_from_db()
    assert (compound.name, compound.community, compound.has_party_branch) == (
        "长江路新村", area.east_b, True
    )


def test_compound_update_outside_the_area_is_404(area, east_user):
    with pytest.raises(Http404):
        services.compound_update(
            by=east_user, compound_id=area.compounds["石油大院"].pk, data={"name": "x"}
        )


def test_compound_update_cannot_move_it_out_of_the_area(area, east_user):
    compound = area.compounds["长江路小区"]
    with pytest.raises(ValidationError) as exc:
        services.compound_update(
            by=east_user, compound_id=compound.pk, data={"community_id": area.west_a.pk}
        )
    assert list(field_errors(exc)) == ["community"]
    compound.refresh_from_db()
    assert compound.community == area.east_a


def test_compound_update_refuses_a_duplicate_name(area, district_user):
    compound = area.compounds["育才苑"]
    with pytest.raises(ValidationError) as exc:
        services.compound_update(
            by=district_user,
            compound_id=compound.pk,
            data={"name": "长江路小区", "community_id": area.east_a.pk},
        )
    assert list(field_errors(exc)) == ["name"]


def test_compound_update_refuses_unknown_fields(area, district_user):
    with pytest.raises(TypeError):
        services.compound_update(
            by=district_user, compound_id=area.compounds["育才苑"].pk, data={"created_at": 1}
        )


# --- buildings, dwellings and the compound's totals ----------------------------------


def test_typed_figures_stand_until_records_exist_then_records_decide(area, east_a_user):
    compound = area.compounds["长江路小区"]  # households typed: 48
    assert compound_counted_fields(compound_id=compound.pk) == set()
    building = services.building_create(
        by=east_a_user, compound_id=compound.pk, number=" 1 ", units=2, floors=6
    )
    compound.refresh_from_db()
    assert (building.number, compound.building_count, compound.households) == ("1", 1, 48)
    assert compound_counted_fields(compound_id=compound.pk) == {"building_count"}

    services.dwelling_create(
        by=east_a_user, building_id=building.pk, unit="1", number="101",
        area=Decimal("72.50"), owner_ref="O-1",
    )
    services.dwelling_create(
        by=east_a_user, building_id=building.pk, unit="1", number="102",
        area=Decimal("65.25"), owner_ref="O-1",
    )
    services.building_create(by=east_a_user, compound_id=compound.pk, number="2")
    compound.refresh_from_db()
    assert compound.building_count == 2
    assert compound.households == 2
    assert compound.floor_area == Decimal("137.75")
    counted = compound_counted_fields(compound_id=compound.pk)
    assert counted == {"building_count", "households", "floor_area"}


def test_counted_figures_cannot_be_typed_over(area, east_a_user):
    compound = area.compounds["长江路小区"]
    area.dwelling(compound)
    with pytest.raises(ValidationError) as exc:
        services.compound_update(
            by=east_a_user,
            compound_id=compound.pk,
            data={"households": 500, "floor_area": Decimal("1"), "residents": 300},
        )
    assert set(field_errors(exc)) == {"households", "floor_area"}
    # Sending the current value back (a full form, a PUT) is fine.
    compound.refresh_from_db()
    services.compound_update(
        by=east_a_user,
        compound_id=compound.pk,
        data={"households": compound.households, "residents": 300},
    )


def test_dwelling_area_change_moves_the_floor_area(area, east_user):
    compound = area.compounds["育才苑"]
    building = services.building_create(by=east_user, compound_id=compound.pk, number="3")
    dwelling = services.dwelling_create(
        by=east_user, building_id=building.pk, unit="2", number="201",
        area=Decimal("80.00"), owner_ref="K-9",
    )
    services.dwelling_update(by=east_user, dwelling_id=dwelling.pk, data={"area": Decimal("81.5")})
    compound.refresh_from_db()
    assert compound.floor_area == Decimal("81.50")


def test_duplicate_building_and_dwelling_are_field_errors(area, east_user):
    compound = area.compounds["育才苑"]
    building = services.building_create(by=east_user, compound_id=compound.pk, number="3")
    with pytest.raises(ValidationError) as exc:
        services.building_create(by=east_user, compound_id=compound.pk, number=" 3")
    assert list(field_errors(exc)) == ["number"]
    services.dwelling_create(
        by=east_user, building_id=building.pk, unit="1", number="101",
        area=Decimal("60"), owner_ref="A",
    )
    with pytest.raises(ValidationError) as exc:
        services.dwelling_create(
            by=east_user, building_id=building.pk, unit="1", number="101 ",
            area=Decimal("60"), owner_ref="B",
        )
    assert list(field_errors(exc)) == ["number"]
    # Another unit may have a 101 of its own.
    services.dwelling_create(
        by=east_user, building_id=building.pk, unit="2", number="101",
        area=Decimal("60"), owner_ref="B",
    )


def test_building_and_dwelling_field_checks(area, east_user):
    compound = area.compounds["育才苑"]
    with pytest.raises(ValidationError) as exc:
        services.building_create(
            by=east_user, compound_id=compound.pk, number="", units=0, floors=0,
            build_year=1800,
        )
    assert set(field_errors(exc)) == {"number", "units", "floors", "build_year"}
    building = services.building_create(by=east_user, compound_id=compound.pk, number="3")
    with pytest.raises(ValidationError) as exc:
        services.dwelling_create(
            by=east_user, building_id=building.pk, unit="", number="101",
            area=Decimal("0"), owner_ref=" ", owner_phone="call me",
        )
    assert set(field_errors(exc)) == {"unit", "area", "owner_ref", "owner_phone"}


def test_parents_outside_the_area_are_field_errors(area, east_user):
    west_compound = area.compounds["石油大院"]
    west_dwelling = area.dwelling(west_compound)
    with pytest.raises(ValidationError) as exc:
        services.building_create(by=east_user, compound_id=west_compound.pk, number="9")
    assert list(field_errors(exc)) == ["compound"]
    with pytest.raises(ValidationError) as exc:
        services.dwelling_create(
            by=east_user, building_id=west_dwelling.building_id, unit="1", number="102",
            area=Decimal("50"), owner_ref="X",
        )
    assert list(field_errors(exc)) == ["building"]
    with pytest.raises(Http404):
        services.building_update(
            by=east_user, building_id=west_dwelling.building_id, data={"floors": 7}
        )
    with pytest.raises(Http404):
        services.dwelling_update(by=east_user, dwelling_id=west_dwelling.pk, data={"unit": "2"})


def test_buildings_and_dwellings_stay_where_they_are(area, district_user):
    dwelling = area.dwelling(area.compounds["育才苑"])
    other = area.dwelling(area.compounds["长江路小区"])
    with pytest.raises(ValidationError) as exc:
        services.building_update(
            by=district_user, building_id=dwelling.building_id,
            data={"compound_id": other.building.compound_id},
        )
    assert list(field_errors(exc)) == ["compound"]
    with pytest.raises(ValidationError) as exc:
        services.dwelling_update(
            by=district_user, dwelling_id=dwelling.pk, data={"building_id": other.building_id}
        )
    assert list(field_errors(exc)) == ["building"]


# --- owners' personal data -----------------------------------------------------------


def test_community_staff_may_not_record_owner_contacts(area, east_a_user):
    building = area.dwelling(area.compounds["长江路小区"]).building
    with pytest.raises(ApplicationError) as exc:
        services.dwelling_create(
            by=east_a_user, building_id=building.pk, unit="1", number="102",
            area=Decimal("50"), owner_ref="X", owner_name="王五",
        )
    assert exc.value.status_code == 403


def test_community_staff_sending_back_masked_values_keeps_the_record(area, east_user,
                                                                     east_a_user):
    building = area.dwelling(area.compounds["长江路小区"]).building
    dwelling = services.dwelling_create(
        by=east_user, building_id=building.pk, unit="1", number="102", area=Decimal("50"),
        owner_ref="X", owner_name="王小五", owner_phone="13812345678",
    )
    assert (dwelling.masked_owner_name, dwelling.masked_owner_phone) == ("王**", "138****5678")
    services.dwelling_update(
        by=east_a_user,
        dwelling_id=dwelling.pk,
        data={"owner_name": "王**", "owner_phone": "138****5678", "number": "103"},
    )
    dwelling.refresh_from_db()
    assert (dwelling.number, dwelling.owner_name, dwelling.owner_phone) == (
        "103", "王小五", "13812345678"
    )
    with pytest.raises(ApplicationError):
        services.dwelling_update(
            by=east_a_user, dwelling_id=dwelling.pk, data={"owner_phone": "13900000000"}
        )


# --- cost ----------------------------------------------------------------------------


@pytest.mark.parametrize("existing", [1, 30])
def test_adding_a_dwelling_costs_the_same_whatever_the_compound_holds(
    area, district_user, existing, django_assert_num_queries
):
    compound = area.compounds["育才苑"]
    for i in range(existing):
        area.dwelling(compound, number=str(100 + i))
    building = compound.buildings.get()
    # gate+lock, our duplicate check, full_clean (building exists, unique constraint,
    # area check in a savepoint pair), insert in a savepoint pair, one totals aggregate,
    # one compound update, and the service's own savepoint pair (the test is a transaction)
    with django_assert_num_queries(14):
        services.dwelling_create(
            by=district_user, building_id=building.pk, unit="9", number="901",
            area=Decimal("70"), owner_ref="N",
        )
    compound.refresh_from_db()
    assert compound.households == existing + 1


def test_who_reads_owner_contacts(district_user, east_user, east_a_user, roleless_user):
    assert district_user.sees_owner_contact and east_user.sees_owner_contact
    assert not east_a_user.sees_owner_contact
    assert not roleless_user.sees_owner_contact
