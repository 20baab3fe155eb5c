"""The staff issue page: contact masked and revealed with an audit row, the handling
actions, reply templates without JavaScript, merging a suggested duplicate, recording an
issue, and the area gate."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from grievances.models import (
    ContactView,
    Grievance,
    GrievanceEvent,
    GrievancePhoto,
    Reply,
    ReplyTemplate,
)
from grievances.services.handling import grievance_assign, grievance_reply
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

PHONE = "13812345678"


@pytest.fixture
def issue(area):
    return make_grievance(area.compounds["长江路小区"], tracking_code="WXYZ-2345",
                          reporter_name="王小明", reporter_phone=PHONE, consent_contact=True)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png() -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), name="p.png")


def url(issue, action: str = "") -> str:
    return f"/grievances/{issue.pk}/{action + '/' if action else ''}"


def page(client, user, issue):
    client.force_login(user)
    response = client.get(url(issue))
    assert response.status_code == 200
    return response


# --- contact and the audit ----------------------------------------------------------


def test_community_staff_see_the_phone_masked_and_cannot_reveal_it(client, issue,
                                                                    east_a_user):
    response = page(client, east_a_user, issue)
    text = response.content.decode()
    assert "138****5678" in text and "王**" in text
    assert PHONE not in text and "王小明" not in text
    assert response.context["may_reveal"] is False
    refused = client.post(url(issue, "contact"))
    assert refused.status_code == 403
    assert PHONE not in refused.content.decode()
    assert not ContactView.objects.exists()


def test_district_staff_reveal_the_number_and_the_look_is_audited(client, issue,
                                                                  district_user):
    response = page(client, district_user, issue)
    assert PHONE not in response.content.decode()  # masked until asked for
    assert response.context["may_reveal"] is True
    assert not ContactView.objects.exists()
    revealed = client.post(url(issue, "contact"))
    assert revealed.status_code == 200
    assert f'href="tel:{PHONE}"' in revealed.content.decode()
    view = ContactView.objects.get()
    assert (view.grievance, view.user, view.where) == (issue, district_user, "staff page")


def test_the_assignee_may_reveal_the_number(client, issue, east_user, east_a_user):
    grievance_assign(by=east_user, grievance_id=issue.pk, level="community",
                     party="community_office", assignee_id=east_a_user.pk)
    assert page(client, east_a_user, issue).context["may_reveal"] is True
    assert PHONE in client.post(url(issue, "contact")).content.decode()
    assert ContactView.objects.filter(user=east_a_user).count() == 1


# --- the area gate ------------------------------------------------------------------


@pytest.mark.parametrize("action", ["", "contact", "move", "assign", "reply", "merge"])
def test_another_areas_issue_does_not_exist(client, issue, west_user, action):
    client.force_login(west_user)
    method = client.get if action == "" else client.post
    assert method(url(issue, action), {"move-to": "accepted"}).status_code == 404
    assert Grievance.objects.get(pk=issue.pk).status == "received"


# --- handling -----------------------------------------------------------------------


def test_accept_then_assign_then_start_and_resolve_with_a_public_reply(client, issue,
                                                                       east_a_user):
    client.force_login(east_a_user)
    assert client.post(url(issue, "move"), {"move-to": "accepted"}).status_code == 302
    response = client.post(url(issue, "assign"), {
        "assign-level": "compound", "assign-party": "property_company",
        "assign-party_name": "长江物业", "assign-assignee": east_a_user.pk,
        "assign-priority": "urgent",
    })
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.party_name, issue.priority, issue.assignee) == (
        "assigned", "长江物业", "urgent", east_a_user)
    assert client.post(url(issue, "move"), {"move-to": "in_progress"}).status_code == 302
    response = client.post(url(issue, "move"), {
        "move-to": "resolved", "move-reply": "已更换屋面防水层。"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.status == "resolved"
    assert Reply.objects.get(grievance=issue).public is True


def test_moves_offered_come_from_the_state_machine(client, issue, east_a_user):
    moves = [v for v, _label in page(client, east_a_user, issue).context["moves"]]
    assert moves == ["accepted", "rejected"]  # assign and merge have their own forms


def test_reject_needs_a_reason_and_keeps_what_was_typed(client, issue, east_a_user):
    client.force_login(east_a_user)
    response = client.post(url(issue, "move"), {"move-to": "rejected",
                                                "move-reply": "草稿"})
    assert response.status_code == 400
    form = response.context["move_form"]
    assert "note" in form.errors
    assert form["reply"].value() == "草稿"
    assert Grievance.objects.get(pk=issue.pk).status == "received"
    client.post(url(issue, "move"), {"move-to": "rejected", "move-note": "不属于改造范围"})
    assert Grievance.objects.get(pk=issue.pk).status == "rejected"


def test_an_illegal_move_says_what_is_allowed(client, issue, east_a_user):
    client.force_login(east_a_user)
    response = client.post(url(issue, "move"), {"move-to": "resolved"})
    assert response.status_code == 400
    assert response.context["error"].extra["allowed"] == ["accepted", "rejected", "merged"]
    assert Grievance.objects.get(pk=issue.pk).status == "received"


def test_assign_with_a_party_of_another_level_is_refused_on_the_field(client, issue,
                                                                     east_a_user):
    client.force_login(east_a_user)
    response = client.post(url(issue, "assign"), {
        "assign-level": "community", "assign-party": "property_company",
        "assign-party_name": "长江物业"})
    assert response.status_code == 400
    form = response.context["assign_form"]
    assert "party" in form.errors
    assert form["party_name"].value() == "长江物业"
    assert Grievance.objects.get(pk=issue.pk).status == "received"


def test_public_reply_and_internal_note_on_the_timeline(client, issue, east_a_user):
    client.force_login(east_a_user)
    client.post(url(issue, "reply"), {"reply-text": "已联系物业上门查看。"})
    client.post(url(issue, "reply"), {"reply-text": "物业电话未接通", "reply-internal": "on"})
    assert list(Reply.objects.order_by("id").values_list("text", "public")) == [
        ("已联系物业上门查看。", True), ("物业电话未接通", False)]
    response = client.get(url(issue))
    text = response.content.decode()
    assert text.count('class="g-internal"') == 1 and text.count('class="g-public"') == 1
    entries = response.context["timeline"]
    assert [("reply" in e) for e in entries] == [False, True, True]  # submitted + 2 replies


def test_an_empty_reply_is_refused(client, issue, east_a_user):
    client.force_login(east_a_user)
    response = client.post(url(issue, "reply"), {"reply-text": "  "})
    assert response.status_code == 400
    assert "text" in response.context["reply_form"].errors
    assert not Reply.objects.exists()


def test_a_reply_template_is_inserted_without_javascript(client, issue, east_a_user):
    template = ReplyTemplate.objects.create(title="已受理",
                                            text="您反映的问题已受理，我们将尽快处理。")
    ReplyTemplate.objects.create(title="停车", text="x", category=None, active=False)
    client.force_login(east_a_user)
    assert [t.title for t in client.get(url(issue)).context["templates"]] == ["已受理"]
    response = client.post(url(issue, "reply"), {
        "reply-text": "王先生：", "reply-template": template.pk, "use_template": "1"})
    assert response.status_code == 200
    assert response.context["reply_form"]["text"].value() == (
        "王先生：\n您反映的问题已受理，我们将尽快处理。")
    assert not Reply.objects.exists()


# --- merging duplicates -------------------------------------------------------------


def test_merge_into_a_suggested_duplicate_with_one_click(client, issue, area, east_a_user):
    older = make_grievance(area.compounds["长江路小区"], tracking_code="ABCD-2345",
                           description="三号楼顶层漏水，天花板掉灰严重。")
    client.force_login(east_a_user)
    duplicates = client.get(url(issue)).context["duplicates"]
    assert [d.pk for d in duplicates] == [older.pk]
    response = client.post(url(issue, "merge"), {"merge-into": older.pk})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert (issue.status, issue.merged_into) == ("merged", older)
    survivor_page = client.get(url(older))
    assert [m.pk for m in survivor_page.context["merged"]] == [issue.pk]


def test_merge_by_typed_tracking_code(client, issue, area, east_a_user):
    other = make_grievance(area.compounds["长江路小区"], tracking_code="PQRS-2345",
                           description="完全不同的问题：路灯不亮")
    client.force_login(east_a_user)
    bad = client.post(url(issue, "merge"), {"merge-into_code": "ZZZZ-9999"})
    assert bad.status_code == 400
    assert "into_code" in bad.context["merge_form"].errors
    assert client.post(url(issue, "merge"), {"merge-into_code": "pqrs 2345"}).status_code == 302
    assert Grievance.objects.get(pk=issue.pk).merged_into == other


def test_merge_into_another_compounds_issue_is_refused(client, issue, area, east_user):
    other = make_grievance(area.compounds["育才苑"])
    client.force_login(east_user)
    response = client.post(url(issue, "merge"), {"merge-into": other.pk})
    assert response.status_code == 400
    assert "into_code" in response.context["merge_form"].errors
    assert Grievance.objects.get(pk=issue.pk).status == "received"


# --- recording an issue -------------------------------------------------------------


def test_staff_record_an_issue_from_a_visit(client, area, east_a_user):
    cj = area.compounds["长江路小区"]
    building = area.dwelling(cj, building="3").building
    client.force_login(east_a_user)
    chosen = client.get("/grievances/new/", {"compound": cj.pk})
    assert [c for c, _l in chosen.context["form"].fields["building"].choices] == [
        "", building.pk]
    response = client.post("/grievances/new/", {
        "channel": "visit", "compound": cj.pk, "building": building.pk, "unit": "2",
        "category": "leak", "description": "入户走访：顶楼卫生间渗水", "name": "李阿姨",
        "phone": "139 0000 1111", "consent_contact": "on",
    })
    assert response.status_code == 302
    g = Grievance.objects.get()
    assert response.url == f"/grievances/{g.pk}/"
    assert (g.channel, g.created_by, g.building, g.reporter_phone) == (
        "visit", east_a_user, building, "13900001111")


def test_recording_with_bad_input_keeps_what_was_typed(client, area, east_a_user):
    client.force_login(east_a_user)
    response = client.post("/grievances/new/", {
        "channel": "walk_in", "compound": area.compounds["长江路小区"].pk,
        "category": "leak", "description": "漏", "name": "李阿姨", "phone": "12345"})
    assert response.status_code == 400
    form = response.context["form"]
    assert {"description", "phone"} <= set(form.errors)
    assert (form["name"].value(), form["phone"].value()) == ("李阿姨", "12345")
    assert not Grievance.objects.exists()


def test_recording_for_another_areas_compound_is_refused(client, area, east_a_user):
    client.force_login(east_a_user)
    response = client.post("/grievances/new/", {
        "channel": "visit", "compound": area.compounds["育才苑"].pk, "category": "leak",
        "description": "楼道灯不亮已经一周"})
    assert response.status_code == 400
    assert "compound" in response.context["form"].errors
    assert not Grievance.objects.exists()


# --- photos and queries -------------------------------------------------------------


def test_photos_are_linked_through_the_protected_media_view(client, issue, media,
                                                            east_a_user):
    photo = GrievancePhoto(grievance=issue)
    photo.image.save("roof.png", png(), save=True)
    response = page(client, east_a_user, issue)
    assert f'src="/media/{photo.image.name}"' in response.content.decode()
    assert client.get(f"/media/{photo.image.name}").status_code == 200


@pytest.mark.parametrize("extra", [0, 6])
def test_issue_page_runs_constant_queries(client, issue, area, media, east_user,
                                          east_a_user, extra, django_assert_num_queries):
    make_grievance(area.compounds["长江路小区"])  # a duplicate candidate
    for i in range(extra):
        grievance_reply(by=east_user, grievance_id=issue.pk, text=f"答复{i}", public=i % 2 == 0)
        GrievanceEvent.objects.create(grievance=issue, kind="status", by=east_a_user,
                                      from_status="received", to_status="received")
        GrievancePhoto(grievance=issue).image.save(f"p{i}.png", png(), save=True)
    client.force_login(east_user)
    # session+user, issue, reply templates, photos, events, replies, merged,
    # duplicates, assignees (the assign form)
    with django_assert_num_queries(10):
        response = client.get(url(issue))
    assert len(response.context["timeline"]) == 1 + 2 * extra
