"""The handling machine: every move, assignment rules and deadlines, replies, merges,
the resident's confirmation / rating / reopening, the 7-day closing, duplicates."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from compounds.errors import ApplicationError
from compounds.models import Role
from grievances.models import (
    TRANSITIONS,
    DeadlineRule,
    EventKind,
    Grievance,
    GrievanceEvent,
    Outbox,
    Reply,
    Status,
)
from grievances.selectors import (
    deadline_for,
    duplicate_candidates,
    grievance_by_tracking_code,
    grievance_get_visible,
    grievances_visible_to,
    public_replies,
    public_timeline,
)
from grievances.services.handling import (
    grievance_assign,
    grievance_confirm,
    grievance_merge,
    grievance_reopen,
    grievance_reply,
    grievance_transition,
)
from grievances.services.jobs import close_resolved
from tests.conftest import make_staff
from tests.grievances.conftest import make_grievance

OWN_SERVICE = {Status.ASSIGNED, Status.MERGED, Status.CLOSED}


def assign(grievance, by, **kwargs):
    kwargs.setdefault("level", "compound")
    kwargs.setdefault("party", "property_company")
    return grievance_assign(by=by, grievance_id=grievance.pk, **kwargs)


def set_status(grievance, status, **fields):
    Grievance.objects.filter(pk=grievance.pk).update(status=status, **fields)
    grievance.refresh_from_db()
    return grievance


# --- the state machine -------------------------------------------------------------

@pytest.mark.parametrize("current", Status.values)
@pytest.mark.parametrize("target", Status.values)
def test_every_move(current, target, compound, grievance, district_user):
    survivor = make_grievance(compound)
    extra = {"merged_into": survivor} if current == Status.MERGED else {}
    set_status(grievance, current, **extra)
    events = GrievanceEvent.objects.filter(grievance=grievance).count()

    def move():
        return grievance_transition(by=district_user, grievance_id=grievance.pk, to=target,
                                    note="理由", reply="已修复")

    if target == current:  # a repeat is a no-op
        assert move().status == current
        assert GrievanceEvent.objects.filter(grievance=grievance).count() == events
        return
    if target not in TRANSITIONS[current] or target in OWN_SERVICE:
        with pytest.raises(ApplicationError) as exc:
            move()
        assert exc.value.status_code == 400
        assert exc.value.extra["allowed"] == list(TRANSITIONS[current])
        grievance.refresh_from_db()
        assert grievance.status == current
        return
    moved = move()
    grievance.refresh_from_db()
    assert grievance.status == moved.status == target
    event = GrievanceEvent.objects.filter(grievance=grievance, kind=EventKind.STATUS).last()
    assert (event.from_status, event.to_status, event.by) == (current, target, district_user)
    if target == Status.RESOLVED:
        assert grievance.resolved_at is not None
    if target == Status.REOPENED:
        assert grievance.resolved_at is None and grievance.due_at > timezone.now()


def test_unknown_state_is_400(grievance, district_user):
    with pytest.raises(ApplicationError) as exc:
        grievance_transition(by=district_user, grievance_id=grievance.pk, to="done")
    assert exc.value.status_code == 400


def test_reject_needs_a_public_reason(grievance, district_user):
    with pytest.raises(ValidationError) as exc:
        grievance_transition(by=district_user, grievance_id=grievance.pk, to="rejected")
    assert set(exc.value.message_dict) == {"note"}
    grievance_transition(by=district_user, grievance_id=grievance.pk, to="rejected",
                         note="不属于本小区管辖，请拨打12345")
    entries = public_timeline(grievance=Grievance.objects.get(pk=grievance.pk))
    assert entries[-1].status == "rejected"
    assert entries[-1].text == "不属于本小区管辖，请拨打12345"


def test_resolve_needs_a_public_reply_since_the_assignment(grievance, district_user):
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="收到，马上安排")
    assign(grievance, district_user)
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="内部：找物业",
                    public=False)
    with pytest.raises(ValidationError) as exc:  # the earlier reply predates the assignment
        grievance_transition(by=district_user, grievance_id=grievance.pk, to="resolved")
    assert set(exc.value.message_dict) == {"reply"}
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="屋顶已补漏")
    done = grievance_transition(by=district_user, grievance_id=grievance.pk, to="resolved")
    assert done.status == "resolved" and done.resolved_at is not None


def test_resolve_with_the_reply_in_one_step(grievance, district_user, sms_outbox):
    assign(grievance, district_user)
    grievance_transition(by=district_user, grievance_id=grievance.pk, to="resolved",
                         reply="屋顶已补漏，请查看")
    reply = Reply.objects.get(grievance=grievance)
    assert (reply.public, reply.text) == (True, "屋顶已补漏，请查看")
    # The resident (who agreed to be contacted) is told to confirm or reopen.
    assert Outbox.objects.filter(grievance=grievance, channel="sms",
                                 to="13812345678").count() == 1


def test_staff_cannot_close_or_move_outside_their_area(grievance, district_user, west_user):
    set_status(grievance, "resolved", resolved_at=timezone.now())
    with pytest.raises(ApplicationError):
        grievance_transition(by=district_user, grievance_id=grievance.pk, to="closed")
    with pytest.raises(Http404):
        grievance_transition(by=west_user, grievance_id=grievance.pk, to="reopened", note="x")
    with pytest.raises(Http404):
        grievance_get_visible(user=west_user, grievance_id=grievance.pk)
    with pytest.raises(Http404):
        grievance_get_visible(user=west_user, grievance_id="nonsense")


def test_gate(area, grievance, west_compound, east_user, east_a_user, west_user,
              district_user, roleless_user):
    other = make_grievance(west_compound)
    assert set(grievances_visible_to(east_user)) == {grievance}
    assert set(grievances_visible_to(east_a_user)) == {grievance}
    assert set(grievances_visible_to(west_user)) == {other}
    assert set(grievances_visible_to(district_user)) == {grievance, other}
    assert not grievances_visible_to(roleless_user).exists()
    assert grievance_get_visible(user=east_a_user, grievance_id=str(grievance.pk)) == grievance


# --- assignment and deadlines ------------------------------------------------------

def test_assign_from_received_accepts_on_the_way(grievance, east_user, east_a_user):
    before = timezone.now()
    done = assign(grievance, east_user, assignee_id=east_a_user.pk, party_name="海信物业",
                  note="请48小时内上门")
    assert (done.status, done.level, done.party, done.assignee) == (
        "assigned", "compound", "property_company", east_a_user)
    assert before + timedelta(hours=72) <= done.due_at <= timezone.now() + timedelta(hours=72)
    moves = list(GrievanceEvent.objects.filter(grievance=grievance).exclude(kind="submitted")
                 .values_list("kind", "from_status", "to_status"))
    assert moves == [("status", "received", "accepted"), ("assigned", "accepted", "assigned")]


def test_urgent_safety_has_24_hours(compound, district_user):
    issue = make_grievance(compound, category="safety", priority="urgent",
                           description="楼道电线裸露")
    before = timezone.now()
    done = assign(issue, district_user)
    assert before + timedelta(hours=24) <= done.due_at <= timezone.now() + timedelta(hours=24)
    done = assign(issue, district_user, level="community", party="community_office",
                  priority="normal")  # reassign, the priority lowered: 120 h
    assert done.due_at >= before + timedelta(hours=120)
    assert done.priority == "normal"


def test_deadline_rules_are_read_and_missing_ones_fall_back(caplog):
    start = timezone.now()
    DeadlineRule.objects.filter(level="community", priority="normal").update(hours=10)
    assert deadline_for(level="community", priority="normal", start=start) == (
        start + timedelta(hours=10))
    DeadlineRule.objects.filter(level="district", priority="urgent").delete()
    with caplog.at_level("WARNING"):
        due = deadline_for(level="district", priority="urgent", start=start)
    assert due == start + timedelta(hours=72)  # the catalogue's default
    assert "no deadline rule" in caplog.text


def test_assign_checks_every_field_at_once(grievance, district_user, west_user):
    with pytest.raises(ValidationError) as exc:
        assign(grievance, district_user, level="community", party="property_company",
               assignee_id=west_user.pk, priority="someday", party_name="x" * 81)
    assert set(exc.value.message_dict) == {"party", "assignee", "priority", "party_name"}
    with pytest.raises(ValidationError) as exc:
        assign(grievance, district_user, level="galaxy", assignee_id="abc")
    assert set(exc.value.message_dict) == {"level", "assignee"}
    grievance.refresh_from_db()
    assert grievance.status == "received"


@pytest.mark.parametrize(("level", "party", "ok"), [
    ("compound", "owners_committee", True), ("compound", "party_branch", True),
    ("compound", "community_office", False), ("community", "community_office", True),
    ("subdistrict", "community_office", False), ("subdistrict", "subdistrict_office", True),
    ("district", "district_department", True), ("district", "subdistrict_office", False),
])
def test_level_and_party_must_match(grievance, district_user, level, party, ok):
    if ok:
        assert assign(grievance, district_user, level=level, party=party).level == level
    else:
        with pytest.raises(ValidationError) as exc:
            assign(grievance, district_user, level=level, party=party)
        assert set(exc.value.message_dict) == {"party"}


def test_assignee_must_cover_the_compound(area, grievance, district_user):
    roleless = make_staff("temp")
    other_community = make_staff("east-b", Role.COMMUNITY, community=area.east_b)
    for user in (roleless, other_community):
        with pytest.raises(ValidationError) as exc:
            assign(grievance, district_user, assignee_id=user.pk)
        assert set(exc.value.message_dict) == {"assignee"}
    assert assign(grievance, district_user, assignee_id=district_user.pk).assignee == district_user


def test_assign_only_from_where_the_machine_allows(grievance, district_user):
    for status in ("in_progress", "resolved", "closed", "rejected"):
        set_status(grievance, status)
        with pytest.raises(ApplicationError):
            assign(grievance, district_user)
    set_status(grievance, "reopened")
    assert assign(grievance, district_user).status == "assigned"
    assert assign(grievance, district_user, level="community",
                  party="community_office").level == "community"  # reassign


# --- replies and merges ------------------------------------------------------------

def test_replies_public_and_internal(grievance, district_user):
    with pytest.raises(ValidationError) as exc:
        grievance_reply(by=district_user, grievance_id=grievance.pk, text="  ")
    assert set(exc.value.message_dict) == {"text"}
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="已派物业查看")
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="内部：业主难沟通",
                    public=False)
    assert [r.text for r in public_replies(grievance=grievance)] == ["已派物业查看"]
    assert GrievanceEvent.objects.filter(grievance=grievance, kind="replied").count() == 2


def test_merge_rules(area, compound, grievance, district_user, west_compound):
    survivor = make_grievance(compound)
    with pytest.raises(ValidationError) as exc:
        grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=grievance.pk)
    assert set(exc.value.message_dict) == {"into"}
    elsewhere = make_grievance(west_compound)
    with pytest.raises(ValidationError):
        grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=elsewhere.pk)
    closed = set_status(make_grievance(compound), "closed")
    with pytest.raises(ValidationError):
        grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=closed.pk)
    resolved = set_status(make_grievance(compound), "resolved")
    with pytest.raises(ApplicationError):  # a resolved issue is no longer a duplicate
        grievance_merge(by=district_user, grievance_id=resolved.pk, into_id=survivor.pk)

    merged = grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=survivor.pk)
    assert (merged.status, merged.merged_into) == ("merged", survivor)
    assert GrievanceEvent.objects.filter(grievance=grievance, kind="merged",
                                         to_status="merged").count() == 1
    assert GrievanceEvent.objects.filter(grievance=survivor, kind="merged").count() == 1
    # A repeat changes nothing; a merged issue is not a survivor.
    grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=survivor.pk)
    assert GrievanceEvent.objects.filter(grievance=grievance, kind="merged").count() == 1
    third = make_grievance(compound)
    with pytest.raises(ValidationError):
        grievance_merge(by=district_user, grievance_id=third.pk, into_id=grievance.pk)
    with pytest.raises(ApplicationError):
        grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=third.pk)


def test_merge_outside_the_area_is_404(compound, grievance, west_user):
    survivor = make_grievance(compound)
    with pytest.raises(Http404):
        grievance_merge(by=west_user, grievance_id=grievance.pk, into_id=survivor.pk)


def test_merged_reporter_sees_the_survivors_replies(compound, grievance, district_user):
    survivor = make_grievance(compound)
    grievance_reply(by=district_user, grievance_id=survivor.pk, text="收到，本周维修")
    grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=survivor.pk)
    with pytest.raises(ApplicationError):  # answer the survivor instead
        grievance_reply(by=district_user, grievance_id=grievance.pk, text="x")
    grievance_reply(by=district_user, grievance_id=grievance.pk, text="内部备注", public=False)
    grievance_reply(by=district_user, grievance_id=survivor.pk, text="内部：预算不足",
                    public=False)
    grievance_transition(by=district_user, grievance_id=survivor.pk, to="accepted")
    # A later merge of the survivor carries its duplicates along (one level deep).
    last = make_grievance(compound)
    grievance_merge(by=district_user, grievance_id=survivor.pk, into_id=last.pk)
    grievance_reply(by=district_user, grievance_id=last.pk, text="已全部修好")

    seen = grievance_by_tracking_code(grievance.tracking_code.lower())
    assert seen.merged_into == last
    assert [r.text for r in public_replies(grievance=seen)] == ["已全部修好"]
    seen = grievance_by_tracking_code(survivor.tracking_code)
    texts = [e.text for e in public_timeline(grievance=seen) if e.kind == "reply"]
    assert texts == ["收到，本周维修", "已全部修好"]


def test_public_timeline_shows_moves_and_public_replies_only(compound, grievance,
                                                               district_user):
    survivor = make_grievance(compound)
    assign(survivor, district_user, party_name="海信物业", note="内部：找王经理")
    grievance_reply(by=district_user, grievance_id=survivor.pk, text="内部：王经理电话",
                    public=False)
    grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=survivor.pk)
    grievance_transition(by=district_user, grievance_id=survivor.pk, to="in_progress")
    grievance_reply(by=district_user, grievance_id=survivor.pk, text="师傅已上门")
    entries = public_timeline(grievance=Grievance.objects.get(pk=grievance.pk))
    assert [(e.kind, e.status, e.survivor) for e in entries] == [
        ("status", "received", False), ("status", "merged", False),
        ("status", "in_progress", True), ("reply", "", True)]
    dumped = repr(entries)
    for secret in ("内部", "王经理", "海信物业", "district", survivor.tracking_code):
        assert secret not in dumped


def test_tracking_code_lookup_is_normalised(compound):
    issue = make_grievance(compound, tracking_code="ABCD-2345")
    for typed in ("ABCD-2345", "abcd 2345", "abcd2345", " ABCD－2345 "):
        assert grievance_by_tracking_code(typed) == issue
    for typed in ("", None, "ZZZZ-9999"):
        with pytest.raises(Http404):
            grievance_by_tracking_code(typed)


# --- the resident: confirm, rate, reopen; the 7-day closing --------------------------

def resolved(grievance, *, days_ago=0):
    return set_status(grievance, "resolved",
                      resolved_at=timezone.now() - timedelta(days=days_ago))


def test_confirm_and_rate(grievance):
    with pytest.raises(ApplicationError):  # not resolved yet
        grievance_confirm(tracking_code=grievance.tracking_code, rating="satisfied")
    resolved(grievance)
    with pytest.raises(ValidationError) as exc:
        grievance_confirm(tracking_code=grievance.tracking_code, rating="",
                          comment="x" * 501)
    assert set(exc.value.message_dict) == {"rating", "comment"}
    done = grievance_confirm(tracking_code=grievance.tracking_code.lower(),
                             rating="basically", comment="修得还行")
    assert (done.status, done.rating, done.rating_comment) == ("closed", "basically", "修得还行")
    assert done.closed_at and done.rated_at
    grievance_confirm(tracking_code=grievance.tracking_code, rating="unsatisfied")  # repeat
    done.refresh_from_db()
    assert done.rating == "basically"
    assert GrievanceEvent.objects.filter(grievance=grievance, kind="rated",
                                         to_status="closed").count() == 1
    with pytest.raises(Http404):
        grievance_confirm(tracking_code="NOPE-0000", rating="satisfied")


def test_reopen_within_7_days(grievance, district_user, east_a_user):
    assign(grievance, district_user, assignee_id=east_a_user.pk)
    resolved(grievance, days_ago=6)
    with pytest.raises(ValidationError) as exc:
        grievance_reopen(tracking_code=grievance.tracking_code, reason=" ")
    assert set(exc.value.message_dict) == {"reason"}
    done = grievance_reopen(tracking_code=grievance.tracking_code, reason="还在漏")
    assert done.status == "reopened" and done.resolved_at is None
    assert done.due_at > timezone.now()
    event = GrievanceEvent.objects.filter(grievance=grievance).last()
    assert (event.to_status, event.note, event.by) == ("reopened", "还在漏", None)
    # The assignee (no e-mail address) is told in the app.
    message = Outbox.objects.get(grievance=grievance, channel="inapp")
    assert message.to == east_a_user.username and "还在漏" in message.text
    assert grievance_get_visible(user=district_user, grievance_id=grievance.pk).status == (
        "reopened")


def test_reopen_after_7_days_is_refused(grievance):
    resolved(grievance, days_ago=8)
    with pytest.raises(ApplicationError) as exc:
        grievance_reopen(tracking_code=grievance.tracking_code, reason="还在漏")
    assert exc.value.status_code == 400
    grievance.refresh_from_db()
    assert grievance.status == "resolved"
    set_status(grievance, "closed")
    with pytest.raises(ApplicationError):
        grievance_reopen(tracking_code=grievance.tracking_code, reason="还在漏")


def test_close_resolved_after_7_days(compound, grievance):
    old = resolved(grievance, days_ago=7)
    fresh = resolved(make_grievance(compound), days_ago=6)
    open_one = make_grievance(compound)
    assert close_resolved() == 1
    old.refresh_from_db()
    assert old.status == "closed" and old.closed_at is not None and not old.rating
    assert Grievance.objects.get(pk=fresh.pk).status == "resolved"
    assert Grievance.objects.get(pk=open_one.pk).status == "received"
    assert close_resolved() == 0  # idempotent
    assert GrievanceEvent.objects.filter(grievance=old, to_status="closed").count() == 1
    assert close_resolved(now=timezone.now() + timedelta(days=1)) == 1


# --- duplicate suggestions ---------------------------------------------------------

def test_duplicate_candidates_ranked(area, compound, west_compound):
    issue = make_grievance(compound, description="3号楼顶层漏水，天花板一直掉灰")
    best = make_grievance(compound, description="3号楼顶层漏水天花板掉灰")
    good = make_grievance(compound, description="三号楼顶层漏水，墙面发霉")
    make_grievance(compound, description="小区门口路灯坏了好几天")  # not similar
    make_grievance(compound, category="road", description="3号楼顶层漏水，天花板一直掉灰")
    make_grievance(west_compound, description="3号楼顶层漏水，天花板一直掉灰")
    make_grievance(compound, description="3号楼顶层漏水，天花板一直掉灰", status="closed")
    make_grievance(compound, description="3号楼顶层漏水，天花板一直掉灰",
                   received_at=timezone.now() - timedelta(days=31))
    found = duplicate_candidates(grievance=issue)
    assert found == [best, good]
    assert found[0].similarity > found[1].similarity > 0.2
    assert duplicate_candidates(grievance=issue, limit=1) == [best]
    assert duplicate_candidates(grievance=set_status(issue, "resolved")) == []


def test_duplicate_candidates_one_query(compound, django_assert_num_queries):
    issue = make_grievance(compound)
    for n in range(60):
        make_grievance(compound, description=f"三号楼顶层漏水，天花板掉灰 {n}")
    with django_assert_num_queries(1):
        found = duplicate_candidates(grievance=issue)
    assert len(found) == 5


@pytest.mark.parametrize("replies", [2, 12])
def test_public_timeline_constant_queries(compound, grievance, district_user, replies,
                                          django_assert_num_queries):
    survivor = make_grievance(compound)
    grievance_merge(by=district_user, grievance_id=grievance.pk, into_id=survivor.pk)
    for n in range(replies):
        grievance_reply(by=district_user, grievance_id=survivor.pk, text=f"进展 {n}")
    seen = grievance_by_tracking_code(grievance.tracking_code)
    with django_assert_num_queries(2):
        entries = public_timeline(grievance=seen)
    assert sum(e.kind == "reply" for e in entries) == replies
