"""The public compound page (QR posters link here): useful, and free of personal data."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from renewal.catalog import seed_work_item_types
from renewal.models import Batch, ItemStatus, Project, PublicCommitment, WorkItem, WorkItemType

pytestmark = pytest.mark.django_db


@pytest.fixture
def compound(area):
    seed_work_item_types(WorkItemType)
    community = area.east_a
    community.office_phone = "0532-86851234"
    community.office_address = "南屯社区居委会 长江路12号"
    community.save()
    return area.compounds["长江路小区"]


def add_item(project, code, planned, completed, budget="100000",
             status=ItemStatus.IN_PROGRESS):
    return WorkItem.objects.create(
        project=project, type=WorkItemType.objects.get(code=code),
        planned_quantity=Decimal(planned), completed_quantity=Decimal(completed),
        budget=Decimal(budget), status=status,
    )


def test_page_shows_stage_items_progress_commitments_and_contact(client, area, compound):
    old = Batch.objects.create(year=2023, name="第一批")
    Project.objects.create(compound=compound, batch=old, stage="aftercare")
    batch = Batch.objects.create(year=2025, name="第二批")
    project = Project.objects.create(
        compound=compound, batch=batch, stage="construction", contractor="青岛城建集团"
    )
    add_item(project, "roof-waterproofing", "1200", "300")
    add_item(project, "lighting", "40", "40")
    add_item(project, "elevator", "2", "0", status=ItemStatus.CANCELLED)
    year = timezone.localdate().year
    PublicCommitment.objects.create(compound=compound, year=year, title="加装路灯 40 盏",
                                    done_on=date(year, 1, 5))
    PublicCommitment.objects.create(compound=compound, year=year, title="楼道粉刷", sort=1)
    PublicCommitment.objects.create(compound=compound, year=year - 1, title="去年的承诺")

    html = client.get(f"/c/{compound.pk}/").content.decode()

    assert "长江路小区" in html
    assert "2025 第二批" in html and "施工" in html  # the latest project, not 2023's
    assert 'aria-current="step"' in html
    assert "屋面防水" in html and "300 / 1200" in html
    assert "路灯照明" in html
    assert "加装电梯" not in html  # cancelled items are not promised to residents
    # (0.25 × 100k + 1 × 100k) / 200k = 62.5 %
    assert "62.5%" in html
    assert "加装路灯 40 盏" in html and "楼道粉刷" in html
    assert "去年的承诺" not in html
    assert "青岛城建集团" in html
    assert "0532-86851234" in html


def test_page_never_shows_personal_data(client, area, compound):
    dwelling = area.dwelling(compound, owner_ref="O-77")
    dwelling.owner_name = "王秀英"
    dwelling.owner_phone = "13912345678"
    dwelling.save()
    html = client.get(f"/c/{compound.pk}/").content.decode()
    assert "王秀英" not in html
    assert "13912345678" not in html and "O-77" not in html


def test_compound_without_project_says_so(client, compound):
    html = client.get(f"/c/{compound.pk}/").content.decode()
    assert "尚未列入改造计划" in html


def test_unknown_compound_is_404(client, db):
    assert client.get("/c/999999/").status_code == 404


@pytest.mark.parametrize("items", [1, 12])
def test_constant_queries(client, compound, items, django_assert_num_queries):
    project = Project.objects.create(
        compound=compound, batch=Batch.objects.create(year=2025, name="第一批")
    )
    codes = list(WorkItemType.objects.values_list("code", flat=True)[:items])
    for code in codes:
        add_item(project, code, "10", "5")
    with django_assert_num_queries(4):  # compound, project, items, commitments
        response = client.get(f"/c/{compound.pk}/")
    assert response.content.decode().count('class="bar small"') == items
