from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from renewal.catalog import seed_work_item_types
from renewal.models import (
    Batch,
    ProgressPhoto,
    ProgressReport,
    Project,
    WorkItem,
    WorkItemType,
)

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64


@pytest.fixture
def photo(area, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    seed_work_item_types(WorkItemType)
    project = Project.objects.create(
        compound=area.compounds["长江路小区"], batch=Batch.objects.create(year=2025, name="一")
    )
    item = WorkItem.objects.create(
        project=project, type=WorkItemType.objects.get(code="roads"),
        planned_quantity=Decimal("100"),
    )
    report = ProgressReport.objects.create(
        work_item=item, quantity_done=Decimal("10"), reported_at=timezone.now()
    )
    p = ProgressPhoto(report=report)
    p.image.save("a1b2c3.jpg", ContentFile(JPEG), save=True)
    return p


def test_staff_of_the_area_get_the_photo(client, photo, east_a_user):
    client.force_login(east_a_user)
    response = client.get(f"/media/{photo.image.name}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == JPEG
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"


def test_staff_of_another_area_get_404(client, photo, west_user):
    client.force_login(west_user)
    assert client.get(f"/media/{photo.image.name}").status_code == 404


def test_anonymous_is_sent_to_login(client, photo):
    response = client.get(f"/media/{photo.image.name}")
    assert response.status_code == 302


def test_paths_outside_media_or_unowned_are_404(client, photo, district_user, tmp_path):
    client.force_login(district_user)
    (tmp_path / "progress" / "stray.jpg").write_bytes(JPEG)
    assert client.get("/media/progress/stray.jpg").status_code == 404  # no owner row
    assert client.get("/media/../../etc/passwd").status_code == 404
    assert client.get("/media/other/x.jpg").status_code == 404
