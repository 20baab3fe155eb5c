"""Meetings of the demo, around the topics: a neighbours' tea party (近邻茶话会) while
demands are collected and a deliberation council (协商议事会) before each plan vote, a
courtyard talk (院落恳谈会) under each elevator's staircase, an open-air meeting (坝坝会)
on the parking rules, an online one for the online vote. Held ones have attendance by
role, minutes and decisions; coming ones (plan votes still open) have neither; one held
four days ago still waits for its minutes, and one was called off."""

from collections import defaultdict
from datetime import timedelta

from django.utils import timezone

from compounds.models import PropertyManagement
from consultation.demo import Demo, bulk_create_dated
from consultation.demo.texts import (
    CANCEL_REASONS,
    COUNCIL_DECISIONS,
    COUNCIL_MINUTES,
    COURTYARD_DECISIONS,
    COURTYARD_MINUTES,
    ONLINE_DECISIONS,
    ONLINE_MINUTES,
    OPEN_AIR_DECISIONS,
    OPEN_AIR_MINUTES,
    PLACES,
    TEA_DECISIONS,
    TEA_MINUTES,
)
from consultation.models import Topic
from consultation.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingEvent,
    MeetingEventKind,
)
from consultation.models.topics import TopicStageChange

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
HELD_BEFORE = 2 * DAY  # minutes come a day or two after a meeting
# role → (low, high) head count, by meeting type
ATTENDANCE = {
    "council": {"residents": (12, 40), "representatives": (5, 12), "owners_committee": (3, 5),
                "party_members": (3, 8), "community_workers": (2, 4),
                "subdistrict_staff": (1, 2), "property_company": (1, 2), "contractor": (2, 3)},
    "tea_party": {"residents": (8, 20), "representatives": (2, 4), "party_members": (2, 5),
                  "community_workers": (1, 3)},
    "courtyard": {"residents": (6, 12), "representatives": (1, 2), "community_workers": (1, 2),
                  "contractor": (1, 2)},
    "open_air": {"residents": (30, 80), "owners_committee": (3, 5), "party_members": (2, 6),
                 "community_workers": (2, 3), "property_company": (1, 2)},
    "online": {"residents": (20, 60), "owners_committee": (3, 5), "community_workers": (1, 2)},
}
TEXTS = {"council": (COUNCIL_MINUTES, COUNCIL_DECISIONS),
         "tea_party": (TEA_MINUTES, TEA_DECISIONS),
         "courtyard": (COURTYARD_MINUTES, COURTYARD_DECISIONS),
         "open_air": (OPEN_AIR_MINUTES, OPEN_AIR_DECISIONS),
         "online": (ONLINE_MINUTES, ONLINE_DECISIONS)}
TITLES = {"council": "{compound}改造方案协商议事会",
          "tea_party": "{compound}近邻茶话会：改造需求征集",
          "courtyard": "{topic}院落恳谈会", "open_air": "{compound}停车管理坝坝会",
          "online": "{compound}线上议事会"}


