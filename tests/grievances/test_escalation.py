"""The ladder: a level that misses its deadline passes the issue one level up, by
itself, once per missed deadline; the one who missed it is told; the district is the
top (flagged, never climbs further)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from grievances.models import EventKind, Grievance, GrievanceEvent, Outbox
from grievances.services.handling import grievance_assign
from grievances.services.jobs import MOTTO, escalate_overdue
from grievances.tasks import escalate_overdue_task
from tests.grievances.conftest import make_grievance

HOUR = timedelta(hours=1)


@pytest.fixture
def assigned(grievance, east_user, east_a_user):
    east_a_user.first_name = "小李"
    east_a_user.email = "li@example.cn"
    east_a_user.save()
    return grievance_assign(by=east_user, grievance_id=grievance.pk, level="compound",
                            party="property_company", assignee_id=east_a_user.pk)


def climbs(grievance):
    return list(GrievanceEvent.objects.filter(grievance=grievance, kind=EventKind.ESCALATED)
                .values_list("from_level", "to_level"))


def test_nothing_climbs_before_the_deadline(assigned):
    assert escalate_overdue(now=assigned.due_at - HOUR) == 0
    assert escalate_overdue(now=assigned.due_at) == 0  # due at, not yet past
    assigned.refresh_from_db()
    assert assigned.level == "compound"


def test_a_missed_deadline_climbs_one_level_and_tells_who_missed_it(assigned, east_a_user):
    now = assigned.due_at + HOUR
    assert escalate_overdue(now=now) == 1
    issue = Grievance.objects.get(pk=assigned.pk)
    assert (issue.level, issue.party, issue.party_name, issue.assignee) == (
        "community", "community_office", "南屯社区", None)
    assert issue.due_at == now + timedelta(hours=120)  # community, normal
    assert issue.status == "assigned"
    event = GrievanceEvent.objects.get(grievance=issue, kind=EventKind.ESCALATED)
    assert (event.from_level, event.to_level, event.at) == ("compound", "community", now)
    assert MOTTO in event.note and "小李" in event.note
    message = Outbox.objects.get(dedupe_key=f"escalated:{issue.pk}:compound")
    assert (message.channel, message.to, message.grievance) == ("email", "li@example.cn", issue)
    assert MOTTO in message.text and message.sent_at is None


def test_running_twice_climbs_once(assigned):
    now = assigned.due_at + HOUR
    assert escalate_overdue(now=now) == 1
    assert escalate_overdue(now=now) == 0
    assert escalate_overdue(now=now + 2 * HOUR) == 0
    assert climbs(assigned) == [("compound", "community")]
    assert Outbox.objects.filter(grievance=assigned).count() == 1


def test_one_level_per_missed_deadline_up_to_the_district(assigned):
    now = assigned.due_at + HOUR
    for expected in ("community", "subdistrict", "district"):
        assert escalate_overdue(now=now) == 1
        issue = Grievance.objects.get(pk=assigned.pk)
        assert issue.level == expected
        now = issue.due_at + HOUR
    assert (issue.party, issue.party_name) == ("district_department", "")
    # At the top: it stays, flagged once per missed deadline.
    assert escalate_overdue(now=now) == 0
    assert escalate_overdue(now=now + HOUR) == 0
    issue.refresh_from_db()
    assert issue.level == "district"
    assert climbs(issue) == [("compound", "community"), ("community", "subdistrict"),
                             ("subdistrict", "district"), ("district", "district")]
    # Only the first climb had someone assigned to tell.
    assert Outbox.objects.filter(grievance=issue).count() == 1


def test_district_flag_tells_the_assignee_once_per_deadline(grievance, district_user):
    district_user.email = "qu@example.cn"
    district_user.save()
    issue = grievance_assign(by=district_user, grievance_id=grievance.pk, level="district",
                             party="district_department", assignee_id=district_user.pk)
    now = issue.due_at + HOUR
    escalate_overdue(now=now)
    escalate_overdue(now=now + HOUR)
    assert Outbox.objects.filter(grievance=issue, to="qu@example.cn").count() == 1
    issue.refresh_from_db()
    assert (issue.level, issue.assignee) == ("district", district_user)
    # Given a new deadline (days later) and missed again: flagged again.
    later = now + timedelta(days=3)
    Grievance.objects.filter(pk=issue.pk).update(due_at=later)
    escalate_overdue(now=later + HOUR)
    assert climbs(issue) == [("district", "district")] * 2
    assert Outbox.objects.filter(grievance=issue).count() == 2


def test_urgent_deadlines_and_received_issues_climb_too(compound):
    now = timezone.now()
    urgent = make_grievance(compound, category="safety", priority="urgent",
                            due_at=now - HOUR, description="楼道电线裸露")
    escalate_overdue(now=now)
    urgent.refresh_from_db()
    assert urgent.level == "community" and urgent.status == "received"
    assert urgent.due_at == now + timedelta(hours=24)


def test_only_open_issues_climb(compound):
    past = timezone.now() - HOUR
    for status in ("resolved", "closed", "rejected"):
        make_grievance(compound, status=status, due_at=past)
    make_grievance(compound, due_at=None)
    reopened = make_grievance(compound, status="reopened", due_at=past)
    assert escalate_overdue() == 1
    assert list(Grievance.objects.filter(level="community")) == [reopened]


def test_the_beat_task_escalates(assigned):
    Grievance.objects.filter(pk=assigned.pk).update(due_at=timezone.now() - HOUR)
    escalate_overdue_task.apply()
    assert Grievance.objects.get(pk=assigned.pk).level == "community"


def test_many_overdue_in_batches(compound, monkeypatch):
    from grievances.services import jobs

    monkeypatch.setattr(jobs, "BATCH", 3)
    past = timezone.now() - HOUR
    for _n in range(7):
        make_grievance(compound, due_at=past)
    assert escalate_overdue() == 7
    assert escalate_overdue() == 0
    assert Grievance.objects.filter(level="community").count() == 7


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_climb_once(area):
    """Two escalation runs at the same moment (PostgreSQL: real row locks)."""
    import threading

    from django.db import connection

    from grievances.catalog import seed_catalog
    from grievances.models import Category, DeadlineRule

    if connection.vendor != "postgresql":
        pytest.skip("row locks with skip_locked need PostgreSQL")
    seed_catalog(Category, DeadlineRule)
    compound = area.compounds["长江路小区"]
    past = timezone.now() - HOUR
    issues = [make_grievance(compound, due_at=past) for _n in range(30)]
    now = timezone.now()
    results, barrier = [], threading.Barrier(2)

    def run():
        barrier.wait()
        try:
            results.append(escalate_overdue(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 30
    assert GrievanceEvent.objects.filter(kind=EventKind.ESCALATED).count() == 30
    assert set(Grievance.objects.filter(pk__in=[i.pk for i in issues])
               .values_list("level", flat=True)) == {"community"}
