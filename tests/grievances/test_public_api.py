"""/api/v1/public/grievances/: submit (multipart, no account), follow, confirm, reopen."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from compounds.models import Building
from grievances.models import Grievance, GrievancePhoto, Outbox, QRPoint, Reply, Status
from tests.grievances.conftest import make_grievance
from tests.grievances.test_intake import (
    bomb,
    fake_jpeg,
    has_gps,
    html_behind_png_header,
    jpeg,
    oversized,
)

URL = "/api/v1/public/grievances/"
ISO_SHANGHAI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def api():
    # enforce_csrf_checks: a public POST must work without a CSRF token.
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def compound(area):
    return area.compounds["长江路小区"]


def body(place, **fields):
    data = {"compound": str(place.pk), "category": "leak",
            "description": "楼道灯坏了一个月了，晚上很黑。"}
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def post(api, data, **headers):
    return api.post(URL, data, format="multipart", **headers)


def test_submit_201_with_tracking_code(api, compound):
    response = post(api, body(compound, phone="13800138000", consent_contact="true",
                              name="李先生", unit="3"))
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    g = Grievance.objects.get(tracking_code=code)
    assert g.channel == "api" and g.reporter_name == "李先生" and g.consent_contact
    assert Outbox.objects.filter(grievance=g).count() == 1
    assert set(response.json()) == {"tracking_code"}


def test_submit_by_qr_and_photos_without_gps(api, compound):
    building = Building.objects.create(compound=compound, number="5")
    QRPoint.objects.create(code="APIQR2", compound=compound, building=building)
    response = post(api, {"qr": "APIQR2", "category": "road", "description": "路面塌陷一个坑",
                          "photos": [jpeg("a.jpg", gps=True), jpeg("b.jpg")]})
    assert response.status_code == 201, response.content
    g = Grievance.objects.get()
    assert g.compound == compound and g.building == building
    photos = GrievancePhoto.objects.filter(grievance=g)
    assert photos.count() == 2 and not any(has_gps(p.image.read()) for p in photos)


def test_idempotency_key_same_code_nothing_created(api, compound):
    first = post(api, body(compound), HTTP_IDEMPOTENCY_KEY="3f1c-uuid")
    second = post(api, body(compound, description="第二次提交也不该创建"),
                  HTTP_IDEMPOTENCY_KEY="3f1c-uuid")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Grievance.objects.count() == 1
    third = post(api, body(compound), HTTP_IDEMPOTENCY_KEY="another")
    assert third.json() != first.json() and Grievance.objects.count() == 2


def test_long_idempotency_key(api, compound):
    key = "k" * 300
    first = post(api, body(compound), HTTP_IDEMPOTENCY_KEY=key)
    second = post(api, body(compound), HTTP_IDEMPOTENCY_KEY=key)
    assert first.status_code == 201 and first.json() == second.json()
    assert Grievance.objects.count() == 1


@pytest.mark.parametrize("fields,key", [
    ({"category": "nope"}, "category"),
    ({"category": ""}, "category"),
    ({"description": "短"}, "description"),
    ({"description": "长" * 2001}, "description"),
    ({"phone": "12345678901"}, "phone"),
    ({"compound": "999999"}, "compound"),
    ({"compound": None}, "compound"),
    ({"compound": None, "qr": "NOSUCH"}, "qr"),
    ({"unit": "x" * 11}, "unit"),
    ({"name": "x" * 41}, "name"),
])
def test_bad_field_400(api, compound, fields, key):
    response = post(api, body(compound, **fields))
    assert response.status_code == 400
    assert key in response.json()
    assert not Grievance.objects.exists()


def test_building_of_another_compound(api, compound, area):
    other = Building.objects.create(compound=area.compounds["育才苑"], number="1")
    response = post(api, body(compound, building=str(other.pk)))
    assert response.status_code == 400 and "building" in response.json()


def test_inactive_qr(api, compound):
    QRPoint.objects.create(code="GONE22", compound=compound, active=False)
    response = post(api, body(compound, compound=None, qr="GONE22"))
    assert response.status_code == 400 and "qr" in response.json()


@pytest.mark.parametrize("make_file", [fake_jpeg, bomb, html_behind_png_header])
def test_bad_photo_400(api, compound, make_file):
    response = post(api, body(compound, photos=[make_file()]))
    assert response.status_code == 400
    assert "photos" in response.json()
    assert not Grievance.objects.exists()


def test_four_photos_400(api, compound):
    response = post(api, body(compound, photos=[jpeg(f"{i}.jpg") for i in range(4)]))
    assert response.status_code == 400 and "photos" in response.json()


def test_oversized_photo_413(api, compound):
    response = post(api, body(compound, photos=[oversized()]))
    assert response.status_code == 413
    assert response.json()["detail"] and response.json()["photos"]
    assert not Grievance.objects.exists()


def test_honeypot_201_without_saving(api, compound):
    response = post(api, body(compound, website="http://spam"))
    assert response.status_code == 201 and response.json() == {"tracking_code": None}
    assert not Grievance.objects.exists()


def test_rate_limit_per_address_429(api, compound, settings):
    settings.GRIEVANCE_RATE_LIMITS = {"address": (2, 600), "phone": None}
    assert post(api, body(compound)).status_code == 201
    assert post(api, body(compound)).status_code == 201
    response = post(api, body(compound))
    assert response.status_code == 429 and response.json()["detail"]
    assert Grievance.objects.count() == 2


def test_rate_limit_per_phone_429(api, compound, settings):
    settings.GRIEVANCE_RATE_LIMITS = {"address": None, "phone": (1, 86400)}
    assert post(api, body(compound, phone="13800138000")).status_code == 201
    response = post(api, body(compound, phone="+86 138 0013 8000"))
    assert response.status_code == 429 and response.json()["detail"]


def test_rate_limit_message_in_chinese(api, compound, settings):
    """The message is translated (asserted once the lead has merged the catalogue)."""
    settings.GRIEVANCE_RATE_LIMITS = {"address": (0, 600), "phone": None}
    response = post(api, body(compound))
    assert response.status_code == 429
    from django.utils.translation import gettext

    msgid = ("Too many reports from this network in a short time. Please try again in a "
             "few minutes, or call the community office.")
    assert response.json()["detail"] == gettext(msgid)


def test_proxy_hops_address(api, compound, settings):
    settings.GRIEVANCE_RATE_LIMITS = {"address": (1, 600), "phone": None}
    settings.TRUSTED_PROXY_HOPS = 1
    assert post(api, body(compound), HTTP_X_FORWARDED_FOR="1.1.1.1").status_code == 201
    assert post(api, body(compound), HTTP_X_FORWARDED_FOR="2.2.2.2").status_code == 201
    assert post(api, body(compound), HTTP_X_FORWARDED_FOR="9.9.9.9, 2.2.2.2").status_code == 429


def test_broker_down_still_201(api, compound, django_capture_on_commit_callbacks):
    with mock.patch("grievances.tasks.send_outbox_task.delay",
                    side_effect=ConnectionError("redis down")), \
            django_capture_on_commit_callbacks(execute=True):
        response = post(api, body(compound, phone="13800138000", consent_contact="true"))
    assert response.status_code == 201
    g = Grievance.objects.get(tracking_code=response.json()["tracking_code"])
    assert Outbox.objects.filter(grievance=g, sent_at=None).exists()


def test_session_user_is_not_recorded(api, compound, east_user):
    api.force_login(east_user)
    response = post(api, body(compound))
    assert response.status_code == 201
    assert Grievance.objects.get().created_by is None


# --- follow ----------------------------------------------------------------------------

@pytest.fixture
def grievance(compound, east_user):
    g = make_grievance(compound, tracking_code="APXT-2345", reporter_name="赵六",
                       reporter_phone="13700001111")
    Reply.objects.create(grievance=g, text="内部备注", public=False, by=east_user)
    return g


def test_get_status_replies_never_contact(api, grievance, east_user):
    Reply.objects.create(grievance=grievance, text="已安排维修", public=True, by=east_user)
    response = api.get(URL + "apxt2345/")
    assert response.status_code == 200
    data = response.json()
    assert set(data) >= {"tracking_code", "status", "status_label", "category", "compound",
                         "received_at", "updated_at", "resolved_at", "closed_at", "replies",
                         "events"}
    assert data["tracking_code"] == "APXT-2345" and data["status"] == "received"
    assert data["category"] == "leak" and data["compound"] == grievance.compound_id
    assert [r["text"] for r in data["replies"]] == ["已安排维修"]
    assert data["events"][0]["status"] == "received"
    assert ISO_SHANGHAI.match(data["received_at"]) and ISO_SHANGHAI.match(data["replies"][0]["at"])
    assert data["resolved_at"] is None
    text = response.content.decode()
    for secret in ("赵六", "13700001111", "内部备注", east_user.username):
        assert secret not in text


def test_unknown_code_404(api, db):
    assert api.get(URL + "NOPE-2345/").status_code == 404


@pytest.mark.parametrize("replies", [1, 10])
def test_get_constant_queries(api, grievance, east_user, replies, django_assert_num_queries):
    for i in range(replies):
        Reply.objects.create(grievance=grievance, text=f"r{i}", public=True, by=east_user)
    with django_assert_num_queries(3):
        response = api.get(URL + "APXT-2345/")
    assert len(response.json()["replies"]) == replies


def test_confirm_and_reopen(api, grievance, compound):
    grievance.status, grievance.resolved_at = Status.RESOLVED, timezone.now()
    grievance.save()
    response = api.post(URL + "APXT-2345/confirm/", {"rating": "satisfied"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed" and response.json()["closed_at"]

    other = make_grievance(compound, tracking_code="APXR-2345", status=Status.RESOLVED,
                           resolved_at=timezone.now() - timedelta(days=2))
    response = api.post(URL + "APXR-2345/reopen/", {"reason": "还在漏"}, format="json")
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.status == Status.REOPENED


def test_confirm_bad_rating_and_open_issue(api, grievance):
    response = api.post(URL + "APXT-2345/confirm/", {"rating": "great"}, format="json")
    assert response.status_code == 400 and "rating" in response.json()
    response = api.post(URL + "APXT-2345/confirm/", {"rating": "satisfied"}, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    assert api.post(URL + "NOPE-2345/reopen/", {"reason": "x"}, format="json").status_code == 404
