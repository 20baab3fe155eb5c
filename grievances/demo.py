"""Demo residents' issues on top of the demo district: QR points on the walls of every
compound, and a year of issues from every channel in every state, each with the timeline
the services would have written to get it there (intake's SUBMITTED event and first
deadline, acceptance, assignment at the compound level, the ladder climbing when a
deadline was missed, public replies, resolution, the resident's rating or reopening, a
duplicate merged into its survivor). Deadlines come from DeadlineRule. About 98 % of
rated issues are rated satisfied or basically satisfied, as the seeds report for the
Qingdao hotline (青诉即办: 2.38 万件, 满意率超 98 %).

The data agrees with the periodic jobs: an open issue past its deadline has already
climbed (or, at the district, been flagged), and a resolved issue is less than 7 days
old, so `escalate_overdue` and `close_resolved` find nothing to do right after a load.

Deterministic (from the seed and each compound's name) and idempotent: compounds that
already have QR points are left alone, so a second run creates nothing.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from compounds.demo.data import GIVEN_NAMES, MOBILE_PREFIXES, SURNAMES
from compounds.models import Compound, PropertyManagement, User
from grievances.catalog import seed_catalog
from grievances.models import (
    LADDER,
    OPEN_STATUSES,
    PARTIES_BY_LEVEL,
    Category,
    Channel,
    DeadlineRule,
    EventKind,
    Grievance,
    GrievanceEvent,
    Level,
    Party,
    Priority,
    QRPoint,
    Rating,
    Reply,
    Status,
)
from grievances.services.intake import CODE_ALPHABET, TRACKING_CODE_LENGTH, format_tracking_code
from grievances.services.qr import QR_CODE_LENGTH

MOTTO = "小事不出小区、大事不出社区、难事不出镇街"
H = timedelta(hours=1)
D = timedelta(days=1)

# category code → (what residents write, what the office answers when it is fixed)
TEXTS = {
    "leak": [
        ("顶楼卫生间天花板漏水，下雨天更严重",
         "已安排防水班组对屋面破损处重新铺设防水卷材，雨后回访无渗漏。"),
        ("楼道墙面渗水发霉，墙皮大片脱落",
         "已查明为雨水管破裂渗水，更换雨水管并重新粉刷墙面。"),
        ("屋顶防水层破损，601室卧室漏雨",
         "施工单位已对约100平方米屋面重新铺设防水层，闭水试验合格。"),
    ],
    "blocked_pipe": [
        ("单元下水主管堵塞，一楼卫生间返水",
         "物业已组织疏通并高压冲洗主管，排水恢复正常。"),
        ("雨水井堵塞，下雨后院内积水很深",
         "已清掏雨水井淤泥，雨污分流改造后积水问题已解决。"),
    ],
    "road": [
        ("小区主路坑洼不平，老人走路容易摔倒",
         "施工单位已对破损路面铣刨重铺沥青。"),
        ("施工后路面没有恢复，井盖松动有响声",
         "已恢复路面并更换加固松动井盖。"),
    ],
    "parking": [
        ("夜间车辆乱停，消防通道被占",
         "社区联合物业劝离占道车辆，施划禁停标线并安装挡车桩。"),
        ("电动车充电桩数量不够，经常排队",
         "已在车棚新增充电桩12个，扫码即可使用。"),
    ],
    "construction_nuisance": [
        ("晚上十点后还在施工，噪音太大影响休息",
         "已约谈施工单位，夜间22时后停止高噪音作业。"),
        ("施工扬尘大，裸土没有覆盖",
         "已督促施工单位覆盖防尘网，并安排洒水降尘。"),
    ],
    "safety": [
        ("楼道电线私拉乱接，存在火灾隐患",
         "已拆除私拉电线，楼道线路重新穿管敷设。"),
        ("外墙瓷砖松动，有脱落砸人危险",
         "已拉设警戒线，松动瓷砖全部清除并做防坠处理。"),
    ],
    "sanitation": [
        ("垃圾桶满溢好几天没人清运",
         "已协调环卫部门加密清运频次，每日两次。"),
        ("楼道堆放杂物，影响通行和消防",
         "社区组织志愿者和物业清理楼道堆物，已恢复畅通。"),
    ],
    "elevator": [
        ("加装的电梯经常停运",
         "维保单位已检修更换门机部件，电梯恢复运行。"),
        ("电梯按钮失灵，老人上下楼困难",
         "已更换故障按钮面板，并加密维保巡检。"),
    ],
    "lighting": [
        ("楼道感应灯坏了一个多月",
         "已更换楼道声控感应灯。"),
        ("小区路灯不亮，晚上出行不便",
         "已更换路灯灯具和老化线路，夜间照明恢复。"),
    ],
    "greenery": [
        ("绿化带杂草丛生，蚊虫多",
         "已安排园林工人除草并喷洒消杀。"),
        ("树枝挡住二楼窗户，希望修剪",
         "已联系园林部门修剪树枝。"),
    ],
    "property_service": [
        ("物业电话打不通，报修没人处理",
         "已督促物业公布24小时报修电话并建立报修台账。"),
        ("门禁损坏，外来人员随意进出",
         "门禁系统已维修，并为住户补办门禁卡。"),
    ],
    "other": [
        ("希望在小区里增加休息座椅",
         "已在小游园增设休息座椅6组。"),
        ("公告栏信息长期未更新",
         "社区已更新公告栏，每月公开改造进展和实事承诺。"),
    ],
}
REJECT_REASONS = [
    "经核实，该问题属于业主专有部分，需由业主自行维修，社区可协助联系维修单位。",
    "经核实，该路段为市政道路，已转交区市政部门处理，请拨打12345跟进。",
]
REOPEN_REASONS = ["下雨后又开始漏水了", "还是堵，没有彻底疏通", "灯修好两天又不亮了"]
RATING_COMMENTS = {
    Rating.SATISFIED: ["处理很及时，点赞！", "师傅很负责，谢谢社区", "", "", ""],
    Rating.BASICALLY: ["基本解决了，希望以后多巡查", "处理慢了点", ""],
    Rating.UNSATISFIED: ["问题反复出现，希望彻底解决"],
}
PREFIX = {Channel.VISIT: "入户走访时居民反映：", Channel.INSPECTION: "巡查发现：",
          Channel.WALK_IN: "居民来电反映："}
# How an issue came in (weights): most by the QR codes on the walls, a fifth from 12345.
CHANNELS = [(Channel.QR, 52), (Channel.HOTLINE, 20), (Channel.VISIT, 9), (Channel.API, 8),
            (Channel.WALK_IN, 6), (Channel.INSPECTION, 3), (Channel.OPEN311, 2)]
RESIDENT_CHANNELS = (Channel.QR, Channel.API, Channel.OPEN311)
# Where an issue stands now (weights). Every state is given once first, in this order, so
# even a tiny demo shows them all; the merged one comes last (it needs a survivor).
STATES = [(Status.CLOSED, 60), (Status.RESOLVED, 7), (Status.IN_PROGRESS, 8),
          (Status.ASSIGNED, 6), (Status.ACCEPTED, 3), (Status.RECEIVED, 4),
          (Status.REOPENED, 3), (Status.REJECTED, 4), (Status.MERGED, 3)]


def _code(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(CODE_ALPHABET) for _ in range(length))


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.randint(int(low * 60), int(high * 60)))


def _label(choices, value) -> str:
    return str(dict(choices.choices).get(value, value))


@dataclass
class _Walk:
    """One issue being walked through the machine, with what the walk wrote."""

    g: Grievance
    rng: random.Random
    handler: User | None
    rules: dict
    now: datetime
    at: datetime = None
    events: list = field(default_factory=list)
    replies: list = field(default_factory=list)
    flagged: bool = False

    def event(self, kind, *, at=None, by=None, **fields) -> None:
        self.events.append(GrievanceEvent(grievance=self.g, kind=kind, by=by,
                                          at=at or self.at, **fields))

    def move(self, to: str, *, kind=EventKind.STATUS, by="staff", note="", **fields) -> None:
        by = self.handler if by == "staff" else by
        self.event(kind, by=by, from_status=self.g.status, to_status=to, note=note, **fields)
        self.g.status = to

    def reply(self, text: str) -> None:
        self.replies.append(Reply(grievance=self.g, text=text, public=True, by=self.handler,
                                  at=self.at))
        self.event(EventKind.REPLIED, by=self.handler)

    def due(self, start: datetime) -> datetime:
        return start + timedelta(hours=self.rules[(self.g.level, self.g.priority)])

    def advance(self, to: datetime) -> None:
        """The clock runs to `to`: while the issue is open and its deadline passed, the
        beat job (every 5 minutes) climbs it one level, or flags it once at the top."""
        g = self.g
        while g.status in OPEN_STATUSES and g.due_at < to:
            at = min(g.due_at + timedelta(minutes=self.rng.randint(1, 4)), to)
            due = timezone.localtime(g.due_at).strftime("%Y-%m-%d %H:%M")
            if g.assignee is not None:
                who = g.assignee.get_full_name() or g.assignee.username
            elif g.party:
                who = " ".join(p for p in (_label(Party, g.party), g.party_name) if p)
            else:
                who = _label(Level, g.level)
            if g.level == Level.DISTRICT:
                if not self.flagged:
                    note = _("%(who)s missed the deadline (%(due)s) at the district level, "
                             "the top of the ladder. %(motto)s") % {
                        "who": who, "due": due, "motto": MOTTO}
                    self.event(EventKind.ESCALATED, at=at, from_level=Level.DISTRICT,
                               to_level=Level.DISTRICT, note=note)
                    self.flagged = True
                break
            to_level = LADDER[LADDER.index(g.level) + 1]
            note = _("%(who)s missed the deadline (%(due)s) at the %(level)s level; the "
                     "issue passes to the %(to)s level. %(motto)s") % {
                "who": who, "due": due, "level": _label(Level, g.level),
                "to": _label(Level, to_level), "motto": MOTTO}
            self.event(EventKind.ESCALATED, at=at, from_level=g.level, to_level=to_level,
                       note=note)
            community = g.compound.community
            g.level, g.party, g.assignee = to_level, PARTIES_BY_LEVEL[to_level][0], None
            g.party_name = (community.name if to_level == Level.COMMUNITY else
                            community.subdistrict.name if to_level == Level.SUBDISTRICT else "")
            g.due_at = self.due(at)
        self.at = to


def _handlers() -> tuple[User | None, User | None, User | None]:
    users = {u.username: u for u in User.objects.filter(
        username__in=["district", "subdistrict", "community"])}
    return users.get("district"), users.get("subdistrict"), users.get("community")


def handler_for(compound: Compound, handlers) -> User | None:
    """The demo account whose area is the smallest that covers the compound."""
    district, subdistrict, community = handlers
    if community is not None and compound.community_id == community.community_id:
        return community
    if subdistrict is not None and compound.community.subdistrict_id == subdistrict.subdistrict_id:
        return subdistrict
    return district


def _compound_party(compound: Compound, rng: random.Random) -> tuple[str, str]:
    options = []
    if compound.property_management in (PropertyManagement.COMPANY, PropertyManagement.SHARED):
        options.append((Party.PROPERTY_COMPANY, f"{compound.name}物业服务中心"))
    if compound.has_owners_committee:
        options.append((Party.OWNERS_COMMITTEE, f"{compound.name}业主委员会"))
    if compound.has_party_branch or not options:
        options.append((Party.PARTY_BRANCH, f"{compound.name}党支部"))
    return rng.choice(options)


@transaction.atomic
def load_grievance_demo(*, seed: int = 2020, per_compound: int = 6) -> dict[str, int]:
    seed_catalog(Category, DeadlineRule)
    categories = {c.code: c for c in Category.objects.filter(active=True)}
    rules = {(r.level, r.priority): r.hours for r in DeadlineRule.objects.all()}
    handlers = _handlers()
    now = timezone.now()
    compounds = list(
        Compound.objects.exclude(qr_points__isnull=False)
        .select_related("community__subdistrict").prefetch_related("buildings")
        .order_by("id")
    )
    qr_codes = set(QRPoint.objects.values_list("code", flat=True))
    used_codes = {c.replace("-", "") for c in
                  Grievance.objects.values_list("tracking_code", flat=True)}
    states = [s for s, _w in STATES]
    forced = states[:] if not Grievance.objects.exists() else []
    points, walks, merged = [], [], []
    with translation.override(settings.LANGUAGE_CODE):
        for compound in compounds:
            rng = random.Random(f"{seed}-issues-{compound.community.name}-{compound.name}")
            handler = handler_for(compound, handlers)
            buildings = sorted(compound.buildings.all(), key=lambda b: (len(b.number), b.number))
            here = [QRPoint(code=_fresh(rng, QR_CODE_LENGTH, qr_codes), compound=compound,
                            spot="小区大门公告栏")]
            here += [QRPoint(code=_fresh(rng, QR_CODE_LENGTH, qr_codes), compound=compound,
                             building=b, spot=f"{b.number}号楼1单元楼道") for b in buildings[:3]]
            points += here
            mine = []
            # The community account's compounds: its worker heard of one issue at a door.
            visited = handler is not None and handler.community_id is not None
            for n in range(rng.randint(per_compound // 2, per_compound * 3 // 2)):
                was_forced = bool(forced)
                state = forced.pop(0) if forced else rng.choices(
                    states, weights=[w for _s, w in STATES])[0]
                if state == Status.MERGED:
                    walk = _merge(compound, rng, handler, mine, here, categories, rules, now,
                                  used_codes)
                    if walk is not None:
                        merged.append(walk)
                        continue
                    state = Status.CLOSED  # nothing open long enough to be merged into
                    if was_forced:
                        forced.insert(0, Status.MERGED)
                walk = _new_issue(compound, rng, handler, here, categories, rules, now,
                                  used_codes, Channel.VISIT if visited and n == 0 else None)
                _walk(walk, state)
                mine.append(walk)
                walks.append(walk)
        QRPoint.objects.bulk_create(points, batch_size=2000)
        Grievance.objects.bulk_create([w.g for w in walks], batch_size=2000)
        # Survivors first: a merged issue names its survivor from its first insert.
        Grievance.objects.bulk_create([w.g for w in merged], batch_size=2000)
    everything = walks + merged
    GrievanceEvent.objects.bulk_create([e for w in everything for e in w.events],
                                       batch_size=5000)
    Reply.objects.bulk_create([r for w in everything for r in w.replies], batch_size=5000)
    return {"qr_points": len(points), "grievances": len(everything),
            "events": sum(len(w.events) for w in everything)}


def _fresh(rng: random.Random, length: int, taken: set) -> str:
    code = _code(rng, length)
    while code in taken:
        code = _code(rng, length)
    taken.add(code)
    return code


def _new_issue(compound, rng, handler, points, categories, rules, now, used_codes,
               channel=None) -> _Walk:
    category = categories.get(rng.choice(list(TEXTS))) or rng.choice(list(categories.values()))
    text, answer = rng.choice(TEXTS.get(category.code, TEXTS["other"]))
    drawn = rng.choices([c for c, _w in CHANNELS], weights=[w for _c, w in CHANNELS])[0]
    channel = channel or drawn
    resident = channel in RESIDENT_CHANNELS
    point = rng.choice(points) if channel == Channel.QR else None
    building = point.building if point else (
        rng.choice(list(compound.buildings.all())) if rng.random() < 0.6 else None)
    phone = ""
    if channel == Channel.HOTLINE or rng.random() < 0.55:
        phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    g = Grievance(
        tracking_code=format_tracking_code(_fresh(rng, TRACKING_CODE_LENGTH, used_codes)),
        compound=compound, category=category, building=building, qr_point=point,
        unit=str(rng.randint(1, 3)) if building is not None and rng.random() < 0.6 else "",
        description=PREFIX.get(channel, "") + text,
        reporter_name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES) if phone else "",
        reporter_phone=phone, consent_contact=bool(phone),
        channel=channel, status=Status.RECEIVED, level=Level.COMPOUND,
        priority=Priority.URGENT if category.urgent_by_default else Priority.NORMAL,
        created_by=None if resident else handler,
    )
    g._answer = answer
    return _Walk(g=g, rng=rng, handler=handler, rules=rules, now=now)


# The steps to each state, with how long each took: (step, low hours, high hours).
_TO_WORK = [("accept", 1, 8), ("assign", 1, 6), ("start", 2, 24)]
PLANS = {
    Status.RECEIVED: [],
    Status.ACCEPTED: [("accept", 1, 6)],
    Status.ASSIGNED: _TO_WORK[:2],
    Status.IN_PROGRESS: _TO_WORK,
    Status.RESOLVED: [*_TO_WORK, ("resolve", 0, 0)],
    Status.CLOSED: [*_TO_WORK, ("resolve", 0, 0), ("rate", 2, 72)],
    Status.REOPENED: [*_TO_WORK, ("resolve", 0, 0), ("reopen", 6, 100)],
    Status.REJECTED: [("reject", 2, 20)],
}
# How long ago the walk's last step happened (hours): resolved ones are younger than a
# week (older ones would have been closed by the 7-day job).
AGO = {Status.RECEIVED: (0.3, 20), Status.ACCEPTED: (1, 30), Status.ASSIGNED: (1, 72),
       Status.IN_PROGRESS: (2, 144), Status.RESOLVED: (2, 156), Status.CLOSED: (0, 24 * 330),
       Status.REOPENED: (1, 72), Status.REJECTED: (0, 24 * 330)}


def _walk(walk: _Walk, state: str) -> None:
    g, rng = walk.g, walk.rng
    plan = PLANS[state]
    if state == Status.CLOSED and rng.random() < 0.05:  # reopened once, then fixed
        plan = [*plan[:4], ("reopen", 6, 100), ("restart", 2, 24), ("resolve", 0, 0),
                ("rate", 2, 72)]
    steps = []
    for name, low, high in plan:
        if name == "resolve":  # quick, or slow enough to miss the deadline and climb
            slow = rng.random() < 0.15
            hours = rng.uniform(80, 300) if slow else rng.uniform(3, 40 if
                                                                g.priority == "normal" else 16)
            steps.append((name, timedelta(hours=hours)))
        else:
            steps.append((name, _hours(rng, low, high)))
    span = sum((d for _n, d in steps), timedelta())
    low, high = AGO[state]
    ago = _hours(rng, low, max(low, min(high, 24 * 360 - span / H)))
    g.received_at = walk.at = walk.now - ago - span
    # Intake: the clock starts when the issue reaches the office (the hotline's export
    # arrives some hours later).
    start = g.received_at + (_hours(rng, 2, 20) if g.channel == Channel.HOTLINE else timedelta())
    if g.channel == Channel.HOTLINE:
        g.external_id = f"QD{timezone.localtime(g.received_at):%Y%m%d}{rng.randint(10000, 99999)}"
    g.due_at = walk.due(start)
    walk.event(EventKind.SUBMITTED, by=g.created_by, to_status=Status.RECEIVED,
               to_level=Level.COMPOUND, note=g.channel)
    for name, took in steps:
        walk.advance(walk.at + took)
        _step(walk, name)
    walk.advance(walk.now)
    walk.at = None


def _step(walk: _Walk, name: str) -> None:
    g, rng = walk.g, walk.rng
    if name == "accept":
        walk.move(Status.ACCEPTED)
    elif name == "reject":
        walk.move(Status.REJECTED, note=rng.choice(REJECT_REASONS))
    elif name == "assign":
        # Handed to a party at the level it stands at (the compound's, unless a missed
        # deadline already passed it up).
        if g.level == Level.COMPOUND:
            g.party, g.party_name = _compound_party(g.compound, rng)
            handler = walk.handler
            g.assignee = handler if handler is not None and handler.community_id else None
        g.due_at = walk.due(walk.at)
        walk.move(Status.ASSIGNED, kind=EventKind.ASSIGNED, from_level=g.level,
                  to_level=g.level)
    elif name in ("start", "restart"):
        walk.move(Status.IN_PROGRESS)
    elif name == "resolve":
        walk.reply(g._answer)
        walk.move(Status.RESOLVED)
        g.resolved_at = walk.at
    elif name == "reopen":
        walk.move(Status.REOPENED, by=None, note=rng.choice(REOPEN_REASONS))
        g.resolved_at = None
        g.due_at = walk.due(walk.at)
        walk.flagged = False
    elif name == "rate":
        roll = rng.random()
        rating = (Rating.SATISFIED if roll < 0.86 else Rating.BASICALLY if roll < 0.982
                  else Rating.UNSATISFIED)
        g.rating, g.rating_comment = rating, rng.choice(RATING_COMMENTS[rating])
        walk.move(Status.CLOSED, kind=EventKind.RATED, by=None, note=_label(Rating, rating))
        g.rated_at = g.closed_at = walk.at


def _merge(compound, rng, handler, candidates, points, categories, rules, now,
           used_codes) -> _Walk | None:
    """A second report of a problem already reported, merged into the first while the
    first was still open: the duplicate's timeline says so, and so does the survivor's."""
    for survivor in candidates:
        opened = survivor.g.received_at
        ended = next((e.at for e in survivor.events
                      if e.to_status and e.to_status not in OPEN_STATUSES), now)
        if ended - opened >= 4 * H and survivor.g.status != Status.REJECTED:
            break
    else:
        return None
    walk = _new_issue(compound, rng, handler, points, categories, rules, now, used_codes)
    dup, first = walk.g, survivor.g
    dup.category = first.category
    dup.description = first.description.split("：")[-1] + "，已经好几天了，希望尽快处理"
    dup.received_at = walk.at = opened + _hours(rng, 1, (ended - opened) / H / 2)
    dup.due_at = walk.due(dup.received_at)
    walk.event(EventKind.SUBMITTED, by=dup.created_by, to_status=Status.RECEIVED,
               to_level=Level.COMPOUND, note=dup.channel)
    walk.at = min(walk.at + _hours(rng, 0.5, 3), ended - 10 * timedelta(minutes=1))
    dup.merged_into = first
    walk.move(Status.MERGED, kind=EventKind.MERGED,
              note=_("Merged into %(code)s.") % {"code": first.tracking_code})
    survivor.events.append(GrievanceEvent(
        grievance=first, kind=EventKind.MERGED, by=handler, at=walk.at,
        note=_("%(code)s merged into this issue.") % {"code": dup.tracking_code}))
    walk.at = None
    return walk
