"""grievance_submit: every field checked, photos by content, tracking codes, idempotency,
the SMS in the Outbox, and a broker that is down."""

import io
import threading
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from compounds.errors import ApplicationError
from compounds.models import Building
from grievances.models import (
    Category,
    EventKind,
    Grievance,
    GrievanceEvent,
    GrievancePhoto,
    Outbox,
    Priority,
    QRPoint,
)
from grievances.services.intake import (
    CODE_ALPHABET,
    grievance_submit,
    normalize_phone,
    normalize_tracking_code,
)

GPS_IFD = 0x8825


# --- files (also used by the page and API tests) -------------------------------------

def jpeg(name="photo.jpg", *, size=(64, 48), gps=False) -> SimpleUploadedFile:
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"
        exif[GPS_IFD] = {1: "N", 2: (36.0, 4.0, 12.0), 3: "E", 4: (120.0, 10.0, 5.0)}
        kwargs["exif"] = exif.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        exif = image.getexif()
        return GPS_IFD in exif or bool(exif.get_ifd(GPS_IFD))


def fake_jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.jpg", b"#!/bin/sh\necho owned\n" * 20,
                              content_type="image/jpeg")


def html_behind_png_header() -> SimpleUploadedFile:
    return SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n<html><script>1</script></html>",
                              content_type="image/png")


def bomb() -> SimpleUploadedFile:
    """A small PNG that declares 48 megapixels."""
    out = io.BytesIO()
    Image.new("1", (8000, 6000)).save(out, format="PNG", optimize=True)
    return SimpleUploadedFile("bomb.png", out.getvalue(), content_type="image/png")


def oversized() -> SimpleUploadedFile:
    return SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024 + 10),
                              content_type="image/jpeg")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_BASE_URL = "https://renewal.example.cn"


@pytest.fixture
def compound(area):
    return area.compounds["长江路小区"]


def submit(compound, **fields):
    values = {"by": None, "channel": "qr", "compound_id": compound.pk,
              "category_code": "leak", "description": "三号楼顶层漏水，天花板掉灰。"}
    values.update(fields)
    return grievance_submit(**values)


def errors_of(exc_info) -> dict:
    return exc_info.value.message_dict


# --- the good path --------------------------------------------------------------------

def test_submit_writes_issue_event_and_code(compound):
    g = submit(compound, unit=" 2 ", name=" 王女士 ")
    g.refresh_from_db()
    assert g.status == "received" and g.level == "compound" and g.priority == Priority.NORMAL
    assert g.unit == "2" and g.reporter_name == "王女士" and g.channel == "qr"
    assert g.created_by is None and g.due_at is not None
    raw = g.tracking_code.replace("-", "")
    assert len(g.tracking_code) == 9 and g.tracking_code[4] == "-"
    assert len(raw) == 8 and set(raw) <= set(CODE_ALPHABET)
    assert not set(raw) & set("01OIL")
    event = GrievanceEvent.objects.get(grievance=g)
    assert event.kind == EventKind.SUBMITTED and event.to_status == "received"
    assert not Outbox.objects.exists()


def test_nul_characters_dropped(compound):
    g = submit(compound, description="楼道\x00灯坏了\x00一周", name="王\x00")
    assert g.description == "楼道灯坏了一周" and g.reporter_name == "王"


def test_safety_is_urgent_by_default(compound):
    assert submit(compound, category_code="safety").priority == Priority.URGENT


def test_codes_are_unique_and_normalised_on_lookup(compound):
    codes = {submit(compound).tracking_code for _i in range(20)}
    assert len(codes) == 20
    code = next(iter(codes))
    assert normalize_tracking_code(f" {code.lower().replace('-', ' ')} ") == code
    assert normalize_tracking_code(code.replace("-", "－")) == code


def test_code_collision_retries(compound):
    first = submit(compound)
    with mock.patch("grievances.services.intake.new_tracking_code",
                    side_effect=[first.tracking_code, "WXYZ-2345"]):
        second = submit(compound)
    assert second.tracking_code == "WXYZ-2345"


