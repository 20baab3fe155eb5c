"""The works pages: a project's items, adding and editing, the phone form that files a
progress report, the timeline with photos, the export; area gate and query counts."""

import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from renewal.models import ItemStatus, ProgressReport, Stage, WorkItem
from renewal.services.works import progress_report_create
from tests.renewal.factories import item_type, make_item, make_project, photo, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(area, catalog):
    return make_project(area.compounds["长江路小区"])


@pytest.fixture
def west_project(area, catalog):
    return make_project(area.compounds["石油大院"])


class _Page(HTMLParser):
    """The form controls by name, and the text inside every element that has an id."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self, html: str):
        super().__init__()
        self.controls: dict[str, dict] = {}
        self.text: dict[str, str] = {}
        self._open: list[tuple[str, str | None]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and "name" in attrs:
            self.controls[attrs["name"]] = attrs
        if "id" in attrs:
            self.text.setdefault(attrs["id"], "")
        if tag not in self.VOID:
            self._open.append((tag, attrs.get("id")))

    def handle_endtag(self, tag):
        if tag in self.VOID or tag not in (t for t, _ in self._open):
            return
        while self._open.pop()[0] != tag:
            pass

    def handle_data(self, data):
        for _tag, element_id in self._open:
            if element_id:
                self.text[element_id] += data


def described(html: str, name: str) -> str:
    """What a screen reader announces with the control `name` (its aria-describedby),
    provided the control is marked invalid; "" otherwise."""
    page = _Page(html)
    control = page.controls[name]
    if control.get("aria-invalid") != "true":
        return ""
    return " ".join(page.text.get(i, "") for i in control.get("aria-describedby", "").split())


# --- the project's items ------------------------------------------------------------------


def test_project_page_groups_items_with_progress(client, project, east_a_user):
    make_item(project, "roof-waterproofing", planned="1200", completed="300", budget="360000",
              warranty_until=None, planned_end=date(2025, 10, 31))
    make_item(project, "lighting", planned="40", completed="40", budget="120000",
              status=ItemStatus.DONE, warranty_until=date(2027, 6, 30))
    make_item(project, "elevator", planned="2", budget="900000", status=ItemStatus.CANCELLED)
    client.force_login(east_a_user)
    response = client.get(reverse("works:project", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("屋面防水") < html.index("路灯照明") < html.index("加装电梯")
    assert "300 / 1200 m²" in html and 'value="25.0"' in html
    assert "2027-06-30" in html and "2025-10-31" in html
    # (0.25 × 360k + 1 × 120k) / 480k = 43.75 → 43.8 %; the cancelled lift does not count
    assert response.context["works"].progress == Decimal("43.8")
    assert "43.8%" in html
    assert reverse("works:item", args=[project.work_items.first().pk]) in html


def test_project_page_filters_by_status_and_category(client, project, east_user):
    make_item(project, "roads", completed="10", status=ItemStatus.IN_PROGRESS)
    make_item(project, "elevator", planned="2")
    client.force_login(east_user)
    works = client.get(reverse("works:project", args=[project.pk]),
                       {"category": "improvement"}).context["works"]
    assert [i.type.code for i in works.items] == ["elevator"]
    works = client.get(reverse("works:project", args=[project.pk]),
                       {"status": "in_progress"}).context["works"]
    assert [i.type.code for i in works.items] == ["roads"]


def test_pages_of_another_area_are_404(client, west_project, east_user):
    item = make_item(west_project)
    client.force_login(east_user)
    for url in (reverse("works:project", args=[west_project.pk]),
                reverse("works:project-export", args=[west_project.pk]),
                reverse("works:item-create", args=[west_project.pk]),
                reverse("works:item", args=[item.pk]),
                reverse("works:item-edit", args=[item.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("works:item", args=[item.pk]),
                       {"quantity_done": "1"}).status_code == 404
    assert client.post(reverse("works:item-cancel", args=[item.pk])).status_code == 404
    assert ProgressReport.objects.count() == 0


def test_anonymous_is_sent_to_login(client, project):
    response = client.get(reverse("works:project", args=[project.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("extra", [0, 25])
def test_project_page_runs_constant_queries(client, project, east_user, extra,
                                            django_assert_num_queries):
    codes = ["roads", "lighting", "elevator", "fibre", "greening", "clinic"]
    for i in range(2 + extra):
        make_item(project, codes[i % len(codes)], completed="1")
    client.force_login(east_user)
    # session, user, project, items (with type), progress
    with django_assert_num_queries(5):
        response = client.get(reverse("works:project", args=[project.pk]))
    assert len(response.context["works"].items) == 2 + extra


def test_export_lists_the_projects_items(client, project, east_user):
    make_item(project, "roads", planned="1000", completed="250", budget="80000")
    make_item(project, "fibre", planned="300", completed="300", status=ItemStatus.DONE)
    client.force_login(east_user)
    response = client.get(reverse("works:project-export", args=[project.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 3
    header = rows[0]
    roads = dict(zip(header, rows[1], strict=True))
    assert roads[header[1]] == "道路修缮"
    assert Decimal(str(roads[header[4]])) == Decimal("1000")
    assert Decimal(str(roads[header[6]])) == Decimal("25.0")
    # The export takes the page's filters.
    response = client.get(reverse("works:project-export", args=[project.pk]),
                          {"category": "improvement"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["光纤入户"]


# --- adding and editing items ---------------------------------------------------------------


def test_add_item_through_the_form(client, project, east_user):
    client.force_login(east_user)
    url = reverse("works:item-create", args=[project.pk])
    assert "<optgroup" in client.get(url).content.decode()
    response = client.post(url, {
        "type": item_type("parking").pk, "description": "北门新增", "planned_quantity": "48",
        "budget": "240000", "planned_start": "2025-05-01", "planned_end": "2025-09-30",
    })
    assert response.status_code == 302
    item = WorkItem.objects.get()
    assert item.planned_quantity == Decimal("48") and item.budget == Decimal("240000")
    assert item.completed_quantity == 0 and item.spent == 0
    assert item.planned_end == date(2025, 9, 30)


def test_add_item_errors_stay_next_to_fields_and_keep_input(client, project, east_user):
    client.force_login(east_user)
    response = client.post(reverse("works:item-create", args=[project.pk]), {
        "type": item_type("roads").pk, "description": "主路", "planned_quantity": "0",
        "budget": "1.234", "planned_start": "2025-06-01", "planned_end": "2025-05-01",
    })
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"budget"}  # the format first, in Chinese
    html = response.content.decode()
    assert "确认小数不超过 2 位" in html and 'class="field-error"' in html
    assert 'value="主路"' in html and 'value="2025-06-01"' in html
    response = client.post(reverse("works:item-create", args=[project.pk]), {
        "type": item_type("roads").pk, "planned_quantity": "0", "budget": "1.23",
        "planned_start": "2025-06-01", "planned_end": "2025-05-01",
    })
    assert set(response.context["form"].errors) == {"planned_quantity", "planned_end"}
    assert not WorkItem.objects.exists()


def test_edit_item(client, project, east_user):
    item = make_item(project, "lighting", planned="40")
    client.force_login(east_user)
    url = reverse("works:item-edit", args=[item.pk])
    assert 'value="40.00"' in client.get(url).content.decode()
    data = {"type": item.type_id, "planned_quantity": "40", "completed_quantity": "40",
            "budget": "", "spent": "9000"}
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.status == ItemStatus.DONE and item.spent == Decimal("9000")


def test_cancel_button(client, project, east_user):
    item = make_item(project)
    client.force_login(east_user)
    assert client.get(reverse("works:item-cancel", args=[item.pk])).status_code == 405
    client.post(reverse("works:item-cancel", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == ItemStatus.CANCELLED
    client.post(reverse("works:item-reinstate", args=[item.pk]))
    item.refresh_from_db()
    assert item.status == ItemStatus.NOT_STARTED


# --- the 填报进度 form and the timeline ---------------------------------------------------------


def test_report_form_is_phone_ready(client, project, east_a_user):
    item = make_item(project)
    client.force_login(east_a_user)
    html = client.get(reverse("works:item", args=[item.pk])).content.decode()
    assert 'enctype="multipart/form-data"' in html
    file_input = html[html.index('type="file"') - 200: html.index('type="file"') + 200]
    assert 'accept="image/*"' in file_input and 'capture="environment"' in file_input
    assert "multiple" in file_input
    assert 'inputmode="decimal"' in html


def test_filing_a_report_with_photos(client, project, east_a_user, media):
    item = make_item(project, "roads", planned="100")
    client.force_login(east_a_user)
    url = reverse("works:item", args=[item.pk])
    response = client.post(url, {"quantity_done": "40", "spent": "5000", "note": "西侧完成",
                                 "photos": [photo("1.jpg"), photo("2.jpg")]})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    item.refresh_from_db()
    assert item.completed_quantity == Decimal("40") and item.status == ItemStatus.IN_PROGRESS
    report = ProgressReport.objects.get()
    assert report.photos.count() == 2
    html = client.get(url).content.decode()
    assert "西侧完成" in html and "+40" in html
    for p in report.photos.all():
        assert f'src="/media/{p.image.name}"' in html


def test_seven_photos_keep_what_was_typed_and_say_photos_are_lost(
        client, project, east_user, media):
    item = make_item(project)
    client.force_login(east_user)
    response = client.post(reverse("works:item", args=[item.pk]), {
        "quantity_done": "12.5", "spent": "300", "note": "东侧管沟开挖",
        "photos": [photo(f"{i}.jpg") for i in range(7)],
    })
    assert response.status_code == 200
    html = response.content.decode()
    assert list(response.context["form"].errors) == ["photos"]
    # The refusal, in Chinese, tied to the photos input; the other fields are not marked.
    assert "每次填报最多 6 张照片，您上传了 7 张。" in described(html, "photos")
    assert [n for n in ("quantity_done", "spent", "note") if described(html, n)] == []
    assert "已选的照片没有保留，请重新选择" in html
    assert 'value="12.5"' in html and 'value="300"' in html and "东侧管沟开挖" in html
    assert response.context["photos_lost"] is True
    assert not ProgressReport.objects.exists() and stored_files(media) == []


def test_report_field_errors_in_chinese(client, project, east_user, media):
    item = make_item(project)
    client.force_login(east_user)
    response = client.post(reverse("works:item", args=[item.pk]), {"quantity_done": ""})
    assert "该字段是必填项" in response.content.decode()
    assert response.context["photos_lost"] is False


def test_no_report_form_before_construction(client, area, catalog, east_user, media):
    item = make_item(make_project(area.compounds["长江路小区"], stage=Stage.DESIGN))
    client.force_login(east_user)
    url = reverse("works:item", args=[item.pk])
    response = client.get(url)
    assert response.context["reporting_open"] is False
    assert 'type="file"' not in response.content.decode()
    # Posted anyway: the service refuses, the page says why, nothing moves.
    response = client.post(url, {"quantity_done": "1"}, follow=True)
    assert not ProgressReport.objects.exists()
    assert any("施工阶段才能填报进度" in str(m) and "“方案设计”" in str(m)
               for m in response.context["messages"])


@pytest.mark.parametrize("reports", [1, 10])
def test_item_page_runs_constant_queries(client, project, east_user, media, reports,
                                         django_assert_num_queries):
    item = make_item(project, planned="1000")
    for i in range(reports):
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"),
                               photos=[photo()] if i % 2 == 0 else [], by=east_user)
    client.force_login(east_user)
    # session, user, item (with project, compound, batch), reports (with reporter), photos
    with django_assert_num_queries(5):
        response = client.get(reverse("works:item", args=[item.pk]))
    assert len(response.context["reports"]) == reports
