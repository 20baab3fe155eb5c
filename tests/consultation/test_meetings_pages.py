"""Meeting pages: list with filters and constant queries, schedule (prefill, errors that
keep the input), detail, edit, minutes, cancel, print; another area's meeting is a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from consultation.models.meetings import Meeting, MeetingAttendance
from consultation.services.meetings import meeting_record_minutes, meeting_schedule
from consultation.services.topics import topic_create


def local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def schedule(by, compound, **fields):
    values = {"compound_id": compound.pk, "type": "tea_party", "title": "近邻茶话会",
              "starts_at": timezone.now() + timedelta(days=2), "place": "3号楼前"}
    values.update(fields)
    return meeting_schedule(by=by, **values)


@pytest.fixture
def east(area):
    return area.compounds["长江路小区"]


@pytest.fixture
def held(east_user, east):
    meeting = schedule(east_user, east, title="加装电梯恳谈会", type="courtyard",
                       starts_at=timezone.now() - timedelta(days=3))
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                           attendance={"residents": 41, "community_workers": 2},
                           minutes="居民讨论电梯费用分摊办法", decisions="按楼层系数分摊")
    return meeting


# --- list ----------------------------------------------------------------------------------


def test_list_shows_the_area_only(client, east_a_user, east_user, east, area, held):
    schedule(east_user, area.compounds["育才苑"], title="育才苑坝坝会")
    client.force_login(east_a_user)
    response = client.get(reverse("consultation:meeting-list"))
    assert response.status_code == 200
    titles = [m.title for m in response.context["page"].object_list]
    assert titles == ["加装电梯恳谈会"]
    assert "43" in response.content.decode()  # 41 residents + 2 workers


def test_list_filters(client, east_user, east, area, held):
    upcoming = schedule(east_user, east, title="未来的会")
    schedule(east_user, area.compounds["育才苑"], title="育才苑的会", type="online")
    client.force_login(east_user)
    url = reverse("consultation:meeting-list")

    def titles(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {m.title for m in response.context["page"].object_list}

    assert titles(compound_name="育才") == {"育才苑的会"}
    assert titles(type="courtyard") == {"加装电梯恳谈会"}
    day = timezone.localdate(upcoming.starts_at).isoformat()
    assert titles(date_from=day) == {"未来的会", "育才苑的会"}
    assert titles(date_to=timezone.localdate(held.starts_at).isoformat()) == {"加装电梯恳谈会"}
    missing = schedule(east_user, east, title="没有纪要",
                       starts_at=timezone.now() - timedelta(hours=5))
    assert titles(missing_minutes="true") == {missing.title}
    assert "没有纪要" not in titles(missing_minutes="false")
    assert titles(compound=east.pk) == {"加装电梯恳谈会", "未来的会", "没有纪要"}


@pytest.mark.parametrize("n", [2, 12])
def test_list_queries_are_constant(client, east_user, east, n, django_assert_num_queries):
    for i in range(n):
        meeting = schedule(east_user, east, title=f"会{i}",
                           starts_at=timezone.now() - timedelta(days=i + 1))
        meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                               attendance={"residents": i + 1}, minutes="x")
    client.force_login(east_user)
    with django_assert_num_queries(4):  # session, user, count, page
        response = client.get(reverse("consultation:meeting-list"))
    assert len(response.context["page"].object_list) == n


# --- schedule ------------------------------------------------------------------------------


def test_schedule_prefilled_from_the_compound(client, east_user, east, area):
    topic = topic_create(by=east_user, compound_id=east.pk, title="屋面防水", scope="compound",
                         kind="renovation_plan", rule="civil_code_ordinary")
    topic_create(by=east_user, compound_id=area.compounds["育才苑"].pk, title="停车",
                 scope="compound", kind="parking", rule="civil_code_ordinary")
    client.force_login(east_user)
    response = client.get(reverse("consultation:meeting-create"), {"compound": east.pk})
    form = response.context["form"]
    assert form["compound"].value() == east.pk
    assert form.fields["topics"].choices == [(topic.pk, "屋面防水")]
    # Without a compound: every topic of the area, grouped by compound.
    response = client.get(reverse("consultation:meeting-create"))
    groups = dict(response.context["form"].fields["topics"].choices)
    assert set(groups) == {"长江路小区", "育才苑"}


def test_schedule_creates_and_redirects(client, east_user, west_user, east):
    client.force_login(east_user)
    start = timezone.now() + timedelta(days=1)
    response = client.post(reverse("consultation:meeting-create"), {
        "compound": east.pk, "type": "council", "title": "改造方案协商议事会",
        "starts_at": local(start), "place": "社区会议室", "invitees": [west_user.pk],
    })
    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("consultation:meeting-detail", args=[meeting.pk])
    assert list(meeting.invitees.all()) == [west_user]
    assert local(meeting.starts_at) == local(start)


def test_schedule_errors_keep_the_input(client, east_user, east):
    client.force_login(east_user)
    start = timezone.now() + timedelta(days=1)
    response = client.post(reverse("consultation:meeting-create"), {
        "compound": east.pk, "type": "council", "title": "我输入的标题",
        "starts_at": local(start), "ends_at": local(start - timedelta(hours=1)),
        "place": "社区会议室",
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"ends_at"}
    assert "我输入的标题" in response.content.decode()
    assert not Meeting.objects.exists()


def test_schedule_in_another_area_is_refused(client, west_user, east):
    client.force_login(west_user)
    response = client.post(reverse("consultation:meeting-create"), {
        "compound": east.pk, "type": "council", "title": "x",
        "starts_at": local(timezone.now()), "place": "y",
    })
    assert response.status_code == 200
    assert "compound" in response.context["form"].errors
    assert not Meeting.objects.exists()


# --- detail, edit, minutes, cancel, print ----------------------------------------------------


def test_detail_shows_everything(client, east_user, held):
    client.force_login(east_user)
    response = client.get(reverse("consultation:meeting-detail", args=[held.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("加装电梯恳谈会", "居民讨论电梯费用分摊办法", "按楼层系数分摊", "41", "43"):
        assert text in body
    assert [row.count for row in response.context["attendance"]][:1] == [41]
    assert [e.kind for e in response.context["events"]] == ["scheduled", "minutes_recorded"]


@pytest.mark.parametrize("name", ["meeting-detail", "meeting-edit", "meeting-minutes",
                                  "meeting-cancel", "meeting-print"])
def test_another_areas_meeting_is_404(client, west_user, held, name):
    client.force_login(west_user)
    assert client.get(reverse(f"consultation:{name}", args=[held.pk])).status_code == 404


def test_pages_need_sign_in(client, held):
    response = client.get(reverse("consultation:meeting-detail", args=[held.pk]))
    assert response.status_code == 302 and "/login/" in response.url


def test_edit(client, east_user, east):
    meeting = schedule(east_user, east)
    client.force_login(east_user)
    url = reverse("consultation:meeting-edit", args=[meeting.pk])
    form = client.get(url).context["form"]
    assert form.initial["title"] == "近邻茶话会" and "compound" not in form.fields
    response = client.post(url, {"type": "open_air", "title": "坝坝会",
                                 "starts_at": local(meeting.starts_at), "place": "老茶馆"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.type, meeting.title, meeting.place) == ("open_air", "坝坝会", "老茶馆")
    assert meeting.events.last().kind == "changed"
    response = client.post(url, {"type": "open_air", "title": "",
                                 "starts_at": local(meeting.starts_at), "place": "老茶馆改"})
    assert response.status_code == 200 and "title" in response.context["form"].errors
    assert "老茶馆改" in response.content.decode()


def test_record_minutes_page(client, east_user, east):
    meeting = schedule(east_user, east, starts_at=timezone.now() - timedelta(hours=2))
    client.force_login(east_user)
    url = reverse("consultation:meeting-minutes", args=[meeting.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"attendance_residents": "25", "attendance_other": "",
                                 "attendance_property_company": "1", "minutes": "讨论停车",
                                 "decisions": ""})
    assert response.status_code == 302
    assert dict(MeetingAttendance.objects.values_list("role", "count")) == {
        "residents": 25, "property_company": 1}


def test_minutes_page_refuses_negative_counts_and_keeps_input(client, east_user, east):
    meeting = schedule(east_user, east, starts_at=timezone.now() - timedelta(hours=2))
    client.force_login(east_user)
    response = client.post(reverse("consultation:meeting-minutes", args=[meeting.pk]), {
        "attendance_residents": "-4", "attendance_party_members": "3",
        "minutes": "我写的纪要", "decisions": "我写的决定",
    })
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"attendance_residents"}
    body = response.content.decode()
    assert "我写的纪要" in body and "我写的决定" in body and 'value="-4"' in body
    assert not MeetingAttendance.objects.exists()


def test_minutes_page_before_the_meeting(client, east_user, east):
    meeting = schedule(east_user, east)
    client.force_login(east_user)
    url = reverse("consultation:meeting-minutes", args=[meeting.pk])
    assert client.get(url).context["not_yet"] is True
    response = client.post(url, {"attendance_residents": "5", "minutes": "x"})
    assert response.status_code == 302
    assert Meeting.objects.get().minutes == ""


def test_cancel_page(client, east_user, east):
    meeting = schedule(east_user, east)
    client.force_login(east_user)
    url = reverse("consultation:meeting-cancel", args=[meeting.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = client.post(url, {"reason": "暴雨预警"})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.cancel_reason == "暴雨预警"
    # A cancelled meeting's edit page sends back to the meeting.
    assert client.get(reverse("consultation:meeting-edit", args=[meeting.pk])).status_code == 302


def test_print(client, east_user, held):
    client.force_login(east_user)
    response = client.get(reverse("consultation:meeting-print", args=[held.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "居民讨论电梯费用分摊办法" in body and "43" in body
    assert 'class="topbar"' not in body  # a plain document, no desk chrome


@pytest.mark.parametrize("n", [1, 6])
def test_detail_queries_are_constant(client, east_user, east, n, django_assert_num_queries):
    topics = [topic_create(by=east_user, compound_id=east.pk, title=f"议题{i}",
                           scope="compound", kind="other", rule="civil_code_ordinary").pk
              for i in range(n)]
    meeting = schedule(east_user, east, topic_ids=topics, invitee_ids=[east_user.pk],
                       starts_at=timezone.now() - timedelta(days=1))
    meeting_record_minutes(by=east_user, meeting_id=meeting.pk,
                           attendance={"residents": n, "other": 1}, minutes="x")
    client.force_login(east_user)
    # session, user, meeting, topics, invitees, attendance, events
    with django_assert_num_queries(7):
        client.get(reverse("consultation:meeting-detail", args=[meeting.pk]))