def load(demo: Demo) -> dict[str, int]:
    topics = list(Topic.objects.filter(compound__meetings__isnull=True)
                  .select_related("compound__community", "building").order_by("id"))
    entered = defaultdict(dict)
    for topic_id, stage, at in TopicStageChange.objects.filter(
            topic__in=topics).values_list("topic_id", "to_stage", "at"):
        entered[topic_id][stage] = at
    plans, cancelled = [], False
    for topic in topics:
        rng = demo.rng("meetings", topic.pk, topic.compound.name)
        steps = entered[topic.pk]

        def after(moment, low, high, rng=rng):
            return moment + timedelta(hours=rng.randint(low, high))

        if topic.kind in ("renovation_plan", "other"):
            plans.append((topic, "tea_party", after(topic.created_at, 48, 200)))
            if "vote" in steps:
                plans.append((topic, "council", after(steps["vote"], 20, 70)))
            if topic.stage == "vote" and topic.kind == "renovation_plan":
                plans.append((topic, "council", after(demo.now, 50, 400)))
        elif topic.kind == "elevator" and "research" in steps:
            plans.append((topic, "courtyard", after(steps["research"], 30, 120)))
        elif topic.kind == "parking" and "research" in steps:
            online = topic.title.endswith("线上表决")
            plans.append((topic, "open_air", after(steps["research"], 30, 120)))
            if online:
                plans.append((topic, "online", after(steps["vote"], 20, 30)))
                plans.append((topic, "open_air", demo.now - 4 * DAY))  # minutes still missing
                plans.append((topic, "council", demo.now + 6 * DAY))
    meetings, attendance, events, topic_links, invites = [], [], [], [], []
    for topic, kind, starts in plans:
        rng = demo.rng("meeting", topic.pk, kind, starts.date())
        compound = topic.compound
        by = demo.staff_for(compound)
        starts = timezone.localtime(starts).replace(minute=0, second=0, microsecond=0,
                                                    hour=rng.choice([9, 10, 15, 19]))
        names = {"compound": compound.name, "topic": topic.title,
                 "building": topic.building.number if topic.building else "1"}
        meeting = Meeting(compound=compound, type=kind, title=TITLES[kind].format(**names),
                          starts_at=starts,
                          ends_at=starts + timedelta(minutes=rng.choice([60, 90, 120])),
                          place=rng.choice(PLACES[kind]).format(**names), created_by=by)
        meetings.append(meeting)
        topic_links.append((meeting, topic))
        scheduled = demo.before_now(starts - timedelta(hours=rng.randint(72, 240)))
        events.append(MeetingEvent(meeting=meeting, kind=MeetingEventKind.SCHEDULED, by=by,
                                   at=scheduled))
        invitees = [u for u in demo.users if u is not None and u != by]
        invites += [(meeting, u) for u in (invitees if kind == "council" else invitees[:1])]
        held = starts < demo.now - HELD_BEFORE
        if starts > demo.now and not cancelled and topic.kind == "renovation_plan":
            cancelled = True  # one meeting called off
            meeting.cancelled_at = max(scheduled, demo.before_now(scheduled + DAY,
                                                                  margin=timedelta(minutes=10)))
            meeting.cancel_reason = rng.choice(CANCEL_REASONS)
            events.append(MeetingEvent(meeting=meeting, kind=MeetingEventKind.CANCELLED, by=by,
                                       note=meeting.cancel_reason, at=meeting.cancelled_at))
        elif held and not (kind == "open_air" and starts >= demo.now - 5 * DAY):
            minutes, decisions = TEXTS[kind]
            meeting.minutes = minutes.format(**names, items="屋面漏水、停车难、路面破损、线路老化")
            meeting.decisions = decisions.format(m=rng.randint(3, 7))
            meeting.minutes_recorded_at = demo.before_now(
                meeting.ends_at + timedelta(hours=rng.randint(3, 40)))
            events.append(MeetingEvent(meeting=meeting, kind=MeetingEventKind.MINUTES_RECORDED,
                                       by=by, at=meeting.minutes_recorded_at))
            for role, (low, high) in ATTENDANCE[kind].items():
                if role == "owners_committee" and not compound.has_owners_committee:
                    continue
                if role == "property_company" and \
                        compound.property_management == PropertyManagement.NONE:
                    continue
                attendance.append(MeetingAttendance(meeting=meeting, role=role,
                                                    count=rng.randint(low, high)))
    Meeting.objects.bulk_create(meetings, batch_size=1000)
    Meeting.topics.through.objects.bulk_create(
        [Meeting.topics.through(meeting_id=m.pk, topic_id=t.pk) for m, t in topic_links])
    Meeting.invitees.through.objects.bulk_create(
        [Meeting.invitees.through(meeting_id=m.pk, user_id=u.pk) for m, u in invites])
    MeetingAttendance.objects.bulk_create(attendance, batch_size=2000)
    bulk_create_dated(MeetingEvent, events, "at")
    return {"meetings": len(meetings), "meetings_with_minutes": sum(
        1 for m in meetings if m.minutes_recorded_at)}
