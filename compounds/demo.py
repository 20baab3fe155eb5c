"""A believable demo district, built by `python manage.py load_demo`.

Deterministic from the seed and idempotent: everything is keyed by natural keys
(subdistrict and community by name, grid by community + name, compound by
community + name, building by compound + number, dwelling by building + unit + number).
A compound that already exists is left exactly as it is, so a second run creates
nothing and changes nothing. The geography is drawn from `random.Random(seed)`;
each compound draws its buildings and dwellings from its own generator seeded with
the seed and the compound's natural key, so a compound looks the same whatever
else is in the run (and an existing one can be skipped without drawing it).

Areas are Decimals built from integer cents, never from floats.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max

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

DEMO_PASSWORD = "demo-renewal-2020"  # public demo credentials, printed with a warning

# --- The district -------------------------------------------------------------------
# Subdistrict → (centre latitude, centre longitude) in micro-degrees, and its
# communities, each with the roads its compounds stand on. Centres follow the real
# layout of Qingdao West Coast New Area (old Huangdao in the east, Jiaonan in the west).
SUBDISTRICTS: list[tuple[str, tuple[int, int], list[tuple[str, list[str]]]]] = [
    (
        "黄岛街道",
        (35_967_000, 120_206_000),
        [
            ("黄岛路社区", ["黄岛路", "太行山路", "东岳中路"]),
            ("前湾社区", ["前湾港路", "海滨路", "威海路"]),
            ("嘉陵江路社区", ["嘉陵江路", "泰山路", "华山路"]),
            ("渤海路社区", ["渤海路", "衡山路", "五台山路"]),
            ("港湾社区", ["港湾路", "黄浦江路"]),
        ],
    ),
    (
        "薛家岛街道",
        (35_998_000, 120_247_000),
        [
            ("薛家岛社区", ["薛家岛路", "海军路", "瀚海路"]),
            ("金沙滩社区", ["金沙滩路", "银沙滩路", "凤凰岛路"]),
            ("鱼鸣嘴社区", ["鱼鸣嘴路", "安子路"]),
            ("北庄社区", ["北庄路", "千山南路", "长白山路"]),
        ],
    ),
    (
        "长江路街道",
        (35_958_000, 120_184_000),
        [
            ("丁家河社区", ["丁家河路", "长江中路", "江山中路"]),
            ("庐山路社区", ["庐山路", "武夷山路", "黄山路"]),
            ("峨眉山路社区", ["峨眉山路", "昆仑山路", "香江路"]),
            ("珠江路社区", ["珠江路", "漓江路", "湘江路"]),
            ("井冈山路社区", ["井冈山路", "黄河中路", "淮河东路"]),
        ],
    ),
    (
        "辛安街道",
        (35_991_000, 120_131_000),
        [
            ("辛安社区", ["辛安路", "淮河西路", "紫金山路"]),
            ("北屯社区", ["北屯路", "兴安岭路", "团结路"]),
            ("前进路社区", ["前进路", "松花江路", "黑龙江路"]),
            ("红石崖路社区", ["红石崖路", "钱塘江路", "富春江路"]),
        ],
    ),
    (
        "灵珠山街道",
        (35_936_000, 120_112_000),
        [
            ("柳花泊社区", ["柳花泊路", "灵珠山路"]),
            ("戴戈庄社区", ["戴戈庄路", "双珠路", "小珠山路"]),
            ("青年路社区", ["青年路", "大学路", "育才路"]),
        ],
    ),
    (
        "隐珠街道",
        (35_877_000, 119_982_000),
        [
            ("新华路社区", ["新华路", "胶河路", "文化路"]),
            ("圣龙社区", ["圣龙路", "珠山路", "隐珠路"]),
            ("人民路社区", ["人民路", "泰发路", "珠海路"]),
            ("大珠山路社区", ["大珠山路", "灵山湾路", "滨海大道"]),
            ("王戈庄社区", ["王戈庄路", "世纪大道", "海南路"]),
        ],
    ),
]

# Compounds the seed reports name, placed first in their communities.
ANCHOR_COMPOUNDS = {
    "圣龙社区": ["圣龙小区"],
    "新华路社区": ["新华路小区"],
    "丁家河社区": ["丁家河小区"],
}

GRID_NAMES = ["第一网格", "第二网格", "第三网格", "第四网格"]

# Names with a fixed suffix; each prefix is used once in the district.
POETIC_PREFIXES = [
    "育才", "翠竹", "海韵", "丽景", "金桥", "福瑞", "康宁", "春晖", "阳光", "海港",
    "滨海", "银杏", "松柏", "玉兰", "紫荆", "海棠", "桂花", "明珠", "东方", "振华",
    "兴华", "华安", "祥和", "吉祥", "平安", "幸福", "和谐", "胜利", "曙光", "红星",
    "光明", "建设", "文化", "惠民", "安居", "安康", "富民", "友谊", "环海", "望海",
    "观海", "听涛", "渔港", "碧海", "青山", "灵山", "凤凰", "鸿福", "泰和", "嘉和",
    "朝阳", "红旗", "向阳", "工农", "新风", "丰收", "长安", "永安", "怡和", "芳华",
    "海悦", "金海", "银海", "蓝湾", "书香", "锦绣", "百合", "丁香", "绿洲", "清华",
    "泰安", "金都", "华府", "福安", "同乐", "民乐", "万福", "百顺", "盛世", "昌盛",
    "丽都", "佳和", "雅居", "宜家", "荣华", "金鼎", "鑫苑", "瑞祥", "海天", "云海",
]
POETIC_SUFFIXES = ["苑", "园", "小区", "花园", "新村", "里", "公寓", "山庄"]

# Work-unit housing (单位宿舍 / 家属院), the typical pre-2000 compound.
WORK_UNITS = [
    "纺织厂", "供电局", "港务局", "造船厂", "化工厂", "啤酒厂", "橡胶厂", "机械厂",
    "邮电局", "粮食局", "交通局", "水产公司", "第一中学", "人民医院", "海关", "税务局",
    "工商银行", "建筑公司", "气象站", "黄岛电厂", "自来水公司", "盐场", "棉纺厂", "食品厂",
    "水泥厂", "农机厂", "供销社", "物资局", "外贸公司", "航运公司", "渔业公司", "百货公司",
    "公安局", "法院", "卫生局", "教育局", "第二中学", "中医院", "针织厂", "罐头厂",
    "酿酒厂", "造纸厂", "印刷厂", "无线电厂", "轴承厂", "油库", "港务二公司", "海洋研究所",
    "电业局", "铁路", "粮油公司", "五金厂", "船舶修造厂", "水产加工厂", "化肥厂", "服装厂",
    "钢窗厂", "塑料厂", "玻璃厂", "电子仪器厂", "医药公司", "燃料公司", "房管所", "环卫处",
    "实验小学", "职业中专", "妇幼保健院", "水利局", "林业局", "商业局", "物价局", "审计局",
]
WORK_UNIT_SUFFIXES = ["宿舍", "家属院", "家属楼", "职工宿舍", "宿舍楼"]
BIG_YARDS = ["石油大院", "海军大院", "武装部大院", "地质队大院", "农科所大院", "勘察院大院"]

ROAD_SUFFIXES = ["小区", "新村", "宿舍", "西区", "东区", "北区", "南区", "小区二期"]

SURNAMES = (
    "王王王李李李张张张刘刘刘孙孙赵赵杨杨陈陈徐徐高高于于马马薛姜丁"
    "周吴胡朱林何郭罗梁宋郑谢韩唐冯董程曹袁邓许沈曾彭吕苏卢蒋蔡贾魏叶"
    "杜戴夏钟汪田任范方石姚谭邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟段"
)
GIVEN_NAMES = [
    "秀英", "桂兰", "建国", "建华", "志强", "国庆", "海燕", "丽华", "玉兰", "春梅",
    "德明", "文杰", "秀华", "淑珍", "凤英", "振华", "伟", "敏", "静", "磊",
    "军", "勇", "强", "芳", "娜", "丽", "涛", "明", "超", "杰",
    "红梅", "秀兰", "玉珍", "立新", "卫东", "建军", "学军", "春生", "洪涛", "宝山",
    "福来", "永刚", "金凤", "美玲", "晓燕", "海涛", "志刚", "新民", "玉梅", "桂英",
    "淑华", "国华", "长青", "爱华", "丽娟", "文华", "俊峰", "晓东", "雪梅", "成刚",
    "玉华", "庆华", "振国", "世杰", "淑兰", "桂芝", "凤兰", "德胜", "保国", "兆华",
    "丽萍", "晓丽", "春燕", "宏伟", "思远", "子豪", "欣怡", "雨轩", "浩然", "梓涵",
]
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "166", "176", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "199",
]

# Property management: (value, weight). Old compounds are mostly without one.
PROPERTY_WEIGHTS = [
    (PropertyManagement.NONE, 40),
    (PropertyManagement.SELF, 20),
    (PropertyManagement.COMPANY, 28),
    (PropertyManagement.SHARED, 12),
]

DEMO_STAFF = ["admin", "district", "subdistrict", "community"]
ROLE_LABELS = {
    Role.DISTRICT: "区城市更新办",
    Role.SUBDISTRICT: "街道",
    Role.COMMUNITY: "社区",
}

DWELLINGS_PER_FLOOR = 2  # 一梯两户
TWO_DWELLING_PERCENT = 3  # of owners, who own two dwellings in one compound
BATCH_SIZE = 2000


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
                Community(name=name, subdistrict_id=subdistricts[sub])
                for sub, _, communities in SUBDISTRICTS
                for name, _ in communities
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


def demo_logins() -> list[dict[str, str]]:
    """The demo accounts that exist, for the summary table."""
    district = settings.PORTAL_DISTRICT_NAME
    users = {
        u.username: u
        for u in User.objects.filter(username__in=DEMO_STAFF).select_related(
            "subdistrict", "community"
        )
    }
    rows = []
    for username in DEMO_STAFF:
        user = users.get(username)
        if user is None:
            continue
        role = user.role or "-"
        label = ROLE_LABELS.get(user.role, "")
        if user.is_superuser:
            label = "超级管理员"
        rows.append(
            {
                "username": username,
                "password": DEMO_PASSWORD,
                "role": f"{role}（{label}）" if label else role,
                "area": user.area_name or f"{district}（全区）",
            }
        )
    return rows


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def write_summary(result: dict, stdout) -> None:
    """Print what exists and the demo logins (with a warning: they are demo credentials)."""
    district = settings.PORTAL_DISTRICT_NAME

    def out(line: str) -> None:
        stdout.write(line + "\n")  # works for plain streams and OutputWrapper alike

    labels = [
        ("subdistricts", "街道"),
        ("communities", "社区"),
        ("grids", "网格"),
        ("compounds", "小区"),
        ("buildings", "楼栋"),
        ("dwellings", "户"),
        ("users", "账号"),
    ]
    created = result.get("created", {})
    out(f"{district} 演示数据（demo district）:")
    for key, label in labels:
        out(
            f"  {_pad(label, 6)} {key:<13}{result[key]:>8}   (+{created.get(key, 0)} this run)"
        )
    eligible = Compound.objects.filter(build_year__lte=2000).count()
    out(f"  其中 2000 年底前建成（eligible）: {eligible} / {result['compounds']} 个小区")

    rows = demo_logins()
    headers = {"username": "username", "password": "password", "role": "role", "area": "area"}
    columns = list(headers)
    widths = {c: max([_width(headers[c])] + [_width(r[c]) for r in rows]) for c in columns}
    out("")
    out(
        "WARNING: these are DEMO credentials (演示账号), shared and public. "
        "Never use them on a real deployment."
    )
    out("  ".join(_pad(headers[c], widths[c]) for c in columns))
    out("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        out("  ".join(_pad(row[c], widths[c]) for c in columns))
