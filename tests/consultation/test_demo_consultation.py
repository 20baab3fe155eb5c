"""The demo's consultation, built by `load_demo` on a small district: topics whose seven
steps keep step with their projects, votes that pass where they were applied, a consent
curve like Xingjiaqiao's, household codes kept only as hashes, meetings, golden ideas,
visits and gradings that hang together, and a second run that creates nothing."""

from collections import Counter
from decimal import Decimal
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from compounds.models import Dwelling, User
from consultation.demo import PROGRAMME_STAGES
from consultation.models import Ballot, BallotEvent, Topic
from consultation.models.codes import CODE_LENGTH, HouseholdCode
from consultation.models.grading import GradingCode, GradingResponse, GradingRound
from consultation.models.ideas import Idea, IdeaEvent, IdeaStatus
from consultation.models.meetings import Meeting, MeetingAttendance, MeetingEvent, MeetingType
from consultation.models.topics import TOPIC_STAGE_ORDER, TopicStageChange
from consultation.models.visits import Visit, VisitMethod
from consultation.selectors import renovation_plan_passed, topic_tally
from consultation.selectors.history import consent_series
from consultation.selectors.meetings import meetings_missing_minutes
from consultation.services.grading import phone_hash
from renewal.models import STAGE_ORDER, Project, WorkItem

pytestmark = pytest.mark.django_db
MODELS = (Topic, TopicStageChange, Ballot, BallotEvent, HouseholdCode, Meeting,
          MeetingAttendance, MeetingEvent, Idea, IdeaEvent, Visit, GradingRound,
          GradingCode, GradingResponse)
