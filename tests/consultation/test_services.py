"""Writes of the consultation app: topics and ballots (the tally has its own tests)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import override

from consultation.models import Ballot, BallotEvent, Choice, Method, Rule, Scope, TopicKind
from consultation.services import ballot_cast, topic_create


@pytest.fixture
def place(area):
    """长江路小区 (east): building 1 units 1 and 2, building 2; 石油大院 (west): one flat."""
    c = area.compounds["长江路小区"]
    d = {
        "b1u1": area.dwelling(c, building="1", unit="1", number="101", owner_ref="A"),
        "b1u1b": area.dwelling(c, building="1", unit="1", number="102", owner_ref="B"),
        "b1u2": area.dwelling(c, building="1", unit="2", number="101", owner_ref="C"),
        "b2": area.dwelling(c, building="2", unit="1", number="101", owner_ref="D"),
        "west": area.dwelling(area.compounds["石油大院"], owner_ref="W"),
    }
    d["b1"], d["b2b"] = d["b1u1"].building, d["b2"].building
    d["compound"] = c
    return d


def create(by, place, **fields):
    values = {"compound_id": place["compound"].pk, "title": "加装电梯", "scope": Scope.COMPOUND,
              "kind": TopicKind.OTHER, "rule": Rule.CIVIL_CODE_ORDINARY}
    values.update(fields)
    with override("en"):
        return topic_create(by=by, **values)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc:
        call()
    return exc.value.message_dict


# --- topic_create ----------------------------------------------------------------------


def test_topic_create_unit_scope_with_affected_dwellings(east_user, place):
    topic = create(east_user, place, scope=Scope.UNIT, building_id=place["b1"].pk, unit="1",
                   kind=TopicKind.ELEVATOR, rule=Rule.CIVIL_CODE_MAJOR,
                   affected_dwelling_ids=[place["b1u1"].pk])
    topic.refresh_from_db()
    assert (topic.scope, topic.building_id, topic.unit) == (Scope.UNIT, place["b1"].pk, "1")
    assert list(topic.affected_dwellings.all()) == [place["b1u1"]]
    assert topic.created_by == east_user and topic.threshold is None


def test_topic_create_consent_share_keeps_the_threshold_exact(east_user, place):
    topic = create(east_user, place, rule=Rule.CONSENT_SHARE, threshold="0.80")
    topic.refresh_from_db()
    assert topic.threshold == Decimal("0.80")


def test_topic_create_compound_outside_the_area(west_user, place):
    errors = errors_of(lambda: create(west_user, place))
    assert errors == {"compound": ["Choose a compound in your area."]}


def test_topic_create_reports_every_bad_field_at_once(east_user, place):
    errors = errors_of(lambda: create(
        east_user, place, title="", scope="street", kind="bridge", rule="vote",
        threshold="0.5", affected_dwelling_ids=[place["b1u1"].pk],
    ))
    assert set(errors) == {"title", "scope", "kind", "rule", "threshold",
                           "affected_dwellings"}
    assert errors["threshold"] == ["A threshold applies only to the consent-share rule."]
    assert errors["affected_dwellings"] == ["Only an elevator topic lists affected dwellings."]


def test_topic_create_compound_scope_names_no_building_or_unit(east_user, place):
    errors = errors_of(lambda: create(east_user, place, building_id=place["b1"].pk, unit="1"))
    assert errors == {"building": ["A topic of the whole compound names no building."],
                      "unit": ["A topic of the whole compound names no unit."]}


def test_topic_create_building_scope_needs_a_building_of_the_compound(east_user, place):
    assert errors_of(lambda: create(east_user, place, scope=Scope.BUILDING)) == {
        "building": ["Choose the building this topic concerns."]}
    west_building = place["west"].building_id
    assert errors_of(lambda: create(east_user, place, scope=Scope.BUILDING,
                                    building_id=west_building)) == {
        "building": ["This building is not in the topic's compound."]}
    errors = errors_of(lambda: create(east_user, place, scope=Scope.BUILDING,
                                      building_id=place["b1"].pk, unit="1"))
    assert errors == {"unit": ["A topic of one building names no unit."]}


def test_topic_create_unit_scope_needs_an_existing_unit(east_user, place):
    assert errors_of(lambda: create(east_user, place, scope=Scope.UNIT,
                                    building_id=place["b1"].pk)) == {
        "unit": ["Give the unit (staircase) this topic concerns."]}
    assert errors_of(lambda: create(east_user, place, scope=Scope.UNIT,
                                    building_id=place["b1"].pk, unit="9")) == {
        "unit": ["Building 1 has no registered dwelling in unit 9."]}
    errors = errors_of(lambda: create(east_user, place, scope=Scope.UNIT, unit="1"))
    assert errors == {"building": ["Choose the building this topic concerns."]}


@pytest.mark.parametrize("threshold", [None, "0", "-0.1", "1.01", "abc"])
def test_topic_create_consent_share_threshold_between_0_and_1(east_user, place, threshold):
    errors = errors_of(lambda: create(east_user, place, rule=Rule.CONSENT_SHARE,
                                      threshold=threshold))
    assert list(errors) == ["threshold"]


def test_topic_create_threshold_of_exactly_one_is_allowed(east_user, place):
    assert create(east_user, place, rule=Rule.CONSENT_SHARE, threshold=Decimal("1")).pk


def test_topic_create_affected_dwellings_must_be_in_scope(east_user, place):
    outside = [place["b1u2"].pk, place["west"].pk, 999999]
    errors = errors_of(lambda: create(
        east_user, place, scope=Scope.UNIT, building_id=place["b1"].pk, unit="1",
        kind=TopicKind.ELEVATOR, affected_dwelling_ids=[place["b1u1"].pk, *outside],
    ))
    assert list(errors) == ["affected_dwellings"]
    message = errors["affected_dwellings"][0]
    assert "one unit (staircase)" in message
    for pk in outside:
        assert str(pk) in message
    assert str(place["b1u1"].pk) not in message.split(":", 1)[1].split(", ")


# --- ballot_cast -----------------------------------------------------------------------


@pytest.fixture
def topic(east_user, place):
    return create(east_user, place, scope=Scope.BUILDING, building_id=place["b1"].pk)


def cast(by, topic, dwelling, choice=Choice.AGREE, method=Method.PAPER):
    with override("en"):
        return ballot_cast(by=by, topic_id=topic.pk, dwelling_id=dwelling.pk, choice=choice,
                           method=method)


def test_ballot_cast_records_the_vote_and_its_event(east_user, topic, place):
    ballot = cast(east_user, topic, place["b1u1"])
    assert (ballot.choice, ballot.method, ballot.recorded_by) == (
        Choice.AGREE, Method.PAPER, east_user)
    event = BallotEvent.objects.get()
    assert (event.previous, event.choice, event.method, event.recorded_by, event.at) == (
        "", Choice.AGREE, Method.PAPER, east_user, ballot.cast_at)


def test_a_later_ballot_replaces_the_earlier_and_keeps_the_history(
    east_user, east_a_user, topic, place
):
    first = cast(east_user, topic, place["b1u1"], Choice.DISAGREE, Method.DOOR_TO_DOOR)
    second = cast(east_a_user, topic, place["b1u1"], Choice.AGREE, Method.MEETING)
    third = cast(east_user, topic, place["b1u1"], Choice.ABSTAIN, Method.PAPER)
    assert first.pk == second.pk == third.pk
    ballot = Ballot.objects.get()
    assert (ballot.choice, ballot.method, ballot.recorded_by, ballot.cast_at) == (
        Choice.ABSTAIN, Method.PAPER, east_user, third.cast_at)
    history = list(BallotEvent.objects.filter(topic=topic, dwelling=place["b1u1"])
                   .values_list("previous", "choice", "method", "recorded_by"))
    assert history == [
        ("", Choice.DISAGREE, Method.DOOR_TO_DOOR, east_user.pk),
        (Choice.DISAGREE, Choice.AGREE, Method.MEETING, east_a_user.pk),
        (Choice.AGREE, Choice.ABSTAIN, Method.PAPER, east_user.pk),
    ]


def test_ballot_cast_refuses_a_dwelling_outside_the_scope(east_user, topic, place):
    for dwelling in (place["b2"], place["west"]):
        errors = errors_of(lambda d=dwelling: cast(east_user, topic, d))
        assert list(errors) == ["dwelling"]
        assert "outside the topic's scope (building 1)" in errors["dwelling"][0]
    assert not Ballot.objects.exists() and not BallotEvent.objects.exists()


def test_ballot_cast_outside_a_unit_names_the_unit(east_user, place):
    topic = create(east_user, place, scope=Scope.UNIT, building_id=place["b1"].pk, unit="1")
    errors = errors_of(lambda: cast(east_user, topic, place["b1u2"]))
    assert "building 1, unit 1" in errors["dwelling"][0]


def test_ballot_cast_refuses_bad_choice_and_method_at_once(east_user, topic, place):
    errors = errors_of(lambda: cast(east_user, topic, place["b1u1"], "yes", "fax"))
    assert errors == {"choice": ["Choose agree, disagree or abstain."],
                      "method": ["Choose how the vote was collected."]}
    assert not BallotEvent.objects.exists()


def test_ballot_cast_on_another_areas_topic_is_404(west_user, topic, place):
    with pytest.raises(Http404):
        cast(west_user, topic, place["b1u1"])
    assert not Ballot.objects.exists()


def test_community_user_sees_only_its_community(east_a_user, area, east_user):
    other = area.compounds["育才苑"]
    d = area.dwelling(other, owner_ref="Y")
    with override("en"):
        topic = topic_create(by=east_user, compound_id=other.pk, title="停车", scope="compound",
                             kind="parking", rule="civil_code_ordinary")
    with pytest.raises(Http404):
        cast(east_a_user, topic, d)
    errors = errors_of(lambda: topic_create(
        by=east_a_user, compound_id=other.pk, title="停车", scope="compound", kind="parking",
        rule="civil_code_ordinary"))
    assert list(errors) == ["compound"]
