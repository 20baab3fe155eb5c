"""Meetings: scheduling, changes, minutes, cancelling — every bad input, the area gate,
the history, and the selectors the reminders use."""

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from compounds.errors import ApplicationError
from consultation.models.meetings import (
    Meeting,
    MeetingAttendance,
    MeetingEvent,
    MeetingEventKind,
    MeetingState,
)
from consultation.selectors.meetings import (
    attendance_table,
    meeting_get_visible,
    meeting_list,
    meetings_missing_minutes,
    meetings_starting_between,
)
from consultation.services.meetings import (
    meeting_cancel,
    meeting_record_minutes,
    meeting_schedule,
    meeting_update,
)
from consultation.services.topics import topic_create
from tests.conftest import make_staff


def soon(**delta) -> datetime:
    return timezone.now() + timedelta(**(delta or {"days": 3}))


def ago(**delta) -> datetime:
    return timezone.now() - timedelta(**(delta or {"hours": 3}))


def schedule(by, compound, **fields):
    values = {"compound_id": compound.pk, "type": "council", "title": "加装电梯协商议事会",
              "starts_at": soon(), "place": "社区党群服务中心"}
    values.update(fields)
    return meeting_schedule(by=by, **values)


def a_topic(by, compound, title="屋面防水"):
    return topic_create(by=by, compound_id=compound.pk, title=title, scope="compound",
                        kind="renovation_plan", rule="civil_code_ordinary")


def errors_of(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


@pytest.fixture
def west(area):
    return area.compounds["石油大院"]


# --- schedule ------------------------------------------------------------------------------


def test_schedule_writes_meeting_topics_invitees_and_history(east_user, east, west_user):
    topic = a_topic(east_user, east)
    meeting = schedule(east_user, east, topic_ids=[topic.pk],
                       invitee_ids=[east_user.pk, west_user.pk], ends_at=soon(days=3, hours=2))
    meeting.refresh_from_db()
    assert meeting.compound == east and meeting.created_by == east_user
    assert list(meeting.topics.all()) == [topic]
    # Any active staff account may be invited, even from another area.
    assert set(meeting.invitees.all()) == {east_user, west_user}
    assert [(e.kind, e.by) for e in meeting.events.all()] == [("scheduled", east_user)]
    assert meeting.state == MeetingState.UPCOMING


def test_schedule_in_the_past_is_allowed(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago(days=10))
    assert meeting.state == MeetingState.AWAITING_MINUTES


def test_schedule_reports_every_bad_field_at_once(east_user, east):
    with pytest.raises(ValidationError) as excinfo:
        meeting_schedule(by=east_user, compound_id=east.pk, type="picnic", title="  ",
                         starts_at=soon(), ends_at=soon(days=2), place="",
                         topic_ids=["x"], invitee_ids=[999999])
    assert errors_of(excinfo) == {"type", "title", "ends_at", "place", "topics", "invitees"}
    assert not Meeting.objects.exists()


def test_schedule_needs_a_compound_in_the_area(west_user, east):
    with pytest.raises(ValidationError) as excinfo:
        schedule(west_user, east)
    assert errors_of(excinfo) == {"compound"}
    with pytest.raises(ValidationError) as excinfo:
        schedule(west_user, east, compound_id="abc")
    assert errors_of(excinfo) == {"compound"}


def test_roleless_user_schedules_nothing(roleless_user, east):
    with pytest.raises(ValidationError) as excinfo:
        schedule(roleless_user, east)
    assert "compound" in errors_of(excinfo)


def test_topics_must_be_of_the_same_compound(east_user, east, area):
    other = a_topic(east_user, area.compounds["育才苑"], title="停车位")
    with pytest.raises(ValidationError) as excinfo:
        schedule(east_user, east, topic_ids=[other.pk])
    assert errors_of(excinfo) == {"topics"}
    assert f"#{other.pk}" in excinfo.value.message_dict["topics"][0]


def test_invitees_must_be_active_staff(east_user, east, roleless_user):
    retired = make_staff("retired", "district")
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError) as excinfo:
        schedule(east_user, east, invitee_ids=[roleless_user.pk, retired.pk])
    message = excinfo.value.message_dict["invitees"][0]
    assert f"#{roleless_user.pk}" in message and f"#{retired.pk}" in message


def test_naive_times_are_refused(east_user, east):
    with pytest.raises(ValidationError) as excinfo:
        schedule(east_user, east, starts_at=datetime(2030, 5, 1, 19, 0))
    assert errors_of(excinfo) == {"starts_at"}


def test_missing_start_is_a_field_error(east_user, east):
    with pytest.raises(ValidationError) as excinfo:
        schedule(east_user, east, starts_at=None)
    assert "starts_at" in errors_of(excinfo)


# --- update --------------------------------------------------------------------------------


