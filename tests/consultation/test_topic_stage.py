"""The seven steps of a topic (议事七步): legal moves, refusals, the history they write,
and the same through the API."""

from itertools import pairwise

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from rest_framework.test import APIClient

from compounds.errors import ApplicationError
from consultation.models import Rule, Scope, TopicKind
from consultation.models.topics import (
    TOPIC_STAGE_ORDER,
    TOPIC_TRANSITIONS,
    TopicStage,
    TopicStageChange,
)
from consultation.services import ballot_cast, topic_create, topic_move

TOPICS = "/api/v1/consultation/topics/"


@pytest.fixture
def place(area):
    c = area.compounds["长江路小区"]
    return {"compound": c,
            "d101": area.dwelling(c, number="101", owner_ref="A"),
            "d102": area.dwelling(c, number="102", owner_ref="B")}


@pytest.fixture
def topic(east_user, place):
    return topic_create(by=east_user, compound_id=place["compound"].pk, title="屋面防水",
                        scope=Scope.COMPOUND, kind=TopicKind.RENOVATION_PLAN,
                        rule=Rule.CIVIL_CODE_ORDINARY)


def walk(topic, by, *stages):
    for stage in stages:
        topic = topic_move(by=by, topic_id=topic.pk, to=stage, done=f"{stage} 已完成")
    return topic


def test_a_new_topic_collects_demands_and_has_no_history(topic):
    topic.refresh_from_db()
    assert topic.stage == TopicStage.COLLECT == TOPIC_STAGE_ORDER[0]
    assert not TopicStageChange.objects.exists()


def test_transitions_go_forward_one_step_and_back_only_before_the_result():
    for i, stage in enumerate(TOPIC_STAGE_ORDER[:-1]):
        assert TOPIC_STAGE_ORDER[i + 1] in TOPIC_TRANSITIONS[stage]
    for stage, targets in TOPIC_TRANSITIONS.items():
        for target in targets:
            assert abs(TOPIC_STAGE_ORDER.index(target) - TOPIC_STAGE_ORDER.index(stage)) == 1
    assert TopicStage.RESEARCH in TOPIC_TRANSITIONS[TopicStage.VOTE]
    assert TopicStage.DRAFT in TOPIC_TRANSITIONS[TopicStage.RESEARCH]
    assert TOPIC_TRANSITIONS[TopicStage.APPLY] == (TopicStage.SUPERVISE,)
    assert TOPIC_TRANSITIONS[TopicStage.FEEDBACK] == ()


def test_the_whole_walk_writes_one_row_per_move(topic, east_user, place):
    topic = walk(topic, east_user, "draft", "research", "vote")
    ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk, choice="agree",
                method="paper")
    topic = walk(topic, east_user, "apply", "supervise", "feedback")
    topic.refresh_from_db()
    assert topic.stage == TopicStage.FEEDBACK
    rows = list(TopicStageChange.objects.filter(topic=topic).values_list(
        "from_stage", "to_stage", "done", "by"))
    assert rows == [
        (a, b, f"{b} 已完成", east_user.pk)
        for a, b in pairwise(TOPIC_STAGE_ORDER)
    ]


def test_a_step_back_is_recorded_too(topic, east_user):
    topic = walk(topic, east_user, "draft", "research")
    topic = topic_move(by=east_user, topic_id=topic.pk, to="draft",
                       done="调研发现方案需调整：增加无障碍坡道")
    assert topic.stage == TopicStage.DRAFT
    last = TopicStageChange.objects.last()
    assert (last.from_stage, last.to_stage) == ("research", "draft")
    assert last.done == "调研发现方案需调整：增加无障碍坡道"


def test_an_illegal_move_is_400_with_the_allowed_moves(topic, east_user):
    with pytest.raises(ApplicationError) as exc:
        topic_move(by=east_user, topic_id=topic.pk, to="vote", done="跳过")
    assert exc.value.status_code == 400
    assert exc.value.extra["allowed"] == ["draft"]
    with pytest.raises(ApplicationError) as exc:
        topic_move(by=east_user, topic_id=topic.pk, to="nonsense", done="x")
    assert exc.value.status_code == 400 and exc.value.extra["allowed"] == ["draft"]
    topic.refresh_from_db()
    assert topic.stage == TopicStage.COLLECT and not TopicStageChange.objects.exists()


def test_a_repeat_is_a_no_op(topic, east_user):
    again = topic_move(by=east_user, topic_id=topic.pk, to="collect", done="")
    assert again.stage == TopicStage.COLLECT
    assert not TopicStageChange.objects.exists()


@pytest.mark.parametrize("done", ["", "   \n ", "字" * 2001])
def test_done_is_required_and_bounded(topic, east_user, done):
    with pytest.raises(ValidationError) as exc:
        topic_move(by=east_user, topic_id=topic.pk, to="draft", done=done)
    assert list(exc.value.message_dict) == ["done"]
    topic.refresh_from_db()
    assert topic.stage == TopicStage.COLLECT and not TopicStageChange.objects.exists()


