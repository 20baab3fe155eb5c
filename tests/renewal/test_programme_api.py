"""API contract of batches, projects and stage moves (issue 3, item 6)."""

import re
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from compounds.models import Compound
from renewal.catalog import seed_work_item_types
from renewal.models import Project, Stage, StageChange, WorkItem, WorkItemType
from renewal.selectors import gates
from renewal.services.programme import batch_create, project_create

pytestmark = pytest.mark.django_db

ISO_SHANGHAI = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+08:00$")


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def batch(district_user):
    return batch_create(by=district_user, year=2025, name="第一批", target_compounds=2)


@pytest.fixture
def east_project(area, batch, district_user):
    return project_create(by=district_user, compound_id=area.compounds["长江路小区"].pk,
                          batch_id=batch.pk)


@pytest.fixture
def west_project(area, batch, district_user):
    return project_create(by=district_user, compound_id=area.compounds["石油大院"].pk,
                          batch_id=batch.pk)


def move(api, project, to, note=""):
    return api.post(f"/api/v1/projects/{project.pk}/transition/", {"to": to, "note": note})


# --- who may call -------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/batches/", "/api/v1/projects/"])
def test_anonymous_and_roleless_are_refused(api, area, roleless_user, url):
    assert api.get(url).status_code in (401, 403)
    assert api.post(url, {}).status_code in (401, 403)
    api.force_authenticate(roleless_user)
    assert api.get(url).status_code == 403


# --- batches ------------------------------------------------------------------------


def test_create_batch(api, district_user):
    api.force_authenticate(district_user)
    response = api.post("/api/v1/batches/", {"year": 2025, "name": "第一批"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["year"] == 2025 and body["name"] == "第一批"
    assert body["target_investment"] == "0.00"
    assert (body["project_count"], body["household_count"], body["planned_investment"]) == (
        0, 0, "0.00")
    response = api.post("/api/v1/batches/", {
        "year": 2026, "name": "第一批", "target_compounds": 146, "target_households": 9000,
        "target_investment": "52000000.00", "notes": "区级计划",
    })
    assert response.status_code == 201
    assert response.json()["target_investment"] == "52000000.00"


def test_only_the_district_creates_batches(api, area, east_user):
    api.force_authenticate(east_user)
    response = api.post("/api/v1/batches/", {"year": 2025, "name": "第一批"})
    assert response.status_code == 403
    assert "detail" in response.json()


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"year", "name"}),
    ({"year": 1999, "name": ""}, {"year", "name"}),
    ({"year": "abc", "name": "第一批"}, {"year"}),
    ({"year": 2101, "name": "第一批", "target_investment": "-1"}, {"year", "target_investment"}),
    ({"year": 2025, "name": "第一批", "target_compounds": -3}, {"target_compounds"}),
])
def test_bad_batch_fields_are_named(api, district_user, payload, fields):
    api.force_authenticate(district_user)
    response = api.post("/api/v1/batches/", payload)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_duplicate_batch_names_the_name(api, district_user, batch):
    api.force_authenticate(district_user)
    response = api.post("/api/v1/batches/", {"year": 2025, "name": "第一批"})
    assert response.status_code == 400
    assert list(response.json()) == ["name"]


def test_batch_list_detail_and_patch(api, area, district_user, batch):
    other = batch_create(by=district_user, year=2024, name="试点")
    api.force_authenticate(district_user)
    body = api.get("/api/v1/batches/").json()
    assert [r["id"] for r in body["results"]] == [batch.pk, other.pk]
    assert [r["id"] for r in api.get("/api/v1/batches/", {"year": 2024}).json()["results"]] == [
        other.pk]
    assert api.get(f"/api/v1/batches/{batch.pk}/").json()["name"] == "第一批"
    response = api.patch(f"/api/v1/batches/{batch.pk}/", {"target_compounds": 10})
    assert response.status_code == 200
    assert response.json()["target_compounds"] == 10
    response = api.patch(f"/api/v1/batches/{other.pk}/", {"year": 2025, "name": "第一批"})
    assert response.status_code == 400 and list(response.json()) == ["name"]
    assert api.delete(f"/api/v1/batches/{batch.pk}/").status_code == 405


def test_batch_counts_only_the_users_area(api, area, batch, east_user, east_project,
                                          west_project):
    seed_work_item_types(WorkItemType)
    lighting = WorkItemType.objects.get(code="lighting")
    for project, budget in ((east_project, "100000.00"), (west_project, "900000.00")):
        WorkItem.objects.create(project=project, type=lighting, planned_quantity=10,
                                budget=Decimal(budget))
    api.force_authenticate(east_user)
    row = api.get(f"/api/v1/batches/{batch.pk}/").json()
    assert (row["project_count"], row["household_count"], row["planned_investment"]) == (
        1, 48, "100000.00")
    assert api.patch(f"/api/v1/batches/{batch.pk}/", {"name": "x"}).status_code == 403


# --- projects -----------------------------------------------------------------------


