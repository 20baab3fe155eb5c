# ruff: noqa: F811 (the fixtures shared with the service tests are imported by name)
"""The visit pages (the phone form, a visit and its follow-ups, the list with the attitude
summary) and the visits API: what they show, what they write, the area gate, and the
number of queries at two sizes."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from consultation.models import Ballot
from consultation.models.visits import Visit
from consultation.selectors.visits import attitude_summary
from consultation.views.visits import SESSION_KEY
from grievances.models import Grievance
from tests.conftest import make_staff
from tests.consultation.test_visits import OPINION, catalog, place  # noqa: F401 (fixtures)

NEW = reverse("consultation:visit-create")
LIST = reverse("consultation:visit-list")


def detail(visit):
    return reverse("consultation:visit-detail", args=[visit.pk])


def make_visit(place, by, **fields) -> Visit:
    values = {"compound": place["compound"], "method": "at_home", "attitude": "support",
              "visited_by": by}
    values.update(fields)
    return Visit.objects.create(**values)


# --- the form --------------------------------------------------------------------------


def test_the_form_offers_the_buildings_then_the_dwellings(client, east_a_user, place):
    client.force_login(east_a_user)
    # 南屯社区 has one compound: it is chosen without asking.
    page = client.get(NEW)
    assert page.status_code == 200
    assert page.context["compound"] == place["compound"]
    assert page.context["buildings"] == [place["b1"], place["b2b"]]
    assert 'name="dwelling"' not in page.content.decode()
    page = client.get(NEW, {"compound": place["compound"].pk, "building": place["b1"].pk})
    body = page.content.decode()
    assert f'<option value="{place["b1u1"].pk}">' in body
    assert f'<option value="{place["b1u2"].pk}">' in body
    assert f'value="{place["b2"].pk}"' not in body
    assert page.context["units"] == ["1", "2"]
    # Only the open topics of this compound.
    assert page.context["form"].fields["topic"].widget.choices[1:] == [
        (place["topic"].pk, "加装电梯")]


def test_another_areas_compound_is_not_offered(client, east_a_user, place):
    client.force_login(east_a_user)
    west = place["west"].building.compound
    page = client.get(NEW, {"compound": west.pk})
    assert page.context["compound"] is None
    assert [c.name for c in page.context["compounds"]] == ["长江路小区"]
    assert west.name not in page.content.decode()


def test_saving_a_visit_remembers_compound_method_and_topic(client, east_user, place):
    client.force_login(east_user)  # 黄岛街道: two compounds, so nothing is chosen at first
    assert client.get(NEW).context["compound"] is None
    response = client.post(NEW, {
        "compound": place["compound"].pk, "building": place["b1"].pk,
        "dwelling": place["b1u1"].pk, "method": "kang_side", "attitude": "oppose",
        "opinions": OPINION, "topic": place["topic"].pk,
    })
    visit = Visit.objects.get()
    assert response.status_code == 302 and response.url == detail(visit)
    assert (visit.dwelling, visit.method, visit.attitude, visit.topic) == (
        place["b1u1"], "kang_side", "oppose", place["topic"])
    assert client.session[SESSION_KEY]["compound"] == place["compound"].pk

    form = client.get(NEW).context["form"]
    assert form.initial["compound"] == place["compound"].pk
    assert form.initial["method"] == "kang_side"
    assert form.initial["topic"] == place["topic"].pk
    assert form.initial["building"] is None


def test_a_refused_visit_keeps_what_was_typed(client, east_a_user, place):
    client.force_login(east_a_user)
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(NEW, {
        "compound": place["compound"].pk, "building": place["b1"].pk,
        "dwelling": place["b2"].pk, "opinions": OPINION, "visited_at": future,
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"dwelling", "method", "attitude",
                                                    "visited_at"}
    body = response.content.decode()
    assert OPINION in body and 'role="alert"' in body
    assert not Visit.objects.exists()


def test_a_refused_compound_shows_beside_the_picker(client, east_a_user, place):
    client.force_login(east_a_user)
    west = place["west"].building.compound
    response = client.post(NEW, {"compound": west.pk, "method": "street",
                                 "attitude": "neutral"})
    assert response.status_code == 200
    assert "compound" in response.context["form"].errors
    assert 'id="pick-compound-error"' in response.content.decode()
    assert not Visit.objects.exists()


def test_the_form_runs_constant_queries(client, east_a_user, place,
                                        django_assert_num_queries):
    client.force_login(east_a_user)
    url = f"{NEW}?compound={place['compound'].pk}&building={place['b1'].pk}"
    # session, user, compounds, buildings, dwellings, topics
    with django_assert_num_queries(6):
        client.get(url)


# --- a visit and its follow-ups --------------------------------------------------------


def test_the_ballot_follow_up_from_the_page(client, east_a_user, place):
    visit = make_visit(place, east_a_user, building=place["b1"], unit="1",
                       dwelling=place["b1u1"], topic=place["topic"])
    client.force_login(east_a_user)
    page = client.get(detail(visit))
    assert page.context["can_vote"]
    assert f'action="{reverse("consultation:visit-ballot", args=[visit.pk])}"' in \
        page.content.decode()
    response = client.post(reverse("consultation:visit-ballot", args=[visit.pk]),
                           {"choice": "disagree"})
    assert response.status_code == 302 and response.url == detail(visit)
    ballot = Ballot.objects.get()
    assert (ballot.choice, ballot.method) == ("disagree", "door_to_door")
    visit.refresh_from_db()
    assert visit.ballot == ballot
    assert not client.get(detail(visit)).context["can_vote"]

    # A second tap: nothing changes, the page says why.
    response = client.post(reverse("consultation:visit-ballot", args=[visit.pk]),
                           {"choice": "agree"}, follow=True)
    assert Ballot.objects.get().choice == "disagree"
    assert any(str(ballot.pk) in str(m) for m in response.context["messages"])


def test_no_ballot_buttons_without_a_dwelling(client, east_a_user, place):
    visit = make_visit(place, east_a_user, topic=place["topic"])
    client.force_login(east_a_user)
    page = client.get(detail(visit))
    assert not page.context["can_vote"]
    assert 'name="choice"' not in page.content.decode()
    response = client.post(reverse("consultation:visit-ballot", args=[visit.pk]),
                           {"choice": "agree"})
    assert response.status_code == 302 and not Ballot.objects.exists()


def test_the_grievance_follow_up_from_the_page(client, east_a_user, place):
    visit = make_visit(place, east_a_user, building=place["b2b"], opinions=OPINION)
    client.force_login(east_a_user)
    url = reverse("consultation:visit-grievance", args=[visit.pk])
    refused = client.post(url, {"category": ""})
    assert refused.status_code == 200
    assert "category" in refused.context["grievance_form"].errors
    assert not Grievance.objects.exists()
    assert client.post(url, {"category": "lighting"}).status_code == 302
    grievance = Grievance.objects.get()
    assert (grievance.channel, grievance.building, grievance.category.code) == (
        "visit", place["b2b"], "lighting")
    assert grievance.tracking_code in client.get(detail(visit)).content.decode()


def test_the_idea_follow_up_from_the_page(client, east_a_user, place):
    visit = make_visit(place, east_a_user, opinions=OPINION)
    client.force_login(east_a_user)
    url = reverse("consultation:visit-idea", args=[visit.pk])
    assert client.post(url, {"text": "短"}).context["idea_form"].errors["text"]
    assert client.post(url).status_code == 302  # no text sent: the opinions
    visit.refresh_from_db()
    assert visit.idea.text == OPINION and visit.idea.source == "visit"


def test_the_next_door_link_carries_the_place_and_method(client, east_a_user, place):
    visit = make_visit(place, east_a_user, building=place["b1"], unit="2", method="bench",
                       topic=place["topic"])
    client.force_login(east_a_user)
    link = client.get(detail(visit)).context["next_door"]
    form = client.get(link).context["form"]
    assert (form.initial["building"], form.initial["unit"], form.initial["method"],
            form.initial["topic"]) == (place["b1"].pk, "2", "bench", place["topic"].pk)


def test_another_areas_visit_is_a_404(client, east_a_user, west_user, place):
    visit = make_visit(place, east_a_user)
    client.force_login(west_user)
    assert client.get(detail(visit)).status_code == 404
    for name in ("visit-ballot", "visit-idea", "visit-grievance"):
        url = reverse(f"consultation:{name}", args=[visit.pk])
        assert client.post(url, {"choice": "agree", "category": "leak"}).status_code == 404
    assert client.get(reverse("consultation:visit-detail", args=[999999])).status_code == 404


def test_the_detail_runs_constant_queries(client, east_a_user, place,
                                          django_assert_num_queries):
    visit = make_visit(place, east_a_user, dwelling=place["b1u1"], building=place["b1"],
                       unit="1", topic=place["topic"])
    client.force_login(east_a_user)
    with django_assert_num_queries(4):  # session, user, the visit with its joins, categories
        client.get(detail(visit))


# --- the list and the attitude summary -------------------------------------------------


def test_the_list_filters_and_the_summary(client, east_user, east_a_user, place):
    other = place["other"].building.compound
    colleague = make_staff("colleague", "subdistrict", subdistrict=east_user.subdistrict)
    for attitude in ["support"] * 2 + ["neutral", "oppose"]:
        make_visit(place, east_user, attitude=attitude)
    make_visit(place, colleague, attitude="support", method="street",
               visited_at=timezone.now() - timedelta(days=10))
    make_visit(place, colleague, compound=other, attitude="oppose")
    make_visit(place, colleague, compound=place["west"].building.compound)
    client.force_login(east_user)

    page = client.get(LIST)
    assert page.context["page"].paginator.count == 6  # not 石油大院
    rows = {r.compound_name: r for r in page.context["summary"]}
    assert set(rows) == {"长江路小区", "育才苑"}
    cj = rows["长江路小区"]
    assert (cj.support, cj.neutral, cj.oppose, cj.total) == (3, 1, 1, 5)
    assert (cj.support_share, cj.neutral_share, cj.oppose_share) == (
        Decimal("60.0"), Decimal("20.0"), Decimal("20.0"))

    def count(**query):
        return client.get(LIST, query).context["page"].paginator.count

    assert count(mine="true") == 4
    assert count(method="street") == 1
    assert count(attitude="oppose") == 2
    assert count(compound=other.pk) == 1
    assert count(compound=place["west"].building.compound_id) == 0
    today = timezone.localdate()
    assert count(date_from=(today - timedelta(days=1)).isoformat()) == 5
    assert count(date_to=(today - timedelta(days=5)).isoformat()) == 1
    filtered = client.get(LIST, {"attitude": "oppose"}).context["summary"]
    assert sorted((r.compound_name, r.oppose, str(r.oppose_share)) for r in filtered) == [
        ("育才苑", 1, "100.0"), ("长江路小区", 1, "100.0")]


def test_shares_round_half_up_to_a_tenth(place, east_a_user):
    for attitude in ("support", "support", "neutral"):
        make_visit(place, east_a_user, attitude=attitude)
    (row,) = attitude_summary(Visit.objects.all())
    assert (row.support_share, row.neutral_share, row.oppose_share) == (
        Decimal("66.7"), Decimal("33.3"), Decimal("0.0"))


@pytest.mark.parametrize("n", [2, 12])
def test_the_list_runs_constant_queries(client, east_a_user, place, n,
                                        django_assert_num_queries):
    for i in range(n):
        make_visit(place, east_a_user, dwelling=place["b1u1"], building=place["b1"],
                   unit="1", topic=place["topic"], attitude=("support", "oppose")[i % 2])
    client.force_login(east_a_user)
    # session, user, count, page, summary, compounds; + buildings of the chosen compound
    with django_assert_num_queries(7):
        page = client.get(LIST, {"compound": place["compound"].pk})
    assert len(page.context["page"].object_list) == n


# --- API -------------------------------------------------------------------------------


@pytest.fixture
def api():
    return APIClient()


def test_api_create_and_follow_ups(api, east_a_user, place):
    api.force_authenticate(east_a_user)
    created = api.post("/api/v1/consultation/visits/", {
        "compound": place["compound"].pk, "dwelling": place["b1u1"].pk,
        "method": "at_home", "attitude": "support", "opinions": OPINION,
        "topic": place["topic"].pk,
    }, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["building_number"], body["unit"], body["ballot"]) == ("1", "1", None)
    url = f"/api/v1/consultation/visits/{body['id']}"

    ballot = api.post(f"{url}/ballot/", {"choice": "agree"}, format="json")
    assert ballot.status_code == 201
    assert ballot.json()["created"]["kind"] == "ballot"
    assert Ballot.objects.get().method == "door_to_door"
    again = api.post(f"{url}/ballot/", {"choice": "agree"}, format="json")
    assert again.status_code == 409
    assert again.json()["existing"]["id"] == ballot.json()["created"]["id"]

    assert api.post(f"{url}/grievance/", {"category": "ufo"},
                    format="json").json().keys() == {"category"}
    assert api.post(f"{url}/grievance/", {"category": "leak"}, format="json").status_code == 201
    idea = api.post(f"{url}/idea/", {}, format="json")
    assert idea.status_code == 201
    visit = api.get(f"{url}/").json()
    assert visit["idea"] == idea.json()["created"]["id"] and visit["grievance"]


def test_api_create_reports_every_bad_field(api, east_a_user, place):
    api.force_authenticate(east_a_user)
    response = api.post("/api/v1/consultation/visits/", {
        "compound": place["compound"].pk, "method": "sofa", "dwelling": place["west"].pk,
        "visited_at": (timezone.now() + timedelta(days=1)).isoformat(),
    }, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"method", "attitude", "dwelling", "visited_at"}
    nothing = api.post("/api/v1/consultation/visits/", {}, format="json")
    assert set(nothing.json()) == {"compound", "method", "attitude"}
    assert not Visit.objects.exists()


def test_api_area_gate(api, east_a_user, west_user, place):
    visit = make_visit(place, east_a_user, opinions=OPINION)
    api.force_authenticate(west_user)
    assert api.get("/api/v1/consultation/visits/").json()["count"] == 0
    assert api.get(f"/api/v1/consultation/visits/{visit.pk}/").status_code == 404
    for kind in ("ballot", "idea", "grievance"):
        response = api.post(f"/api/v1/consultation/visits/{visit.pk}/{kind}/", {},
                            format="json")
        assert response.status_code == 404
    assert api.get("/api/v1/consultation/visits/attitudes/").json() == []


def test_api_attitudes(api, east_a_user, place):
    for attitude in ("support", "support", "oppose"):
        make_visit(place, east_a_user, attitude=attitude)
    api.force_authenticate(east_a_user)
    (row,) = api.get("/api/v1/consultation/visits/attitudes/?attitude=support").json()
    assert (row["visits"], row["support"], row["support_share"]) == (2, 2, "100.0")
    (row,) = api.get("/api/v1/consultation/visits/attitudes/").json()
    assert (row["support_share"], row["oppose_share"]) == ("66.7", "33.3")


@pytest.mark.parametrize("n", [2, 12])
def test_api_list_runs_constant_queries(api, east_a_user, place, n,
                                        django_assert_num_queries):
    for _ in range(n):
        make_visit(place, east_a_user, dwelling=place["b1u1"], building=place["b1"],
                   unit="1", topic=place["topic"])
    api.force_authenticate(east_a_user)
    with django_assert_num_queries(2):  # count, page
        assert api.get("/api/v1/consultation/visits/").json()["count"] == n