def test_update_records_what_changed(east_user, east):
    meeting = schedule(east_user, east)
    topic = a_topic(east_user, east)
    new_start = soon(days=5)
    meeting_update(by=east_user, meeting_id=meeting.pk, data={
        "starts_at": new_start, "place": "3号楼前空地", "type": "open_air",
        "topic_ids": [topic.pk],
    })
    meeting.refresh_from_db()
    assert meeting.starts_at == new_start and meeting.place == "3号楼前空地"
    assert list(meeting.topics.all()) == [topic]
    event = meeting.events.get(kind=MeetingEventKind.CHANGED)
    assert "3号楼前空地" in event.note and "屋面防水" in event.note
    assert timezone.localtime(new_start).strftime("%Y-%m-%d %H:%M") in event.note


def test_update_without_change_writes_no_event(east_user, east):
    meeting = schedule(east_user, east)
    meeting_update(by=east_user, meeting_id=meeting.pk, data={"title": meeting.title})
    assert meeting.events.count() == 1


def test_update_refuses_unknown_fields_and_bad_values(east_user, east):
    meeting = schedule(east_user, east)
    with pytest.raises(ValidationError) as excinfo:
        meeting_update(by=east_user, meeting_id=meeting.pk, data={"compound": 3})
    assert errors_of(excinfo) == {"compound"}
    with pytest.raises(ValidationError) as excinfo:
        meeting_update(by=east_user, meeting_id=meeting.pk,
                       data={"ends_at": meeting.starts_at - timedelta(hours=1), "title": ""})
    assert errors_of(excinfo) == {"ends_at", "title"}
    meeting.refresh_from_db()
    assert meeting.ends_at is None


def test_update_another_areas_meeting_is_404(east_user, west_user, east):
    meeting = schedule(east_user, east)
    with pytest.raises(Http404):
        meeting_update(by=west_user, meeting_id=meeting.pk, data={"title": "x"})


def test_cancelled_meeting_cannot_change(east_user, east):
    meeting = schedule(east_user, east)
    meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="暴雨")
    with pytest.raises(ApplicationError) as excinfo:
        meeting_update(by=east_user, meeting_id=meeting.pk, data={"title": "x"})
    assert excinfo.value.status_code == 409


def test_held_meeting_cannot_move_into_the_future(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk, attendance={"residents": 20},
                           minutes="议定加装电梯方案")
    with pytest.raises(ValidationError) as excinfo:
        meeting_update(by=east_user, meeting_id=meeting.pk, data={"starts_at": soon()})
    assert errors_of(excinfo) == {"starts_at"}


# --- minutes -------------------------------------------------------------------------------


def test_record_minutes(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    meeting_record_minutes(
        by=east_user, meeting_id=meeting.pk,
        attendance={"residents": 36, "owners_committee": 3, "party_members": "5",
                    "contractor": 0, "other": ""},
        minutes="  居民对加装电梯费用分摊提出意见。 ", decisions="一楼住户不分摊费用",
    )
    meeting = meeting_get_visible(user=east_user, meeting_id=meeting.pk)
    assert meeting.minutes == "居民对加装电梯费用分摊提出意见。"
    assert meeting.decisions == "一楼住户不分摊费用"
    assert meeting.minutes_recorded_at is not None
    assert {a.role: a.count for a in meeting.attendance.all()} == {
        "residents": 36, "owners_committee": 3, "party_members": 5, "contractor": 0}
    table = attendance_table(meeting)
    assert [row.role for row in table][:2] == ["residents", "representatives"]
    assert table[0].count == 36 and table[1].count is None
    assert meeting.state == MeetingState.HELD
    assert [e.kind for e in meeting.events.all()] == ["scheduled", "minutes_recorded"]


def test_correcting_minutes_replaces_the_counts_and_keeps_the_first_time(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                           attendance={"residents": 36, "other": 2}, minutes="初稿")
    first = Meeting.objects.get(pk=meeting.pk).minutes_recorded_at
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                           attendance={"residents": 38}, minutes="定稿")
    meeting.refresh_from_db()
    assert meeting.minutes == "定稿" and meeting.minutes_recorded_at == first
    assert list(meeting.attendance.values_list("role", "count")) == [("residents", 38)]
    assert meeting.events.filter(kind="minutes_recorded").count() == 2
    assert meeting.events.last().note  # "corrected"


def test_minutes_refuse_negative_counts_field_by_field(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    with pytest.raises(ValidationError) as excinfo:
        meeting_record_minutes(
            by=east_user, meeting_id=meeting.pk,
            attendance={"residents": -1, "party_members": "三", "other": 100000,
                        "representatives": 4},
            minutes="   ",
        )
    assert errors_of(excinfo) == {"attendance_residents", "attendance_party_members",
                                  "attendance_other", "minutes"}
    assert not MeetingAttendance.objects.exists()
    meeting.refresh_from_db()
    assert meeting.minutes_recorded_at is None


def test_minutes_refuse_unknown_roles_and_nobody(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    with pytest.raises(ValidationError) as excinfo:
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"aliens": 3}, minutes="x")
    assert errors_of(excinfo) == {"attendance"}
    with pytest.raises(ValidationError) as excinfo:
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"residents": 0}, minutes="x")
    assert errors_of(excinfo) == {"attendance"}
    with pytest.raises(ValidationError) as excinfo:
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk, attendance=None,
                               minutes="x")
    assert errors_of(excinfo) == {"attendance"}