PLAN_STAGE = {"consultation": "vote", "approved": "apply", "construction": "supervise",
              "completed": "supervise", "accepted": "feedback", "aftercare": "feedback"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """`load_demo` on a small district (2 compounds per community), once for the module,
    rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        started = timezone.now()
        out = StringIO()
        call_command("load_demo", compounds_per_community=2, stdout=out)
        yield {"started": started, "output": out.getvalue()}
        transaction.set_rollback(True)


def stage_path(topic):
    return [(c.from_stage, c.to_stage) for c in topic.stage_history.all()]


def test_the_command_reports_what_it_made(demo):
    assert "Consultation: " in demo["output"]
    assert f"+{Meeting.objects.count()} meetings" in demo["output"]
    assert f"+{Idea.objects.count()} golden ideas" in demo["output"]
    assert PROGRAMME_STAGES == STAGE_ORDER


def test_plan_topics_keep_step_with_their_projects(demo):
    projects = Project.objects.filter(stage__in=list(PLAN_STAGE)).select_related("compound")
    assert {p.stage for p in projects} == set(PLAN_STAGE)
    for project in projects:
        topic = (Topic.objects.prefetch_related("stage_history")
                 .get(compound=project.compound, kind="renovation_plan"))
        expected = PLAN_STAGE[project.stage]
        if project.stage != "consultation":
            assert renovation_plan_passed(compound_id=project.compound_id), project
            assert topic.stage == expected, (project.stage, topic.stage)
            last_vote = topic.ballot_events.order_by("-at").first().at
            assert topic.stage_history.get(to_stage="apply").at > last_vote
        else:
            assert topic.stage == "vote"
        order = TOPIC_STAGE_ORDER[:TOPIC_STAGE_ORDER.index(topic.stage) + 1]
        assert stage_path(topic) == list(pairwise(order))
        changes = list(topic.stage_history.all())
        assert all(c.done and c.by_id for c in changes)
        times = [topic.created_at] + [c.at for c in changes]
        assert times == sorted(times) and times[-1] < demo["started"]
        first_vote = topic.ballot_events.order_by("at").first()
        assert first_vote is None or topic.stage_history.get(to_stage="vote").at < first_vote.at


def test_other_topics_vote_over_weeks_and_applied_votes_passed(demo):
    topics = Topic.objects.exclude(kind="renovation_plan").prefetch_related("stage_history")
    assert {"elevator", "parking", "other"} <= {t.kind for t in topics}
    assert set(Topic.objects.values_list("stage", flat=True)) == set(TOPIC_STAGE_ORDER)
    for topic in topics:
        order = TOPIC_STAGE_ORDER[:TOPIC_STAGE_ORDER.index(topic.stage) + 1]
        assert stage_path(topic) == list(pairwise(order))
        times = [topic.created_at] + [c.at for c in topic.stage_history.all()]
        assert times == sorted(times) and times[-1] < demo["started"], topic
        if TOPIC_STAGE_ORDER.index(topic.stage) > TOPIC_STAGE_ORDER.index("vote"):
            assert topic_tally(topic=topic).passed, topic
        events = list(topic.ballot_events.order_by("at"))
        if len(events) > 5:
            assert (events[-1].at - events[0].at).days >= 7, topic
    for topic in Topic.objects.filter(kind="elevator"):
        assert topic.scope == "unit"
        affected = list(topic.affected_dwellings.all())
        assert affected and all(d.building_id == topic.building_id and d.unit == topic.unit
                                and d.number.startswith("1") for d in affected)
        assert (topic.rule == "consent_share") == (topic.threshold == Decimal("0.8"))


def test_the_xingjiaqiao_curve(demo):
    topic = Topic.objects.get(kind="other", title__endswith="（一户一策）")
    shares = [p.share for p in consent_series(topic=topic)]
    eligible = Dwelling.objects.filter(building__compound=topic.compound).count()
    first_round = max(s for s in shares[:eligible])
    assert abs(first_round - Decimal("0.23")) <= Decimal("0.01")
    assert shares[-1] == 1
    before_last = max(s for s in shares if s < 1)
    assert before_last >= Decimal("0.98")
    assert shares == sorted(shares[:eligible]) + shares[eligible:]  # revotes only raise it


def test_household_codes_are_kept_as_hashes_and_vote_once(demo):
    codes = HouseholdCode.objects.select_related("topic")
    topic = codes.first().topic
    assert {c.topic_id for c in codes} == {topic.pk} and topic.stage == "vote"
    assert all(len(c.code_hash) == 64 and len(c.code_hash) != CODE_LENGTH for c in codes)
    live = Counter(c.dwelling_id for c in codes if c.status == "live")
    assert live and max(live.values()) == 1
    used = [c for c in codes if c.used_at]
    assert used and any(c.status == "revoked" for c in codes)
    online = {(b.dwelling_id, b.cast_at) for b in topic.ballots.filter(method="online")}
    assert {(c.dwelling_id, c.used_at) for c in used} == online
    assert all(c.used_at >= c.issued_at for c in used)
    assert not topic.ballots.filter(method="online", recorded_by__isnull=False).exists()


def test_meetings_of_every_type(demo):
    now = demo["started"]
    meetings = Meeting.objects.prefetch_related("topics", "attendance")
    assert {m.type for m in meetings} == set(MeetingType.values)
    held = [m for m in meetings if m.minutes_recorded_at]
    assert held and all(m.starts_at < now and m.minutes and m.decisions for m in held)
    assert all(m.minutes_recorded_at > m.starts_at and m.attendance.all() for m in held)
    assert any(m.starts_at > now and not m.minutes and not m.cancelled_at for m in meetings)
    assert meetings_missing_minutes(now=now).exists()
    cancelled = [m for m in meetings if m.cancelled_at]
    assert len(cancelled) == 1 and cancelled[0].cancel_reason and not cancelled[0].minutes
    assert all(t.compound_id == m.compound_id for m in meetings for t in m.topics.all())
    for meeting in meetings:
        scheduled = meeting.events.get(kind="scheduled").at
        assert scheduled < min(meeting.starts_at, now)
        assert all(e.at >= scheduled for e in meeting.events.all())


def test_golden_ideas_in_every_state(demo):
    ideas = Idea.objects.prefetch_related("work_items__project", "events")
    assert {i.status for i in ideas} == set(IdeaStatus.values)
    for idea in ideas:
        items = list(idea.work_items.all())
        if idea.status == IdeaStatus.ADOPTED:
            assert items and all(w.project.compound_id == idea.compound_id for w in items)
        else:
            assert not items
        if idea.status == IdeaStatus.NOT_ADOPTED:
            assert idea.public_reason
        history = sorted(idea.events.all(), key=lambda e: (e.at, e.id))
        assert history[0].to_status == IdeaStatus.RECEIVED
        assert history[0].at == idea.created_at < demo["started"]
        assert history[-1].to_status == idea.status
        assert all(b.from_status == a.to_status for a, b in pairwise(history))
    assert not WorkItem.objects.filter(idea__isnull=False).exclude(
        idea__status=IdeaStatus.ADOPTED).exists()


def test_visits_by_the_community_account_with_their_follow_ups(demo):
    user = User.objects.get(username="community")
    visits = Visit.objects.select_related("ballot", "idea", "grievance", "dwelling")
    assert visits.exists()
    assert not visits.exclude(visited_by=user).exists()
    assert not visits.exclude(compound__community_id=user.community_id).exists()
    assert {v.method for v in visits} == set(VisitMethod.values)
    with_ballot = [v for v in visits if v.ballot]
    assert with_ballot and all(v.ballot.dwelling_id == v.dwelling_id
                               and v.ballot.method == "door_to_door" for v in with_ballot)
    with_idea = [v for v in visits if v.idea]
    assert with_idea and all(v.idea.source == "visit" and v.idea.text == v.opinions
                             for v in with_idea)
    with_issue = [v for v in visits if v.grievance]
    assert with_issue
    for visit in with_issue:
        assert visit.grievance.channel == "visit"
        assert visit.grievance.idempotency_key == f"visit:{visit.pk}"
        assert visit.grievance.received_at == visit.visited_at
    assert all(v.visited_at < demo["started"] for v in visits)


def test_gradings_of_finished_compounds(demo):
    finished = set(Project.objects.filter(stage__in=["completed", "accepted", "aftercare"])
                   .values_list("compound_id", flat=True))
    rounds = GradingRound.objects.all()
    assert rounds.exists() and {r.compound_id for r in rounds} == finished
    assert any(r.closed_at is None for r in rounds) and any(r.closed_at for r in rounds)
    responses = GradingResponse.objects.select_related("round", "code")
    by_phone = [r for r in responses if r.phone_hash]
    assert by_phone and any(r.code for r in responses)
    assert len({(r.round_id, r.phone_hash) for r in by_phone}) == len(by_phone)
    for grading_round in rounds:
        phones = Dwelling.objects.filter(building__compound=grading_round.compound).exclude(
            owner_phone="").values_list("owner_phone", flat=True)
        hashes = {phone_hash(round_id=grading_round.pk, phone=p) for p in phones}
        assert {r.phone_hash for r in by_phone if r.round_id == grading_round.pk} <= hashes
    assert all(r.code.used_at == r.submitted_at for r in responses if r.code)
    assert all(r.round.opens_on <= timezone.localdate(r.submitted_at) for r in responses)
    pleased = sum(r.overall in ("satisfied", "basically") for r in responses)
    assert pleased / len(responses) >= 0.95


def test_a_second_run_creates_nothing(demo):
    before = [m.objects.count() for m in MODELS]
    linked = WorkItem.objects.filter(idea__isnull=False).count()
    out = StringIO()
    call_command("load_demo", compounds_per_community=2, stdout=out)
    assert [m.objects.count() for m in MODELS] == before
    assert WorkItem.objects.filter(idea__isnull=False).count() == linked
    assert "+0 topics" in out.getvalue() and "+0 issues" in out.getvalue()

