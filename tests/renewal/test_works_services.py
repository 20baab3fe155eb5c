"""Work items and progress reports: the services move quantities, status, dates and
warranties; photos are checked before anything is written; the area gate holds."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import ExifTags, Image

from compounds.errors import ApplicationError
from renewal.models import (
    ItemStatus,
    ProgressPhoto,
    ProgressReport,
    Stage,
    WorkItem,
)
from renewal.services.works import (
    add_years,
    progress_report_create,
    work_item_cancel,
    work_item_create,
    work_item_reinstate,
    work_item_update,
)
from tests.renewal.factories import item_type, make_item, make_project, photo, stored_files

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def project(area, catalog):
    return make_project(area.compounds["长江路小区"])


@pytest.fixture
def west_project(area, catalog):
    return make_project(area.compounds["石油大院"])


def at(day: date, hour=10):
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """Set the wall clock: clock(date(2024, 2, 29))."""

    def set_day(day: date, hour=10):
        moment = at(day, hour)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_day


# --- creating and changing items -------------------------------------------------------


def test_create_item_in_own_area(project, east_user):
    item = work_item_create(by=east_user, project_id=project.pk,
                            type_id=item_type("roads").pk, planned_quantity="1200.5",
                            budget=Decimal("300000"), description="主路及宅间路")
    item.refresh_from_db()
    assert item.planned_quantity == Decimal("1200.50")
    assert item.status == ItemStatus.NOT_STARTED
    assert item.budget == Decimal("300000.00") and item.spent == Decimal("0")


def test_project_of_another_area_is_a_field_error(west_project, east_user):
    with pytest.raises(ValidationError) as caught:
        work_item_create(by=east_user, project_id=west_project.pk,
                         type_id=item_type("roads").pk, planned_quantity=Decimal("10"))
    assert caught.value.message_dict == {"project": ["您的辖区内没有这个改造项目。"]}
    assert not WorkItem.objects.exists()


def test_every_bad_field_is_named_at_once(project, east_user):
    with pytest.raises(ValidationError) as caught:
        work_item_create(by=east_user, project_id=project.pk, type_id=999999,
                         planned_quantity=Decimal("0"), completed_quantity=Decimal("-1"),
                         budget=Decimal("10.005"), spent=Decimal("-3"),
                         planned_start=date(2025, 5, 1), planned_end=date(2025, 4, 1))
    errors = caught.value.message_dict
    assert set(errors) == {"type", "planned_quantity", "completed_quantity", "budget",
                           "spent", "planned_end"}
    assert errors["planned_quantity"] == ["计划工程量必须大于 0。"]
    assert errors["completed_quantity"] == ["不能为负数。"]
    assert "2" in errors["budget"][0]  # at most 2 decimal places


def test_item_entered_as_finished_is_done_with_its_warranty(project, east_user, clock):
    clock(date(2025, 6, 10))
    item = work_item_create(by=east_user, project_id=project.pk,
                            type_id=item_type("roof-waterproofing").pk,
                            planned_quantity=Decimal("800"), completed_quantity=Decimal("800"))
    assert item.status == ItemStatus.DONE
    assert item.actual_end == date(2025, 6, 10)
    assert item.warranty_until == date(2030, 6, 10)  # roofs: five years


def test_update_corrects_quantities_and_status_follows(project, east_user, clock):
    clock(date(2025, 7, 1))
    item = make_item(project, "lighting", planned="40", completed="40",
                     status=ItemStatus.DONE, actual_start=date(2025, 6, 1),
                     actual_end=date(2025, 6, 30), warranty_until=date(2027, 6, 30))
    # The count was wrong: 4 lamps are still missing.
    item = work_item_update(work_item_id=item.pk, by=east_user,
                            data={"completed_quantity": Decimal("36")})
    assert item.status == ItemStatus.IN_PROGRESS
    assert item.actual_end is None and item.warranty_until is None
    item = work_item_update(work_item_id=item.pk, by=east_user,
                            data={"planned_quantity": Decimal("36")})
    assert item.status == ItemStatus.DONE
    assert item.actual_end == date(2025, 7, 1)
    assert item.warranty_until == date(2027, 7, 1)


def test_update_refuses_unknown_fields_and_other_areas(project, east_user, west_user):
    item = make_item(project)
    with pytest.raises(ValidationError) as caught:
        work_item_update(work_item_id=item.pk, by=east_user, data={"status": "done"})
    assert "status" in caught.value.message_dict
    from django.http import Http404

    with pytest.raises(Http404):
        work_item_update(work_item_id=item.pk, by=west_user, data={"budget": Decimal("1")})


def test_cancel_and_reinstate(project, east_user):
    item = make_item(project, completed="20", status=ItemStatus.IN_PROGRESS)
    assert work_item_cancel(work_item_id=item.pk, by=east_user).status == ItemStatus.CANCELLED
    # A repeat is a no-op.
    assert work_item_cancel(work_item_id=item.pk, by=east_user).status == ItemStatus.CANCELLED
    back = work_item_reinstate(work_item_id=item.pk, by=east_user)
    assert back.status == ItemStatus.IN_PROGRESS  # 20 of 100 were already done


def test_a_finished_item_cannot_be_cancelled(project, east_user):
    item = make_item(project, completed="100", status=ItemStatus.DONE)
    with pytest.raises(ApplicationError) as caught:
        work_item_cancel(work_item_id=item.pk, by=east_user)
    assert caught.value.status_code == 409


# --- progress reports -------------------------------------------------------------------


def test_first_report_starts_the_item_and_adds_up(project, east_a_user, clock, media):
    clock(date(2025, 5, 6))
    item = make_item(project, "sewage-separation", planned="2.4", budget="900000")
    report = progress_report_create(work_item_id=item.pk, quantity_done=Decimal("0.8"),
                                    spent=Decimal("250000"), note="东区主管完成",
                                    by=east_a_user)
    item.refresh_from_db()
    assert item.completed_quantity == Decimal("0.80")
    assert item.spent == Decimal("250000.00")
    assert item.status == ItemStatus.IN_PROGRESS
    assert item.actual_start == date(2025, 5, 6)
    assert item.actual_end is None and item.warranty_until is None
    assert report.reported_by == east_a_user and report.note == "东区主管完成"

    clock(date(2025, 5, 20))
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("0.9"),
                           by=east_a_user)
    item.refresh_from_db()
    assert item.completed_quantity == Decimal("1.70")
    assert item.actual_start == date(2025, 5, 6)  # the first report's day stays
    assert item.status == ItemStatus.IN_PROGRESS


def test_reaching_the_plan_finishes_the_item_and_starts_the_warranty(
        project, east_user, clock, media):
    item = make_item(project, "roof-waterproofing", planned="1000", completed="600",
                     status=ItemStatus.IN_PROGRESS, actual_start=date(2025, 4, 1))
    clock(date(2025, 8, 15))
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("400"), by=east_user)
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE
    assert item.actual_end == date(2025, 8, 15)
    assert item.warranty_until == date(2030, 8, 15)


def test_finishing_on_29_february_ends_the_warranty_on_28_february(
        project, east_user, clock, media):
    item = make_item(project, "roads", planned="50")  # two-year warranty
    clock(date(2024, 2, 29))
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("50"), by=east_user)
    item.refresh_from_db()
    assert item.actual_end == date(2024, 2, 29)
    assert item.warranty_until == date(2026, 2, 28)


def test_today_is_the_day_in_shanghai_not_utc(project, east_user, clock, media):
    item = make_item(project, "roads", planned="5")
    clock(date(2025, 3, 1), hour=1)  # 1 a.m. in Shanghai is still 28 Feb in UTC
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("5"), by=east_user)
    item.refresh_from_db()
    assert item.actual_end == date(2025, 3, 1)


def test_a_set_end_date_is_kept_and_counts_for_the_warranty(project, east_user, clock, media):
    item = make_item(project, "roof-waterproofing", planned="10",
                     actual_end=date(2024, 2, 29))
    clock(date(2024, 3, 4))
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("10"), by=east_user)
    item.refresh_from_db()
    assert item.actual_end == date(2024, 2, 29)
    assert item.warranty_until == date(2029, 2, 28)


def test_demolition_carries_no_warranty(project, east_user, media):
    item = make_item(project, "illegal-structures", planned="30")
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("30"), by=east_user)
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE and item.warranty_until is None


@pytest.mark.parametrize(("day", "years", "expected"), [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2023, 12, 31), 2, date(2025, 12, 31)),
    (date(2025, 3, 1), 5, date(2030, 3, 1)),
])
def test_add_years(day, years, expected):
    assert add_years(day, years) == expected


def test_photos_are_stored_stripped_of_gps(project, east_user, media):
    item = make_item(project)
    report = progress_report_create(work_item_id=item.pk, quantity_done=Decimal("10"),
                                    photos=[photo("a.jpg"), photo("b.jpg")], by=east_user)
    photos = list(report.photos.order_by("id"))
    assert len(photos) == 2
    for p in photos:
        # Stored under a random name, never the uploader's ("a.jpg" may well be the
        # tail of a random hex name, so match the whole shape instead).
        assert re.fullmatch(r"progress/\d{4}/\d{2}/[0-9a-f]{32}\.jpg", p.image.name), p.image.name
        assert (p.width, p.height) == (40, 30)
        with Image.open(p.image.path) as stored:
            assert not stored.getexif()
            assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert len(stored_files(media)) == 2


def test_seven_photos_are_refused_and_nothing_is_written(project, east_user, media):
    item = make_item(project)
    with pytest.raises(ValidationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("10"),
                               photos=[photo(f"{i}.jpg") for i in range(7)], by=east_user)
    assert list(caught.value.message_dict) == ["photos"]
    assert caught.value.message_dict["photos"] == ["每次填报最多 6 张照片，您上传了 7 张。"]
    assert caught.value.error_dict["photos"][0].code == "too_many_photos"
    item.refresh_from_db()
    assert item.completed_quantity == 0 and item.status == ItemStatus.NOT_STARTED
    assert not ProgressReport.objects.exists() and not ProgressPhoto.objects.exists()
    assert stored_files(media) == []


def test_one_bad_photo_refuses_the_whole_report(project, east_user, media):
    item = make_item(project)
    fake = SimpleUploadedFile("evil.jpg", b"<?php system($_GET['c']); ?>",
                              content_type="image/jpeg")
    with pytest.raises(ValidationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("10"),
                               photos=[photo(), fake], by=east_user)
    message = caught.value.message_dict["photos"][0]
    assert message.startswith("第 2 张照片（evil.jpg）：")
    # The refusal keeps its code, so a caller can tell "too big" (413) from "not a photo".
    assert caught.value.error_dict["photos"][0].code == "not_an_image"
    assert not ProgressReport.objects.exists() and stored_files(media) == []
    item.refresh_from_db()
    assert item.completed_quantity == 0


def test_field_errors_are_named_and_nothing_moves(project, east_user, media):
    item = make_item(project)
    with pytest.raises(ValidationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("-2"),
                               spent=Decimal("1.234"), by=east_user)
    assert set(caught.value.message_dict) == {"quantity_done", "spent"}
    item.refresh_from_db()
    assert item.completed_quantity == 0


def test_an_empty_report_is_refused(project, east_user, media):
    item = make_item(project)
    with pytest.raises(ValidationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("0"), by=east_user)
    assert "quantity_done" in caught.value.message_dict
    # A note alone is a report ("waiting for the pipes"): it starts the item.
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("0"),
                           note="等待管材进场", by=east_user)
    item.refresh_from_db()
    assert item.status == ItemStatus.IN_PROGRESS


def test_report_on_another_areas_item_names_the_field(west_project, east_user, media):
    item = make_item(west_project)
    with pytest.raises(ValidationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"), by=east_user)
    assert caught.value.message_dict == {"work_item": ["您的辖区内没有这项改造内容。"]}


def test_no_report_on_a_cancelled_item(project, east_user, media):
    item = make_item(project, status=ItemStatus.CANCELLED)
    with pytest.raises(ApplicationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"), by=east_user)
    assert caught.value.status_code == 409
    assert "该改造内容已取消" in caught.value.message


@pytest.mark.parametrize("stage", [Stage.PLANNED, Stage.DESIGN, Stage.APPROVED,
                                   Stage.ACCEPTED, Stage.AFTERCARE])
def test_reports_only_in_construction_or_completed(area, catalog, east_user, media, stage):
    item = make_item(make_project(area.compounds["长江路小区"], stage=stage))
    with pytest.raises(ApplicationError) as caught:
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"), by=east_user)
    assert caught.value.status_code == 409


def test_a_completed_project_still_takes_a_late_correction(area, catalog, east_user, media):
    item = make_item(make_project(area.compounds["长江路小区"], stage=Stage.COMPLETED))
    progress_report_create(work_item_id=item.pk, quantity_done=Decimal("3"), by=east_user)
    item.refresh_from_db()
    assert item.completed_quantity == Decimal("3")


def test_reported_at_is_now(project, east_user, clock, media):
    clock(date(2025, 9, 1), hour=16)
    item = make_item(project)
    report = progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"),
                                    by=east_user)
    assert report.reported_at == at(date(2025, 9, 1), 16)
    assert report.reported_at - at(date(2025, 9, 1), 0) == timedelta(hours=16)
