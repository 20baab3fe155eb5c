"""Topics of the demo: the renovation plans walk their seven steps in step with their
projects; elevator topics (one unit, the ground-floor flats affected), parking rules
(ordinary majority) and one Xingjiaqiao-style topic get votes over weeks, so the consent
chart has a curve; one parking vote in the community demo account's area runs online
with household codes (only their keyed hashes are stored)."""

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from django.db.models import Count, Max, Min

from compounds.models import Compound, Dwelling
from consultation.demo import Demo, DemoProject, bulk_create_dated
from consultation.demo.texts import ELEVATOR_DONE, PARKING_DONE, PLAN_DONE, SHOWCASE_DONE
from consultation.models import Ballot, BallotEvent, Topic
from consultation.models.codes import HouseholdCode, code_generate, code_hash
from consultation.models.topics import TOPIC_STAGE_ORDER, TopicStageChange
from consultation.selectors.topic_lists import tallies_for_topics

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
# Where a renovation plan stands, by its project's stage: voted once in consultation,
# applied from approval, supervised during the works, fed back once accepted.
PLAN_STAGE = {"consultation": "vote", "approved": "apply", "construction": "supervise",
              "completed": "supervise", "accepted": "feedback", "aftercare": "feedback"}
# Where another topic of the compound stands, by the project's stage, and the project
# stage whose start each step follows.
TOPIC_STAGE = {"planned": "collect", "survey": "draft", "design": "research", **PLAN_STAGE}
ANCHOR = {"draft": "survey", "research": "design", "vote": "consultation", "apply": "approved",
          "supervise": "construction", "feedback": "accepted"}
XINGJIAQIAO_DWELLINGS = 488


def _days(rng, low, high) -> timedelta:
    return timedelta(hours=rng.randint(low * 24, high * 24))


def _chain(demo: Demo, times: dict[str, datetime]) -> dict[str, datetime]:
    """Each step after the one before, none in the future."""
    out, last = {}, None
    for stage in TOPIC_STAGE_ORDER:
        if stage in times:
            at = demo.before_now(times[stage], margin=HOUR * (8 - TOPIC_STAGE_ORDER.index(stage)))
            if last is not None and at <= last:
                at = last + HOUR
            out[stage] = last = at
    return out


def _moves(topic: Topic, times: dict[str, datetime], done: dict[str, str], by):
    path = TOPIC_STAGE_ORDER[:TOPIC_STAGE_ORDER.index(topic.stage) + 1]
    return [TopicStageChange(topic=topic, from_stage=a, to_stage=b, done=done[a], by=by,
                             at=times[b]) for a, b in pairwise(path)]


class Book:
    """The votes being written: the standing ballot per dwelling and every event."""

    def __init__(self):
        self.ballots: dict[tuple[int, int], Ballot] = {}
        self.events: list[BallotEvent] = []

    def cast(self, topic, dwelling_id, choice, method, by, at) -> Ballot:
        ballot = self.ballots.get((id(topic), dwelling_id))
        previous = ballot.choice if ballot else ""
        if ballot is None:
            ballot = self.ballots[(id(topic), dwelling_id)] = Ballot(topic=topic,
                                                                     dwelling_id=dwelling_id)
        ballot.choice, ballot.method, ballot.recorded_by, ballot.cast_at = choice, method, by, at
        self.events.append(BallotEvent(topic=topic, dwelling_id=dwelling_id, previous=previous,
                                       choice=choice, method=method, recorded_by=by, at=at))
        return ballot

    def save(self) -> int:
        Ballot.objects.bulk_create(self.ballots.values(), batch_size=2000)
        BallotEvent.objects.bulk_create(self.events, batch_size=2000)
        return len(self.ballots)


def load(demo: Demo) -> dict[str, int]:
    moved = _plan_topics(demo)
    made = _other_topics(demo)
    return {"plan_topics_moved": moved, **made}