def test_create_project_starts_planned_with_history(api, area, batch, east_user):
    api.force_authenticate(east_user)
    compound = area.compounds["长江路小区"]
    response = api.post("/api/v1/projects/", {"compound": compound.pk, "batch": batch.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["stage"] == "planned"
    assert body["stage_display"] == str(Stage.PLANNED.label)
    assert [m["to"] for m in body["available_moves"]] == ["survey"]
    assert body["progress"] == "0.0"
    assert body["compound"] == compound.pk and body["batch"] == batch.pk
    assert body["compound_name"] == "长江路小区"
    assert len(body["history"]) == 1
    first = body["history"][0]
    assert (first["from"], first["to"], first["by"], first["note"]) == (
        "", "planned", "east", "")
    assert ISO_SHANGHAI.match(first["at"]), first["at"]
    assert Project.objects.get(pk=body["id"]).stage == "planned"


def test_create_project_with_fields(api, area, batch, district_user):
    api.force_authenticate(district_user)
    response = api.post("/api/v1/projects/", {
        "compound": area.compounds["育才苑"].pk, "batch": batch.pk, "contractor": "青岛城建",
        "funding_central": "1200000.50", "delivery_model": "epc",
    })
    assert response.status_code == 201
    body = response.json()
    assert (body["contractor"], body["funding_central"], body["funding_total"]) == (
        "青岛城建", "1200000.50", "1200000.50")


@pytest.mark.parametrize(("payload", "fields"), [
    ({}, {"compound", "batch"}),
    ({"compound": "abc", "batch": None}, {"compound", "batch"}),
    ({"compound": "OTHER", "batch": "BATCH"}, {"compound"}),
    ({"compound": 999999, "batch": 999999}, {"compound", "batch"}),
    ({"compound": "OWN", "batch": "BATCH", "funding_local": "-1",
      "planned_start": "2025-05-01", "planned_end": "2025-04-01"},
     {"funding_local", "planned_end"}),
    ({"compound": "OWN", "batch": "BATCH", "funding_local": "12.345",
      "planned_start": "May"}, {"funding_local", "planned_start"}),
])
def test_bad_project_fields_are_named(api, area, batch, east_user, payload, fields):
    values = {"OTHER": area.compounds["石油大院"].pk, "OWN": area.compounds["长江路小区"].pk,
              "BATCH": batch.pk}
    payload = {k: values.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    api.force_authenticate(east_user)
    response = api.post("/api/v1/projects/", payload)
    assert response.status_code == 400
    assert set(response.json()) == fields
    assert not Project.objects.exists()


def test_duplicate_project_names_the_compound(api, area, batch, east_user, east_project):
    api.force_authenticate(east_user)
    response = api.post("/api/v1/projects/",
                        {"compound": east_project.compound_id, "batch": batch.pk})
    assert response.status_code == 400
    assert list(response.json()) == ["compound"]


def test_area_gate_on_projects(api, area, east_user, east_project, west_project):
    api.force_authenticate(east_user)
    assert api.get(f"/api/v1/projects/{west_project.pk}/").status_code == 404
    assert api.patch(f"/api/v1/projects/{west_project.pk}/", {"contractor": "x"}).status_code \
        == 404
    assert move(api, west_project, "survey").status_code == 404
    body = api.get("/api/v1/projects/").json()
    assert [r["id"] for r in body["results"]] == [east_project.pk]
    body = api.get("/api/v1/projects/", {"subdistrict": area.west.pk}).json()
    assert body["results"] == []
    assert StageChange.objects.filter(project=west_project).count() == 1


def test_project_list_filters(api, area, batch, district_user, east_project, west_project):
    other_batch = batch_create(by=district_user, year=2026, name="第二批")
    late = project_create(by=district_user, compound_id=area.compounds["育才苑"].pk,
                          batch_id=other_batch.pk)
    Project.objects.filter(pk=late.pk).update(stage=Stage.DESIGN, contractor="海湾建设")
    api.force_authenticate(district_user)

    def ids(**params):
        response = api.get("/api/v1/projects/", params)
        assert response.status_code == 200
        return sorted(r["id"] for r in response.json()["results"])

    assert ids() == sorted([east_project.pk, west_project.pk, late.pk])
    assert ids(batch=batch.pk) == sorted([east_project.pk, west_project.pk])
    assert ids(stage="design") == [late.pk]
    assert ids(subdistrict=area.east.pk) == sorted([east_project.pk, late.pk])
    assert ids(community=area.east_b.pk) == [late.pk]
    assert ids(compound=area.compounds["石油大院"].pk) == [west_project.pk]
    assert ids(q="长江") == [east_project.pk]
    assert ids(q="海湾") == [late.pk]
    response = api.get("/api/v1/projects/", {"stage": "demolished", "batch": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"stage", "batch"}


def test_list_has_no_history_but_progress(api, area, district_user, east_project):
    seed_work_item_types(WorkItemType)
    WorkItem.objects.create(project=east_project, type=WorkItemType.objects.get(code="roads"),
                            planned_quantity=Decimal("1000"),
                            completed_quantity=Decimal("500"), budget=Decimal("300000"))
    api.force_authenticate(district_user)
    row = api.get("/api/v1/projects/").json()["results"][0]
    assert "history" not in row
    assert row["progress"] == "50.0"
    assert api.get(f"/api/v1/projects/{east_project.pk}/").json()["progress"] == "50.0"


def test_patch_project(api, area, east_user, east_a_user, east_project):
    api.force_authenticate(east_user)
    url = f"/api/v1/projects/{east_project.pk}/"
    response = api.patch(url, {"contractor": "青岛城建", "funding_residents": "35000.00",
                               "planned_start": "2025-03-01", "planned_end": "2025-10-31",
                               "residents_coordinator": east_a_user.pk})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["contractor"], body["funding_residents"], body["planned_end"]) == (
        "青岛城建", "35000.00", "2025-10-31")
    assert body["residents_coordinator"] == east_a_user.pk
    assert body["stage"] == "planned"

    response = api.patch(url, {"planned_end": "2025-01-01", "funding_central": "-5"})
    assert response.status_code == 400
    assert set(response.json()) == {"planned_end", "funding_central"}

    response = api.patch(url, {"stage": "aftercare", "compound": 1})
    assert response.status_code == 400
    assert set(response.json()) == {"stage", "compound"}
    assert "transition" in response.json()["stage"][0]
    assert api.put(url, {"contractor": "x"}).status_code == 405
    assert api.delete(url).status_code == 405


# --- stage moves --------------------------------------------------------------------


def test_transition_returns_the_project(api, district_user, east_project):
    api.force_authenticate(district_user)
    response = move(api, east_project, "survey", "入户摸底开始")
    assert response.status_code == 200
    body = response.json()
    assert body["stage"] == "survey"
    assert [m["to"] for m in body["available_moves"]] == ["design", "planned"]
    last = body["history"][-1]
    assert (last["from"], last["to"], last["by"], last["note"]) == (
        "planned", "survey", "district", "入户摸底开始")
    assert ISO_SHANGHAI.match(last["at"])


def test_repeated_transition_is_a_no_op(api, district_user, east_project):
    api.force_authenticate(district_user)
    move(api, east_project, "survey")
    response = move(api, east_project, "survey", "again")
    assert response.status_code == 200
    assert response.json()["stage"] == "survey"
    assert len(response.json()["history"]) == 2


def test_illegal_and_unknown_transitions_are_400(api, district_user, east_project):
    api.force_authenticate(district_user)
    response = move(api, east_project, "construction")
    assert response.status_code == 400
    assert response.json()["allowed"] == ["survey"]
    assert "detail" in response.json()
    response = move(api, east_project, "demolished")
    assert response.status_code == 400 and "detail" in response.json()
    response = api.post(f"/api/v1/projects/{east_project.pk}/transition/", {"note": "x"})
    assert response.status_code == 400 and list(response.json()) == ["to"]
    assert StageChange.objects.filter(project=east_project).count() == 1


def test_gated_transition_is_409_with_what_is_missing(api, district_user, east_project,
                                                      monkeypatch):
    Project.objects.filter(pk=east_project.pk).update(stage=Stage.CONSULTATION)
    api.force_authenticate(district_user)
    response = move(api, east_project, "approved")
    assert response.status_code == 409
    body = response.json()
    assert set(body) == {"detail", "missing"}
    assert body["missing"] == [str(gates.STAGE_GATES[0].missing)]
    assert StageChange.objects.filter(project=east_project).count() == 1

    monkeypatch.setattr(gates, "renovation_plan_passed", lambda *, compound_id: True)
    response = move(api, east_project, "approved", "六方确认完成")
    assert response.status_code == 200
    assert response.json()["stage"] == "approved"


# --- query counts -------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 30])
def test_project_list_runs_constant_queries(api, area, batch, district_user, extra,
                                            django_assert_num_queries):
    seed_work_item_types(WorkItemType)
    roads = WorkItemType.objects.get(code="roads")
    for i in range(extra + 1):
        compound = Compound.objects.create(name=f"新建小区{i}", community=area.east_a,
                                           build_year=1990)
        project = project_create(by=district_user, compound_id=compound.pk, batch_id=batch.pk)
        WorkItem.objects.create(project=project, type=roads, planned_quantity=10, budget=5)
    api.force_authenticate(district_user)
    with django_assert_num_queries(3):  # count, page, progress of the page
        response = api.get("/api/v1/projects/")
    assert response.json()["count"] == extra + 1


@pytest.mark.parametrize("extra", [0, 30])
def test_batch_list_runs_constant_queries(api, area, district_user, extra,
                                          django_assert_num_queries):
    for i in range(extra + 1):
        batch = batch_create(by=district_user, year=2020 + i % 5, name=f"第{i}批")
        project_create(by=district_user, compound_id=area.compounds["长江路小区"].pk,
                       batch_id=batch.pk)
    api.force_authenticate(district_user)
    with django_assert_num_queries(2):  # count, page
        response = api.get("/api/v1/batches/")
    assert response.json()["count"] == extra + 1
