"""The works API: the catalogue, work items and progress reports, through the area gate."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from renewal.models import ItemStatus, ProgressReport, Stage, WorkItem
from renewal.services.works import progress_report_create
from tests.renewal.factories import item_type, make_item, make_project, photo, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def project(area, catalog):
    return make_project(area.compounds["长江路小区"])


@pytest.fixture
def west_project(area, catalog):
    return make_project(area.compounds["石油大院"])


# --- catalogue ------------------------------------------------------------------------------


def test_types_list_the_whole_catalogue(api, catalog, east_a_user, django_assert_num_queries):
    api.force_authenticate(east_a_user)
    with django_assert_num_queries(2):
        body = api.get("/api/v1/work-item-types/").json()
    assert body["count"] == 29
    roof = next(t for t in body["results"] if t["code"] == "roof-waterproofing")
    assert roof == {
        "id": roof["id"], "code": "roof-waterproofing", "name": "屋面防水",
        "category": "basic", "category_display": roof["category_display"], "unit": "m2",
        "unit_display": "m²", "warranty_years": 5, "seasonal_check": True,
    }
    assert {t["category"] for t in body["results"]} == {"basic", "improvement", "upgrade"}


def test_anonymous_and_roleless_are_refused(api, catalog, roleless_user):
    for url in ("/api/v1/work-item-types/", "/api/v1/work-items/",
                "/api/v1/progress-reports/"):
        assert api.get(url).status_code == 401
    api.force_authenticate(roleless_user)
    assert api.get("/api/v1/work-items/").status_code == 403
    assert api.post("/api/v1/work-items/", {}).status_code == 403


# --- work items ---------------------------------------------------------------------------------


def test_create_work_item(api, project, east_user):
    api.force_authenticate(east_user)
    response = api.post("/api/v1/work-items/", {
        "project": project.pk, "type": item_type("sewage-separation").pk,
        "planned_quantity": "2.40", "completed_quantity": "0.6", "budget": "1250000.00",
        "planned_end": "2025-10-31",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["project"] == project.pk and body["type_name"] == "雨污分流改造"
    assert body["planned_quantity"] == "2.40" and body["completed_quantity"] == "0.60"
    assert body["budget"] == "1250000.00" and body["spent"] == "0.00"
    assert body["percent"] == "25.0"
    assert body["status"] == "in_progress" and body["unit_display"] == "km"
    assert body["planned_end"] == "2025-10-31"


def test_create_names_each_bad_field(api, project, east_user):
    api.force_authenticate(east_user)
    response = api.post("/api/v1/work-items/", {
        "project": project.pk, "type": item_type("roads").pk,
        "planned_quantity": "0", "completed_quantity": "-1", "budget": "12.345",
    }, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"budget"}  # the format check comes first
    response = api.post("/api/v1/work-items/", {
        "project": project.pk, "type": 987654, "planned_quantity": "0",
        "completed_quantity": "-1", "budget": "12.34",
    }, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"type", "planned_quantity", "completed_quantity"}
    response = api.post("/api/v1/work-items/", {"project": project.pk}, format="json")
    assert set(response.json()) == {"type", "planned_quantity"}


def test_create_in_another_area_names_the_project(api, west_project, east_user):
    api.force_authenticate(east_user)
    response = api.post("/api/v1/work-items/", {
        "project": west_project.pk, "type": item_type("roads").pk, "planned_quantity": "5",
    }, format="json")
    assert response.status_code == 400
    assert response.json() == {"project": ["您的辖区内没有这个改造项目。"]}
    # The same answer as for a project that does not exist at all.
    response = api.post("/api/v1/work-items/", {
        "project": 99999, "type": item_type("roads").pk, "planned_quantity": "5",
    }, format="json")
    assert response.json() == {"project": ["您的辖区内没有这个改造项目。"]}
    assert not WorkItem.objects.exists()


def test_list_is_gated_and_filtered(api, project, west_project, east_user):
    roads = make_item(project, "roads")
    make_item(project, "elevator", planned="2", status=ItemStatus.IN_PROGRESS,
              completed="1")
    make_item(west_project, "roads")
    api.force_authenticate(east_user)
    body = api.get("/api/v1/work-items/").json()
    assert body["count"] == 2
    body = api.get("/api/v1/work-items/", {"category": "improvement"}).json()
    assert [r["type_name"] for r in body["results"]] == ["加装电梯"]
    assert body["results"][0]["percent"] == "50.0"
    body = api.get("/api/v1/work-items/", {"status": "not_started"}).json()
    assert [r["id"] for r in body["results"]] == [roads.pk]
    body = api.get("/api/v1/work-items/", {"type": item_type("roads").pk}).json()
    assert [r["id"] for r in body["results"]] == [roads.pk]
    # Naming another area's project yields nothing, not its items.
    assert api.get("/api/v1/work-items/", {"project": west_project.pk}).json()["count"] == 0
    assert api.get("/api/v1/work-items/", {"status": "bogus"}).status_code == 400


def test_detail_outside_the_area_is_404(api, project, west_project, east_user):
    own, other = make_item(project, completed="30"), make_item(west_project)
    api.force_authenticate(east_user)
    assert api.get(f"/api/v1/work-items/{other.pk}/").status_code == 404
    assert api.patch(f"/api/v1/work-items/{other.pk}/", {"budget": "1"},
                     format="json").status_code == 404
    assert api.post(f"/api/v1/work-items/{other.pk}/cancel/").status_code == 404
    assert api.get(f"/api/v1/work-items/{own.pk}/").json()["percent"] == "30.0"


def test_patch_corrects_an_item(api, project, east_user):
    item = make_item(project, "lighting", planned="40")
    api.force_authenticate(east_user)
    response = api.patch(f"/api/v1/work-items/{item.pk}/",
                         {"planned_quantity": "36", "completed_quantity": "36",
                          "spent": "88000.5"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["spent"] == "88000.50"
    assert body["warranty_until"] is not None and body["percent"] == "100.0"
    response = api.patch(f"/api/v1/work-items/{item.pk}/", {"planned_quantity": "-4"},
                         format="json")
    assert response.status_code == 400 and "planned_quantity" in response.json()
    response = api.patch(f"/api/v1/work-items/{item.pk}/", {"project": 1}, format="json")
    assert response.status_code == 400 and "project" in response.json()


def test_cancel_and_reinstate(api, project, east_user):
    item = make_item(project)
    api.force_authenticate(east_user)
    assert api.post(f"/api/v1/work-items/{item.pk}/cancel/").json()["status"] == "cancelled"
    assert api.post(f"/api/v1/work-items/{item.pk}/reinstate/").json()["status"] == (
        "not_started"
    )
    done = make_item(project, "lighting", completed="100", status=ItemStatus.DONE)
    response = api.post(f"/api/v1/work-items/{done.pk}/cancel/")
    assert response.status_code == 409 and "detail" in response.json()


@pytest.mark.parametrize("extra", [0, 30])
def test_item_list_runs_constant_queries(api, project, district_user, extra,
                                         django_assert_num_queries):
    codes = ["roads", "lighting", "elevator", "fibre", "greening", "parking"]
    for i in range(1 + extra):
        make_item(project, codes[i % len(codes)])
    api.force_authenticate(district_user)
    with django_assert_num_queries(2):  # count, page (with the type)
        body = api.get("/api/v1/work-items/").json()
    assert body["count"] == 1 + extra


# --- progress reports -------------------------------------------------------------------------


def test_report_with_photos_is_201_with_photo_urls(api, project, east_a_user, media):
    item = make_item(project, "roads", planned="1000", budget="500000")
    api.force_authenticate(east_a_user)
    response = api.post("/api/v1/progress-reports/", {
        "work_item": item.pk, "quantity_done": "250.5", "spent": "120000",
        "note": "3号楼前路面完成", "photos": [photo("a.jpg"), photo("b.jpg")],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["quantity_done"] == "250.50" and body["spent"] == "120000.00"
    assert body["work_item"] == item.pk and body["project"] == project.pk
    assert body["reported_by"] == east_a_user.pk
    assert len(body["photos"]) == 2
    first = body["photos"][0]
    assert first["url"].startswith("http://testserver/media/progress/")
    assert first["url"].endswith(".jpg") and (first["width"], first["height"]) == (40, 30)
    item.refresh_from_db()
    assert item.completed_quantity == Decimal("250.50") and item.status == "in_progress"
    # The stored file has no EXIF (no GPS) left.
    stored = ProgressReport.objects.get().photos.first()
    with Image.open(stored.image.path) as image:
        assert not image.getexif()


def test_report_without_photos_as_json(api, project, east_user, media):
    item = make_item(project, "lighting", planned="4")
    api.force_authenticate(east_user)
    response = api.post("/api/v1/progress-reports/",
                        {"work_item": item.pk, "quantity_done": "4"}, format="json")
    assert response.status_code == 201
    assert response.json()["photos"] == []
    assert api.get(f"/api/v1/work-items/{item.pk}/").json()["status"] == "done"


def test_seven_photos_are_400_and_nothing_is_written(api, project, east_user, media):
    item = make_item(project)
    api.force_authenticate(east_user)
    response = api.post("/api/v1/progress-reports/", {
        "work_item": item.pk, "quantity_done": "1",
        "photos": [photo(f"{i}.jpg") for i in range(7)],
    }, format="multipart")
    assert response.status_code == 400
    assert list(response.json()) == ["photos"]
    assert not ProgressReport.objects.exists() and stored_files(media) == []


def test_a_script_named_jpg_is_400_naming_photos(api, project, east_user, media):
    item = make_item(project)
    api.force_authenticate(east_user)
    script = SimpleUploadedFile("x.jpg", b"#!/bin/sh\necho pwned\n", content_type="image/jpeg")
    response = api.post("/api/v1/progress-reports/", {
        "work_item": item.pk, "quantity_done": "1", "photos": [script],
    }, format="multipart")
    assert response.status_code == 400
    message = response.json()["photos"][0]
    assert message.startswith("第 1 张照片（x.jpg）") and "这个文件不是照片" in message


def test_report_on_another_areas_item_is_400_naming_it(api, west_project, east_user, media):
    item = make_item(west_project)
    api.force_authenticate(east_user)
    response = api.post("/api/v1/progress-reports/",
                        {"work_item": item.pk, "quantity_done": "1"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"work_item": ["您的辖区内没有这项改造内容。"]}


def test_report_before_construction_is_409(api, area, catalog, east_user, media):
    item = make_item(make_project(area.compounds["长江路小区"], stage=Stage.DESIGN))
    api.force_authenticate(east_user)
    response = api.post("/api/v1/progress-reports/",
                        {"work_item": item.pk, "quantity_done": "1"}, format="json")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "施工阶段才能填报进度" in detail and "“方案设计”" in detail


def test_report_list_is_gated_and_filtered(api, project, west_project, east_user, west_user,
                                           media):
    roads, lamps = make_item(project, "roads"), make_item(project, "lighting")
    later = make_item(make_project(project.compound, year=2026, name="第二批"), "roads")
    west = make_item(west_project)
    for item in (roads, roads, lamps, later):
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"), by=east_user)
    west_report = progress_report_create(work_item_id=west.pk, quantity_done=Decimal("1"),
                                         by=west_user)
    api.force_authenticate(east_user)
    assert api.get("/api/v1/progress-reports/").json()["count"] == 4
    body = api.get("/api/v1/progress-reports/", {"work_item": roads.pk}).json()
    assert body["count"] == 2 and {r["work_item"] for r in body["results"]} == {roads.pk}
    assert api.get("/api/v1/progress-reports/", {"project": project.pk}).json()["count"] == 3
    assert api.get("/api/v1/progress-reports/", {"work_item": west.pk}).json()["count"] == 0
    assert api.get(f"/api/v1/progress-reports/{west_report.pk}/").status_code == 404


@pytest.mark.parametrize("reports", [1, 12])
def test_report_list_runs_constant_queries(api, project, district_user, media, reports,
                                           django_assert_num_queries):
    item = make_item(project, planned="1000")
    for i in range(reports):
        progress_report_create(work_item_id=item.pk, quantity_done=Decimal("1"),
                               photos=[photo()] if i % 3 == 0 else [], by=district_user)
    api.force_authenticate(district_user)
    with django_assert_num_queries(3):  # count, page (item, reporter), photos
        body = api.get("/api/v1/progress-reports/").json()
    assert body["count"] == reports
    assert sum(len(r["photos"]) for r in body["results"]) == (reports + 2) // 3


def test_webp_photo_via_api_is_accepted(api, project, east_user, media):
    out = io.BytesIO()
    Image.new("RGB", (20, 10), (1, 2, 3)).save(out, "WEBP")
    webp = SimpleUploadedFile("p.webp", out.getvalue(), content_type="image/webp")
    item = make_item(project)
    api.force_authenticate(east_user)
    response = api.post("/api/v1/progress-reports/", {
        "work_item": item.pk, "quantity_done": "1", "photos": [webp],
    }, format="multipart")
    assert response.status_code == 201
    assert response.json()["photos"][0]["url"].endswith(".jpg")