# --- renovation plans -----------------------------------------------------------------
def _plan_topics(demo: Demo) -> int:
    topics = [t for t in Topic.objects.filter(kind="renovation_plan", stage="collect",
                                              stage_history__isnull=True)
              .select_related("compound__community").order_by("id")
              if demo.projects.get(t.compound_id) and
              demo.projects[t.compound_id].stage in PLAN_STAGE]
    spans = {r["topic_id"]: (r["first"], r["last"]) for r in BallotEvent.objects.filter(
        topic__in=topics).values("topic_id").annotate(first=Min("at"), last=Max("at"))}
    tallies = tallies_for_topics(topics)
    rows = []
    for topic in topics:
        project = demo.projects[topic.compound_id]
        rng = demo.rng("plan", topic.compound.community.name, topic.compound.name)
        first, last = spans.get(topic.pk, (None, None))
        tally = tallies[topic.pk]
        # A vote not yet taken or not passed is never applied.
        target = PLAN_STAGE[project.stage] if first and tally.passed else "vote"
        vote = (first or project.when("consultation")) - _days(rng, 2, 6)
        times = {"vote": vote}
        times["research"] = vote - _days(rng, 12, 25)
        times["draft"] = times["research"] - _days(rng, 10, 20)
        created = times["draft"] - _days(rng, 10, 20)
        if target != "vote":
            times["apply"] = max(last + _days(rng, 2, 5), project.when("approved") + HOUR * 3)
        if target in ("supervise", "feedback"):
            times["supervise"] = max(times["apply"] + _days(rng, 7, 20),
                                     project.when("construction") + _days(rng, 1, 5))
        if target == "feedback":
            times["feedback"] = max(times["supervise"] + _days(rng, 30, 60),
                                    project.when("accepted") + _days(rng, 3, 10))
        times = _chain(demo, times)
        names = [w.type_name for w in project.work_items] or ["屋面防水", "道路修缮"]
        done = {k: v.format(n=rng.randint(40, 180), items="、".join(names[:4]), k=len(names),
                            compound=topic.compound.name, m=rng.randint(3, 7),
                            p=rng.randint(2, 12), owners=tally.eligible_owners,
                            part=tally.participating_owners, agree=tally.agree_owners,
                            area_pct=tally.support_area_pct)
                for k, v in PLAN_DONE.items()}
        topic.stage, topic.created_at = target, min(created, times["draft"] - HOUR)
        rows += _moves(topic, times, done, demo.staff_for(topic.compound))
    Topic.objects.bulk_update(topics, ["stage", "created_at"], batch_size=500)
    TopicStageChange.objects.bulk_create(rows, batch_size=2000)
    return len(topics)


