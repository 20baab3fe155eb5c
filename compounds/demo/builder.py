"""Builds the demo district: plans from the seed, then bulk writes."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from compounds.demo.data import (
    ANCHOR_COMPOUNDS,
    BATCH_SIZE,
    BIG_YARDS,
    DEMO_PASSWORD,
    DWELLINGS_PER_FLOOR,
    GIVEN_NAMES,
    GRID_NAMES,
    MOBILE_PREFIXES,
    POETIC_PREFIXES,
    POETIC_SUFFIXES,
    PROPERTY_WEIGHTS,
    ROAD_SUFFIXES,
    SUBDISTRICTS,
    SURNAMES,
    TWO_DWELLING_PERCENT,
    WORK_UNIT_SUFFIXES,
    WORK_UNITS,
)
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
from compounds.services import staff_create


# --- The plan -------------------------------------------------------------------------
@dataclass
class CompoundPlan:
    community: str
    subdistrict: str
    name: str
    roads: list[str]
    centre: tuple[int, int]


@dataclass
class DwellingPlan:
    unit: str
    number: str
    cents: int
    owner: int  # index of the owner within the compound


@dataclass
class BuildingPlan:
    number: str
    units: int
    floors: int
    build_year: int
    dwellings: list[DwellingPlan] = field(default_factory=list)


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _micro(value: int) -> Decimal:
    """Micro-degrees (int) → degrees as a Decimal with six places."""
    return Decimal(value).scaleb(-6)


def _cents(value: int) -> Decimal:
    return Decimal(value).scaleb(-2)


def _build_year(rng: random.Random) -> int:
    """Mostly 1980–2000; about one in twenty-five compounds is 2001–2005."""
    if rng.random() < 0.04:
        return rng.randint(2001, 2005)
    decade = rng.choices([1980, 1990], weights=[45, 55])[0]
    return min(decade + rng.randint(0, 10), 2000)


def _plan_geography(
    seed: int, compounds_per_community: int | None
) -> tuple[dict[str, list[tuple[str, str]]], list[CompoundPlan]]:
    """Grids (with their workers) per community, and the compounds to build, in order.

    The name pools are shuffled by `random.Random(seed)` and dealt out to the communities
    (so names are unique in the whole district); everything else about a community comes
    from its own generator. A community's compounds are the first `count` of an endless
    sequence, so a bigger run only adds compounds to a smaller one.
    """
    rng = random.Random(seed)
    communities_in_order = [c for _, _, cs in SUBDISTRICTS for c, _ in cs]
    dealt: dict[str, dict[str, list[str]]] = {c: {} for c in communities_in_order}
    for pool_name, pool in [("poetic", POETIC_PREFIXES), ("units", WORK_UNITS),
                            ("yards", BIG_YARDS)]:
        shuffled = pool[:]
        rng.shuffle(shuffled)
        for position, community in enumerate(communities_in_order):
            dealt[community][pool_name] = shuffled[position :: len(communities_in_order)]

    grids: dict[str, list[tuple[str, str]]] = {}
    compounds: list[CompoundPlan] = []
    for subdistrict, centre, communities in SUBDISTRICTS:
        for index, (community, roads) in enumerate(communities):
            crng = random.Random(f"{seed}/{community}")
            grid_count = crng.randint(2, 4)
            grids[community] = [(name, _person_name(crng)) for name in GRID_NAMES[:grid_count]]
            drawn_count = crng.randint(9, 14)
            count = compounds_per_community or drawn_count
            # Each community sits a little away from its subdistrict's centre.
            offset_lat = crng.randint(-9_000, 9_000) + (index - 2) * 2_500
            offset_lng = crng.randint(-12_000, 12_000) + (index - 2) * 3_000
            community_centre = (centre[0] + offset_lat, centre[1] + offset_lng)
            poetic = dealt[community]["poetic"][:]
            units = dealt[community]["units"][:]
            yards = dealt[community]["yards"][:]
            names = ANCHOR_COMPOUNDS.get(community, [])[:count]
            # Roads are the community's own, so road names are unique in the district too.
            while len(names) < count:
                kind = crng.random()
                if kind < 0.30 and poetic:
                    name = poetic.pop() + crng.choice(POETIC_SUFFIXES)
                elif kind < 0.62 and units:
                    name = units.pop() + crng.choice(WORK_UNIT_SUFFIXES)
                elif kind < 0.65 and yards:
                    name = yards.pop()
                elif kind < 0.80:
                    name = f"{crng.choice(roads)}{crng.randint(1, 60 + len(names)) * 2 + 1}号院"
                else:
                    name = crng.choice(roads) + crng.choice(ROAD_SUFFIXES)
                if name not in names:
                    names.append(name)
            compounds.extend(
                CompoundPlan(community, subdistrict, name, roads, community_centre)
                for name in names
            )
    return grids, compounds


def _plan_compound(seed: int, plan: CompoundPlan) -> dict:
    """Everything about one compound, drawn from its own generator."""
    rng = random.Random(f"{seed}/{plan.community}/{plan.name}")
    build_year = _build_year(rng)
    typical_floors = rng.randint(4, 7)
    typical_units = rng.randint(1, 4)
    # Older compounds have smaller flats.
    low, high = (3800, 8200) if build_year < 1990 else (5200, 12000)
    buildings: list[BuildingPlan] = []
    owner_count = 0
    for number in range(1, rng.randint(2, 10) + 1):
        floors = min(7, max(4, typical_floors + rng.choice([0, 0, 0, -1, 1])))
        units = min(4, max(1, typical_units + rng.choice([0, 0, -1, 1])))
        year = min(build_year + rng.choice([0, 0, 0, 0, 1, 2]), max(build_year, 2000))
        building = BuildingPlan(str(number), units, floors, year)
        for unit in range(1, units + 1):
            # One layout per position in the staircase, repeated on every floor.
            layouts = [rng.randint(low, high) for _ in range(DWELLINGS_PER_FLOOR)]
            for floor in range(1, floors + 1):
                for position, cents in enumerate(layouts, start=1):
                    building.dwellings.append(
                        DwellingPlan(str(unit), f"{floor}{position:02d}", cents, owner_count)
                    )
                    owner_count += 1
        buildings.append(building)

    dwellings = [d for b in buildings for d in b.dwellings]
    # About 3% of owners own a second dwelling in the same compound.
    # (Rounded at random, so small compounds get a pair now and then.)
    pairs = (len(dwellings) * TWO_DWELLING_PERCENT + rng.randrange(100)) // 100
    pairs = min(pairs, len(dwellings) // 2)
    chosen = rng.sample(range(len(dwellings)), pairs * 2)
    for first, second in zip(chosen[::2], chosen[1::2], strict=True):
        dwellings[second].owner = dwellings[first].owner
    # Renumber owners densely, in dwelling order.
    dense: dict[int, int] = {}
    for dwelling in dwellings:
        dwelling.owner = dense.setdefault(dwelling.owner, len(dense))
    owners = [
        (_person_name(rng), _mobile(rng) if rng.random() < 0.92 else "") for _ in dense
    ]

    households = len(dwellings)
    lat = plan.centre[0] + rng.randint(-6_000, 6_000)
    lng = plan.centre[1] + rng.randint(-7_500, 7_500)
    road = next((r for r in plan.roads if plan.name.startswith(r)), rng.choice(plan.roads))
    district = settings.PORTAL_DISTRICT_NAME
    weights = [w for _, w in PROPERTY_WEIGHTS]
    property_management = rng.choices([p for p, _ in PROPERTY_WEIGHTS], weights=weights)[0]
    managed = property_management != PropertyManagement.NONE
    return {
        "build_year": build_year,
        "buildings": buildings,
        "owners": owners,
        "households": households,
        "residents": households * rng.randint(230, 290) // 100,
        "floor_area": sum((_cents(d.cents) for d in dwellings), Decimal("0.00")),
        "address": f"{district}{plan.subdistrict}{road}{rng.randint(1, 300)}号",
        "property_management": property_management,
        "has_owners_committee": rng.random() < (0.55 if managed else 0.2),
        "has_party_branch": rng.random() < 0.6,
        "grid_pick": rng.randrange(1_000_000),
        "latitude": _micro(lat),
        "longitude": _micro(lng),
    }


# --- Writing ----------------------------------------------------------------------------
def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _next_owner_serial() -> int:
    top = (
        Dwelling.objects.filter(owner_ref__regex=r"^O-[0-9]{6}$")
        .aggregate(top=Max("owner_ref"))
        .get("top")
    )
    return int(top[2:]) + 1 if top else 1


def _ensure_staff(first_subdistrict: str, first_community: str) -> int:
    created = 0
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser(
            username="admin",
            password=DEMO_PASSWORD,
            role=Role.DISTRICT,
            first_name="系统管理员",
            email="",
        )
        created += 1
    accounts = [
        ("district", Role.DISTRICT, None, "区城市更新办"),
        ("subdistrict", Role.SUBDISTRICT, first_subdistrict, f"{first_subdistrict}城建办"),
        ("community", Role.COMMUNITY, first_community, f"{first_community}社区工作者"),
    ]
    for username, role, area, full_name in accounts:
        if User.objects.filter(username=username).exists():
            continue
        staff_create(
            username=username, password=DEMO_PASSWORD, role=role, area=area, full_name=full_name
        )
        created += 1
    return created


def _counts() -> dict[str, int]:
    return {
        "subdistricts": Subdistrict.objects.count(),
        "communities": Community.objects.count(),
        "grids": Grid.objects.count(),
        "compounds": Compound.objects.count(),
        "buildings": Building.objects.count(),
        "dwellings": Dwelling.objects.count(),
        "users": User.objects.count(),
    }


def load_demo(
    *, seed: int = 2020, stdout=None, compounds_per_community: int | None = None
) -> dict:
    """Build (or complete) the demo district. Returns the totals and what was created.

    `compounds_per_community` fixes the number of compounds in every community (tests use
    a small one); by default each community gets 9–14, about 300 in the district.
    """

    def say(message: str) -> None:
        if stdout is not None:
            stdout.write(message + "\n")

    started = time.monotonic()
    grid_plan, compound_plans = _plan_geography(seed, compounds_per_community)
    before = _counts()

    with transaction.atomic():
        # Subdistricts and communities, by name.
        Subdistrict.objects.bulk_create(
            [Subdistrict(name=name) for name, _, _ in SUBDISTRICTS], ignore_conflicts=True
        )
        subdistricts = dict(
            Subdistrict.objects.filter(name__in=[s[0] for s in SUBDISTRICTS]).values_list(
                "name", "id"
            )
        )
        Community.objects.bulk_create(
            [
                Community(
                    name=name,
                    subdistrict_id=subdistricts[sub],
                    # A believable 0532 office line, fixed by the community's place in the
                    # list, so every run gives the same number.
                    office_phone=f"0532-8685{number:04d}",
                    office_address=f"{name}居民委员会（{sub}）",
                )
                for number, (sub, name) in enumerate(
                    ((sub, name) for sub, _, members in SUBDISTRICTS for name, _ in members),
                    start=1201,
                )
            ],
            ignore_conflicts=True,
        )
        communities = dict(
            Community.objects.filter(name__in=list(grid_plan)).values_list("name", "id")
        )

        # Grids, by community + name.
        Grid.objects.bulk_create(
            [
                Grid(community_id=communities[community], name=name, worker_name=worker)
                for community, grids in grid_plan.items()
                for name, worker in grids
            ],
            ignore_conflicts=True,
        )
        grid_ids: dict[str, list[int]] = {}
        for grid_id, community_id in Grid.objects.filter(
            community_id__in=list(communities.values())
        ).order_by("name").values_list("id", "community_id"):
            grid_ids.setdefault(community_id, []).append(grid_id)

        # Compounds: skip those that exist; draw and write the rest.
        existing = set(
            Compound.objects.filter(community_id__in=list(communities.values())).values_list(
                "community_id", "name"
            )
        )
        todo = [p for p in compound_plans if (communities[p.community], p.name) not in existing]
        say(f"{len(compound_plans) - len(todo)} demo compounds exist, {len(todo)} to build.")
        drawn = [(plan, _plan_compound(seed, plan)) for plan in todo]

        new_compounds = []
        for plan, data in drawn:
            community_id = communities[plan.community]
            grids_here = grid_ids[community_id]
            grid_id = grids_here[data["grid_pick"] % len(grids_here)]
            new_compounds.append(
                Compound(
                    name=plan.name,
                    community_id=community_id,
                    grid_id=grid_id,
                    address=data["address"],
                    build_year=data["build_year"],
                    households=data["households"],
                    residents=data["residents"],
                    building_count=len(data["buildings"]),
                    floor_area=data["floor_area"],
                    property_management=data["property_management"],
                    has_owners_committee=data["has_owners_committee"],
                    has_party_branch=data["has_party_branch"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                )
            )
        Compound.objects.bulk_create(new_compounds, batch_size=BATCH_SIZE)
        compound_ids: dict[tuple[int, str], int] = {}
        for chunk in _chunks([(c.community_id, c.name) for c in new_compounds]):
            names = {name for _, name in chunk}
            for cid, community_id, name in Compound.objects.filter(
                community_id__in={community_id for community_id, _ in chunk}, name__in=names
            ).values_list("id", "community_id", "name"):
                compound_ids[(community_id, name)] = cid

        new_buildings = []
        for plan, data in drawn:
            compound_id = compound_ids[(communities[plan.community], plan.name)]
            new_buildings.extend(
                Building(
                    compound_id=compound_id,
                    number=b.number,
                    units=b.units,
                    floors=b.floors,
                    build_year=b.build_year,
                )
                for b in data["buildings"]
            )
        Building.objects.bulk_create(new_buildings, batch_size=BATCH_SIZE)
        building_ids: dict[tuple[int, str], int] = {}
        for chunk in _chunks(sorted(set(compound_ids.values()))):
            for bid, compound_id, number in Building.objects.filter(
                compound_id__in=chunk
            ).values_list("id", "compound_id", "number"):
                building_ids[(compound_id, number)] = bid

        # Dwellings, with owner keys numbered on from the highest demo key in use.
        serial = _next_owner_serial() if drawn else 1
        batch: list[Dwelling] = []
        dwelling_total = 0
        for plan, data in drawn:
            compound_id = compound_ids[(communities[plan.community], plan.name)]
            owners = data["owners"]
            for building in data["buildings"]:
                building_id = building_ids[(compound_id, building.number)]
                for d in building.dwellings:
                    owner_name, owner_phone = owners[d.owner]
                    batch.append(
                        Dwelling(
                            building_id=building_id,
                            unit=d.unit,
                            number=d.number,
                            area=_cents(d.cents),
                            owner_ref=f"O-{serial + d.owner:06d}",
                            owner_name=owner_name,
                            owner_phone=owner_phone,
                        )
                    )
                    if len(batch) >= BATCH_SIZE:
                        Dwelling.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                        dwelling_total += len(batch)
                        batch = []
            serial += len(owners)
        if batch:
            Dwelling.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            dwelling_total += len(batch)
        say(
            f"Built {len(new_compounds)} compounds, {len(new_buildings)} buildings, "
            f"{dwelling_total} dwellings."
        )

        first_subdistrict, _, first_communities = SUBDISTRICTS[0]
        _ensure_staff(first_subdistrict, first_communities[0][0])

    after = _counts()
    result: dict = dict(after)
    result["created"] = {key: after[key] - before[key] for key in after}
    result["seconds"] = round(time.monotonic() - started, 2)
    return result
