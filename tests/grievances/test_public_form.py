"""The residents' pages: QR landing, the phone form, abuse limits, the tracking page."""

from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from compounds.models import Building
from grievances.models import Grievance, GrievancePhoto, Outbox, QRPoint, Reply, Status
from tests.grievances.conftest import make_grievance
from tests.grievances.test_intake import bomb, fake_jpeg, jpeg, oversized


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://renewal.example.cn"


@pytest.fixture
def compound(area):
    area.compounds["长江路小区"].community.office_phone = "0532-86880000"
    area.compounds["长江路小区"].community.save()
    return area.compounds["长江路小区"]


@pytest.fixture
def building(compound):
    return Building.objects.create(compound=compound, number="3")


@pytest.fixture
def point(compound, building):
    return QRPoint.objects.create(code="QRA234", compound=compound, building=building,
                                  spot="二单元楼道")


def form_data(**fields):
    data = {"category": "leak", "description": "三号楼顶层漏水，天花板掉灰。", "unit": "2",
            "name": "王女士", "phone": "13800138000", "consent_contact": "on",
            "website": "", "submission": "s-1"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def report_url(point):
    return reverse("public-issues:report", args=[point.code])


# --- landing ---------------------------------------------------------------------------

def test_landing_links_form_idea_and_public_page(client, point, compound):
    response = client.get(f"/q/{point.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert compound.name in html and "二单元楼道" in html
    assert report_url(point) in html
    assert f"/r/c/{compound.pk}/idea/" in html and f"/c/{compound.pk}/" in html
    assert client.get(f"/q/{point.code.lower()}/").status_code == 200


def test_inactive_or_unknown_qr_is_404(client, point, compound):
    point.active = False
    point.save()
    response = client.get(f"/q/{point.code}")
    assert response.status_code == 404
    assert reverse("public-issues:report-compound", args=[compound.pk]) in response.content.decode()
    assert client.get(report_url(point)).status_code == 404
    assert client.post(report_url(point), form_data()).status_code == 404
    assert client.get("/q/NOPE22").status_code == 404
    assert not Grievance.objects.exists()


# --- the form --------------------------------------------------------------------------

def test_form_offers_twelve_categories_and_prefills_building(client, point, building):
    response = client.get(report_url(point))
    assert response.status_code == 200
    form = response.context["form"]
    assert len(form.fields["category"].widget.choices) == 12
    assert form["building"].value() == str(building.pk)
    html = response.content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html and "multiple" in html
    assert 'name="website"' in html and 'class="hp"' in html


def test_submit_with_photo_goes_to_tracking_page(client, point, building):
    response = client.post(report_url(point), form_data(photos=jpeg(gps=True),
                                                        building=str(building.pk)))
    g = Grievance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/t/{g.tracking_code}/?new=1"
    assert g.channel == "qr" and g.qr_point == point and g.building == building
    assert g.reporter_phone == "13800138000" and g.consent_contact
    assert GrievancePhoto.objects.filter(grievance=g).count() == 1
    assert Outbox.objects.filter(grievance=g).count() == 1
    page = client.get(response["Location"])
    assert g.tracking_code in page.content.decode()


def test_report_by_compound_url(client, compound):
    response = client.post(reverse("public-issues:report-compound", args=[compound.pk]),
                           form_data(phone="", consent_contact=None))
    assert response.status_code == 302
    g = Grievance.objects.get()
    assert g.compound == compound and g.qr_point is None
    assert client.get("/r/c/999999/report/").status_code == 404


def test_double_tap_files_one_report(client, point):
    first = client.post(report_url(point), form_data(submission="tap"))
    second = client.post(report_url(point), form_data(submission="tap"))
    assert first["Location"] == second["Location"]
    assert Grievance.objects.count() == 1


def test_same_form_sent_back_with_other_content_is_a_new_report(client, point):
    client.post(report_url(point), form_data(submission="tap"))
    client.post(report_url(point), form_data(submission="tap", description="另一处：路灯不亮了"))
    assert Grievance.objects.count() == 2


def test_bad_input_kept_and_errors_beside_fields(client, point, area):
    other = Building.objects.create(compound=area.compounds["石油大院"], number="8")
    response = client.post(report_url(point), form_data(
        category="nope", description="漏水", phone="12345", building=str(other.pk),
        unit="1" * 11, photos=fake_jpeg()))
    assert response.status_code == 400
    form = response.context["form"]
    assert {"category", "description", "phone", "building", "unit", "photos"} <= set(form.errors)
    # what was typed is still there (the photo has to be chosen again, and it says so)
    assert form["description"].value() == "漏水" and form["name"].value() == "王女士"
    assert form["phone"].value() == "12345"
    assert len(form.errors["photos"]) == 2
    assert "王女士" in response.content.decode()
    assert not Grievance.objects.exists()


@pytest.mark.parametrize("make_file", [fake_jpeg, bomb])
def test_bad_photo_refused(client, point, make_file):
    response = client.post(report_url(point), form_data(photos=make_file()))
    assert response.status_code == 400 and "photos" in response.context["form"].errors
    assert not Grievance.objects.exists()


def test_four_photos_refused(client, point):
    response = client.post(report_url(point),
                           form_data(photos=[jpeg(f"{i}.jpg") for i in range(4)]))
    assert response.status_code == 400 and "photos" in response.context["form"].errors


def test_oversized_photo_413_keeps_input(client, point):
    response = client.post(report_url(point), form_data(photos=oversized()))
    assert response.status_code == 413
    assert response.context["form"]["description"].value() == "三号楼顶层漏水，天花板掉灰。"
    assert "photos" in response.context["form"].errors
    assert not Grievance.objects.exists()


def test_honeypot_pretends_and_saves_nothing(client, point):
    response = client.post(report_url(point), form_data(website="http://spam.example"))
    assert response.status_code == 200
    assert "/t/" not in response.content.decode()
    assert not Grievance.objects.exists() and not Outbox.objects.exists()


# --- rate limits ---------------------------------------------------------------------------

def test_rate_limit_per_address(client, point, settings):
    settings.GRIEVANCE_RATE_LIMITS = {"address": (3, 600), "phone": None}
    for i in range(3):
        assert client.post(report_url(point), form_data(submission=f"a{i}")).status_code == 302
    response = client.post(report_url(point), form_data(submission="a4"))
    assert response.status_code == 429
    assert response.context["form"].non_field_errors()
    assert response.context["form"]["description"].value()  # input kept
    assert Grievance.objects.count() == 3
    # another address still gets through
    other = client.post(report_url(point), form_data(submission="a5"), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_rate_limit_per_phone(client, point, settings):
    settings.GRIEVANCE_RATE_LIMITS = {"address": None, "phone": (2, 86400)}
    for i, ip in enumerate(("10.0.0.1", "10.0.0.2")):
        client.post(report_url(point), form_data(submission=f"p{i}"), REMOTE_ADDR=ip)
    response = client.post(report_url(point), form_data(submission="p3", phone="138 0013 8000"),
                           REMOTE_ADDR="10.0.0.3")
    assert response.status_code == 429
    assert Grievance.objects.count() == 2
    ok = client.post(report_url(point), form_data(submission="p4", phone="13900139000"),
                     REMOTE_ADDR="10.0.0.4")
    assert ok.status_code == 302


def test_cache_down_fails_open(client, point):
    with mock.patch("compounds.ratelimit.cache.add", side_effect=ConnectionError("redis down")):
        response = client.post(report_url(point), form_data())
    assert response.status_code == 302 and Grievance.objects.count() == 1


# --- tracking --------------------------------------------------------------------------

@pytest.fixture
def grievance(compound, east_user):
    g = make_grievance(compound, reporter_name="王秀英", reporter_phone="13912345678",
                       tracking_code="TRAK-2345")
    Reply.objects.create(grievance=g, text="内部：联系物业老张", public=False, by=east_user)
    return g


def test_tracking_page_shows_status_and_never_contact(client, grievance, east_user):
    Reply.objects.create(grievance=grievance, text="已派物业维修", public=True, by=east_user)
    response = client.get("/t/TRAK-2345/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "TRAK-2345" in html and "已派物业维修" in html
    assert 'data-status="received"' in html
    for secret in ("王秀英", "13912345678", "9123", "内部", east_user.username):
        assert secret not in html
    assert "confirm" not in response.context or not response.context["can_confirm"]


def test_tracking_code_typed_loosely_redirects(client, grievance):
    response = client.get("/t/trak2345/")
    assert response.status_code == 302 and response["Location"] == "/t/TRAK-2345/"
    response = client.get("/t/", {"code": " trak 2345 "})
    assert response.status_code == 302 and response["Location"] == "/t/TRAK-2345/"


def test_unknown_code(client, db):
    assert client.get("/t/ZZZZ-2345/").status_code == 404
    response = client.get("/t/", {"code": "ZZZZ-2345"})
    assert response.status_code == 404 and "code" in response.context["form"].errors
    assert client.get("/t/").status_code == 200


@pytest.mark.parametrize("replies", [1, 10])
def test_tracking_page_constant_queries(client, grievance, east_user, replies,
                                        django_assert_num_queries):
    for i in range(replies):
        Reply.objects.create(grievance=grievance, text=f"回复{i}", public=True, by=east_user)
    with django_assert_num_queries(3):
        response = client.get("/t/TRAK-2345/")
    assert response.content.decode().count("回复") == replies


def _resolve(g, *, days_ago=1):
    g.status = Status.RESOLVED
    g.resolved_at = timezone.now() - timedelta(days=days_ago)
    g.save()


def test_confirm_and_rate(client, grievance):
    _resolve(grievance)
    page = client.get("/t/TRAK-2345/")
    assert page.context["can_confirm"] and page.context["can_reopen"]
    response = client.post("/t/TRAK-2345/confirm/", {"rating": "basically", "comment": "还行"})
    assert response.status_code == 302
    grievance.refresh_from_db()
    assert grievance.status == Status.CLOSED and grievance.rating == "basically"
    assert not client.get("/t/TRAK-2345/").context["can_confirm"]


def test_confirm_needs_a_rating(client, grievance):
    _resolve(grievance)
    response = client.post("/t/TRAK-2345/confirm/", {"rating": ""})
    assert response.status_code == 400 and "rating" in response.context["confirm_form"].errors


def test_confirm_of_open_issue_refused(client, grievance):
    response = client.post("/t/TRAK-2345/confirm/", {"rating": "satisfied"})
    assert response.status_code == 400 and response.context["error"]
    grievance.refresh_from_db()
    assert grievance.status == Status.RECEIVED


def test_reopen_within_seven_days(client, grievance):
    _resolve(grievance)
    response = client.post("/t/TRAK-2345/reopen/", {"reason": "还是漏"})
    assert response.status_code == 302
    grievance.refresh_from_db()
    assert grievance.status == Status.REOPENED


def test_reopen_after_seven_days_not_offered(client, grievance):
    _resolve(grievance, days_ago=8)
    page = client.get("/t/TRAK-2345/")
    assert page.context["can_confirm"] and not page.context["can_reopen"]
    response = client.post("/t/TRAK-2345/reopen/", {"reason": "还是漏"})
    assert response.status_code == 400
    grievance.refresh_from_db()
    assert grievance.status == Status.RESOLVED


def test_merged_report_shows_survivors_replies(client, compound, grievance, east_user):
    survivor = make_grievance(compound, tracking_code="SURV-2345")
    grievance.status, grievance.merged_into = Status.MERGED, survivor
    grievance.save()
    from grievances.models import GrievanceEvent

    GrievanceEvent.objects.create(grievance=grievance, kind="merged", to_status="merged")
    Reply.objects.create(grievance=survivor, text="已统一处理", public=True, by=east_user)
    response = client.get("/t/TRAK-2345/")
    html = response.content.decode()
    assert "已统一处理" in html and response.context["merged"]
    assert response.context["shown"] == survivor
