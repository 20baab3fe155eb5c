"""The inbox export (.xlsx): the area gate, the page's filters, every matching row,
masked contact details except for district staff (whose export is audited), the cap."""

import io

import pytest
from django.contrib.messages import get_messages
from openpyxl import load_workbook

from grievances.models import ContactView
from tests.grievances.conftest import make_grievance

pytestmark = pytest.mark.django_db

URL = "/grievances/export/"


def read_xlsx(response) -> list[tuple]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.fixture
def issues(area):
    cj, yc, sy = (area.compounds[n] for n in ("长江路小区", "育才苑", "石油大院"))
    return [
        make_grievance(cj, tracking_code="AAAA-2345", reporter_name="王小明",
                       reporter_phone="13812345678"),
        make_grievance(cj, tracking_code="BBBB-2345", category="road", status="closed"),
        make_grievance(yc, tracking_code="CCCC-2345", reporter_phone="13900001111",
                       level="subdistrict"),
        make_grievance(sy, tracking_code="DDDD-2345", reporter_phone="13700002222"),
    ]


def column(rows, name_index: int) -> list:
    return [r[name_index] for r in rows]


def test_export_has_a_header_and_the_filtered_rows_with_masked_phones(client, issues,
                                                                      east_user):
    client.force_login(east_user)
    header, *rows = read_xlsx(client.get(URL, {"f": "1"}))
    assert len(header) == 22
    assert header[0] and header[-1]  # tracking code … phone
    assert sorted(column(rows, 0)) == ["AAAA-2345", "BBBB-2345", "CCCC-2345"]
    by_code = {r[0]: r for r in rows}
    assert by_code["AAAA-2345"][-1] == "138****5678"
    assert by_code["AAAA-2345"][-2] == "王**"
    assert by_code["CCCC-2345"][-1] == "139****1111"
    assert by_code["AAAA-2345"][5] == "长江路小区"
    assert by_code["AAAA-2345"][3] == "黄岛街道"
    assert not ContactView.objects.exists()
    # The same filters as the page: the count is the filtered count.
    _header, *open_road = read_xlsx(client.get(URL, {"category": "road"}))
    assert column(open_road, 0) == ["BBBB-2345"]


def test_export_without_filters_is_the_default_inbox_view(client, issues, east_user):
    client.force_login(east_user)
    page = client.get("/grievances/")
    _header, *rows = read_xlsx(client.get(URL))
    assert column(rows, 0) == [g.tracking_code for g in page.context["page"].object_list]
    assert column(rows, 0) == ["CCCC-2345"]


def test_district_staff_export_unmasked_and_every_row_is_audited(client, issues,
                                                                 district_user):
    client.force_login(district_user)
    _header, *rows = read_xlsx(client.get(URL, {"f": "1"}))
    by_code = {r[0]: r for r in rows}
    assert len(rows) == 4
    assert by_code["AAAA-2345"][-2:] == ("王小明", "13812345678")
    assert by_code["DDDD-2345"][-1] == "13700002222"
    # One audit row per issue with contact details (BBBB has none).
    assert sorted(ContactView.objects.values_list("grievance__tracking_code", flat=True)) == [
        "AAAA-2345", "CCCC-2345", "DDDD-2345"]
    assert set(ContactView.objects.values_list("user", "where")) == {
        (district_user.pk, "export")}


def test_export_is_gated(client, issues, west_user, roleless_user):
    client.force_login(west_user)
    _header, *rows = read_xlsx(client.get(URL, {"f": "1"}))
    assert column(rows, 0) == ["DDDD-2345"]
    client.force_login(roleless_user)
    _header, *rows = read_xlsx(client.get(URL, {"f": "1"}))
    assert rows == []


def test_an_export_over_the_cap_asks_to_narrow_the_filters(client, issues, east_user,
                                                           monkeypatch):
    monkeypatch.setattr("grievances.views.staff.EXPORT_LIMIT", 2)
    client.force_login(east_user)
    response = client.get(URL, {"f": "1"})
    assert response.status_code == 302
    assert response.url == "/grievances/?f=1"
    assert len(list(get_messages(response.wsgi_request))) == 1
    _header, *rows = read_xlsx(client.get(URL, {"f": "1", "status": "closed"}))
    assert len(rows) == 1


def test_export_with_a_bad_filter_goes_back_to_the_inbox(client, issues, east_user):
    client.force_login(east_user)
    response = client.get(URL, {"received_after": "not-a-date"})
    assert response.status_code == 302
    assert response.url.startswith("/grievances/?")


@pytest.mark.parametrize("extra", [0, 10])
def test_export_runs_constant_queries(client, area, east_user, extra,
                                      django_assert_num_queries):
    for _i in range(extra + 1):
        make_grievance(area.compounds["长江路小区"], reporter_phone="13812345678")
    client.force_login(east_user)
    with django_assert_num_queries(3):  # session, user, rows
        _header, *rows = read_xlsx(client.get(URL, {"f": "1"}))
    assert len(rows) == extra + 1
