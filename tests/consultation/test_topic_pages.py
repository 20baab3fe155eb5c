"""Staff pages of topics: the list with tallies, a new topic, the seven steps and the tally
of one topic, its ballots (with export), and the API list of ballots. Area gate first;
constant queries pinned at two sizes."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from compounds.models import Compound, User
from consultation.models import Ballot, Rule, Scope, Topic, TopicKind
from consultation.models.topics import TopicStage, TopicStageChange
from consultation.services import ballot_cast, topic_create, topic_move

LIST = reverse("consultation:topic-list")
NEW = reverse("consultation:topic-create")


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def place(area):
    """长江路小区 (east, 南屯社区): building 1 unit 1 (101 A, 102 A, 201 B), building 2
    (101 C); 育才苑 (east, 渡口社区): one dwelling; 石油大院 (west): one dwelling."""
    c = area.compounds["长江路小区"]
    d = {
        "compound": c,
        "d101": area.dwelling(c, number="101", area="60.00", owner_ref="A"),
        "d102": area.dwelling(c, number="102", area="40.00", owner_ref="A"),
        "d201": area.dwelling(c, number="201", area="50.50", owner_ref="B"),
        "b2": area.dwelling(c, building="2", number="101", area="70.00", owner_ref="C"),
        "yucai": area.dwelling(area.compounds["育才苑"], owner_ref="Y"),
        "west": area.dwelling(area.compounds["石油大院"], owner_ref="W"),
    }
    for key, name, phone in (("d101", "王建国", "13812345678"), ("b2", "李秀英", "13900001111")):
        d[key].owner_name, d[key].owner_phone = name, phone
        d[key].save()
    return d


def new_topic(by, compound, **fields):
    values = {"title": "屋面防水", "scope": Scope.COMPOUND, "kind": TopicKind.RENOVATION_PLAN,
              "rule": Rule.CIVIL_CODE_ORDINARY}
    values.update(fields)
    return topic_create(by=by, compound_id=compound.pk, **values)


def vote(by, topic, dwelling, choice="agree", method="paper"):
    return ballot_cast(by=by, topic_id=topic.pk, dwelling_id=dwelling.pk, choice=choice,
                       method=method)


# --- the list ----------------------------------------------------------------------------


def test_list_shows_the_area_s_topics_with_their_tally(client, area, place, east_user,
                                                       district_user):
    plan = new_topic(east_user, place["compound"], title="改造方案")
    for key in ("d101", "d102", "d201"):
        vote(east_user, plan, place[key])
    new_topic(district_user, area.compounds["石油大院"], title="西区议题")
    client.force_login(east_user)
    response = client.get(LIST)
    assert response.status_code == 200
    rows = response.context["page"].object_list
    assert [t.title for t in rows] == ["改造方案"]
    tally = rows[0].tally
    # 150.50 of 220.50 m² took part (68.3 %), 2 of 3 owners; everyone agrees: passed.
    assert (tally.participation_area_pct, tally.support_area_pct, tally.passed) == (
        Decimal("68.3"), Decimal("100.0"), True)
    assert "68.3%" in html(response) and "西区议题" not in html(response)


def test_list_filters(client, area, place, east_user):
    plan = new_topic(east_user, place["compound"], title="改造方案")
    lift = new_topic(east_user, place["compound"], title="加装电梯", scope=Scope.UNIT,
                     building_id=place["d101"].building_id, unit="1", kind=TopicKind.ELEVATOR,
                     rule=Rule.CONSENT_SHARE, threshold="0.8")
    other = new_topic(east_user, area.compounds["育才苑"], title="停车", kind=TopicKind.PARKING)
    topic_move(by=east_user, topic_id=lift.pk, to="draft", done="收集诉求")
    client.force_login(east_user)

    def titles(**query):
        response = client.get(LIST, query)
        assert response.status_code == 200
        return {t.title for t in response.context["page"].object_list}

    assert titles() == {"改造方案", "加装电梯", "停车"}
    assert titles(kind="elevator") == {"加装电梯"}
    assert titles(rule="consent_share") == {"加装电梯"}
    assert titles(stage="draft") == {"加装电梯"}
    assert titles(stage="collect") == {"改造方案", "停车"}
    assert titles(scope="unit") == {"加装电梯"}
    assert titles(community=area.east_b.pk) == {"停车"}
    assert titles(subdistrict=area.east.pk) == {"改造方案", "加装电梯", "停车"}
    assert titles(subdistrict=area.west.pk) == set()
    assert titles(q="育才") == {"停车"}
    assert titles(q="电梯") == {"加装电梯"}
    assert titles(compound=place["compound"].pk) == {"改造方案", "加装电梯"}
    assert titles(stage="nonsense") == {"改造方案", "加装电梯", "停车"}  # shown as an error
    assert plan.pk and other.pk


def test_list_pages(client, place, east_user):
    for i in range(55):
        new_topic(east_user, place["compound"], title=f"议题{i}")
    client.force_login(east_user)
    first = client.get(LIST)
    assert len(first.context["page"].object_list) == 50
    second = client.get(LIST, {"page": 2})
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("size", [2, 12])
def test_list_runs_constant_queries(client, area, place, east_user, size,
                                    django_assert_num_queries):
    for i in range(size):
        compound = Compound.objects.create(name=f"新建小区{i}", community=area.east_a,
                                           build_year=1990)
        dwelling = area.dwelling(compound, owner_ref=f"N{i}")
        topic = new_topic(east_user, compound, title=f"电梯{i}", kind=TopicKind.ELEVATOR,
                          affected_dwelling_ids=[dwelling.pk])
        vote(east_user, topic, dwelling)
        topic_move(by=east_user, topic_id=topic.pk, to="draft", done="x")
    client.force_login(east_user)
    # session, user, count, page, eligible, ballots, affected, subdistricts, communities
    with django_assert_num_queries(9):
        response = client.get(LIST)
    assert len(response.context["page"].object_list) == size


def test_list_needs_a_login(client):
    assert client.get(LIST).status_code == 302


# --- a new topic -------------------------------------------------------------------------


def test_new_topic_starts_with_the_compound(client, area, place, east_user):
    client.force_login(east_user)
    chooser = client.get(NEW)
    assert chooser.status_code == 200
    assert "长江路小区" in html(chooser) and "石油大院" not in html(chooser)
    form = client.get(NEW, {"compound": place["compound"].pk})
    assert form.status_code == 200
    assert form.context["form"]["compound"].value() == place["compound"].pk
    # The compound's buildings and dwellings are offered, no other compound's.
    assert [b for b, _ in form.context["form"].fields["building"].choices][1:] == [
        place["d101"].building_id, place["b2"].building_id]
    assert client.get(NEW, {"compound": area.compounds["石油大院"].pk}).status_code == 404


def test_new_topic_created(client, place, east_user):
    client.force_login(east_user)
    response = client.post(NEW, {
        "compound": place["compound"].pk, "title": "加装电梯", "scope": "unit",
        "building": place["d101"].building_id, "unit": "1", "kind": "elevator",
        "rule": "consent_share", "threshold": "0.80", "affected_dwellings": [place["d101"].pk],
    })
    topic = Topic.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "consultation:topic-detail", args=[topic.pk])
    assert (topic.title, topic.unit, str(topic.threshold), topic.stage) == (
        "加装电梯", "1", "0.8000", TopicStage.COLLECT)
    assert list(topic.affected_dwellings.all()) == [place["d101"]]


def test_new_topic_bad_input_comes_back_by_field_with_the_input(client, place, east_user):
    client.force_login(east_user)
    response = client.post(NEW, {
        "compound": place["compound"].pk, "title": "停车位改造", "scope": "unit",
        "building": place["d101"].building_id, "unit": "", "kind": "parking",
        "rule": "consent_share", "threshold": "1.5", "affected_dwellings": [place["d101"].pk],
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"unit", "threshold", "affected_dwellings"}
    page = html(response)
    assert 'value="停车位改造"' in page and 'value="1.5"' in page
    assert not Topic.objects.exists()


def test_new_topic_in_another_area_is_404(client, area, place, west_user):
    client.force_login(west_user)
    response = client.post(NEW, {"compound": place["compound"].pk, "title": "x",
                                 "scope": "compound", "kind": "other",
                                 "rule": "civil_code_ordinary"})
    assert response.status_code == 404 and not Topic.objects.exists()


# --- one topic ---------------------------------------------------------------------------


def detail_url(topic):
    return reverse("consultation:topic-detail", args=[topic.pk])


def move_url(topic):
    return reverse("consultation:topic-move", args=[topic.pk])


def test_detail_shows_steps_tally_affected_chart_and_links(client, place, east_user):
    lift = new_topic(east_user, place["compound"], title="1号楼加装电梯", scope=Scope.BUILDING,
                     building_id=place["d101"].building_id, kind=TopicKind.ELEVATOR,
                     rule=Rule.CIVIL_CODE_MAJOR,
                     affected_dwelling_ids=[place["d101"].pk, place["d201"].pk])
    topic_move(by=east_user, topic_id=lift.pk, to="draft", done="入户收集诉求 42 条")
    vote(east_user, lift, place["d101"], "agree")
    vote(east_user, lift, place["d102"], "agree")
    vote(east_user, lift, place["d201"], "disagree")
    client.force_login(east_user)
    response = client.get(detail_url(lift))
    assert response.status_code == 200
    page = html(response)
    assert "入户收集诉求 42 条" in page
    steps = response.context["steps"]
    assert [s["state"] for s in steps] == ["done", "current"] + ["todo"] * 5
    assert steps[0]["records"][0].done == "入户收集诉求 42 条"
    tally = response.context["tally"]
    assert (tally.eligible_owners, tally.participating_owners, tally.agree_owners) == (2, 2, 1)
    assert str(tally.eligible_area) in page and "150.50" in page
    assert not tally.passed and len(tally.reasons) >= 2  # 1 of 2 owners; 201 refuses
    assert len(response.context["tally"].affected_not_agreeing) == 1
    assert [(d.number, d.choice) for d in response.context["affected"]] == [
        ("101", "agree"), ("201", "disagree")]
    assert "<svg" in page
    assert reverse("consultation:topic-codes", args=[lift.pk]) in page
    assert reverse("consultation:topic-ballots", args=[lift.pk]) in page
    assert [m["value"] for m in response.context["moves"]] == ["research", "collect"]


def test_detail_of_another_area_is_404(client, place, east_user, west_user, east_a_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(west_user)
    assert client.get(detail_url(topic)).status_code == 404
    assert client.post(move_url(topic), {"to": "draft", "done": "x"}).status_code == 404
    assert not TopicStageChange.objects.exists()
    client.force_login(east_a_user)
    assert client.get(detail_url(topic)).status_code == 200


def test_move_on_the_page(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_user)
    response = client.post(move_url(topic), {"to": "draft", "done": "居民议事会收集意见 17 条"})
    assert response.status_code == 302
    topic.refresh_from_db()
    assert topic.stage == TopicStage.DRAFT
    assert TopicStageChange.objects.get().done == "居民议事会收集意见 17 条"


def test_move_without_done_keeps_the_page_and_says_why(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_user)
    response = client.post(move_url(topic), {"to": "draft", "done": "  "})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["done"]
    topic.refresh_from_db()
    assert topic.stage == TopicStage.COLLECT


def test_illegal_and_gated_moves_show_the_reason_and_keep_the_text(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_user)
    illegal = client.post(move_url(topic), {"to": "feedback", "done": "跳步"})
    assert illegal.status_code == 400 and illegal.context["error"].extra["allowed"] == ["draft"]
    for stage in ("draft", "research", "vote"):
        topic_move(by=east_user, topic_id=topic.pk, to=stage, done="完成")
    gated = client.post(move_url(topic), {"to": "apply", "done": "表决已结束，结果公示"})
    assert gated.status_code == 409 and gated.context["error"].extra["missing"]
    assert "表决已结束，结果公示" in html(gated)
    topic.refresh_from_db()
    assert topic.stage == TopicStage.VOTE


# --- ballots of a topic ------------------------------------------------------------------


def ballots_url(topic, **query):
    url = reverse("consultation:topic-ballots", args=[topic.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_ballots_page_lists_every_dwelling_in_scope(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    vote(east_user, topic, place["d101"], "agree", "door_to_door")
    vote(east_user, topic, place["d201"], "disagree")
    client.force_login(east_user)
    response = client.get(ballots_url(topic))
    assert response.status_code == 200
    rows = {(d.building.number, d.number): d for d in response.context["page"].object_list}
    assert set(rows) == {("1", "101"), ("1", "102"), ("1", "201"), ("2", "101")}
    assert rows[("1", "101")].choice == "agree" and rows[("1", "101")].method == "door_to_door"
    assert rows[("1", "101")].recorder == east_user.username
    assert rows[("1", "102")].choice is None
    assert response.context["summary"] == response.context["summary"] | {
        "total": 4, "agree": 1, "disagree": 1, "abstain": 0, "not_voted": 2}
    page = html(response)
    assert "王建国" in page and "13812345678" in page  # subdistrict staff see owners
    assert 'enctype="multipart/form-data"' in page


def test_ballots_page_masks_owners_for_community_staff(client, place, east_user, east_a_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_a_user)
    page = html(client.get(ballots_url(topic)))
    assert "王建国" not in page and "13812345678" not in page
    assert "王**" in page and "138****5678" in page


def test_ballots_page_filters(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    vote(east_user, topic, place["d101"], "agree")
    vote(east_user, topic, place["d201"], "disagree")
    vote(east_user, topic, place["b2"], "agree")
    client.force_login(east_user)

    def numbers(**query):
        response = client.get(ballots_url(topic, **query))
        assert response.status_code == 200
        return sorted(f"{d.building.number}-{d.number}"
                      for d in response.context["page"].object_list)

    assert numbers(choice="agree") == ["1-101", "2-101"]
    assert numbers(choice="none") == ["1-102"]
    assert numbers(choice="disagree") == ["1-201"]
    assert numbers(building=place["b2"].building_id) == ["2-101"]
    assert numbers(choice="agree", building=place["d101"].building_id) == ["1-101"]


def test_ballot_record_on_the_page_and_revote(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_user)
    url = ballots_url(topic, choice="none")
    first = client.post(url, {"dwelling": place["d102"].pk, "choice": "disagree",
                              "method": "meeting"})
    assert first.status_code == 302 and first.url == url
    second = client.post(url, {"dwelling": place["d102"].pk, "choice": "agree",
                               "method": "paper"})
    assert second.status_code == 302
    ballot = Ballot.objects.get()
    assert (ballot.choice, ballot.method, ballot.recorded_by) == ("agree", "paper", east_user)
    assert topic.ballot_events.count() == 2


def test_ballot_record_bad_choice_is_a_field_error(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(east_user)
    response = client.post(ballots_url(topic), {"dwelling": place["d102"].pk,
                                                "choice": "maybe", "method": "paper"})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["choice"]
    assert not Ballot.objects.exists()


def test_ballots_page_of_another_area_is_404(client, place, east_user, west_user):
    topic = new_topic(east_user, place["compound"])
    client.force_login(west_user)
    assert client.get(ballots_url(topic)).status_code == 404
    export = reverse("consultation:topic-ballots-export", args=[topic.pk])
    assert client.get(export).status_code == 404


@pytest.mark.parametrize("size", [2, 12])
def test_ballots_page_runs_constant_queries(client, area, place, east_user, size,
                                            django_assert_num_queries):
    topic = new_topic(east_user, place["compound"])
    for i in range(size):
        dwelling = area.dwelling(place["compound"], building="9", number=str(900 + i),
                                 owner_ref=f"Q{i}")
        vote(east_user, topic, dwelling, "agree" if i % 2 else "abstain")
    client.force_login(east_user)
    # session, user, topic, dwelling choices, summary, count, page
    with django_assert_num_queries(7):
        response = client.get(ballots_url(topic))
    assert len(response.context["page"].object_list) == size + 4


# --- export ------------------------------------------------------------------------------


def sheet_rows(response) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def test_export_holds_every_dwelling_with_its_vote(client, place, east_user, east_a_user):
    topic = new_topic(east_user, place["compound"])
    vote(east_user, topic, place["d101"], "agree", "door_to_door")
    url = reverse("consultation:topic-ballots-export", args=[topic.pk])
    client.force_login(east_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = sheet_rows(response)
    assert len(header) == 11 and len(rows) == 4
    first = rows[0]
    assert first[:3] == ("1", "1", "101") and float(first[3]) == 60.0
    assert first[4:6] == ("王建国", "13812345678")
    assert first[8] == east_user.username and first[10] is not None
    assert rows[1][6] == rows[2][6] == rows[3][6]  # not yet voted, the same words
    filtered = sheet_rows(client.get(url + "?choice=agree"))
    assert len(filtered) == 2
    client.force_login(east_a_user)
    masked = sheet_rows(client.get(url))[1]
    assert masked[4:6] == ("王**", "138****5678")


# --- API: the ballots of a topic ---------------------------------------------------------


@pytest.mark.parametrize("size", [2, 12])
def test_api_ballot_list_runs_constant_queries(area, place, east_user, size,
                                               django_assert_num_queries):
    topic = new_topic(east_user, place["compound"])
    for i in range(size):
        dwelling = area.dwelling(place["compound"], building="9", number=str(900 + i),
                                 owner_ref=f"Q{i}")
        vote(east_user, topic, dwelling, "agree" if i % 2 else "disagree")
    api = APIClient()
    api.force_authenticate(east_user)
    url = f"/api/v1/consultation/topics/{topic.pk}/ballots/"
    with django_assert_num_queries(3):  # topic through the gate, count, page
        response = api.get(url)
    body = response.json()
    assert body["count"] == size and len(body["results"]) == size
    row = body["results"][0]
    assert set(row) >= {"dwelling", "building_number", "unit", "number", "choice", "method",
                        "cast_at", "sheet_photo"}
    assert not {"owner_name", "owner_phone"} & set(row)
    assert api.get(url, {"choice": "agree"}).json()["count"] == size // 2
    assert api.get(url, {"choice": "yes"}).status_code == 400


def test_api_ballot_list_of_another_area_is_404(place, east_user, west_user):
    topic = new_topic(east_user, place["compound"])
    vote(east_user, topic, place["d101"])
    api = APIClient()
    api.force_authenticate(west_user)
    assert api.get(f"/api/v1/consultation/topics/{topic.pk}/ballots/").status_code == 404


@pytest.mark.parametrize("size", [2, 12])
def test_detail_runs_constant_queries(client, area, place, east_user, size,
                                      django_assert_num_queries):
    lift = new_topic(east_user, place["compound"], title="加装电梯", kind=TopicKind.ELEVATOR,
                     rule=Rule.CIVIL_CODE_MAJOR,
                     affected_dwelling_ids=[place["d101"].pk, place["d201"].pk])
    for i in range(size):
        dwelling = area.dwelling(place["compound"], building="9", number=str(900 + i),
                                 owner_ref=f"Q{i}")
        vote(east_user, lift, dwelling, "agree" if i % 3 else "disagree")
        topic_move(by=east_user, topic_id=lift.pk,
                   to=TopicStage.DRAFT if i % 2 == 0 else TopicStage.COLLECT, done=f"第{i}次")
    client.force_login(east_user)
    # session, user, topic, history, tally (sums, owners, affected), affected with votes,
    # the support curve (two)
    with django_assert_num_queries(10):
        response = client.get(detail_url(lift))
    assert len(response.context["history"]) == size


def test_admin_shows_a_topic_with_its_steps_and_ballots(client, place, east_user):
    topic = new_topic(east_user, place["compound"])
    topic_move(by=east_user, topic_id=topic.pk, to="draft", done="收集诉求")
    vote(east_user, topic, place["d101"])
    admin = User.objects.create_superuser("root", password="x-very-long-password-1")
    client.force_login(admin)
    for url in (reverse("admin:consultation_topic_change", args=[topic.pk]),
                reverse("admin:consultation_ballot_changelist"),
                reverse("admin:consultation_topicstagechange_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "收集诉求" in html(client.get(
        reverse("admin:consultation_topic_change", args=[topic.pk])))
