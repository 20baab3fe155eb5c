"""Door-to-door visits: logging one, and its one-tap follow-ups (a ballot, a golden
idea, a resident issue), with every bad input and the area gate."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import override

from compounds.errors import ApplicationError
from consultation.models import Ballot, BallotEvent, Method, Rule, Scope, Topic, TopicKind
from consultation.models.ideas import Idea
from consultation.models.visits import Visit
from consultation.services.visits import (
    visit_log,
    visit_to_ballot,
    visit_to_grievance,
    visit_to_idea,
)
from grievances.catalog import seed_catalog
from grievances.models import Category, DeadlineRule, Grievance

OPINION = "希望楼道加装扶手，老人上下楼方便一些。"


@pytest.fixture
def catalog(db):
    seed_catalog(Category, DeadlineRule)


@pytest.fixture
def place(area, catalog):
    """长江路小区 (east, 南屯社区): building 1 (units 1, 2) and building 2; 育才苑 (east,
    渡口社区): one flat; 石油大院 (west): one flat; an open topic of 长江路小区."""
    c = area.compounds["长江路小区"]
    d = {
        "b1u1": area.dwelling(c, building="1", unit="1", number="101", owner_ref="A"),
        "b1u2": area.dwelling(c, building="1", unit="2", number="201", owner_ref="B"),
        "b2": area.dwelling(c, building="2", unit="1", number="101", owner_ref="C"),
        "other": area.dwelling(area.compounds["育才苑"], owner_ref="Y"),
        "west": area.dwelling(area.compounds["石油大院"], owner_ref="W"),
    }
    d["b1"], d["b2b"] = d["b1u1"].building, d["b2"].building
    d["compound"] = c
    d["topic"] = Topic.objects.create(compound=c, title="加装电梯", scope=Scope.COMPOUND,
                                      kind=TopicKind.ELEVATOR,
                                      rule=Rule.CIVIL_CODE_ORDINARY)
    d["west_topic"] = Topic.objects.create(
        compound=area.compounds["石油大院"], title="停车位", scope=Scope.COMPOUND,
        kind=TopicKind.PARKING, rule=Rule.CIVIL_CODE_ORDINARY)
    return d


def log(by, place, **fields):
    values = {"compound_id": place["compound"].pk, "method": "at_home",
              "attitude": "support"}
    values.update(fields)
    with override("en"):
        return visit_log(by=by, **values)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as exc, override("en"):
        call()
    return exc.value.message_dict


# --- visit_log -------------------------------------------------------------------------


def test_a_dwelling_brings_its_building_and_unit(east_a_user, place):
    visit = log(east_a_user, place, dwelling_id=place["b1u2"].pk, opinions=f"  {OPINION} ",
                topic_id=place["topic"].pk)
    visit.refresh_from_db()
    assert (visit.building, visit.unit, visit.dwelling) == (place["b1"], "2", place["b1u2"])
    assert visit.opinions == OPINION and visit.topic == place["topic"]
    assert visit.visited_by == east_a_user
    assert abs(visit.visited_at - timezone.now()) < timedelta(seconds=5)


def test_a_street_talk_names_only_the_compound(east_a_user, place):
    visit = log(east_a_user, place, method="street", attitude="neutral")
    assert (visit.building, visit.unit, visit.dwelling, visit.opinions) == (None, "", None, "")


def test_building_and_unit_without_a_dwelling(east_a_user, place):
    visit = log(east_a_user, place, building_id=place["b1"].pk, unit="2", method="bench")
    assert (visit.building, visit.unit, visit.dwelling) == (place["b1"], "2", None)


def test_an_earlier_visit_keeps_its_time(east_a_user, place):
    when = timezone.now() - timedelta(days=2)
    assert log(east_a_user, place, visited_at=when).visited_at == when


def test_every_bad_field_at_once(east_a_user, place):
    errors = errors_of(lambda: log(
        east_a_user, place, method="sofa", attitude="maybe", building_id=place["b1"].pk,
        dwelling_id=place["b2"].pk, opinions="x" * 2001, topic_id=place["west_topic"].pk,
        visited_at=timezone.now() + timedelta(hours=1)))
    assert set(errors) == {"method", "attitude", "dwelling", "opinions", "topic", "visited_at"}
    assert "building 2, not in building 1" in errors["dwelling"][0]
    assert Visit.objects.count() == 0


@pytest.mark.parametrize("dwelling", ["other", "west"])
def test_a_dwelling_of_another_compound_is_refused(east_a_user, place, dwelling):
    errors = errors_of(lambda: log(east_a_user, place, dwelling_id=place[dwelling].pk))
    assert errors == {"dwelling": ["This dwelling is not in the compound."]}


def test_a_building_of_another_compound_is_refused(east_a_user, place):
    errors = errors_of(lambda: log(east_a_user, place,
                                   building_id=place["west"].building_id))
    assert list(errors) == ["building"]


def test_the_unit_must_be_the_dwellings(east_a_user, place):
    errors = errors_of(lambda: log(east_a_user, place, dwelling_id=place["b1u1"].pk,
                                   unit="2"))
    assert list(errors) == ["unit"]


def test_a_unit_needs_its_building(east_a_user, place):
    assert list(errors_of(lambda: log(east_a_user, place, unit="1"))) == ["unit"]


def test_a_future_time_is_refused_a_minute_of_clock_skew_is_not(east_a_user, place):
    errors = errors_of(lambda: log(east_a_user, place,
                                   visited_at=timezone.now() + timedelta(minutes=10)))
    assert errors == {"visited_at": ["The visit cannot be in the future."]}
    log(east_a_user, place, visited_at=timezone.now() + timedelta(seconds=60))


def test_a_garbled_time_is_refused(east_a_user, place):
    assert list(errors_of(lambda: log(east_a_user, place, visited_at="yesterday"))) == [
        "visited_at"]


def test_the_area_gate(east_a_user, west_user, roleless_user, place):
    # 育才苑 is in the east subdistrict, but not in 南屯社区.
    errors = errors_of(lambda: log(east_a_user, place,
                                   compound_id=place["other"].building.compound_id))
    assert list(errors) == ["compound"]
    assert list(errors_of(lambda: log(west_user, place))) == ["compound"]
    assert list(errors_of(lambda: log(roleless_user, place))) == ["compound"]
    assert list(errors_of(lambda: log(east_a_user, place, compound_id="abc"))) == ["compound"]


# --- follow-ups: ballot ----------------------------------------------------------------


def test_visit_to_ballot_casts_a_door_to_door_vote_once(east_a_user, place):
    visit = log(east_a_user, place, dwelling_id=place["b1u1"].pk, topic_id=place["topic"].pk)
    ballot = visit_to_ballot(by=east_a_user, visit_id=visit.pk, choice="agree")
    visit.refresh_from_db()
    assert visit.ballot == ballot
    assert (ballot.topic, ballot.dwelling, ballot.choice, ballot.method) == (
        place["topic"], place["b1u1"], "agree", Method.DOOR_TO_DOOR)
    assert BallotEvent.objects.filter(topic=place["topic"], method="door_to_door").count() == 1

    with pytest.raises(ApplicationError) as exc, override("en"):
        visit_to_ballot(by=east_a_user, visit_id=visit.pk, choice="disagree")
    assert exc.value.status_code == 409
    assert exc.value.extra["existing"] == {"kind": "ballot", "id": ballot.pk}
    assert str(ballot.pk) in exc.value.message
    assert Ballot.objects.get().choice == "agree"


@pytest.mark.parametrize("missing", ["dwelling", "topic", "both"])
def test_visit_to_ballot_needs_a_dwelling_and_a_topic(east_a_user, place, missing):
    fields = {"dwelling_id": place["b1u1"].pk, "topic_id": place["topic"].pk}
    if missing in ("dwelling", "both"):
        fields["dwelling_id"] = None
        fields["building_id"] = place["b1"].pk
    if missing in ("topic", "both"):
        fields["topic_id"] = None
    visit = log(east_a_user, place, **fields)
    with pytest.raises(ApplicationError) as exc, override("en"):
        visit_to_ballot(by=east_a_user, visit_id=visit.pk, choice="agree")
    assert exc.value.status_code == 409
    assert len(exc.value.extra["missing"]) == (2 if missing == "both" else 1)
    assert not Ballot.objects.exists()


def test_visit_to_ballot_with_a_bad_choice(east_a_user, place):
    visit = log(east_a_user, place, dwelling_id=place["b1u1"].pk, topic_id=place["topic"].pk)
    assert list(errors_of(lambda: visit_to_ballot(by=east_a_user, visit_id=visit.pk,
                                                  choice="yes"))) == ["choice"]
    visit.refresh_from_db()
    assert visit.ballot is None


def test_visit_to_ballot_outside_the_topics_scope(east_a_user, place):
    building_topic = Topic.objects.create(
        compound=place["compound"], title="2号楼屋面", scope=Scope.BUILDING,
        building=place["b2b"], kind=TopicKind.OTHER, rule=Rule.CIVIL_CODE_ORDINARY)
    visit = log(east_a_user, place, dwelling_id=place["b1u1"].pk, topic_id=building_topic.pk)
    assert list(errors_of(lambda: visit_to_ballot(by=east_a_user, visit_id=visit.pk,
                                                  choice="agree"))) == ["dwelling"]


# --- follow-ups: idea, grievance -------------------------------------------------------


def test_visit_to_idea_takes_the_opinions_once(east_a_user, place):
    visit = log(east_a_user, place, building_id=place["b1"].pk, opinions=OPINION)
    idea = visit_to_idea(by=east_a_user, visit_id=visit.pk)
    visit.refresh_from_db()
    assert visit.idea == idea
    assert (idea.text, idea.source, idea.building, idea.compound) == (
        OPINION, "visit", place["b1"], place["compound"])
    with pytest.raises(ApplicationError) as exc, override("en"):
        visit_to_idea(by=east_a_user, visit_id=visit.pk, text="另一个想法，也很好。")
    assert exc.value.status_code == 409 and exc.value.extra["existing"]["kind"] == "idea"
    assert Idea.objects.count() == 1


def test_visit_to_idea_with_its_own_text_and_with_too_little(east_a_user, place):
    visit = log(east_a_user, place)  # no opinions
    assert list(errors_of(lambda: visit_to_idea(by=east_a_user, visit_id=visit.pk))) == [
        "text"]
    idea = visit_to_idea(by=east_a_user, visit_id=visit.pk, text="小区门口增设快递柜。")
    assert idea.text == "小区门口增设快递柜。"


def test_visit_to_grievance_keeps_the_place_and_time(east_a_user, place):
    when = timezone.now() - timedelta(hours=3)
    visit = log(east_a_user, place, dwelling_id=place["b1u2"].pk, opinions=OPINION,
                visited_at=when)
    grievance = visit_to_grievance(by=east_a_user, visit_id=visit.pk, category_code="leak")
    visit.refresh_from_db()
    assert visit.grievance == grievance
    assert (grievance.channel, grievance.compound, grievance.building, grievance.unit) == (
        "visit", place["compound"], place["b1"], "2")
    assert grievance.description == OPINION and grievance.received_at == when
    assert grievance.created_by == east_a_user
    with pytest.raises(ApplicationError) as exc:
        visit_to_grievance(by=east_a_user, visit_id=visit.pk, category_code="leak")
    assert exc.value.status_code == 409
    assert exc.value.extra["existing"] == {"kind": "grievance", "id": grievance.pk}
    assert Grievance.objects.count() == 1


def test_visit_to_grievance_with_a_bad_category(east_a_user, place):
    visit = log(east_a_user, place, opinions=OPINION)
    assert list(errors_of(lambda: visit_to_grievance(
        by=east_a_user, visit_id=visit.pk, category_code="ufo"))) == ["category"]
    assert list(errors_of(lambda: visit_to_grievance(
        by=east_a_user, visit_id=visit.pk, category_code=""))) == ["category"]
    visit.refresh_from_db()
    assert visit.grievance is None and not Grievance.objects.exists()


def test_follow_ups_of_another_areas_visit_do_not_exist(east_a_user, west_user, place):
    visit = log(east_a_user, place, dwelling_id=place["b1u1"].pk, topic_id=place["topic"].pk,
                opinions=OPINION)
    for call in (
        lambda: visit_to_ballot(by=west_user, visit_id=visit.pk, choice="agree"),
        lambda: visit_to_idea(by=west_user, visit_id=visit.pk),
        lambda: visit_to_grievance(by=west_user, visit_id=visit.pk, category_code="leak"),
        lambda: visit_to_idea(by=east_a_user, visit_id="nope"),
    ):
        with pytest.raises(Http404):
            call()
    visit.refresh_from_db()
    assert (visit.ballot, visit.idea, visit.grievance) == (None, None, None)
