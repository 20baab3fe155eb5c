"""`load_demo`: the demo district is complete, consistent, deterministic and idempotent."""

from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from compounds.demo import DEMO_PASSWORD, builder, data, load_demo
from compounds.models import (
    Building,
    Community,
    Compound,
    Dwelling,
    Grid,
    PropertyManagement,
    Role,
    Subdistrict,
    User,
)

SMALL = 2  # compounds per community in these tests: 26 communities → 52 compounds
MODELS = [Subdistrict, Community, Grid, Compound, Building, Dwelling, User]


def table_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def snapshot() -> list[tuple]:
    """Everything that should come out the same from the same seed (ids aside)."""
    return sorted(
        Dwelling.objects.values_list(
            "building__compound__community__subdistrict__name",
            "building__compound__community__name",
            "building__compound__grid__name",
            "building__compound__grid__worker_name",
            "building__compound__name",
            "building__compound__build_year",
            "building__compound__residents",
            "building__compound__property_management",
            "building__compound__latitude",
            "building__compound__longitude",
            "building__compound__address",
            "building__number",
            "building__floors",
            "unit",
            "number",
            "area",
            "owner_ref",
            "owner_name",
            "owner_phone",
        )
    )


@pytest.fixture
def small_demo(db) -> dict:
    return load_demo(seed=2020, compounds_per_community=SMALL)


@pytest.mark.django_db
def test_structure(small_demo):
    assert 5 <= Subdistrict.objects.count() <= 7
    communities = list(Community.objects.select_related("subdistrict"))
    assert all(c.subdistrict_id is not None for c in communities)
    assert all(c.name.endswith("社区") for c in communities)
    per_subdistrict = Counter(c.subdistrict.name for c in communities)
    assert set(per_subdistrict) == set(Subdistrict.objects.values_list("name", flat=True))
    assert all(3 <= n <= 5 for n in per_subdistrict.values()), per_subdistrict

    grids = Counter(Grid.objects.values_list("community_id", flat=True))
    assert set(grids) == {c.id for c in communities}
    assert all(2 <= n <= 4 for n in grids.values())
    assert all(g.name.startswith("第") and g.name.endswith("网格") and g.worker_name
               for g in Grid.objects.all())

    assert Compound.objects.count() == SMALL * len(communities)
    assert small_demo["compounds"] == SMALL * len(communities)
    assert small_demo["created"]["compounds"] == SMALL * len(communities)


@pytest.mark.django_db
def test_compound_totals_match_buildings_and_dwellings(small_demo):
    buildings = defaultdict(list)
    for b in Building.objects.all():
        buildings[b.compound_id].append(b)
    dwellings = defaultdict(list)
    for d in Dwelling.objects.select_related("building"):
        dwellings[d.building.compound_id].append(d)

    for compound in Compound.objects.select_related("grid"):
        mine = dwellings[compound.id]
        assert compound.households == len(mine) > 0
        assert compound.building_count == len(buildings[compound.id])
        assert 2 <= compound.building_count <= 10
        total = sum((d.area for d in mine), Decimal("0"))
        assert isinstance(compound.floor_area, Decimal)
        assert compound.floor_area == total
        # 2.3–2.9 residents a household, in integers.
        assert compound.households * 23 // 10 <= compound.residents
        assert compound.residents <= compound.households * 29 // 10
        assert compound.grid.community_id == compound.community_id
        assert 1980 <= compound.build_year <= 2005
        assert compound.property_management in PropertyManagement.values
        assert compound.address
        assert Decimal("35.80") < compound.latitude < Decimal("36.10")
        assert Decimal("119.90") < compound.longitude < Decimal("120.35")

    for building_list in buildings.values():
        numbers = sorted(int(b.number) for b in building_list)
        assert numbers == list(range(1, len(numbers) + 1))
    per_building = Counter(Dwelling.objects.values_list("building_id", flat=True))
    for b in Building.objects.all():
        assert 1 <= b.units <= 4 and 4 <= b.floors <= 7
        assert per_building[b.id] == b.units * b.floors * 2


@pytest.mark.django_db
def test_dwellings_look_real(small_demo):
    rows = list(Dwelling.objects.values_list("unit", "number", "area", "owner_name", "owner_phone"))
    for unit, number, area, owner_name, owner_phone in rows:
        assert unit in {"1", "2", "3", "4"}
        floor, position = int(number[:-2]), number[-2:]
        assert 1 <= floor <= 7 and position in {"01", "02"}
        assert Decimal("38.00") <= area <= Decimal("120.00")
        assert area == area.quantize(Decimal("0.01"))
        assert 2 <= len(owner_name) <= 3
        assert owner_phone == "" or (len(owner_phone) == 11 and owner_phone.startswith("1"))
    with_phone = sum(1 for row in rows if row[4])
    assert with_phone > 0.8 * len(rows)


