"""A resident on a phone: scan the QR code, report a leak with a photo (one mistake
first), land on the tracking page with the code and status; later read the reply and
rate the handling."""

import io
import re

import pytest
from django.utils import timezone
from PIL import Image

from compounds.models import Building
from grievances.catalog import seed_catalog
from grievances.models import (
    Category,
    DeadlineRule,
    Grievance,
    GrievancePhoto,
    QRPoint,
    Reply,
    Status,
)
from tests.conftest import Area

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(out, format="JPEG")
    return out.getvalue()


def test_scan_report_with_photo_and_follow(live_server, phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    seed_catalog(Category, DeadlineRule)
    area = Area()
    compound = area.compound("长江路小区", area.east_a)
    building = Building.objects.create(compound=compound, number="3")
    QRPoint.objects.create(code="E2E234", compound=compound, building=building,
                           spot="二单元楼道")
    base = live_server.url

    # The scan opens the landing page of that stairwell.
    phone.goto(f"{base}/q/E2E234")
    assert "长江路小区" in phone.locator(".phone-head").inner_text()
    phone.locator("a.big-link.primary-link").click()
    phone.wait_for_url(f"{base}/q/E2E234/report/")

    # Building prefilled from the QR point; one mistake first (too short a description).
    assert phone.locator("#id_building").input_value() == str(building.pk)
    phone.locator("label.tile", has_text="漏水渗水").click()
    phone.locator("#id_description").fill("漏")
    phone.locator("#id_phone").fill("138 0013 8000")
    phone.locator("#id_photos").set_input_files(
        [{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    phone.locator("button[type=submit]").click()
    assert phone.locator("#id_description_error").is_visible()
    assert phone.locator("#id_phone").input_value() == "138 0013 8000"
    assert phone.locator("input[name=category][value=leak]").is_checked()
    assert phone.locator("#id_photos_error").is_visible()  # choose the photo again
    assert not Grievance.objects.exists()

    phone.locator("#id_description").fill("三号楼顶层漏水，天花板掉灰，已经一周了。")
    phone.locator("#id_photos").set_input_files(
        [{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": photo_bytes()}])
    phone.locator("#id_consent_contact").check()
    phone.locator("button[type=submit]").click()
    phone.wait_for_url(re.compile(r"/t/[A-Z0-9]{4}-[A-Z0-9]{4}/\?new=1$"))

    g = Grievance.objects.get()
    assert phone.locator("#track-code").inner_text().strip() == g.tracking_code
    assert phone.locator("[data-status]").get_attribute("data-status") == "received"
    assert phone.locator(".progress-line li.current").count() == 1
    assert g.building == building and g.reporter_phone == "13800138000"
    assert GrievancePhoto.objects.filter(grievance=g).count() == 1
    assert "13800138000" not in phone.content()

    # The office replies and resolves; the resident reads it and rates.
    Reply.objects.create(grievance=g, text="已更换防水层，请查看。", public=True)
    Grievance.objects.filter(pk=g.pk).update(status=Status.RESOLVED,
                                             resolved_at=timezone.now())
    phone.goto(f"{base}/t/{g.tracking_code.lower().replace('-', '')}/")
    phone.wait_for_url(f"{base}/t/{g.tracking_code}/")
    assert "已更换防水层" in phone.locator(".timeline").inner_text()
    phone.locator("#confirm label.tile").first.click()
    phone.locator("#confirm button[type=submit]").click()
    phone.wait_for_url(re.compile(r"\?done=rated$"))
    g.refresh_from_db()
    assert g.status == Status.CLOSED and g.rating == "satisfied"
    assert phone.locator("[data-status]").get_attribute("data-status") == "closed"
