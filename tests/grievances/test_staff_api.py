"""The contract of the staff API /api/v1/grievances/: field names, filters, the area
gate, masked contact and the audited reveal, the actions, recording from staff channels,
and a constant number of queries."""

import datetime as dt
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from grievances.models import ContactView, Grievance, GrievancePhoto, Reply
from grievances.services.handling import grievance_reply
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

URL = "/api/v1/grievances/"
NOW = timezone.now()
PHONE = "13812345678"

LIST_FIELDS = {
    "id", "tracking_code", "received_at", "channel", "compound", "compound_name", "building",
    "building_number", "unit", "category", "category_name", "status", "level", "party",
    "party_name", "priority", "assignee", "assignee_name", "due_at", "is_overdue",
    "merged_into", "resolved_at", "closed_at", "rating", "phone_masked",
}
DETAIL_FIELDS = LIST_FIELDS | {
    "description", "external_id", "qr_point", "name_masked", "consent_contact",
    "rating_comment", "photos", "events", "replies", "available_moves",
}


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), "blue").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def issue(area):
    return make_grievance(area.compounds["长江路小区"], tracking_code="WXYZ-2345",
                          reporter_name="王小明", reporter_phone=PHONE,
                          due_at=NOW - dt.timedelta(hours=1))


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [r["id"] for r in response.json()["results"]]


# --- list ---------------------------------------------------------------------------


def test_list_contract(api, issue, east_user):
    body = as_user(api, east_user).get(URL).json()
    assert set(body) == {"count", "next", "previous", "results"}
    row = body["results"][0]
    assert set(row) == LIST_FIELDS
    assert (row["tracking_code"], row["compound_name"], row["category"], row["status"],
            row["is_overdue"], row["phone_masked"]) == (
        "WXYZ-2345", "长江路小区", "leak", "received", True, "138****5678")
    assert PHONE not in str(body) and "王小明" not in str(body)


def test_list_filters(api, issue, area, east_user):
    other = make_grievance(area.compounds["育才苑"], category="road", level="community",
                           status="assigned", priority="urgent",
                           due_at=NOW + dt.timedelta(days=1))
    as_user(api, east_user)
    assert ids(api.get(URL, {"status": "assigned"})) == [other.pk]
    assert set(ids(api.get(URL, {"status": "assigned,received"}))) == {issue.pk, other.pk}
    assert ids(api.get(URL, {"category": "road"})) == [other.pk]
    assert ids(api.get(URL, {"level": "compound"})) == [issue.pk]
    assert ids(api.get(URL, {"compound": area.compounds["育才苑"].pk})) == [other.pk]
    assert ids(api.get(URL, {"overdue": "true"})) == [issue.pk]
    assert ids(api.get(URL, {"overdue": "false"})) == [other.pk]
    today = timezone.localdate().isoformat()
    assert set(ids(api.get(URL, {"received_after": today, "received_before": today}))) == {
        issue.pk, other.pk}
    assert ids(api.get(URL, {"received_before": "2000-01-01"})) == []
    assert ids(api.get(URL, {"q": "wxyz2345"})) == [issue.pk]


def test_a_bad_filter_is_a_400_by_field(api, issue, east_user):
    response = as_user(api, east_user).get(URL, {"received_after": "soon", "status": "x"})
    assert response.status_code == 400
    assert {"received_after", "status"} <= set(response.json())


def test_list_and_detail_are_gated(api, issue, west_user, roleless_user):
    as_user(api, west_user)
    assert ids(api.get(URL)) == []
    assert api.get(f"{URL}{issue.pk}/").status_code == 404
    assert api.post(f"{URL}{issue.pk}/transition/", {"to": "accepted"}).status_code == 404
    assert api.post(f"{URL}{issue.pk}/contact/").status_code == 404
    assert Grievance.objects.get(pk=issue.pk).status == "received"
    assert as_user(APIClient(), roleless_user).get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401


@pytest.mark.parametrize("extra", [0, 12])
def test_list_runs_constant_queries(api, area, district_user, extra,
                                    django_assert_num_queries):
    cj = area.compounds["长江路小区"]
    for i in range(extra + 2):
        make_grievance(cj, assignee=district_user,
                       building=area.dwelling(cj, building=str(i), number=str(i)).building)
    as_user(api, district_user)
    with django_assert_num_queries(2):  # count, page
        body = api.get(URL).json()
    assert body["count"] == extra + 2
    assert body["results"][0]["assignee_name"] == "district"


# --- detail -------------------------------------------------------------------------


def test_detail_contract_with_photos_events_and_replies(api, issue, media, east_user):
    photo = GrievancePhoto(grievance=issue)
    photo.image.save("roof.png", ContentFile(png_bytes(), name="p.png"), save=True)
    grievance_reply(by=east_user, grievance_id=issue.pk, text="内部：物业已派人", public=False)
    body = as_user(api, east_user).get(f"{URL}{issue.pk}/").json()
    assert set(body) == DETAIL_FIELDS
    assert body["photos"] == [{"id": photo.pk, "url": f"http://testserver/media/{photo.image.name}",
                               "width": 16, "height": 12}]
    assert [(e["kind"], e["from"], e["to"]) for e in body["events"]] == [
        ("submitted", "", "received"), ("replied", "", "")]
    assert set(body["events"][0]) == {"kind", "from", "to", "from_level", "to_level", "note",
                                      "by", "by_name", "at"}
    assert body["replies"][0]["public"] is False
    assert set(body["replies"][0]) == {"id", "text", "public", "by", "by_name", "at"}
    assert body["replies"][0]["by_name"] == "east"
    assert [m["to"] for m in body["available_moves"]] == ["accepted", "rejected", "merged"]
    assert (body["name_masked"], body["phone_masked"]) == ("王**", "138****5678")
    assert PHONE not in str(body)
    assert not ContactView.objects.exists()
    # The photo URL is served to staff of the area only.
    api.logout()
    assert APIClient().get(f"/media/{photo.image.name}").status_code == 302  # sign in first


