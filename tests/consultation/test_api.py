"""API contract of consultation: topics, ballots, the tally, and the area gate."""

import pytest
from rest_framework.test import APIClient

from consultation.models import Ballot, BallotEvent, Topic
from consultation.services import ballot_cast, topic_create

TOPICS = "/api/v1/consultation/topics/"
TALLY_KEYS = {"rule", "eligible_owners", "eligible_area", "participating_owners",
              "participating_area", "agree_owners", "agree_area", "quorum_met", "passed",
              "reasons"}


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def east(area):
    """长江路小区: building 1 (unit 1: 101 and 102 of one owner, 201), building 2."""
    c = area.compounds["长江路小区"]
    return {
        "compound": c,
        "d101": area.dwelling(c, number="101", area="60.00", owner_ref="A"),
        "d102": area.dwelling(c, number="102", area="40.00", owner_ref="A"),
        "d201": area.dwelling(c, number="201", area="50.50", owner_ref="B"),
        "b2": area.dwelling(c, building="2", number="101", area="70.00", owner_ref="C"),
    }


def a_topic(by, east, **fields):
    values = {"compound_id": east["compound"].pk, "title": "屋面防水", "scope": "compound",
              "kind": "renovation_plan", "rule": "civil_code_ordinary"}
    values.update(fields)
    return topic_create(by=by, **values)


# --- topics ------------------------------------------------------------------------------


