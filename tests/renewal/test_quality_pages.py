"""Quality pages: a project's inspections and orders (forms, moves), the area's orders
with their export, and the look-backs page; the area gate and constant queries."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from renewal.models import Inspection, Rectification, Stage
from renewal.services.quality import rectification_transition

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def login(client, user):
    client.force_login(user)
    return client


# --- the project page -----------------------------------------------------------------


def test_project_page_shows_inspections_orders_and_forms(client, quality, east_user):
    project = quality.project()
    inspection = quality.inspection(project, carried_out_on=TODAY)
    order = quality.order(inspection, by=east_user, finding="雨水管堵塞")
    planned = quality.inspection(project, scheduled_for=TODAY + dt.timedelta(days=3))
    response = login(client, east_user).get(reverse("quality:project", args=[project.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "雨水管堵塞" in html
    assert f'id="rectification-{order.pk}"' in html
    assert reverse("quality:rectification-add", args=[inspection.pk]) in html
    assert reverse("quality:inspection-add", args=[project.pk]) in html
    # Only the planned inspection asks for its result.
    assert reverse("quality:inspection-result", args=[planned.pk]) in html
    assert reverse("quality:inspection-result", args=[inspection.pk]) not in html
    # The open order offers exactly one move.
    assert 'name="to" value="submitted"' in html
    assert 'value="verified"' not in html


def test_project_page_outside_the_area_is_404(client, quality, east_user):
    west = quality.project("石油大院")
    inspection = quality.inspection(west)
    order = quality.order(inspection, by=quality.verifier)
    login(client, east_user)
    assert client.get(reverse("quality:project", args=[west.pk])).status_code == 404
    for name, arg, data in [
        ("quality:inspection-add", west.pk, {"new-level": "subdistrict"}),
        ("quality:inspection-result", inspection.pk, {}),
        ("quality:rectification-add", inspection.pk, {}),
        ("quality:rectification-move", order.pk, {"to": "submitted"}),
    ]:
        assert client.post(reverse(name, args=[arg]), data).status_code == 404, name
    order.refresh_from_db()
    assert order.status == "open"
    assert Inspection.objects.count() == 1


def test_anonymous_is_sent_to_login(client, quality):
    for url in (reverse("quality:rectifications"), reverse("quality:lookbacks"),
                reverse("quality:rectifications-export"),
                reverse("quality:project", args=[quality.project().pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_add_inspection(client, quality, east_a_user):
    project = quality.project()
    response = login(client, east_a_user).post(
        reverse("quality:inspection-add", args=[project.pk]),
        {"new-level": "community", "new-kind": "surprise", "new-carried_out_on": str(TODAY),
         "new-summary": "材料堆放占用消防通道"},
    )
    inspection = Inspection.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#inspection-{inspection.pk}")
    assert (inspection.level, inspection.kind, inspection.inspector) == (
        "community", "surprise", east_a_user
    )


def test_refused_inspection_keeps_what_was_typed(client, quality, east_user):
    project = quality.project()
    response = login(client, east_user).post(
        reverse("quality:inspection-add", args=[project.pk]),
        {"new-level": "subdistrict", "new-kind": "announced", "new-summary": "楼道检查记录"},
    )
    assert response.status_code == 200
    form = response.context["inspection_form"]
    assert set(form.errors) == {"scheduled_for", "carried_out_on"}
    html = response.content.decode()
    assert "楼道检查记录" in html
    assert html.count('class="field-error"') == 2
    assert not Inspection.objects.exists()


def test_level_choices_follow_the_role_and_kinds_the_stage(client, quality, east_a_user):
    project = quality.project(stage=Stage.CONSTRUCTION)
    response = login(client, east_a_user).get(reverse("quality:project", args=[project.pk]))
    form = response.context["inspection_form"]
    assert [v for v, _ in form.fields["level"].choices] == ["community"]
    assert [v for v, _ in form.fields["kind"].choices] == ["announced", "surprise"]
    # Posting a level above the role is refused next to the field.
    response = client.post(
        reverse("quality:inspection-add", args=[project.pk]),
        {"new-level": "district", "new-kind": "lookback", "new-scheduled_for": str(TODAY)},
    )
    assert set(response.context["inspection_form"].errors) == {"level", "kind"}


def test_record_the_result(client, quality, east_user):
    project = quality.project()
    planned = quality.inspection(project, level="subdistrict", scheduled_for=TODAY)
    login(client, east_user)
    url = reverse("quality:inspection-result", args=[planned.pk])
    bad = client.post(url, {f"r{planned.pk}-carried_out_on": str(TODAY + dt.timedelta(days=1)),
                            f"r{planned.pk}-summary": "明天再查"})
    assert bad.status_code == 200
    assert "明天再查" in bad.content.decode()
    response = client.post(url, {f"r{planned.pk}-carried_out_on": str(TODAY),
                                 f"r{planned.pk}-summary": "已查"})
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.carried_out_on, planned.summary) == (TODAY, "已查")


def test_add_finding(client, quality, east_user):
    project = quality.project()
    roof = quality.item(project)
    inspection = quality.inspection(project, carried_out_on=TODAY)
    prefix = f"i{inspection.pk}"
    login(client, east_user)
    url = reverse("quality:rectification-add", args=[inspection.pk])
    refused = client.post(url, {
        f"{prefix}-finding": "落水管破损", f"{prefix}-responsible_party": "青岛建工",
        f"{prefix}-deadline": str(TODAY - dt.timedelta(days=1)),
        f"{prefix}-work_item": str(roof.pk),
    })
    assert refused.status_code == 200
    [shown] = refused.context["inspections"]
    assert list(shown.finding_form.errors) == ["deadline"]
    assert "落水管破损" in refused.content.decode()
    response = client.post(url, {
        f"{prefix}-finding": "落水管破损", f"{prefix}-responsible_party": "青岛建工",
        f"{prefix}-deadline": str(TODAY + dt.timedelta(days=7)),
        f"{prefix}-work_item": str(roof.pk),
    })
    order = Rectification.objects.get()
    assert response["Location"].endswith(f"#rectification-{order.pk}")
    assert (order.work_item, order.history.count()) == (roof, 1)


def test_moves_from_the_page(client, quality, east_user, east_a_user):
    project = quality.project()
    order = quality.order(quality.inspection(project), by=east_user)
    move = reverse("quality:rectification-move", args=[order.pk])
    page = reverse("quality:project", args=[project.pk])

    login(client, east_a_user)
    response = client.post(move, {"to": "submitted", "note": "已更换"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "submitted"
    assert order.history.last().note == "已更换"
    # The submitter is not offered the verification, and is refused when they try.
    html = client.get(page).content.decode()
    assert 'value="verified"' not in html
    assert 'value="open"' in html
    client.post(move, {"to": "verified"})
    order.refresh_from_db()
    assert order.status == "submitted"
    messages = [str(m) for m in client.get(page).context["messages"]]
    assert messages and "您不能验收" in messages[0]

    login(client, east_user)
    assert 'value="verified"' in client.get(page).content.decode()
    client.post(move, {"to": "verified"})
    order.refresh_from_db()
    assert (order.status, order.verified_by) == ("verified", east_user)
    # An illegal move is refused with a message, nothing changes.
    response = client.post(move, {"to": "open"}, follow=True)
    assert response.status_code == 200
    assert list(response.context["messages"])
    order.refresh_from_db()
    assert order.status == "verified"


@pytest.mark.parametrize("extra", [0, 8])
def test_project_page_runs_constant_queries(client, quality, east_user, extra,
                                            django_assert_num_queries):
    project = quality.project()
    quality.item(project)
    quality.item(project, "drainage")
    for i in range(extra + 1):
        inspection = quality.inspection(project)
        order = quality.order(inspection, by=east_user)
        if i % 2:
            rectification_transition(rectification_id=order.pk, to="submitted", by=east_user)
        quality.inspection(project, scheduled_for=TODAY)
    login(client, east_user)
    # session, user, project, work items, inspections, orders, history
    with django_assert_num_queries(7):
        response = client.get(reverse("quality:project", args=[project.pk]))
    assert len(response.context["inspections"]) == 2 * (extra + 1)


# --- the area's orders and the export -------------------------------------------------


@pytest.fixture
def orders(quality, district_user):
    yesterday = TODAY - dt.timedelta(days=1)
    east = quality.inspection(quality.project(), level="district",
                              carried_out_on=TODAY - dt.timedelta(days=5))
    east_b = quality.inspection(quality.project("育才苑"), level="community",
                                carried_out_on=TODAY - dt.timedelta(days=5))
    west = quality.inspection(quality.project("石油大院"))
    return {
        "late": quality.order(east, by=district_user, deadline=yesterday, finding="东区逾期"),
        "fine": quality.order(east_b, by=district_user, finding="东区未逾期"),
        "west": quality.order(west, by=district_user, finding="西区整改"),
    }


def listed(response):
    return sorted(r.finding for r in response.context["page"].object_list)


def test_order_list_is_gated_and_filtered(client, orders, east_user, district_user, area):
    login(client, east_user)
    url = reverse("quality:rectifications")
    response = client.get(url)
    assert listed(response) == ["东区未逾期", "东区逾期"]
    assert "西区整改" not in response.content.decode()
    assert listed(client.get(url, {"subdistrict": area.west.pk})) == []
    assert listed(client.get(url, {"overdue": "true"})) == ["东区逾期"]
    assert listed(client.get(url, {"level": "community"})) == ["东区未逾期"]
    assert listed(client.get(url, {"status": "verified"})) == []
    login(client, district_user)
    assert listed(client.get(url, {"subdistrict": area.west.pk})) == ["西区整改"]


@pytest.mark.parametrize("extra", [0, 20])
def test_order_list_runs_constant_queries(client, quality, orders, district_user, extra,
                                          django_assert_num_queries):
    inspection = orders["late"].inspection
    for _ in range(extra):
        quality.order(inspection, by=district_user)
    login(client, district_user)
    # session, user, count, page rows, subdistrict options
    with django_assert_num_queries(5):
        response = client.get(reverse("quality:rectifications"), {"overdue": "false"})
    assert response.context["page"].paginator.count == 2 + extra


def read_xlsx(response):
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_export_is_gated_and_uses_the_page_filters(client, orders, east_user,
                                                   django_assert_num_queries):
    login(client, east_user)
    url = reverse("quality:rectifications-export")
    with django_assert_num_queries(3):  # session, user, rows
        response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    header, *rows = read_xlsx(response)
    assert len(header) == 16
    findings = sorted(r[7] for r in rows)
    assert findings == ["东区未逾期", "东区逾期"]
    header, *rows = read_xlsx(client.get(url, {"overdue": "true"}))
    # (openpyxl reads dates back as midnight datetimes)
    assert [(r[3], r[7], r[10].date()) for r in rows] == [
        ("长江路小区", "东区逾期", TODAY - dt.timedelta(days=1))
    ]


# --- the look-backs page --------------------------------------------------------------


@pytest.fixture
def due(quality):
    east = quality.project(stage=Stage.ACCEPTED, actual_end=TODAY - dt.timedelta(days=400))
    quality.item(east, "roof-waterproofing", warranty_until=TODAY + dt.timedelta(days=10))
    west = quality.project("石油大院", stage=Stage.ACCEPTED,
                           actual_end=TODAY - dt.timedelta(days=400))
    quality.item(west, "drainage", warranty_until=TODAY + dt.timedelta(days=10))
    return east


def test_lookbacks_page_lists_the_three_kinds_in_the_area(client, due, east_user):
    response = login(client, east_user).get(reverse("quality:lookbacks"))
    assert response.status_code == 200
    assert [d.compound.name for d in response.context["seasonal"]] == ["长江路小区"]
    assert [i.project.compound.name for i in response.context["warranties"]] == ["长江路小区"]
    assert [p.compound.name for p in response.context["lookbacks"]] == ["长江路小区"]
    html = response.content.decode()
    assert "石油大院" not in html
    assert reverse("quality:lookbacks-schedule") in html  # subdistrict staff may schedule


def test_schedule_all_from_the_page(client, due, east_user):
    login(client, east_user)
    response = client.post(reverse("quality:lookbacks-schedule"), follow=True)
    assert response.status_code == 200
    [check] = Inspection.objects.filter(kind="seasonal")
    assert (check.project, check.level) == (due, "subdistrict")
    assert response.context["seasonal"][0].scheduled_for == check.scheduled_for
    # Twice: nothing new.
    client.post(reverse("quality:lookbacks-schedule"))
    assert Inspection.objects.filter(kind="seasonal").count() == 1


def test_community_staff_see_no_schedule_button_and_cannot_schedule(client, due, east_a_user):
    login(client, east_a_user)
    html = client.get(reverse("quality:lookbacks")).content.decode()
    assert reverse("quality:lookbacks-schedule") not in html
    response = client.post(reverse("quality:lookbacks-schedule"), follow=True)
    assert list(response.context["messages"])
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("extra", [0, 6])
def test_lookbacks_page_runs_constant_queries(client, quality, district_user, extra,
                                              django_assert_num_queries):
    batches = [quality.batch]
    for i in range(extra):
        batches.append(type(quality.batch).objects.create(year=2016 + i, name=f"批次{i}"))
    for batch in batches:
        project = quality.project(batch=batch, stage=Stage.AFTERCARE,
                                  actual_end=TODAY - dt.timedelta(days=500))
        quality.item(project, "roof-waterproofing", warranty_until=TODAY)
        quality.item(project, "drainage")
    login(client, district_user)
    # session, user, seasonal projects, their items, warranties, look-backs
    with django_assert_num_queries(6):
        response = client.get(reverse("quality:lookbacks"))
    assert len(response.context["seasonal"]) == 1 + extra
    assert len(response.context["lookbacks"]) == 1 + extra