@pytest.mark.django_db
def test_some_owners_own_two_dwellings_in_one_compound(small_demo):
    refs = Dwelling.objects.values_list("owner_ref", "building__compound_id", "owner_name")
    by_ref = defaultdict(list)
    for ref, compound_id, name in refs:
        assert ref.startswith("O-") and len(ref) == 8
        by_ref[ref].append((compound_id, name))
    shared = {ref: rows for ref, rows in by_ref.items() if len(rows) > 1}
    assert shared, "no owner owns two dwellings"
    for rows in shared.values():
        assert len(rows) == 2
        assert len({compound_id for compound_id, _ in rows}) == 1  # same compound
        assert len({name for _, name in rows}) == 1  # same person
    # About 3% of owners: between 1% and 6% allowing for the small sample.
    assert 0.01 < len(shared) / len(by_ref) < 0.06


@pytest.mark.django_db
def test_running_twice_changes_nothing(small_demo):
    counts = table_counts()
    before = snapshot()
    again = load_demo(seed=2020, compounds_per_community=SMALL)
    assert table_counts() == counts
    assert snapshot() == before
    assert set(again["created"].values()) == {0}


@pytest.mark.django_db
def test_same_seed_same_district():
    load_demo(seed=7, compounds_per_community=1)
    first = snapshot()
    User.objects.all().delete()
    Compound.objects.all().delete()  # cascades to buildings and dwellings
    Grid.objects.all().delete()
    Community.objects.all().delete()
    Subdistrict.objects.all().delete()
    load_demo(seed=7, compounds_per_community=1)
    assert snapshot() == first


@pytest.mark.django_db
def test_growing_the_district_keeps_owner_keys_unique():
    load_demo(seed=2020, compounds_per_community=1)
    load_demo(seed=2020, compounds_per_community=SMALL)
    assert Compound.objects.count() == SMALL * Community.objects.count()
    compounds_of = defaultdict(set)
    for ref, compound_id in Dwelling.objects.values_list("owner_ref", "building__compound_id"):
        compounds_of[ref].add(compound_id)
    assert all(len(ids) == 1 for ids in compounds_of.values())


@pytest.mark.django_db
def test_demo_users(small_demo):
    first_subdistrict = data.SUBDISTRICTS[0][0]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.role == Role.DISTRICT

    district = User.objects.get(username="district")
    assert district.role == Role.DISTRICT and not district.is_superuser
    assert district.subdistrict is None and district.community is None

    sub = User.objects.get(username="subdistrict")
    assert sub.role == Role.SUBDISTRICT and sub.subdistrict.name == first_subdistrict
    assert sub.community is None

    com = User.objects.get(username="community")
    assert com.role == Role.COMMUNITY and com.subdistrict is None
    assert com.community.subdistrict.name == first_subdistrict

    request = RequestFactory().post("/accounts/login/")
    for username in ["admin", "district", "subdistrict", "community"]:
        user = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert user is not None and user.username == username
    assert authenticate(request, username="district", password="wrong-password-1") is None


@pytest.mark.django_db
def test_existing_accounts_are_left_alone():
    User.objects.create_user(username="district", password="someone-elses-pw-77")
    load_demo(seed=2020, compounds_per_community=1)
    user = User.objects.get(username="district")
    assert user.check_password("someone-elses-pw-77") and user.role == ""
    assert User.objects.filter(username__in=data.DEMO_STAFF).count() == 4


@pytest.mark.django_db
@override_settings(PORTAL_DISTRICT_NAME="测试新区")
def test_district_name_from_settings():
    load_demo(seed=2020, compounds_per_community=1)
    assert all(a.startswith("测试新区") for a in Compound.objects.values_list("address", flat=True))


@pytest.mark.django_db
def test_command_prints_logins_and_counts():
    out = StringIO()
    call_command("load_demo", "--seed", "2020", "--compounds-per-community", "1", stdout=out)
    text = out.getvalue()
    assert "WARNING" in text and "demo" in text.lower()
    for username in data.DEMO_STAFF:
        assert username in text
    assert DEMO_PASSWORD in text
    assert data.SUBDISTRICTS[0][0] in text  # the subdistrict account's area
    assert f"{Compound.objects.count()}" in text
    assert "dwellings" in text


def test_default_plan_is_a_district_of_about_300_compounds():
    """The full-size plan, in memory only (no database: the full build takes seconds)."""
    _grids, plans = builder._plan_geography(2020, None)
    assert 5 <= len(data.SUBDISTRICTS) <= 7
    assert 260 <= len(plans) <= 340
    names = [p.name for p in plans]
    assert len(set(names)) == len(names)  # unique even across the district
    community_names = [c for _, _, cs in data.SUBDISTRICTS for c, _ in cs]
    assert len(set(community_names)) == len(community_names)
    drawn = [builder._plan_compound(2020, p) for p in plans]
    years = [d["build_year"] for d in drawn]
    late = sum(1 for y in years if y > 2000)
    assert 3 <= late <= 25  # a handful, so "eligible" means something
    assert min(years) >= 1980 and max(years) <= 2005
    dwellings = sum(d["households"] for d in drawn)
    assert 40_000 <= dwellings <= 60_000


@pytest.mark.django_db
def test_every_community_has_an_office_to_call():
    load_demo(seed=2020, compounds_per_community=1)
    phones = list(Community.objects.values_list("office_phone", flat=True))
    assert phones and all(p.startswith("0532-8685") and len(p) == 13 for p in phones)
    assert len(set(phones)) == len(phones)
