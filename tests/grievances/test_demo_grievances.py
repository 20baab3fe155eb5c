"""The demo's residents' issues: every state, timelines the services would have written,
codes of the right shape, deadlines from the rules, nothing left for the periodic jobs,
and a second run that creates nothing."""

import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import transaction
from django.utils import timezone

from compounds.demo import load_demo
from grievances.catalog import seed_catalog
from grievances.demo import load_grievance_demo
from grievances.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Category,
    Channel,
    DeadlineRule,
    EventKind,
    Grievance,
    GrievanceEvent,
    QRPoint,
    Reply,
    Status,
)
from grievances.services.intake import CODE_ALPHABET, normalize_tracking_code
from grievances.services.jobs import close_resolved, escalate_overdue
from renewal.demo import load_programme_demo

pytestmark = pytest.mark.django_db
MODELS = (QRPoint, Grievance, GrievanceEvent, Reply)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """A small district (2 compounds per community) with its issues, loaded once for the
    module and rolled back after it. The compound level's normal deadline is changed
    first, so the deadlines must come from DeadlineRule, not the catalogue."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo(seed=2020, compounds_per_community=2)
        load_programme_demo(seed=2020)
        seed_catalog(Category, DeadlineRule)
        DeadlineRule.objects.filter(level="compound", priority="normal").update(hours=48)
        started = timezone.now()
        made = load_grievance_demo(seed=2020)
        yield {"started": started, "made": made,
               "rules": {(r.level, r.priority): r.hours for r in DeadlineRule.objects.all()}}
        transaction.set_rollback(True)


def timelines():
    for grievance in Grievance.objects.select_related("merged_into").prefetch_related("events"):
        yield grievance, sorted(grievance.events.all(), key=lambda e: (e.at, e.id))


def test_issues_in_every_state_from_every_channel(demo):
    assert demo["made"]["grievances"] == Grievance.objects.count() > 100
    assert set(Grievance.objects.values_list("status", flat=True)) == set(Status.values)
    assert {Channel.QR, Channel.HOTLINE, Channel.VISIT} <= set(
        Grievance.objects.values_list("channel", flat=True))


def test_every_timeline_follows_the_state_machine(demo):
    for grievance, events in timelines():
        moves = [e for e in events if e.to_status]
        assert moves[0].kind == EventKind.SUBMITTED and moves[0].to_status == Status.RECEIVED
        assert moves[0].at == grievance.received_at
        for before, after in pairwise(moves):
            assert after.from_status == before.to_status, grievance
            assert after.to_status in TRANSITIONS[before.to_status], grievance
        assert moves[-1].to_status == grievance.status, grievance
        assert all(grievance.received_at <= e.at <= demo["started"] + timedelta(minutes=1)
                   for e in events)


def test_states_carry_what_they_imply(demo):
    closed = Grievance.objects.filter(status=Status.CLOSED)
    assert closed.exists()
    assert not closed.filter(rating="").exists()
    assert not closed.filter(rated_at__isnull=True).exists()
    assert not closed.filter(closed_at__isnull=True).exists()
    for grievance in Grievance.objects.filter(status=Status.RESOLVED):
        # younger than a week: older ones would have been closed by the 7-day job
        assert demo["started"] - grievance.resolved_at < timedelta(days=7)
        assert grievance.replies.filter(public=True, at__lte=grievance.resolved_at).exists()
    for grievance in Grievance.objects.filter(status=Status.REJECTED):
        assert grievance.events.get(to_status=Status.REJECTED).note
    for grievance in Grievance.objects.filter(status=Status.MERGED):
        survivor = grievance.merged_into
        assert survivor.compound_id == grievance.compound_id
        assert survivor.category_id == grievance.category_id
        assert survivor.events.filter(kind=EventKind.MERGED,
                                      note__contains=grievance.tracking_code).exists()
    rated = Grievance.objects.exclude(rating="")
    pleased = rated.filter(rating__in=["satisfied", "basically"]).count()
    assert pleased / rated.count() >= 0.95


def test_codes_have_the_intake_and_qr_shapes(demo):
    letters = re.escape(CODE_ALPHABET)
    for code in Grievance.objects.values_list("tracking_code", flat=True):
        assert re.fullmatch(f"[{letters}]{{4}}-[{letters}]{{4}}", code), code
        assert normalize_tracking_code(code.lower().replace("-", " ")) == code
    for code in QRPoint.objects.values_list("code", flat=True):
        assert re.fullmatch(f"[{letters}]{{6}}", code), code
    by_qr = Grievance.objects.filter(channel=Channel.QR).select_related("qr_point")
    assert by_qr.exists()
    assert all(g.qr_point and g.qr_point.compound_id == g.compound_id for g in by_qr)
    residents = Grievance.objects.filter(channel__in=["qr", "api", "open311"])
    assert not residents.filter(created_by__isnull=False).exists()
    assert not Grievance.objects.filter(channel="hotline", created_by__isnull=True).exists()


def test_deadlines_come_from_the_rules(demo):
    rules = demo["rules"]
    assert rules[("compound", "normal")] == 48
    checked = 0
    for grievance, events in timelines():
        if grievance.status not in OPEN_STATUSES:
            continue
        starts = [e for e in events if e.kind in (EventKind.ASSIGNED, EventKind.SUBMITTED)
                  or (e.kind == EventKind.ESCALATED and e.from_level != e.to_level)
                  or e.to_status == Status.REOPENED]
        last = starts[-1]
        if last.kind == EventKind.SUBMITTED and grievance.channel == Channel.HOTLINE:
            continue  # the hotline's clock starts when its export arrives
        if last.to_level:
            assert grievance.level == last.to_level
        hours = rules[(grievance.level, grievance.priority)]
        assert grievance.due_at == last.at + timedelta(hours=hours), grievance
        checked += 1
    assert checked > 10


def test_nothing_is_left_for_the_periodic_jobs(demo):
    """Overdue issues already climbed (or were flagged at the district); resolved ones
    are younger than a week."""
    events = GrievanceEvent.objects.count()
    assert escalate_overdue(now=demo["started"]) == 0
    assert close_resolved(now=demo["started"]) == 0
    assert GrievanceEvent.objects.count() == events
    assert GrievanceEvent.objects.filter(kind=EventKind.ESCALATED).exists()


def test_a_second_run_creates_nothing(demo):
    before = [m.objects.count() for m in MODELS]
    assert load_grievance_demo(seed=2020) == {"qr_points": 0, "grievances": 0, "events": 0}
    assert [m.objects.count() for m in MODELS] == before
