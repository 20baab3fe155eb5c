"""API contract of the meetings: list (filters, constant queries), retrieve, schedule,
change, minutes, cancel; errors field by field; another area's meeting is a 404."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from consultation.models.meetings import Meeting
from consultation.services.meetings import meeting_record_minutes, meeting_schedule
from consultation.services.topics import topic_create

URL = "/api/v1/consultation/meetings/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


def schedule(by, compound, **fields):
    values = {"compound_id": compound.pk, "type": "council", "title": "协商议事会",
              "starts_at": timezone.now() - timedelta(days=1), "place": "社区会议室"}
    values.update(fields)
    return meeting_schedule(by=by, **values)


def test_create_201(api, east_user, west_user, east):
    topic = topic_create(by=east_user, compound_id=east.pk, title="屋面防水", scope="compound",
                         kind="renovation_plan", rule="civil_code_ordinary")
    api.force_authenticate(east_user)
    starts = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    response = api.post(URL, {
        "compound": east.pk, "type": "open_air", "title": "坝坝会", "starts_at":
        starts.isoformat(), "place": "老茶馆", "topics": [topic.pk], "invitees": [west_user.pk],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == body | {"compound": east.pk, "type": "open_air", "title": "坝坝会",
                           "place": "老茶馆", "topics": [topic.pk], "invitees": [west_user.pk],
                           "state": "upcoming", "attendance": {}, "attendance_total": 0,
                           "created_by": east_user.pk}
    assert Meeting.objects.get().starts_at == starts


def test_create_400_by_field(api, east_user, east):
    api.force_authenticate(east_user)
    response = api.post(URL, {"compound": east.pk, "type": "party", "title": "x",
                              "starts_at": timezone.now().isoformat(), "place": "",
                              "invitees": [987654]}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"type", "place", "invitees"}
    assert not Meeting.objects.exists()


def test_create_in_another_area_is_400_on_compound(api, west_user, east):
    api.force_authenticate(west_user)
    response = api.post(URL, {"compound": east.pk, "type": "council", "title": "x",
                              "starts_at": timezone.now().isoformat(), "place": "y"},
                        format="json")
    assert response.status_code == 400 and set(response.json()) == {"compound"}


def test_minutes_and_field_errors(api, east_user, east):
    meeting = schedule(east_user, east)
    api.force_authenticate(east_user)
    url = f"{URL}{meeting.pk}/minutes/"
    response = api.post(url, {"attendance": {"residents": -2, "other": 1}, "minutes": ""},
                        format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"attendance_residents", "minutes"}
    response = api.post(url, {"attendance": {"residents": 30, "party_members": 4},
                              "minutes": "议定改造方案", "decisions": "通过"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["attendance"] == {"residents": 30, "party_members": 4}
    assert body["attendance_total"] == 34 and body["state"] == "held"
    assert body["minutes"] == "议定改造方案"


def test_minutes_before_the_start_is_409(api, east_user, east):
    meeting = schedule(east_user, east, starts_at=timezone.now() + timedelta(days=1))
    api.force_authenticate(east_user)
    response = api.post(f"{URL}{meeting.pk}/minutes/",
                        {"attendance": {"residents": 3}, "minutes": "x"}, format="json")
    assert response.status_code == 409 and "detail" in response.json()


def test_patch_and_cancel(api, east_user, east):
    meeting = schedule(east_user, east, starts_at=timezone.now() + timedelta(days=1))
    api.force_authenticate(east_user)
    response = api.patch(f"{URL}{meeting.pk}/", {"place": "线上", "type": "online"},
                         format="json")
    assert response.status_code == 200 and response.json()["place"] == "线上"
    response = api.patch(f"{URL}{meeting.pk}/", {"title": ""}, format="json")
    assert response.status_code == 400 and "title" in response.json()
    response = api.post(f"{URL}{meeting.pk}/cancel/", {"reason": ""}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"reason"}
    response = api.post(f"{URL}{meeting.pk}/cancel/", {"reason": "台风"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    response = api.patch(f"{URL}{meeting.pk}/", {"place": "x"}, format="json")
    assert response.status_code == 409


def test_another_areas_meeting_is_404(api, west_user, east_user, east):
    meeting = schedule(east_user, east)
    api.force_authenticate(west_user)
    assert api.get(f"{URL}{meeting.pk}/").status_code == 404
    assert api.post(f"{URL}{meeting.pk}/minutes/", {"attendance": {"residents": 1},
                                                    "minutes": "x"},
                    format="json").status_code == 404
    assert api.post(f"{URL}{meeting.pk}/cancel/", {"reason": "x"},
                    format="json").status_code == 404
    assert api.patch(f"{URL}{meeting.pk}/", {"title": "x"}, format="json").status_code == 404
    assert api.get(URL).json()["count"] == 0


def test_list_filters(api, east_user, east, area):
    held = schedule(east_user, east, title="有纪要")
    meeting_record_minutes(by=east_user, meeting_id=held.pk, attendance={"residents": 1},
                           minutes="x")
    schedule(east_user, east, title="无纪要", type="tea_party")
    schedule(east_user, area.compounds["育才苑"], title="育才苑")
    api.force_authenticate(east_user)

    def titles(**params):
        return {m["title"] for m in api.get(URL, params).json()["results"]}

    assert titles(missing_minutes="true") == {"无纪要", "育才苑"}
    assert titles(type="tea_party") == {"无纪要"}
    assert titles(compound=east.pk) == {"有纪要", "无纪要"}
    assert titles(compound_name="育才") == {"育才苑"}


@pytest.mark.parametrize("n", [2, 12])
def test_list_queries_are_constant(api, district_user, east_user, east, n,
                                   django_assert_num_queries):
    topic = topic_create(by=east_user, compound_id=east.pk, title="t", scope="compound",
                         kind="other", rule="civil_code_ordinary")
    for i in range(n):
        meeting = schedule(east_user, east, title=f"会{i}", topic_ids=[topic.pk],
                           invitee_ids=[east_user.pk])
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"residents": i + 1}, minutes="x")
    api.force_authenticate(district_user)
    with django_assert_num_queries(5):  # count, page, attendance, topics, invitees
        body = api.get(URL).json()
    assert body["count"] == n
    assert body["results"][0]["topics"] == [topic.pk]
