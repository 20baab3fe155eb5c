"""API contract of the golden ideas: list (no personal data, constant queries), retrieve
(contact by role), record, transition, adoption through renewal's endpoint."""

import pytest
from rest_framework.test import APIClient

from consultation.models.ideas import Idea
from consultation.services.ideas import idea_submit, idea_transition
from renewal.catalog import seed_work_item_types
from renewal.models import WorkItemType
from tests.renewal.factories import make_item, make_project

URL = "/api/v1/consultation/ideas/"
ADOPT = "/api/v1/idea-adoptions/"
PHONE = "13712345678"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


def an_idea(compound, **fields):
    values = {"compound_id": compound.pk, "text": "楼道加装感应灯", "source": "resident",
              "author_name": "陈奶奶", "author_phone": PHONE}
    values.update(fields)
    return idea_submit(by=None, **values)


@pytest.fixture
def item(db, east):
    seed_work_item_types(WorkItemType)
    return make_item(make_project(east), code="lighting")


def test_create_201(api, east_a_user, east):
    api.force_authenticate(east_a_user)
    response = api.post(URL, {"compound": east.pk, "text": "增设晾衣架", "source": "visit"},
                        format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {"compound": east.pk, "text": "增设晾衣架", "source": "visit",
                           "status": "received", "created_by": east_a_user.pk,
                           "moves": [{"to": "under_review", "label": body["moves"][0]["label"]}],
                           "work_items": [], "has_contact": False}


def test_create_400_by_field(api, east_user, east, west_user):
    api.force_authenticate(east_user)
    response = api.post(URL, {"compound": east.pk, "text": "短", "author_phone": "110",
                              "source": "x"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"text", "author_phone", "source"}
    api.force_authenticate(west_user)
    response = api.post(URL, {"compound": east.pk, "text": "增设晾衣架"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"compound"}
    assert not Idea.objects.exists()


def test_list_carries_no_contact_and_detail_by_role(api, east_user, east_a_user, east):
    idea = an_idea(east)
    api.force_authenticate(east_user)
    listed = api.get(URL).json()["results"][0]
    assert "author_name" not in listed and "author_phone" not in listed
    assert PHONE not in str(listed) and listed["has_contact"] is True
    detail = api.get(f"{URL}{idea.pk}/").json()
    assert (detail["author_name"], detail["author_phone"]) == ("陈奶奶", PHONE)
    api.force_authenticate(east_a_user)
    detail = api.get(f"{URL}{idea.pk}/").json()
    assert (detail["author_name"], detail["author_phone"]) == ("陈**", "137****5678")


def test_transition(api, east_user, east):
    idea = an_idea(east)
    api.force_authenticate(east_user)
    url = f"{URL}{idea.pk}/transition/"
    response = api.post(url, {"to": "not_adopted", "public_reason": "x"}, format="json")
    assert response.status_code == 400 and response.json()["allowed"] == ["under_review"]
    assert api.post(url, {"to": "under_review"}, format="json").status_code == 200
    response = api.post(url, {"to": "not_adopted"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"public_reason"}
    response = api.post(url, {"to": "adopted"}, format="json")
    assert response.status_code == 400 and "detail" in response.json()
    response = api.post(url, {"to": "not_adopted", "public_reason": "已有路灯改造计划"},
                        format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "not_adopted"
    assert response.json()["public_reason"] == "已有路灯改造计划"


def test_another_areas_idea_is_404(api, west_user, east):
    idea = an_idea(east)
    api.force_authenticate(west_user)
    assert api.get(f"{URL}{idea.pk}/").status_code == 404
    assert api.post(f"{URL}{idea.pk}/transition/", {"to": "under_review"},
                    format="json").status_code == 404
    assert api.get(URL).json()["count"] == 0


@pytest.mark.urls("tests.consultation.urls_ideas")
def test_adopt_endpoint(api, east_user, west_user, east, item, area):
    idea = an_idea(east)
    api.force_authenticate(east_user)
    response = api.post(ADOPT, {"idea": idea.pk, "work_item": item.pk}, format="json")
    assert response.status_code == 400 and response.json()["allowed"] == ["under_review"]
    idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
    other = make_item(make_project(area.compounds["育才苑"]), code="lighting")
    response = api.post(ADOPT, {"idea": idea.pk, "work_item": other.pk}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"work_item"}
    api.force_authenticate(west_user)
    response = api.post(ADOPT, {"idea": idea.pk, "work_item": item.pk}, format="json")
    assert response.status_code == 404
    api.force_authenticate(east_user)
    response = api.post(ADOPT, {"idea": idea.pk, "work_item": item.pk, "note": "纳入"},
                        format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "adopted"
    assert response.json()["work_items"] == [item.pk]


@pytest.mark.parametrize("n", [2, 12])
def test_list_queries_are_constant(api, district_user, east_user, east, item, n,
                                   django_assert_num_queries):
    from renewal.services.ideas import idea_adopt

    for i in range(n):
        idea = an_idea(east, text=f"楼道加装感应灯{i}")
        if i % 2:
            idea_transition(by=east_user, idea_id=idea.pk, to="under_review")
            idea_adopt(by=east_user, idea_id=idea.pk,
                       work_item_id=make_item(item.project, code="lighting").pk)
    api.force_authenticate(district_user)
    with django_assert_num_queries(3):  # count, page, work items
        body = api.get(URL).json()
    assert body["count"] == n