@pytest.mark.parametrize("extra", [0, 5])
def test_detail_runs_constant_queries(api, issue, media, east_user, extra,
                                      django_assert_num_queries):
    for i in range(extra):
        grievance_reply(by=east_user, grievance_id=issue.pk, text=f"答复{i}")
        photo = ContentFile(png_bytes(), name="p.png")
        GrievancePhoto(grievance=issue).image.save(f"p{i}.png", photo, save=True)
    as_user(api, east_user)
    with django_assert_num_queries(4):  # issue, photos, events, replies
        body = api.get(f"{URL}{issue.pk}/").json()
    assert len(body["replies"]) == extra and len(body["photos"]) == extra


# --- contact ------------------------------------------------------------------------


def test_reveal_contact_is_audited_and_for_district_or_assignee_only(api, issue,
                                                                     district_user,
                                                                     east_a_user):
    refused = as_user(api, east_a_user).post(f"{URL}{issue.pk}/contact/")
    assert refused.status_code == 403
    assert PHONE not in str(refused.json())
    assert not ContactView.objects.exists()
    response = as_user(APIClient(), district_user).post(f"{URL}{issue.pk}/contact/")
    assert response.status_code == 200
    assert response.json() == {"name": "王小明", "phone": PHONE}
    assert list(ContactView.objects.values_list("user", "where")) == [(district_user.pk, "api")]


# --- actions ------------------------------------------------------------------------


def test_transition_assign_reply_and_resolve(api, issue, east_user, east_a_user):
    as_user(api, east_user)
    body = api.post(f"{URL}{issue.pk}/transition/", {"to": "accepted"}).json()
    assert body["status"] == "accepted"
    response = api.post(f"{URL}{issue.pk}/assign/", {
        "level": "community", "party": "community_office", "assignee": east_a_user.pk})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["level"], body["assignee"]) == (
        "assigned", "community", east_a_user.pk)
    assert body["due_at"] is not None
    response = api.post(f"{URL}{issue.pk}/reply/", {"text": "内部备注", "public": False})
    assert response.status_code == 201
    assert response.json()["replies"][-1]["public"] is False
    body = api.post(f"{URL}{issue.pk}/transition/",
                    {"to": "resolved", "reply": "已修复"}).json()
    assert body["status"] == "resolved"
    assert Reply.objects.filter(grievance=issue, public=True).get().text == "已修复"


def test_action_errors_come_back_by_field(api, issue, east_user):
    as_user(api, east_user)
    response = api.post(f"{URL}{issue.pk}/assign/", {
        "level": "compound", "party": "district_department", "assignee": "nobody",
        "priority": "soon"})
    assert response.status_code == 400
    assert {"party", "assignee", "priority"} <= set(response.json())
    response = api.post(f"{URL}{issue.pk}/transition/", {"to": "rejected"})
    assert response.status_code == 400
    assert "note" in response.json()
    illegal = api.post(f"{URL}{issue.pk}/transition/", {"to": "closed"})
    assert illegal.status_code == 400
    assert illegal.json()["allowed"] == ["accepted", "rejected", "merged"]
    response = api.post(f"{URL}{issue.pk}/reply/", {"text": ""})
    assert response.status_code == 400 and "text" in response.json()
    assert Grievance.objects.get(pk=issue.pk).status == "received"


def test_merge(api, issue, area, east_user):
    other = make_grievance(area.compounds["长江路小区"])
    elsewhere = make_grievance(area.compounds["石油大院"])
    as_user(api, east_user)
    response = api.post(f"{URL}{issue.pk}/merge/", {"into": elsewhere.pk})
    assert response.status_code == 400 and "into" in response.json()
    body = api.post(f"{URL}{issue.pk}/merge/", {"into": other.pk}).json()
    assert (body["status"], body["merged_into"]) == ("merged", other.pk)


# --- recording from staff channels --------------------------------------------------


def test_staff_record_an_issue_with_a_photo(api, area, media, east_a_user):
    cj = area.compounds["长江路小区"]
    response = as_user(api, east_a_user).post(URL, {
        "channel": "inspection", "compound": cj.pk, "category": "safety",
        "description": "巡查发现：配电箱门损坏", "photos": [
            SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["channel"], body["priority"], len(body["photos"])) == (
        "inspection", "urgent", 1)
    assert Grievance.objects.get().created_by == east_a_user


def test_recording_errors_come_back_all_at_once(api, area, east_a_user):
    response = as_user(api, east_a_user).post(URL, {
        "channel": "visit", "compound": area.compounds["石油大院"].pk, "category": "nope",
        "description": "x", "phone": "123"})
    assert response.status_code == 400
    assert {"compound", "category", "description", "phone"} <= set(response.json())
    response = api.post(URL, {"channel": "qr", "compound": area.compounds["长江路小区"].pk})
    assert response.status_code == 400 and "channel" in response.json()
    assert not Grievance.objects.exists()