def test_minutes_only_after_the_start(east_user, east):
    meeting = schedule(east_user, east, starts_at=soon(hours=1))
    with pytest.raises(ApplicationError) as excinfo:
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"residents": 3}, minutes="x")
    assert excinfo.value.status_code == 409
    assert not MeetingEvent.objects.filter(kind="minutes_recorded").exists()


def test_minutes_of_a_cancelled_meeting_are_refused(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="改期")
    with pytest.raises(ApplicationError):
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"residents": 3}, minutes="x")


def test_minutes_of_another_areas_meeting_is_404(east_user, west_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    with pytest.raises(Http404):
        meeting_record_minutes(by=west_user, meeting_id=meeting.pk,
                               attendance={"residents": 3}, minutes="x")
    with pytest.raises(Http404):
        meeting_record_minutes(by=west_user, meeting_id="nope",
                               attendance={"residents": 3}, minutes="x")


# --- cancel --------------------------------------------------------------------------------


def test_cancel_needs_a_reason_and_repeats_are_no_ops(east_user, east):
    meeting = schedule(east_user, east)
    with pytest.raises(ValidationError) as excinfo:
        meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="  ")
    assert errors_of(excinfo) == {"reason"}
    meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="台风预警，改期")
    meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="again")
    meeting.refresh_from_db()
    assert meeting.cancel_reason == "台风预警，改期"
    assert meeting.state == MeetingState.CANCELLED
    assert [e.kind for e in meeting.events.all()] == ["scheduled", "cancelled"]


def test_a_held_meeting_cannot_be_cancelled(east_user, east):
    meeting = schedule(east_user, east, starts_at=ago())
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk, attendance={"residents": 9},
                           minutes="x")
    with pytest.raises(ApplicationError) as excinfo:
        meeting_cancel(by=east_user, meeting_id=meeting.pk, reason="x")
    assert excinfo.value.status_code == 409


def test_cancel_another_areas_meeting_is_404(east_user, west_user, east):
    meeting = schedule(east_user, east)
    with pytest.raises(Http404):
        meeting_cancel(by=west_user, meeting_id=meeting.pk, reason="x")
    assert not Meeting.objects.get(pk=meeting.pk).is_cancelled


# --- selectors -----------------------------------------------------------------------------


def test_list_is_scoped_and_counts(east_user, east_a_user, west_user, area, east):
    mine = schedule(east_user, east, starts_at=ago())
    meeting_record_minutes(by=east_user, meeting_id=mine.pk,
                           attendance={"residents": 30, "other": 4}, minutes="x")
    a_topic(east_user, east)
    other = schedule(east_user, area.compounds["育才苑"])
    assert {m.pk for m in meeting_list(user=east_user)} == {mine.pk, other.pk}
    assert [m.pk for m in meeting_list(user=east_a_user)] == [mine.pk]
    assert not meeting_list(user=west_user).exists()
    row = meeting_list(user=east_user).get(pk=mine.pk)
    assert row.attendance_total == 34 and row.topic_count == 0
    assert meeting_list(user=east_user).get(pk=other.pk).attendance_total == 0
    with pytest.raises(Http404):
        meeting_get_visible(user=west_user, meeting_id=mine.pk)


def test_missing_minutes_for_the_reminders(east_user, east):
    now = timezone.now()
    overdue = schedule(east_user, east, title="overdue", starts_at=now - timedelta(days=3))
    schedule(east_user, east, title="recent", starts_at=now - timedelta(days=1))
    long = schedule(east_user, east, title="long", starts_at=now - timedelta(days=4),
                    ends_at=now - timedelta(days=1))
    done = schedule(east_user, east, title="done", starts_at=now - timedelta(days=5))
    meeting_record_minutes(by=east_user, meeting_id=done.pk, attendance={"residents": 1},
                           minutes="x")
    off = schedule(east_user, east, title="off", starts_at=now - timedelta(days=6))
    meeting_cancel(by=east_user, meeting_id=off.pk, reason="x")
    assert [m.pk for m in meetings_missing_minutes(now=now)] == [overdue.pk]
    # Judged by the end when there is one: `long` ended a day ago.
    assert long.pk in {m.pk for m in meetings_missing_minutes(now=now + timedelta(days=2))}


def test_meetings_starting_between(east_user, east):
    now = timezone.now()
    tomorrow = schedule(east_user, east, starts_at=now + timedelta(hours=20))
    schedule(east_user, east, starts_at=now + timedelta(days=3))
    off = schedule(east_user, east, starts_at=now + timedelta(hours=10))
    meeting_cancel(by=east_user, meeting_id=off.pk, reason="x")
    found = meetings_starting_between(after=now, before=now + timedelta(days=1))
    assert [m.pk for m in found] == [tomorrow.pk]