def test_phone_with_consent_writes_sms_and_enqueues(compound, django_capture_on_commit_callbacks):
    with mock.patch("grievances.services.intake._enqueue_outbox") as enqueue:
        g = submit(compound, phone="+86 138-0013-8000", consent_contact=True)
    assert g.reporter_phone == "13800138000" and g.consent_contact
    sms = Outbox.objects.get()
    assert sms.to == "13800138000" and sms.dedupe_key == f"tracking:{g.tracking_code}"
    assert g.tracking_code in sms.text
    assert f"https://renewal.example.cn/t/{g.tracking_code}/" in sms.text
    enqueue.assert_called_once()


def test_phone_without_consent_sends_nothing(compound):
    g = submit(compound, phone="13800138000")
    assert not g.consent_contact and not Outbox.objects.exists()


@pytest.mark.parametrize("raw,clean", [("13800138000", "13800138000"),
                                       ("138 0013 8000", "13800138000"),
                                       ("+8613800138000", "13800138000"),
                                       ("8613800138000", "13800138000")])
def test_phone_normalised(raw, clean):
    assert normalize_phone(raw) == clean


def test_broker_down_still_saves_with_outbox(compound, django_capture_on_commit_callbacks):
    """The broker refuses when sending is scheduled after commit: the issue and its
    unsent SMS are in the database, and the submit succeeded."""
    with mock.patch("grievances.tasks.send_outbox_task.delay",
                    side_effect=ConnectionError("redis down")) as delay, \
            django_capture_on_commit_callbacks(execute=True) as callbacks:
        g = submit(compound, phone="13800138000", consent_contact=True)
    assert callbacks and delay.called
    assert Grievance.objects.filter(pk=g.pk).exists()
    assert Outbox.objects.filter(grievance=g, sent_at=None).count() == 1


def test_enqueue_failure_itself_is_swallowed(compound):
    with mock.patch("grievances.services.intake.enqueue_outbox_on_commit",
                    side_effect=RuntimeError("no broker")):
        g = submit(compound, phone="13800138000", consent_contact=True)
    assert Outbox.objects.filter(grievance=g).count() == 1


def test_photos_stored_reencoded_without_gps(compound):
    g = submit(compound, photos=[jpeg(gps=True), jpeg("b.jpg")])
    photos = list(GrievancePhoto.objects.filter(grievance=g))
    assert len(photos) == 2
    assert has_gps(jpeg(gps=True).read())  # the fixture really carries GPS
    for photo in photos:
        data = photo.image.read()
        assert not has_gps(data)
        assert photo.width == 64 and photo.height == 48
        assert photo.image.name.startswith("grievances/")


def test_qr_code_gives_compound_and_building(area, compound):
    building = Building.objects.create(compound=compound, number="3")
    point = QRPoint.objects.create(code="ABC234", compound=compound, building=building)
    g = submit(compound, compound_id=None, qr_code="abc234")
    assert g.compound == compound and g.building == building and g.qr_point == point


def test_idempotent_repeat_returns_same(compound):
    first = submit(compound, idempotency_key="k-1", photos=[jpeg()])
    second = submit(compound, idempotency_key="k-1", photos=[jpeg()])
    assert first.pk == second.pk and first.tracking_code == second.tracking_code
    assert Grievance.objects.count() == 1 and GrievancePhoto.objects.count() == 1