# --- elevators, parking, the showcase, the online vote ---------------------------------
def _other_topics(demo: Demo) -> dict[str, int]:
    have = set(Topic.objects.exclude(kind="renovation_plan").values_list("compound_id", "kind"))
    # Elevators where the plan has one; and, so that every step shows, one early
    # request where a project has only begun (planned, survey, design).
    shown = set(Topic.objects.filter(kind="elevator").values_list("stage", flat=True))
    elevators = []
    for p in sorted(demo.projects.values(), key=lambda p: p.compound_id):
        if (p.compound_id, "elevator") in have:
            continue
        early = TOPIC_STAGE[p.stage] if not p.past("consultation") else None
        if any(w.type_code == "elevator" for w in p.work_items) or (
                early and early not in shown):
            elevators.append(p)
            shown.add(TOPIC_STAGE[p.stage])
    online = _online_compound(demo, have)
    parking = [p for p in demo.projects.values()
               if (p.compound_id, "parking") not in have and p.past("construction")
               and p.compound_id != online  # and the works long enough under way:
               and p.when("construction") < demo.now - timedelta(days=70)
               and any(w.type_code == "parking" for w in p.work_items)
               and demo.rng("parking", p.compound_id).random() < 0.4]
    showcase = _showcase_project(demo)
    ids = {p.compound_id for p in elevators + parking} | {c for c in (online, showcase) if c}
    compounds = Compound.objects.select_related("community").in_bulk(ids)
    dwellings = defaultdict(list)
    for row in (Dwelling.objects.filter(building__compound_id__in=ids)
                .values_list("building__compound_id", "id", "building_id", "building__number",
                             "building__floors", "unit", "number").order_by("id")):
        dwellings[row[0]].append(row[1:])

    book, topics, moves, affected, codes = Book(), [], [], [], []
    for project in elevators:
        _elevator(demo, project, compounds[project.compound_id],
                  dwellings[project.compound_id], book, topics, moves, affected)
    for project in sorted(parking, key=lambda p: p.compound_id):
        _parking(demo, project, compounds[project.compound_id],
                 dwellings[project.compound_id], book, topics, moves)
    if showcase:
        _showcase(demo, demo.projects[showcase], compounds[showcase], dwellings[showcase],
                  book, topics, moves)
    if online:
        codes = _online(demo, compounds[online], dwellings[online], book, topics, moves)
    bulk_create_dated(Topic, topics, "created_at")
    Topic.affected_dwellings.through.objects.bulk_create(
        [Topic.affected_dwellings.through(topic_id=t.pk, dwelling_id=d) for t, d in affected])
    TopicStageChange.objects.bulk_create(moves, batch_size=2000)
    ballots = book.save()
    HouseholdCode.objects.bulk_create(codes, batch_size=2000)
    return {"topics": len(topics), "ballots": ballots, "ballot_events": len(book.events),
            "household_codes": len(codes)}


def _timeline(demo: Demo, project: DemoProject, stage: str, rng) -> dict[str, datetime]:
    times = {"collect": project.when("planned") + _days(rng, 3, 10)}
    for step in TOPIC_STAGE_ORDER[1:TOPIC_STAGE_ORDER.index(stage) + 1]:
        times[step] = project.when(ANCHOR[step]) + _days(rng, 1, 6)
    return _chain(demo, times)


def _topic(demo, compound, stage, times, **fields) -> Topic:
    topic = Topic(compound=compound, stage=stage, created_by=demo.staff_for(compound), **fields)
    topic.created_at = times["collect"]
    return topic


def _elevator(demo, project, compound, rows, book, topics, moves, affected) -> None:
    rng = demo.rng("elevator", compound.community.name, compound.name)
    units = defaultdict(list)
    for row in rows:
        units[(row[1], row[2], row[3], row[4])].append(row)
    if not units:
        return
    tall = [k for k in units if k[2] >= 6] or list(units)
    building_id, number, _floors, unit = rng.choice(sorted(tall))
    stage = TOPIC_STAGE[project.stage]
    times = _timeline(demo, project, stage, rng)
    consent = rng.random() < 0.5
    topic = _topic(demo, compound, stage, times, scope="unit", building_id=building_id,
                   unit=unit, kind="elevator", title=f"{number}号楼{unit}单元加装电梯",
                   rule="consent_share" if consent else "civil_code_major",
                   threshold=Decimal("0.8000") if consent else None)
    topics.append(topic)
    flats = units[(building_id, number, _floors, unit)]
    ground = [r[0] for r in flats if r[5].startswith("1") and len(r[5]) == 3]
    affected += [(topic, d) for d in ground]
    by = topic.created_by
    if stage in TOPIC_STAGE_ORDER[3:]:
        start = times["vote"]
        end = times.get("apply", demo.now - HOUR)
        holdout = rng.choice(ground) if stage == "vote" and ground else None
        for dwelling_id, *_rest in flats:
            first = ("disagree" if dwelling_id in ground else
                     rng.choices(["agree", "disagree", "abstain"], [75, 15, 10])[0])
            at = start + (end - start) * rng.uniform(0.02, 0.4)
            book.cast(topic, dwelling_id, first, rng.choice(["paper", "door_to_door"]), by, at)
            final = "disagree" if dwelling_id == holdout else (
                "agree" if stage != "vote" or rng.random() < 0.6 else first)
            if final != first:  # talked round: 一户一策
                at = start + (end - start) * rng.uniform(0.5, 0.95)
                book.cast(topic, dwelling_id, final, "door_to_door", by, at)
    done = {k: v.format(building=number, unit=unit, eligible=len(flats), agree=len(flats),
                        share=100) for k, v in ELEVATOR_DONE.items()}
    moves += _moves(topic, times, done, by)