def test_done_is_stripped_and_may_be_2000_long(topic, east_user):
    topic_move(by=east_user, topic_id=topic.pk, to="draft", done=" " + "字" * 2000 + " ")
    assert TopicStageChange.objects.get().done == "字" * 2000


def test_applying_the_result_needs_a_ballot(topic, east_user, place):
    topic = walk(topic, east_user, "draft", "research", "vote")
    with pytest.raises(ApplicationError) as exc:
        topic_move(by=east_user, topic_id=topic.pk, to="apply", done="表决结束")
    assert exc.value.status_code == 409 and len(exc.value.extra["missing"]) == 1
    topic.refresh_from_db()
    assert topic.stage == TopicStage.VOTE
    ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d102"].pk,
                choice="disagree", method="meeting")
    assert topic_move(by=east_user, topic_id=topic.pk, to="apply",
                      done="表决结束").stage == TopicStage.APPLY


def test_no_vote_of_any_method_once_the_result_is_applied(topic, east_user, place):
    ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                choice="agree", method="paper")
    walk(topic, east_user, TopicStage.DRAFT, TopicStage.RESEARCH, TopicStage.VOTE,
         TopicStage.APPLY)
    for method in ("paper", "door_to_door", "meeting"):
        with pytest.raises(ApplicationError) as refused:
            ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d102"].pk,
                        choice="disagree", method=method)
        assert refused.value.status_code == 409
    assert topic.ballots.count() == 1


def test_another_areas_topic_is_404(topic, west_user, roleless_user):
    for user in (west_user, roleless_user):
        with pytest.raises(Http404):
            topic_move(by=user, topic_id=topic.pk, to="draft", done="x")
    with pytest.raises(Http404):
        topic_move(by=west_user, topic_id="abc", to="draft", done="x")
    assert not TopicStageChange.objects.exists()


def test_community_staff_of_the_compound_may_move_it(topic, east_a_user):
    assert topic_move(by=east_a_user, topic_id=topic.pk, to="draft",
                      done="入户收集诉求 42 条").stage == TopicStage.DRAFT


# --- API ---------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_stage_move_200_with_the_topic_and_its_moves(api, topic, east_user):
    api.force_authenticate(east_user)
    response = api.post(f"{TOPICS}{topic.pk}/stage/", {"to": "draft", "done": "收集诉求 42 条"},
                        format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == topic.pk and body["stage"] == "draft"
    assert [m["to"] for m in body["available_moves"]] == ["research", "collect"]
    assert all(m["label"] for m in body["available_moves"])
    assert body["stage_history"] == [{
        "from": "collect", "to": "draft", "done": "收集诉求 42 条", "by": east_user.username,
        "at": body["stage_history"][0]["at"]}]


def test_api_stage_refusals(api, topic, east_user, west_user):
    api.force_authenticate(east_user)
    url = f"{TOPICS}{topic.pk}/stage/"
    illegal = api.post(url, {"to": "feedback", "done": "x"}, format="json")
    assert illegal.status_code == 400 and illegal.json()["allowed"] == ["draft"]
    no_text = api.post(url, {"to": "draft"}, format="json")
    assert no_text.status_code == 400 and list(no_text.json()) == ["done"]
    walk(topic, east_user, "draft", "research", "vote")
    blocked = api.post(url, {"to": "apply", "done": "表决结束"}, format="json")
    assert blocked.status_code == 409 and blocked.json()["missing"]
    api.force_authenticate(west_user)
    assert api.post(url, {"to": "research", "done": "x"}, format="json").status_code == 404
    assert TopicStageChange.objects.count() == 3


def test_api_list_has_the_stage_but_not_the_history(api, topic, east_user):
    walk(topic, east_user, "draft")
    api.force_authenticate(east_user)
    row = api.get(TOPICS).json()["results"][0]
    assert row["stage"] == "draft" and "stage_history" not in row
    assert [m["to"] for m in row["available_moves"]] == ["research", "collect"]
    detail = api.get(f"{TOPICS}{topic.pk}/").json()
    assert [h["to"] for h in detail["stage_history"]] == ["draft"]


def test_the_ballots_page_says_voting_has_closed(client, topic, east_user, place):
    ballot_cast(by=east_user, topic_id=topic.pk, dwelling_id=place["d101"].pk,
                choice="agree", method="paper")
    walk(topic, east_user, TopicStage.DRAFT, TopicStage.RESEARCH, TopicStage.VOTE,
         TopicStage.APPLY)
    client.force_login(east_user)
    url = f"/consultation/topics/{topic.pk}/ballots/"
    assert "投票已结束" in client.get(url).content.decode()
    response = client.post(url, {"dwelling": place["d102"].pk, "choice": "disagree",
                                 "method": "paper"})
    assert response.status_code == 400 and "投票已结束" in response.content.decode()
    assert topic.ballots.count() == 1