def test_idempotency_race_returns_winner(compound):
    """The pre-check missed a row another request inserted: the unique key decides."""
    winner = submit(compound, idempotency_key="race")
    with mock.patch("grievances.services.intake._existing", side_effect=[None, winner]):
        again = submit(compound, idempotency_key="race")
    assert again.pk == winner.pk and Grievance.objects.count() == 1
    assert GrievanceEvent.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_idempotency_concurrent_threads(area):
    """Two threads with one key: one row (on SQLite the writes queue; on PostgreSQL the
    unique index decides)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        pytest.skip("SQLite's in-memory test database is one connection: run on PostgreSQL")
    compound = area.compounds["长江路小区"]
    codes = []

    def run():
        try:
            codes.append(submit(compound, idempotency_key="same-key").tracking_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Grievance.objects.filter(idempotency_key="same-key").count() == 1
    assert len(set(codes)) == 1


def test_hotline_needs_staff_in_area(area, east_user, west_user, compound):
    g = submit(compound, by=east_user, channel="hotline", external_id="12345-0001")
    assert g.external_id == "12345-0001" and g.created_by == east_user
    assert GrievanceEvent.objects.get(grievance=g).by == east_user
    with pytest.raises(ValidationError) as exc:
        submit(compound, by=west_user, channel="visit")
    assert "compound" in errors_of(exc)
    with pytest.raises(ApplicationError) as denied:
        submit(compound, by=None, channel="walk_in")
    assert denied.value.status_code == 403


def test_hotline_external_id_twice_is_a_field_error(compound, east_user):
    submit(compound, by=east_user, channel="hotline", external_id="H-1",
           phone="13800138000", consent_contact=True)
    assert not Outbox.objects.exists()  # the hotline answers its own callers
    with pytest.raises(ValidationError) as exc:
        submit(compound, by=east_user, channel="hotline", external_id="H-1")
    assert "external_id" in errors_of(exc)


def test_issue_recorded_later_is_not_overdue_on_arrival(compound, east_user):
    from datetime import timedelta

    from django.utils import timezone

    before = timezone.now()
    g = submit(compound, by=east_user, channel="hotline", external_id="OLD-1",
               received_at=before - timedelta(days=30))
    assert g.received_at < before and g.due_at >= before + timedelta(hours=72)


def test_resident_channel_ignores_signed_in_user(compound, east_user):
    assert submit(compound, by=east_user, channel="api").created_by is None


# --- bad input ------------------------------------------------------------------------

def test_all_bad_fields_at_once(area, compound):
    other = Building.objects.create(compound=area.compounds["石油大院"], number="9")
    with pytest.raises(ValidationError) as exc:
        submit(compound, category_code="nope", description=" 漏水 ", building_id=other.pk,
               unit="1" * 11, name="王" * 41, phone="12345", channel="qr")
    assert set(errors_of(exc)) == {"category", "description", "building", "unit", "name",
                                   "phone"}
    assert not Grievance.objects.exists()


@pytest.mark.parametrize("fields,key", [
    ({"category_code": ""}, "category"),
    ({"description": "x" * 2001}, "description"),
    ({"compound_id": None}, "compound"),
    ({"compound_id": "abc"}, "compound"),
    ({"compound_id": 999999}, "compound"),
    ({"phone": "23800138000"}, "phone"),
    ({"phone": "1380013800"}, "phone"),
    ({"channel": "fax"}, "channel"),
    ({"qr_code": "ZZZZZZ", "compound_id": None}, "qr"),
])
def test_bad_field(compound, fields, key):
    with pytest.raises(ValidationError) as exc:
        submit(compound, **fields)
    assert key in errors_of(exc)


def test_inactive_category_refused(compound):
    Category.objects.filter(code="parking").update(active=False)
    with pytest.raises(ValidationError) as exc:
        submit(compound, category_code="parking")
    assert "category" in errors_of(exc)


def test_inactive_qr_refused(compound):
    QRPoint.objects.create(code="OLD234", compound=compound, active=False)
    with pytest.raises(ValidationError) as exc:
        submit(compound, compound_id=None, qr_code="OLD234")
    assert "qr" in errors_of(exc)


@pytest.mark.parametrize("make_file", [fake_jpeg, html_behind_png_header, bomb])
def test_bad_photo_refused_with_position(compound, make_file):
    with pytest.raises(ValidationError) as exc:
        submit(compound, photos=[jpeg(), make_file()])
    messages = errors_of(exc)["photos"]
    assert len(messages) == 1 and "2" in messages[0]
    assert not Grievance.objects.exists() and not GrievancePhoto.objects.exists()


def test_four_photos_refused(compound):
    with pytest.raises(ValidationError) as exc:
        submit(compound, photos=[jpeg() for _i in range(4)])
    assert "photos" in errors_of(exc)


def test_oversized_photo_is_413_with_field_errors(compound):
    with pytest.raises(ApplicationError) as exc:
        submit(compound, photos=[oversized()], description="x")
    assert exc.value.status_code == 413
    assert set(exc.value.extra) == {"photos", "description"}
    assert not Grievance.objects.exists()