# The parking rules follow the new spaces: drafted once the works start, voted during
# them, applied when the spaces are marked out.
PARKING_STAGE = {"construction": "vote", "completed": "supervise", "accepted": "feedback",
                 "aftercare": "feedback"}


def _parking(demo, project, compound, rows, book, topics, moves) -> None:
    rng = demo.rng("parking", compound.community.name, compound.name)
    stage = PARKING_STAGE[project.stage]
    works = project.when("construction")
    times = {"collect": works + _days(rng, 3, 8), "draft": works + _days(rng, 15, 20),
             "research": works + _days(rng, 28, 35), "vote": works + _days(rng, 40, 45)}
    if stage != "vote":
        times["apply"] = times["vote"] + _days(rng, 21, 28)
        times["supervise"] = times["apply"] + _days(rng, 3, 7)
    if stage == "feedback":
        times["feedback"] = project.when("accepted") + _days(rng, 5, 15)
    times = _chain(demo, times)
    topic = _topic(demo, compound, stage, times, scope="compound", kind="parking",
                   title=f"{compound.name}停车管理办法（试行）", rule="civil_code_ordinary")
    topics.append(topic)
    agree = _crowd_votes(topic, rows, book, rng, times["vote"],
                         times.get("apply", demo.now - HOUR), topic.created_by)
    done = {k: v.format(part=len(rows), agree=agree) for k, v in PARKING_DONE.items()}
    moves += _moves(topic, times, done, topic.created_by)


def _crowd_votes(topic, rows, book, rng, start, end, by, online=None) -> int:
    """A compound-wide vote: most vote in the first days, the rest over the weeks after,
    some change their minds. `online` maps dwelling → code row for votes cast with a
    household code (method online, no staff account)."""
    agree = 0
    for dwelling_id, *_rest in rows:
        roll = rng.random()
        if roll < (0.06 if online is None else 0.4):
            continue  # has not voted (yet)
        first = rng.choices(["agree", "disagree", "abstain"], [68, 22, 10])[0]
        at = start + (end - start) * rng.random() ** 1.6  # most in the first days
        code = online.get(dwelling_id) if online is not None and rng.random() < 0.55 else None
        if code is not None:  # a reprinted slip votes after it was printed
            at = max(at, code.issued_at + HOUR)
        method = "online" if code else rng.choice(["paper", "door_to_door", "meeting"])
        book.cast(topic, dwelling_id, first, method, None if code else by, at)
        if code is not None:
            code.used_at = at
        final = first
        if code is None and first != "agree" and rng.random() < 0.5:
            final = "agree"
            book.cast(topic, dwelling_id, final, "door_to_door", by,
                      at + (end - at) * rng.uniform(0.3, 0.9))
        agree += final == "agree"
    return agree


def _showcase_project(demo: Demo) -> int | None:
    """The finished compound whose size is nearest Xingjiaqiao's 488 dwellings."""
    if Topic.objects.filter(kind="other", title__endswith="（一户一策）").exists():
        return None
    done = [p.compound_id for p in demo.projects.values() if p.past("accepted")]
    sizes = (Dwelling.objects.filter(building__compound_id__in=done)
             .values("building__compound_id").annotate(n=Count("id")).order_by())
    best = min(sizes, default=None, key=lambda r: (abs(r["n"] - XINGJIAQIAO_DWELLINGS),
                                                   r["building__compound_id"]))
    return best["building__compound_id"] if best else None


