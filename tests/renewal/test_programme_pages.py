"""Staff pages of the programme: batches, projects, stage moves, export."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from compounds.models import Compound
from renewal.catalog import seed_work_item_types
from renewal.models import Batch, Project, Stage, StageChange, WorkItem, WorkItemType
from renewal.selectors import gates
from renewal.services.programme import batch_create, project_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(district_user):
    return batch_create(by=district_user, year=2025, name="第一批", target_compounds=3,
                        target_households=150, target_investment=Decimal("3000000"))


@pytest.fixture
def east_project(area, batch, district_user):
    return project_create(by=district_user, compound_id=area.compounds["长江路小区"].pk,
                          batch_id=batch.pk)


@pytest.fixture
def west_project(area, batch, district_user):
    return project_create(by=district_user, compound_id=area.compounds["石油大院"].pk,
                          batch_id=batch.pk)


def html(response) -> str:
    return response.content.decode()


def names_on_page(response) -> list[str]:
    return sorted(p.compound.name for p in response.context["page"].object_list)


# --- project list and export -----------------------------------------------------------


def test_anonymous_is_sent_to_login(client, area):
    for name in ("project-list", "project-export", "project-create", "batch-list"):
        response = client.get(reverse(f"programme:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_project_list_is_gated(client, area, east_user, east_project, west_project):
    client.force_login(east_user)
    response = client.get(reverse("programme:project-list"))
    assert response.status_code == 200
    assert names_on_page(response) == ["长江路小区"]
    assert "石油大院" not in html(response)
    response = client.get(reverse("programme:project-list"), {"subdistrict": area.west.pk})
    assert names_on_page(response) == []


def test_project_list_filters(client, area, batch, district_user, east_project, west_project):
    Project.objects.filter(pk=west_project.pk).update(stage=Stage.DESIGN)
    client.force_login(district_user)
    url = reverse("programme:project-list")
    assert names_on_page(client.get(url)) == ["石油大院", "长江路小区"]
    assert names_on_page(client.get(url, {"stage": "design"})) == ["石油大院"]
    assert names_on_page(client.get(url, {"subdistrict": area.east.pk})) == ["长江路小区"]
    assert names_on_page(client.get(url, {"q": "石油"})) == ["石油大院"]
    assert names_on_page(client.get(url, {"batch": batch.pk + 1})) == []
    response = client.get(url, {"stage": "demolished"})
    assert response.status_code == 200
    assert "stage" in response.context["filterset"].errors


def test_project_list_shows_progress_and_stage(client, area, district_user, east_project):
    seed_work_item_types(WorkItemType)
    WorkItem.objects.create(project=east_project, type=WorkItemType.objects.get(code="roads"),
                            planned_quantity=Decimal("100"), completed_quantity=Decimal("25"),
                            budget=Decimal("1000"))
    client.force_login(district_user)
    response = client.get(reverse("programme:project-list"))
    row = response.context["page"].object_list[0]
    assert row.progress == Decimal("25.0")
    assert 'width: 25.0%' in html(response)
    assert escape(str(Stage.PLANNED.label)) in html(response)


@pytest.mark.parametrize("extra", [0, 30])
def test_project_list_runs_constant_queries(client, area, batch, district_user, extra,
                                            django_assert_num_queries):
    seed_work_item_types(WorkItemType)
    roads = WorkItemType.objects.get(code="roads")
    for i in range(extra + 1):
        compound = Compound.objects.create(name=f"新建小区{i}", community=area.east_a,
                                           build_year=1990)
        project = project_create(by=district_user, compound_id=compound.pk, batch_id=batch.pk)
        WorkItem.objects.create(project=project, type=roads, planned_quantity=10, budget=5)
    client.force_login(district_user)
    # session, user, count, page rows, progress, batch options, subdistrict options
    with django_assert_num_queries(7):
        response = client.get(reverse("programme:project-list"))
    assert response.context["page"].paginator.count == extra + 1


def read_xlsx(response) -> list[tuple]:
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_export_is_gated_and_filtered(client, area, batch, east_user, district_user,
                                      east_project, west_project):
    seed_work_item_types(WorkItemType)
    WorkItem.objects.create(project=east_project, type=WorkItemType.objects.get(code="roads"),
                            planned_quantity=Decimal("10"), completed_quantity=Decimal("5"))
    Project.objects.filter(pk=east_project.pk).update(contractor="青岛城建",
                                                      funding_central=Decimal("100.50"))
    client.force_login(east_user)
    rows = read_xlsx(client.get(reverse("programme:project-export"),
                                HTTP_ACCEPT_LANGUAGE="en"))
    assert len(rows) == 2  # header + the one east project
    header, row = rows
    assert header == (
        "Batch", "Compound", "Subdistrict", "Community", "Stage", "Progress (%)",
        "Delivery model", "Contractor", "Designer", "Supervisor", "central subsidy",
        "local budget", "residents' contribution", "utilities", "social capital",
        "Total funding (yuan)", "Planned start", "Planned end", "Actual start", "Actual end",
    )
    assert row[:5] == ("2025 第一批", "长江路小区", "黄岛街道", "南屯社区", "planned")
    assert (row[5], row[7], row[10], row[15]) == (50, "青岛城建", 100.5, 100.5)
    client.force_login(district_user)
    assert len(read_xlsx(client.get(reverse("programme:project-export")))) == 3
    rows = read_xlsx(client.get(reverse("programme:project-export"), {"q": "石油"}))
    assert [r[1] for r in rows[1:]] == ["石油大院"]


# --- project detail and stage moves ----------------------------------------------------


def test_project_detail(client, area, east_user, east_project):
    client.force_login(east_user)
    response = client.get(reverse("programme:project-detail", args=[east_project.pk]))
    assert response.status_code == 200
    page = html(response)
    assert [s["state"] for s in response.context["stages"]] == ["current"] + ["todo"] * 8
    for _value, label in Stage.choices:
        assert escape(str(label)) in page
    assert [m["value"] for m in response.context["moves"]] == ["survey"]
    assert 'name="to" value="survey"' in page
    assert f"/works/projects/{east_project.pk}/" in page
    assert f"/quality/projects/{east_project.pk}/" in page
    assert f"/c/{east_project.compound_id}/" in page
    assert response.context["counts"] == {
        "work_items": 0, "inspections": 0, "open_rectifications": 0}


def test_project_detail_outside_area_is_404(client, area, east_user, west_project):
    client.force_login(east_user)
    assert client.get(reverse("programme:project-detail", args=[west_project.pk])
                      ).status_code == 404
    assert client.get(reverse("programme:project-edit", args=[west_project.pk])
                      ).status_code == 404
    response = client.post(reverse("programme:project-move", args=[west_project.pk]),
                           {"to": "survey"})
    assert response.status_code == 404
    assert StageChange.objects.filter(project=west_project).count() == 1


def test_move_a_stage(client, area, east_user, east_project):
    client.force_login(east_user)
    url = reverse("programme:project-move", args=[east_project.pk])
    response = client.post(url, {"to": "survey", "note": "入户摸底"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("programme:project-detail",
                                                     args=[east_project.pk])
    east_project.refresh_from_db()
    assert east_project.stage == Stage.SURVEY
    last = StageChange.objects.latest("id")
    assert (last.by, last.note) == (east_user, "入户摸底")
    page = html(response)
    assert "入户摸底" in page
    assert [s["state"] for s in response.context["stages"]][:3] == ["done", "current", "todo"]
    assert client.get(url).status_code == 405


def test_refused_move_keeps_the_note(client, area, east_user, east_project):
    client.force_login(east_user)
    url = reverse("programme:project-move", args=[east_project.pk])
    response = client.post(url, {"to": "construction", "note": "想直接开工"})
    assert response.status_code == 400
    assert "想直接开工" in html(response)
    assert response.context["error"].extra["allowed"] == ["survey"]
    response = client.post(url, {"to": "", "note": "空的"})
    assert response.status_code == 400
    assert "空的" in html(response)
    assert StageChange.objects.filter(project=east_project).count() == 1


def test_gated_move_says_what_is_missing(client, area, east_user, east_project, monkeypatch):
    Project.objects.filter(pk=east_project.pk).update(stage=Stage.CONSULTATION)
    missing = str(gates.STAGE_GATES[0].missing)
    shown = escape(missing)
    client.force_login(east_user)
    detail = client.get(reverse("programme:project-detail", args=[east_project.pk]))
    moves = {m["value"]: m["missing"] for m in detail.context["moves"]}
    assert moves == {"approved": [missing], "design": []}
    assert shown in html(detail)
    # A POST anyway (a stale page, another tab) is answered with the reason, not a crash.
    url = reverse("programme:project-move", args=[east_project.pk])
    response = client.post(url, {"to": "approved", "note": "六方确认"})
    assert response.status_code == 409
    assert shown in html(response) and "六方确认" in html(response)
    assert StageChange.objects.filter(project=east_project).count() == 1

    monkeypatch.setattr(gates, "renovation_plan_passed", lambda *, compound_id: True)
    detail = client.get(reverse("programme:project-detail", args=[east_project.pk]))
    assert {m["value"]: m["missing"] for m in detail.context["moves"]}["approved"] == []
    assert client.post(url, {"to": "approved"}).status_code == 302
    east_project.refresh_from_db()
    assert east_project.stage == Stage.APPROVED


def test_project_detail_runs_constant_queries(client, area, district_user, east_project,
                                              django_assert_num_queries):
    from renewal.services.programme import project_transition

    for stage in ("survey", "design", "survey", "design"):
        project_transition(project_id=east_project.pk, to=stage, by=district_user)
    client.force_login(district_user)
    # session, user, project, history, progress, counts
    with django_assert_num_queries(6):
        client.get(reverse("programme:project-detail", args=[east_project.pk]))


# --- create and edit projects ----------------------------------------------------------


def test_create_project_page(client, area, batch, east_user):
    client.force_login(east_user)
    url = reverse("programme:project-create")
    response = client.get(url, {"compound": area.compounds["育才苑"].pk})
    compounds = list(response.context["form"].fields["compound"].queryset)
    assert sorted(c.name for c in compounds) == ["育才苑", "长江路小区"]
    assert "石油大院" not in html(response)
    response = client.post(url, {"compound": area.compounds["育才苑"].pk, "batch": batch.pk})
    project = Project.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:project-detail", args=[project.pk])
    assert project.stage == Stage.PLANNED and project.history.count() == 1


def test_create_project_errors_stay_next_to_the_fields(client, area, batch, east_user,
                                                       east_project):
    client.force_login(east_user)
    url = reverse("programme:project-create")
    # The same compound twice in one batch.
    response = client.post(url, {"compound": east_project.compound_id, "batch": batch.pk})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["compound"]
    assert form["compound"].value() == str(east_project.compound_id)
    assert 'class="field-error"' in html(response)
    # Another area's compound is not a choice at all.
    response = client.post(url, {"compound": area.compounds["石油大院"].pk, "batch": batch.pk})
    assert list(response.context["form"].errors) == ["compound"]
    assert Project.objects.count() == 1


def test_edit_project(client, area, east_user, east_a_user, west_user, east_project):
    client.force_login(east_user)
    url = reverse("programme:project-edit", args=[east_project.pk])
    response = client.get(url)
    coordinators = {u.username for u in
                    response.context["form"].fields["residents_coordinator"].queryset}
    assert {"east", "east-a", "district"} <= coordinators and "west" not in coordinators
    data = {
        "delivery_model": "epc", "contractor": "青岛城建", "designer": "", "supervisor": "",
        "funding_central": "1000000", "funding_local": "-5", "funding_residents": "0",
        "funding_utilities": "0", "funding_social": "0", "planned_start": "2025-05-01",
        "planned_end": "2025-04-01", "actual_start": "", "actual_end": "",
        "engineering_coordinator": "", "residents_coordinator": east_a_user.pk,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"funding_local", "planned_end"}
    page = html(response)
    assert "青岛城建" in page and 'value="-5"' in page  # what was typed is kept
    east_project.refresh_from_db()
    assert east_project.contractor == ""

    data.update(funding_local="500000.50", planned_end="2025-10-31")
    response = client.post(url, data)
    assert response.status_code == 302
    east_project.refresh_from_db()
    assert east_project.funding_total == Decimal("1500000.50")
    assert east_project.residents_coordinator == east_a_user
    detail = html(client.get(reverse("programme:project-detail", args=[east_project.pk])))
    assert "青岛城建" in detail and "east-a" in detail


# --- batches -------------------------------------------------------------------------------


def test_batch_list_counts_the_users_area(client, area, batch, east_user, district_user,
                                          east_project, west_project):
    seed_work_item_types(WorkItemType)
    lighting = WorkItemType.objects.get(code="lighting")
    WorkItem.objects.create(project=east_project, type=lighting, planned_quantity=1,
                            budget=Decimal("1000"))
    WorkItem.objects.create(project=east_project, type=lighting, planned_quantity=1,
                            budget=Decimal("500"))
    WorkItem.objects.create(project=west_project, type=lighting, planned_quantity=1,
                            budget=Decimal("7000"))
    client.force_login(district_user)
    row = client.get(reverse("programme:batch-list")).context["page"].object_list[0]
    assert (row.project_count, row.household_count, row.planned_investment) == (
        2, 96, Decimal("8500"))
    client.force_login(east_user)
    response = client.get(reverse("programme:batch-list"))
    row = response.context["page"].object_list[0]
    assert (row.project_count, row.household_count, row.planned_investment) == (
        1, 48, Decimal("1500"))
    assert reverse("programme:batch-create") not in html(response)


@pytest.mark.parametrize("extra", [0, 20])
def test_batch_list_runs_constant_queries(client, area, district_user, extra,
                                          django_assert_num_queries):
    for i in range(extra + 1):
        batch = batch_create(by=district_user, year=2020 + i % 5, name=f"第{i}批")
        project_create(by=district_user, compound_id=area.compounds["育才苑"].pk,
                       batch_id=batch.pk)
    client.force_login(district_user)
    with django_assert_num_queries(4):  # session, user, count, page
        response = client.get(reverse("programme:batch-list"))
    assert response.context["page"].paginator.count == extra + 1


def test_batch_detail_lists_only_the_users_projects(client, area, batch, east_user,
                                                    east_project, west_project):
    client.force_login(east_user)
    response = client.get(reverse("programme:batch-detail", args=[batch.pk]))
    assert response.status_code == 200
    assert names_on_page(response) == ["长江路小区"]
    assert "石油大院" not in html(response)
    assert dict(response.context["by_stage"])[Stage.PLANNED.label] == 1
    assert client.get(reverse("programme:batch-detail", args=[batch.pk + 99])
                      ).status_code == 404


def test_district_creates_a_batch_on_the_page(client, district_user):
    client.force_login(district_user)
    url = reverse("programme:batch-create")
    assert client.get(url).status_code == 200
    response = client.post(url, {"year": "2025", "name": "第一批", "target_compounds": "146",
                                 "target_households": "9000", "target_investment": "0",
                                 "notes": ""})
    batch = Batch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("programme:batch-detail", args=[batch.pk])
    response = client.post(url, {"year": "1999", "name": "第一批", "target_compounds": "0",
                                 "target_households": "0", "target_investment": "-1",
                                 "notes": "草稿"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"year", "target_investment"}
    assert "草稿" in html(response)
    response = client.post(url, {"year": "2025", "name": "第一批", "target_compounds": "0",
                                 "target_households": "0", "target_investment": "0"})
    assert list(response.context["form"].errors) == ["name"]
    assert Batch.objects.count() == 1


def test_batch_edit(client, district_user, batch):
    client.force_login(district_user)
    url = reverse("programme:batch-edit", args=[batch.pk])
    assert client.get(url).context["form"]["name"].value() == "第一批"
    response = client.post(url, {"year": "2025", "name": "第一批（调整）",
                                 "target_compounds": "5", "target_households": "0",
                                 "target_investment": "0", "notes": ""})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert (batch.name, batch.target_compounds) == ("第一批（调整）", 5)


@pytest.mark.parametrize("who", ["east_user", "east_a_user"])
def test_only_the_district_opens_batch_forms(client, request, batch, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("programme:batch-create")).status_code == 403
    assert client.post(reverse("programme:batch-create"),
                       {"year": "2026", "name": "x"}).status_code == 403
    assert client.get(reverse("programme:batch-edit", args=[batch.pk])).status_code == 403
    assert Batch.objects.count() == 1
