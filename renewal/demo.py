"""The demo programme on top of the demo district: four yearly batches (2023–2026) with
projects in every stage, their full stage history, work items sized from each compound,
inspections with rectification orders, a look-back that found a leaking roof, and the
public commitments of this year.

Deterministic (each compound's numbers come from the seed and its name) and idempotent:
projects that exist are left alone, so a second run creates nothing.
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import pairwise

from django.db import transaction
from django.utils import timezone

from compounds.models import Compound, Dwelling, User
from consultation.models import Ballot, BallotEvent, Topic
from renewal.catalog import seed_work_item_types
from renewal.models import (
    STAGE_ORDER,
    Batch,
    Inspection,
    InspectionKind,
    InspectionLevel,
    ItemStatus,
    Project,
    PublicCommitment,
    Rectification,
    RectificationEvent,
    RectificationStatus,
    Stage,
    StageChange,
    WorkItem,
    WorkItemType,
)

# year, name, share of the eligible compounds, the stages their projects are in now
# (on the full demo district: 60, 50, 45 and 40 compounds)
BATCHES = [
    (2023, "老旧小区改造第一批", Decimal("0.21"), [Stage.AFTERCARE]),
    (2024, "老旧小区改造第一批", Decimal("0.175"), [Stage.AFTERCARE, Stage.ACCEPTED]),
    (2025, "老旧小区改造第一批", Decimal("0.16"),
     [Stage.ACCEPTED, Stage.COMPLETED, Stage.CONSTRUCTION, Stage.CONSTRUCTION]),
    (2026, "老旧小区改造第一批", Decimal("0.14"),
     [Stage.CONSTRUCTION, Stage.APPROVED, Stage.CONSULTATION, Stage.DESIGN, Stage.SURVEY,
      Stage.PLANNED]),
]

CONTRACTORS = ["青岛西海岸城市建设集团有限公司", "中建八局第一建设有限公司", "青岛城建集团有限公司",
               "青岛市政工程集团有限公司", "山东青建集团股份有限公司"]
DESIGNERS = ["青岛市市政工程设计研究院有限责任公司", "青岛北洋建筑设计有限公司",
             "青岛腾远设计事务所有限公司"]
SUPERVISORS = ["青岛信达工程管理有限公司", "青岛建通浩源工程管理有限公司",
               "青岛高园建设咨询有限公司"]

# type code → (quantity rule, yuan per unit)
ITEMS = {
    "roof-waterproofing": (lambda c, r: c.building_count * r.randint(380, 720), 160),
    "sewage-separation": (lambda c, r: Decimal(r.randint(3, 15)) / 10, 900_000),
    "water-supply": (lambda c, r: Decimal(r.randint(2, 12)) / 10, 750_000),
    "roads": (lambda c, r: r.randint(1500, 8000), 220),
    "lighting": (lambda c, r: r.randint(12, 60), 3_200),
    "parking": (lambda c, r: r.randint(8, 45), 9_000),
    "ev-charging": (lambda c, r: r.randint(4, 20), 6_500),
    "fibre": (lambda c, r: c.households, 450),
    "elevator": (lambda c, r: r.randint(1, 4), 680_000),
    "cameras": (lambda c, r: r.randint(10, 40), 2_400),
    "greening": (lambda c, r: r.randint(300, 2500), 180),
    "barrier-free": (lambda c, r: r.randint(3, 12), 15_000),
}
ALWAYS = ["roof-waterproofing", "sewage-separation", "roads", "lighting"]

FINDINGS = [
    ("屋面防水卷材搭接宽度不足", "roof-waterproofing"),
    ("雨污分流管道坡度不符合设计要求", "sewage-separation"),
    ("施工现场围挡缺失，存在安全隐患", None),
    ("路面基层压实度不足", "roads"),
    ("电缆未穿管保护", None),
    ("楼道内建筑垃圾未及时清运", None),
]
COMMITMENTS = ["楼道感应灯全部更换", "新增停车位并规范停放", "清理楼道堆物", "修复破损路面",
               "增设电动自行车充电桩", "更换老化供水管道", "补植绿化"]
CENT = Decimal("0.01")
FRACTIONAL_UNITS = {"km", "m", "m2"}


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _quantity(value) -> Decimal:
    return Decimal(value).quantize(CENT, ROUND_HALF_UP)


@transaction.atomic
def load_programme_demo(*, seed: int = 2020) -> dict[str, int]:
    seed_work_item_types(WorkItemType)
    types = {t.code: t for t in WorkItemType.objects.all()}
    staff = User.objects.filter(username="district").first()
    eligible = list(
        Compound.objects.filter(build_year__lte=2000)
        .select_related("community")
        .order_by("name", "id")
    )
    random.Random(seed).shuffle(eligible)
    created = {"projects": 0, "work_items": 0, "inspections": 0, "commitments": 0,
               "ballots": 0}
    today = timezone.localdate()
    start = 0
    for year, name, share, stages in BATCHES:
        count = max(len(stages), int(len(eligible) * share))
        batch, _ = Batch.objects.get_or_create(
            year=year, name=name,
            defaults={"target_compounds": count, "notes": "演示数据"},
        )
        chosen = eligible[start:start + count]
        start += count
        existing = set(Project.objects.filter(batch=batch).values_list("compound_id", flat=True))
        for index, compound in enumerate(chosen):
            if compound.pk in existing:
                continue
            rng = random.Random(f"{seed}-{year}-{compound.name}")
            stage = stages[index % len(stages)]
            project = _project(batch, compound, stage, rng, staff)
            created["projects"] += 1
            created["work_items"] += _work_items(project, compound, types, rng, today)
            created["inspections"] += _inspections(project, rng, staff)
            if year >= today.year - 1:
                created["commitments"] += _commitments(compound, today.year, rng)
        batch.target_households = sum(c.households for c in chosen)
        batch.save(update_fields=["target_households"])
    _roof_lookback(staff)
    created["ballots"] = _plan_votes(seed=seed, staff=staff)
    return created


def _project(batch, compound, stage, rng, staff) -> Project:
    year = batch.year
    planned_start = date(year, rng.randint(3, 5), rng.randint(1, 28))
    planned_end = planned_start + timedelta(days=rng.randint(150, 240))
    position = STAGE_ORDER.index(stage)
    project = Project.objects.create(
        compound=compound, batch=batch, stage=stage,
        delivery_model=rng.choice(["epc", "general_contract"]),
        contractor=rng.choice(CONTRACTORS), designer=rng.choice(DESIGNERS),
        supervisor=rng.choice(SUPERVISORS),
        planned_start=planned_start, planned_end=planned_end,
        actual_start=planned_start if position >= STAGE_ORDER.index(Stage.CONSTRUCTION) else None,
        actual_end=planned_end if position >= STAGE_ORDER.index(Stage.COMPLETED) else None,
        engineering_coordinator=staff,
    )
    # The whole road it travelled, one step at a time, each move dated.
    moved = _aware(date(year, 1, 10))
    rows = [StageChange(project=project, from_stage="", to_stage=Stage.PLANNED, by=staff,
                        at=moved, note="列入年度改造计划")]
    for previous, current in pairwise(STAGE_ORDER[:position + 1]):
        moved += timedelta(days=rng.randint(12, 45))
        rows.append(StageChange(project=project, from_stage=previous, to_stage=current,
                                by=staff, at=moved))
    StageChange.objects.bulk_create(rows)
    return project


def _work_items(project, compound, types, rng, today) -> int:
    codes = ALWAYS + rng.sample([c for c in ITEMS if c not in ALWAYS], rng.randint(2, 5))
    position = STAGE_ORDER.index(project.stage)
    building = position >= STAGE_ORDER.index(Stage.CONSTRUCTION)
    finished = position >= STAGE_ORDER.index(Stage.COMPLETED)
    items = []
    budgets = Decimal("0")
    for code in codes:
        rule, unit_cost = ITEMS[code]
        planned = _quantity(rule(compound, rng))
        if planned <= 0:
            continue
        share = Decimal(1) if finished else Decimal(rng.randint(15, 85)) / 100 if building else 0
        completed = _quantity(planned * share)
        if types[code].unit not in FRACTIONAL_UNITS:
            # Lamps, elevators and households are counted, not measured: whole numbers.
            completed = completed.to_integral_value(ROUND_DOWN)
        budget = _quantity(planned * unit_cost)
        budgets += budget
        status = (ItemStatus.DONE if finished else
                  ItemStatus.IN_PROGRESS if building else ItemStatus.NOT_STARTED)
        actual_end = project.actual_end if finished else None
        warranty = None
        if actual_end and types[code].warranty_years:
            warranty = actual_end.replace(year=actual_end.year + types[code].warranty_years)
        items.append(WorkItem(
            project=project, type=types[code], planned_quantity=planned,
            completed_quantity=completed, budget=budget,
            spent=_quantity(budget * share * Decimal("0.95")), status=status,
            planned_start=project.planned_start, planned_end=project.planned_end,
            actual_start=project.actual_start, actual_end=actual_end, warranty_until=warranty,
        ))
    WorkItem.objects.bulk_create(items)
    project.funding_central = _quantity(budgets * Decimal("0.40"))
    project.funding_local = _quantity(budgets * Decimal("0.40"))
    project.funding_residents = _quantity(budgets * Decimal("0.05"))
    project.funding_utilities = _quantity(budgets * Decimal("0.10"))
    project.funding_social = budgets - project.funding_central - project.funding_local \
        - project.funding_residents - project.funding_utilities
    project.save(update_fields=Project.FUNDING_FIELDS)
    return len(items)


def _inspections(project, rng, staff) -> int:
    if STAGE_ORDER.index(project.stage) < STAGE_ORDER.index(Stage.CONSTRUCTION):
        return 0
    made = 0
    for level in rng.sample(list(InspectionLevel.values), rng.randint(1, 3)):
        day = project.actual_start + timedelta(days=rng.randint(20, 120))
        inspection = Inspection.objects.create(
            project=project, level=level,
            kind=rng.choice([InspectionKind.ANNOUNCED, InspectionKind.SURPRISE]),
            carried_out_on=day, inspector=staff, summary="现场检查施工质量与安全文明施工情况",
        )
        made += 1
        if rng.random() < 0.5:
            finding, code = rng.choice(FINDINGS)
            item = project.work_items.filter(type__code=code).first() if code else None
            closed = STAGE_ORDER.index(project.stage) >= STAGE_ORDER.index(Stage.COMPLETED)
            _rectification(inspection, finding, item, day, closed, staff)
    return made


def _rectification(inspection, finding, item, day, closed, staff) -> Rectification:
    order = Rectification.objects.create(
        inspection=inspection, work_item=item, finding=finding,
        responsible_party=inspection.project.contractor or "施工单位",
        deadline=day + timedelta(days=7),
        status=RectificationStatus.VERIFIED if closed else RectificationStatus.OPEN,
        rectified_on=day + timedelta(days=5) if closed else None,
        verified_on=day + timedelta(days=6) if closed else None,
        verified_by=staff if closed else None,
    )
    events = [RectificationEvent(rectification=order, from_status="", to_status="open",
                                 by=staff, at=_aware(day))]
    if closed:
        events += [
            RectificationEvent(rectification=order, from_status="open", to_status="submitted",
                               at=_aware(day + timedelta(days=5)), note="已按要求整改"),
            RectificationEvent(rectification=order, from_status="submitted",
                               to_status="verified", by=staff,
                               at=_aware(day + timedelta(days=6)), note="复核合格，销号"),
        ]
    RectificationEvent.objects.bulk_create(events)
    return order


def _commitments(compound, year, rng) -> int:
    if PublicCommitment.objects.filter(compound=compound, year=year).exists():
        return 0
    titles = rng.sample(COMMITMENTS, rng.randint(3, 5))
    PublicCommitment.objects.bulk_create([
        PublicCommitment(compound=compound, year=year, title=title, sort=i,
                         done_on=date(year, rng.randint(1, 10), rng.randint(1, 28))
                         if rng.random() < 0.5 else None)
        for i, title in enumerate(titles)
    ])
    return len(titles)


def _roof_lookback(staff) -> None:
    """The seeds' story: a roof renovated years ago leaked; the look-back found it and a
    team re-laid 100 m² of waterproofing in five days, before the rains."""
    roof = (WorkItem.objects.filter(type__code="roof-waterproofing",
                                    project__stage=Stage.AFTERCARE)
            .select_related("project").order_by("project__batch__year", "id").first())
    if roof is None or Inspection.objects.filter(project=roof.project,
                                                 kind=InspectionKind.LOOKBACK).exists():
        return
    day = date(roof.project.batch.year + 2, 5, 12)
    inspection = Inspection.objects.create(
        project=roof.project, level=InspectionLevel.DISTRICT, kind=InspectionKind.LOOKBACK,
        scheduled_for=day, carried_out_on=day, inspector=staff,
        summary="回头看：3号楼顶层住户反映雨后渗漏",
    )
    _rectification(inspection, "屋面渗漏，需重新铺设防水层约100平方米", roof, day, True, staff)


def _plan_votes(*, seed: int, staff) -> int:
    """Each project from consultation on puts its renovation plan to the owners. Those
    past `approved` passed it (the gate demands it); those still in consultation are on
    the way (Xingjiaqiao went 23 % → 99.4 % → 100 %). Votes come in over three weeks, so
    the consent history has a curve."""
    voting = STAGE_ORDER[STAGE_ORDER.index(Stage.CONSULTATION):]
    projects = (Project.objects.filter(stage__in=voting)
                .exclude(compound__topics__kind="renovation_plan")
                .select_related("compound", "batch").order_by("id"))
    ballots, events = [], []
    for project in projects:
        rng = random.Random(f"{seed}-vote-{project.compound.name}")
        topic = Topic.objects.create(
            compound=project.compound, title=f"{project.compound.name}改造方案表决",
            kind="renovation_plan", rule="civil_code_major", created_by=staff,
        )
        passed = project.stage != Stage.CONSULTATION
        # (agree, disagree, abstain) out of 100; the rest have not voted yet.
        agree, disagree, abstain = (88, 4, 3) if passed else (rng.randint(35, 60), 12, 5)
        start = _aware(date(project.batch.year, 3, 1))
        for dwelling_id in Dwelling.objects.filter(
            building__compound=project.compound
        ).values_list("id", flat=True):
            roll = rng.randint(1, 100)
            choice = ("agree" if roll <= agree else "disagree" if roll <= agree + disagree
                      else "abstain" if roll <= agree + disagree + abstain else None)
            if choice is None:
                continue
            at = start + timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 9))
            method = rng.choice(["door_to_door", "paper", "meeting"])
            ballots.append(Ballot(topic=topic, dwelling_id=dwelling_id, choice=choice,
                                  method=method, recorded_by=staff, cast_at=at))
            events.append(BallotEvent(topic=topic, dwelling_id=dwelling_id, choice=choice,
                                      method=method, recorded_by=staff, at=at))
    Ballot.objects.bulk_create(ballots, batch_size=2000)
    BallotEvent.objects.bulk_create(events, batch_size=2000)
    return len(ballots)