def _showcase(demo, project, compound, rows, book, topics, moves) -> None:
    """23 % at the first round, 99.4 % after two months of door-to-door talks, then 100 %."""
    rng = demo.rng("showcase", compound.name)
    start = project.when("survey") + _days(rng, 10, 15)
    times = _chain(demo, {"collect": start - 40 * DAY, "draft": start - 25 * DAY,
                          "research": start - 12 * DAY, "vote": start,
                          "apply": start + 105 * DAY,
                          "supervise": max(start + 120 * DAY, project.when("construction")),
                          "feedback": max(start + 240 * DAY, project.when("accepted"))})
    topic = _topic(demo, compound, "feedback", times, scope="compound", kind="other",
                   title=f"{compound.name}楼院综合整治意见征询（一户一策）",
                   rule="consent_share", threshold=Decimal("0.8000"))
    topics.append(topic)
    by = topic.created_by
    ids = [r[0] for r in rows]
    rng.shuffle(ids)
    n = len(ids)
    early = round(n * Decimal("0.23"))
    holdouts = max(1, round(n * Decimal("0.006")))
    for position, dwelling_id in enumerate(ids):
        first = "agree" if position < early else rng.choice(["disagree", "disagree", "abstain"])
        book.cast(topic, dwelling_id, first, "paper", by, start + _days(rng, 0, 10))
        if first != "agree":
            late = position >= n - holdouts
            at = start + (_days(rng, 90, 100) if late else _days(rng, 20, 75))
            book.cast(topic, dwelling_id, "agree", "door_to_door", by, at)
    done = {k: v.format(n=n) for k, v in SHOWCASE_DONE.items()}
    moves += _moves(topic, times, done, by)


def _online_compound(demo: Demo, have) -> int | None:
    user = demo.community_user
    if user is None or HouseholdCode.objects.exists():
        return None
    sizes = (Dwelling.objects.filter(building__compound__community_id=user.community_id)
             .values("building__compound_id").annotate(n=Count("id")).order_by("-n"))
    return next((r["building__compound_id"] for r in sizes
                 if (r["building__compound_id"], "parking") not in have), None)


def _online(demo, compound, rows, book, topics, moves) -> list[HouseholdCode]:
    """A parking vote under way, in the community account's area: slips with household
    codes went to every dwelling two weeks ago; about half of those who voted did so
    online, the rest on paper or at the door; a few lost slips were reissued."""
    rng = demo.rng("online", compound.name)
    now = demo.now
    times = _chain(demo, {"collect": now - 60 * DAY, "draft": now - 48 * DAY,
                          "research": now - 33 * DAY, "vote": now - 14 * DAY})
    topic = _topic(demo, compound, "vote", times, scope="compound", kind="parking",
                   title=f"{compound.name}停车管理办法（试行）线上表决",
                   rule="civil_code_ordinary")
    topics.append(topic)
    by = demo.community_user
    issued = times["vote"] + 2 * HOUR
    codes, live = [], {}
    for dwelling_id, *_rest in rows:
        if rng.random() < 0.03:  # a lost slip, reprinted a few days later
            codes.append(HouseholdCode(topic=topic, dwelling_id=dwelling_id, issued_by=by,
                                       code_hash=code_hash(code_generate()), issued_at=issued,
                                       revoked_at=issued + _days(rng, 2, 5)))
        live[dwelling_id] = HouseholdCode(topic=topic, dwelling_id=dwelling_id, issued_by=by,
                                          code_hash=code_hash(code_generate()),
                                          issued_at=codes[-1].revoked_at if codes and
                                          codes[-1].dwelling_id == dwelling_id else issued)
    codes += live.values()
    _crowd_votes(topic, rows, book, rng, issued + HOUR, now - HOUR, by, online=live)
    done = {k: v for k, v in PARKING_DONE.items() if k in ("collect", "draft", "research")}
    moves += _moves(topic, times, done, by)
    return codes
