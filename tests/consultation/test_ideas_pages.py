"""Golden-idea pages: staff list/entry/review, the renewal adoption page, and the
residents' QR form (no account, honeypot, rate limit) and public list (never the
author's name or phone)."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from compounds.models import Building
from consultation.models.ideas import Idea
from consultation.services.ideas import idea_submit, idea_transition
from renewal.catalog import seed_work_item_types
from renewal.models import WorkItemType
from renewal.services.ideas import idea_adopt
from tests.renewal.factories import make_item, make_project

IDEA = "在小区中心空地设置休息座椅和遮阳棚"
NAME, PHONE = "李师傅", "13698765432"


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


def resident_idea(compound, **fields):
    values = {"compound_id": compound.pk, "text": IDEA, "source": "resident",
              "author_name": NAME, "author_phone": PHONE}
    values.update(fields)
    return idea_submit(by=None, **values)


@pytest.fixture
def item(db, east):
    seed_work_item_types(WorkItemType)
    return make_item(make_project(east), code="activity-space")


# --- staff ---------------------------------------------------------------------------------


def test_list_filters_and_gate(client, east_user, west_user, east, area):
    a = resident_idea(east)
    b = idea_submit(by=east_user, compound_id=area.compounds["育才苑"].pk, text="增加充电桩",
                    source="meeting")
    idea_transition(by=east_user, idea_id=b.pk, to="under_review")
    client.force_login(east_user)
    url = reverse("consultation:idea-list")

    def ids(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {i.pk for i in response.context["page"].object_list}

    assert ids() == {a.pk, b.pk}
    assert ids(status="under_review") == {b.pk}
    assert ids(source="resident") == {a.pk}
    assert ids(compound_name="长江") == {a.pk}
    assert ids(compound=area.compounds["育才苑"].pk) == {b.pk}
    assert ids(date_from="2000-01-01", date_to="2000-01-02") == set()
    client.force_login(west_user)
    assert ids() == set()


@pytest.mark.parametrize("n", [2, 12])
def test_list_queries_are_constant(client, east_user, east, n, django_assert_num_queries):
    building = Building.objects.create(compound=east, number="5")
    for i in range(n):
        resident_idea(east, text=f"{IDEA}{i}", building_id=building.pk)
    client.force_login(east_user)
    with django_assert_num_queries(4):  # session, user, count, page
        response = client.get(reverse("consultation:idea-list"))
    assert len(response.context["page"].object_list) == n


def test_worker_records_an_idea(client, east_a_user, east):
    building = Building.objects.create(compound=east, number="7")
    client.force_login(east_a_user)
    url = reverse("consultation:idea-create")
    response = client.get(url, {"compound": east.pk})
    choices = response.context["form"].fields["building"].choices
    assert [value for value, _label in choices] == ["", building.pk]
    response = client.post(url, {"compound": east.pk, "building": building.pk,
                                 "source": "visit", "text": "楼道加装扶手"})
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert (idea.source, idea.building, idea.created_by) == ("visit", building, east_a_user)


def test_worker_entry_errors_keep_input(client, east_user, east):
    client.force_login(east_user)
    response = client.post(reverse("consultation:idea-create"), {
        "compound": east.pk, "source": "worker", "text": "太短",
        "author_name": "赵大爷", "author_phone": "12345",
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"text", "author_phone"}
    body = response.content.decode()
    assert "赵大爷" in body and "太短" in body
    assert not Idea.objects.exists()


def test_detail_and_moves(client, east_user, east):
    idea = resident_idea(east)
    client.force_login(east_user)
    url = reverse("consultation:idea-detail", args=[idea.pk])
    response = client.get(url)
    assert [m["to"] for m in response.context["moves"]] == ["under_review"]
    assert PHONE in response.content.decode()  # subdistrict staff see the contact
    move = reverse("consultation:idea-move", args=[idea.pk])
    assert client.post(move, {"to": "under_review", "m-under_review-note": "评估中"}
                       ).status_code == 302
    idea.refresh_from_db()
    assert idea.status == "under_review" and idea.events.last().note == "评估中"

    response = client.post(move, {"to": "not_adopted", "m-not_adopted-note": "内部备注",
                                  "m-not_adopted-public_reason": ""})
    assert response.status_code == 200
    not_adopted = next(m for m in response.context["moves"] if m["to"] == "not_adopted")
    assert set(not_adopted["form"].errors) == {"public_reason"}
    assert "内部备注" in response.content.decode()
    idea.refresh_from_db()
    assert idea.status == "under_review"

    client.post(move, {"to": "not_adopted", "m-not_adopted-public_reason": "场地为消防通道"})
    idea.refresh_from_db()
    assert (idea.status, idea.public_reason) == ("not_adopted", "场地为消防通道")


def test_adopt_through_the_move_form_is_refused(client, east_user, east):
    idea = resident_idea(east)
    idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
    client.force_login(east_user)
    response = client.post(reverse("consultation:idea-move", args=[idea.pk]),
                           {"to": "adopted"})
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "under_review"


def test_community_staff_see_the_contact_masked(client, east_a_user, east):
    idea = resident_idea(east)
    client.force_login(east_a_user)
    body = client.get(reverse("consultation:idea-detail", args=[idea.pk])).content.decode()
    assert PHONE not in body and "136****5432" in body and "李**" in body


@pytest.mark.parametrize("name", ["idea-detail", "idea-move"])
def test_another_areas_idea_is_404(client, west_user, east, name):
    idea = resident_idea(east)
    client.force_login(west_user)
    url = reverse(f"consultation:{name}", args=[idea.pk])
    response = client.post(url, {"to": "under_review"}) if name == "idea-move" else client.get(url)
    assert response.status_code == 404
    assert Idea.objects.get().status == "received"


@pytest.mark.parametrize("n", [1, 5])
def test_detail_queries_are_constant(client, east_user, east, item, n,
                                     django_assert_num_queries):
    idea = resident_idea(east)
    idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
    for i in range(n):
        other = make_item(item.project, code="greening")
        idea_adopt(by=east_user, idea_id=idea.pk, work_item_id=other.pk, note=str(i))
    client.force_login(east_user)
    # session, user, idea, events, work items (with type and project)
    with django_assert_num_queries(5):
        response = client.get(reverse("consultation:idea-detail", args=[idea.pk]))
    assert len(response.context["work_items"]) == n


# --- adoption (renewal's page) ----------------------------------------------------------------


@pytest.mark.urls("tests.consultation.urls_ideas")
def test_adopt_page(client, east_user, east, item, area):
    idea = resident_idea(east)
    idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
    make_item(make_project(area.compounds["育才苑"]), code="roads")  # not offered
    client.force_login(east_user)
    detail = client.get(reverse("consultation:idea-detail", args=[idea.pk]))
    adopt_url = reverse("ideas:adopt", args=[idea.pk])
    assert adopt_url in detail.content.decode()
    response = client.get(adopt_url)
    assert [value for value, _ in response.context["form"].fields["work_item"].choices] == [
        item.pk]
    response = client.post(adopt_url, {"work_item": "", "note": "我的备注"})
    assert response.status_code == 200 and "work_item" in response.context["form"].errors
    assert "我的备注" in response.content.decode()
    response = client.post(adopt_url, {"work_item": item.pk, "note": "纳入清单"})
    assert response.status_code == 302
    assert response.url == reverse("consultation:idea-detail", args=[idea.pk])
    item.refresh_from_db()
    assert item.idea_id == idea.pk
    assert Idea.objects.get().status == "adopted"


@pytest.mark.urls("tests.consultation.urls_ideas")
def test_adopt_page_gate_and_state(client, east_user, west_user, east, item):
    idea = resident_idea(east)
    client.force_login(west_user)
    assert client.get(reverse("ideas:adopt", args=[idea.pk])).status_code == 404
    client.force_login(east_user)
    response = client.get(reverse("ideas:adopt", args=[idea.pk]))
    assert response.context["adoptable"] is False
    response = client.post(reverse("ideas:adopt", args=[idea.pk]), {"work_item": item.pk})
    assert response.status_code == 302  # refused: review first (message)
    assert Idea.objects.get().status == "received"


# --- residents -------------------------------------------------------------------------------


def test_resident_form_without_account(client, east):
    Building.objects.create(compound=east, number="2")
    url = reverse("resident:idea-submit", args=[east.pk])
    assert url == f"/r/c/{east.pk}/idea/"
    response = client.get(url)
    assert response.status_code == 200
    assert 'name="website"' in response.content.decode()
    building = Building.objects.get()
    response = client.post(url, {"text": IDEA, "building": building.pk, "author_name": NAME,
                                 "author_phone": "136 9876 5432", "website": ""})
    idea = Idea.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("resident:idea-thanks", args=[east.pk]) + f"?idea={idea.pk}"
    assert (idea.source, idea.created_by, idea.author_phone) == ("resident", None, PHONE)
    assert client.get(response.url).status_code == 200


def test_resident_form_errors_keep_input(client, east):
    response = client.post(reverse("resident:idea-submit", args=[east.pk]), {
        "text": "好主意", "author_name": "张阿姨", "author_phone": "1369876543",
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"text", "author_phone"}
    body = response.content.decode()
    assert "好主意" in body and "张阿姨" in body and "1369876543" in body
    assert not Idea.objects.exists()


def test_resident_form_honeypot_keeps_nothing(client, east):
    response = client.post(reverse("resident:idea-submit", args=[east.pk]),
                           {"text": IDEA, "website": "http://spam.example"})
    assert response.status_code == 302
    assert not Idea.objects.exists()


def test_resident_form_needs_csrf(east):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        reverse("resident:idea-submit", args=[east.pk]), {"text": IDEA})
    assert response.status_code == 403
    assert not Idea.objects.exists()


def test_resident_form_rate_limit(client, east, settings):
    settings.IDEA_SUBMIT_RATE = (3, 3600)
    url = reverse("resident:idea-submit", args=[east.pk])
    for i in range(3):
        assert client.post(url, {"text": f"{IDEA}{i}"}).status_code == 302
    # Refused input does not count against the limit …
    response = client.post(url, {"text": f"{IDEA}!"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    response = client.post(url, {"text": f"{IDEA}x"})
    assert response.status_code == 429
    assert "12345" in response.content.decode()
    assert Idea.objects.count() == 4
    # … and another address still may.
    assert client.post(url, {"text": f"{IDEA}y"}, REMOTE_ADDR="10.0.0.8").status_code == 302


def test_resident_form_unknown_compound(client, db):
    assert client.get(reverse("resident:idea-submit", args=[424242])).status_code == 404
    assert client.get(reverse("resident:idea-public-list", args=[424242])).status_code == 404


def test_public_list_never_leaks_the_author(client, east, east_user, item, area):
    adopted = resident_idea(east, text="中心空地设置遮阳棚")
    idea_transition(by=east_user, idea_id=adopted.pk, to="under_review")
    idea_adopt(by=east_user, idea_id=adopted.pk, work_item_id=item.pk)
    refused = resident_idea(east, text="把空地改成停车场", author_name="赵先生",
                            author_phone="13512341234")
    idea_transition(by=east_user, idea_id=refused.pk, to="under_review")
    idea_transition(by=east_user, idea_id=refused.pk, to="not_adopted",
                    public_reason="空地是消防通道，不能停车")
    resident_idea(east, text="请联系我 13812345678 商量加装电梯")
    resident_idea(area.compounds["育才苑"], text="别的小区的点子")

    response = client.get(reverse("resident:idea-public-list", args=[east.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "中心空地设置遮阳棚" in body and "公共活动空间" in body  # what it became
    assert "空地是消防通道，不能停车" in body
    assert "别的小区的点子" not in body
    for secret in (NAME, PHONE, "赵先生", "13512341234", "13812345678"):
        assert secret not in body
    assert "138****5678" in body
    assert response.context["counts"]["total"] == 3


@pytest.mark.parametrize("n", [2, 12])
def test_public_list_queries_are_constant(client, east, east_user, item, n,
                                          django_assert_num_queries):
    for i in range(n):
        idea = resident_idea(east, text=f"{IDEA}{i}")
        if i % 2:
            idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
            idea_adopt(by=east_user, idea_id=idea.pk,
                       work_item_id=make_item(item.project, code="greening").pk)
    # compound, count, page, work items, status counts
    with django_assert_num_queries(5):
        response = client.get(reverse("resident:idea-public-list", args=[east.pk]))
    assert len(response.context["ideas"]) == n