def test_create_topic_201(api, east_user, east):
    api.force_authenticate(east_user)
    building = east["d101"].building_id
    response = api.post(TOPICS, {
        "title": "加装电梯", "compound": east["compound"].pk, "scope": "unit",
        "building": building, "unit": "1", "kind": "elevator", "rule": "consent_share",
        "threshold": "0.80", "affected_dwellings": [east["d101"].pk],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    topic = Topic.objects.get(pk=body["id"])
    assert body == body | {
        "title": "加装电梯", "compound": east["compound"].pk, "scope": "unit",
        "building": building, "unit": "1", "kind": "elevator", "rule": "consent_share",
        "threshold": "0.8000", "affected_dwellings": [east["d101"].pk],
        "created_by": east_user.pk,
    }
    assert topic.created_by == east_user


def test_create_topic_400_by_field(api, east_user, east):
    api.force_authenticate(east_user)
    response = api.post(TOPICS, {
        "title": "加装电梯", "compound": east["compound"].pk, "scope": "building",
        "kind": "parking", "rule": "civil_code_major", "threshold": "0.5",
        "affected_dwellings": [east["d101"].pk],
    }, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"building", "threshold", "affected_dwellings"}
    assert not Topic.objects.exists()


def test_create_topic_in_another_area_is_400_on_compound(api, west_user, east):
    api.force_authenticate(west_user)
    response = api.post(TOPICS, {"title": "x", "compound": east["compound"].pk,
                                 "scope": "compound", "kind": "other",
                                 "rule": "civil_code_ordinary"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["compound"]


def test_list_and_detail_through_the_area_gate(api, area, east_user, west_user, east):
    mine = a_topic(east_user, east)
    a_topic(east_user, east, kind="parking", title="停车")
    west = area.compounds["石油大院"]
    area.dwelling(west, owner_ref="W")
    theirs = topic_create(by=west_user, compound_id=west.pk, title="西区", scope="compound",
                          kind="other", rule="civil_code_ordinary")

    api.force_authenticate(east_user)
    body = api.get(TOPICS).json()
    assert body["count"] == 2 and {"results", "next", "previous"} <= set(body)
    assert theirs.pk not in [t["id"] for t in body["results"]]
    assert [t["id"] for t in api.get(TOPICS, {"kind": "renovation_plan"}).json()["results"]] \
        == [mine.pk]
    assert api.get(TOPICS, {"compound": west.pk}).json()["count"] == 0
    assert api.get(f"{TOPICS}{mine.pk}/").json()["title"] == "屋面防水"
    assert api.get(f"{TOPICS}{theirs.pk}/").status_code == 404


@pytest.mark.parametrize("extra", [0, 15])
def test_topic_list_runs_constant_queries(api, east_user, east, extra,
                                          django_assert_num_queries):
    for i in range(extra + 1):
        a_topic(east_user, east, title=f"议题{i}", scope="building",
                building_id=east["d101"].building_id, kind="elevator",
                affected_dwelling_ids=[east["d101"].pk, east["d201"].pk])
    api.force_authenticate(east_user)
    with django_assert_num_queries(3):  # count, page (with compound, building), affected
        response = api.get(TOPICS)
    assert response.json()["count"] == extra + 1


def test_anonymous_is_refused(api, east_user, east):
    topic = a_topic(east_user, east)
    for response in (
        api.get(TOPICS),
        api.post(TOPICS, {}, format="json"),
        api.post(f"{TOPICS}{topic.pk}/ballots/", {}, format="json"),
        api.get(f"{TOPICS}{topic.pk}/tally/"),
    ):
        assert response.status_code in (401, 403)


def test_staff_without_an_area_sees_nothing(api, roleless_user, east_user, east):
    topic = a_topic(east_user, east)
    api.force_authenticate(roleless_user)
    response = api.get(f"{TOPICS}{topic.pk}/tally/")
    assert response.status_code in (403, 404)


# --- ballots ------------------------------------------------------------------------------


def test_cast_ballot_201_and_revote(api, east_user, east):
    topic = a_topic(east_user, east)
    api.force_authenticate(east_user)
    url = f"{TOPICS}{topic.pk}/ballots/"
    first = api.post(url, {"dwelling": east["d101"].pk, "choice": "disagree",
                           "method": "door_to_door"}, format="json")
    assert first.status_code == 201, first.json()
    assert first.json() == first.json() | {
        "topic": topic.pk, "dwelling": east["d101"].pk, "choice": "disagree",
        "method": "door_to_door", "recorded_by": east_user.pk}
    second = api.post(url, {"dwelling": east["d101"].pk, "choice": "agree",
                            "method": "meeting"}, format="json")
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"] and second.json()["choice"] == "agree"
    assert Ballot.objects.count() == 1
    assert list(BallotEvent.objects.values_list("previous", "choice")) == [
        ("", "disagree"), ("disagree", "agree")]


def test_cast_ballot_outside_the_scope_is_400_on_dwelling(api, area, east_user, east):
    topic = a_topic(east_user, east, scope="building", building_id=east["d101"].building_id)
    api.force_authenticate(east_user)
    response = api.post(f"{TOPICS}{topic.pk}/ballots/",
                        {"dwelling": east["b2"].pk, "choice": "agree", "method": "paper"},
                        format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["dwelling"]
    assert "outside the topic's scope (building 1)" in body["dwelling"][0]
    assert not Ballot.objects.exists()


def test_cast_ballot_bad_choice_and_method_are_400(api, east_user, east):
    topic = a_topic(east_user, east)
    api.force_authenticate(east_user)
    response = api.post(f"{TOPICS}{topic.pk}/ballots/",
                        {"dwelling": east["d101"].pk, "choice": "yes", "method": "fax"},
                        format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"choice", "method"}


def test_cast_ballot_on_another_areas_topic_is_404(api, west_user, east_user, east):
    topic = a_topic(east_user, east)
    api.force_authenticate(west_user)
    response = api.post(f"{TOPICS}{topic.pk}/ballots/",
                        {"dwelling": east["d101"].pk, "choice": "agree", "method": "paper"},
                        format="json")
    assert response.status_code == 404
    assert api.post(f"{TOPICS}{topic.pk}/ballots/", {}, format="json").status_code == 404
    assert not Ballot.objects.exists()


# --- tally ---------------------------------------------------------------------------------


def test_tally_endpoint(api, east_user, east):
    topic = a_topic(east_user, east)
    for key, choice in (("d101", "agree"), ("d102", "agree"), ("d201", "disagree")):
        ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=east[key].pk, choice=choice,
                    method="paper")
    api.force_authenticate(east_user)
    response = api.get(f"{TOPICS}{topic.pk}/tally/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= TALLY_KEYS
    assert body == body | {
        "rule": "civil_code_ordinary",
        "eligible_owners": 3, "eligible_area": "220.50",
        "participating_owners": 2, "participating_area": "150.50",
        "agree_owners": 1, "agree_area": "100.00",
        "quorum_met": True, "passed": False,
    }
    assert len(body["reasons"]) == 1  # one of two owners agrees: not more than half


def test_tally_of_another_areas_topic_is_404(api, west_user, east_user, east):
    topic = a_topic(east_user, east)
    api.force_authenticate(west_user)
    assert api.get(f"{TOPICS}{topic.pk}/tally/").status_code == 404


@pytest.mark.parametrize("size", [3, 30])
def test_tally_runs_constant_queries(api, area, east_user, east, size,
                                     django_assert_num_queries):
    c = east["compound"]
    dwellings = [area.dwelling(c, building="9", number=str(300 + i), owner_ref=f"T{i}")
                 for i in range(size)]
    topic = a_topic(east_user, east, kind="elevator",
                    affected_dwelling_ids=[d.pk for d in dwellings[:2]])
    for d in dwellings:
        ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=d.pk, choice="agree",
                    method="paper")
    api.force_authenticate(east_user)
    with django_assert_num_queries(4):  # topic through the gate, sums, owners, affected
        response = api.get(f"{TOPICS}{topic.pk}/tally/")
    assert response.json()["participating_dwellings"] == size
