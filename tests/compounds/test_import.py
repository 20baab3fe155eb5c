"""Excel import of the registry (房屋清册): checks, preview, apply, idempotence, pages."""

import io
import re
import time
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from compounds.importing import (
    COLUMNS,
    registry_import_apply,
    registry_import_preview,
    store,
    template_bytes,
)
from compounds.importing import reader as reader_module
from compounds.models import Building, Compound, Dwelling

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]


def row(compound="长江路小区", building="1", unit="1", number="101", area="72.50",
        owner_ref=None, *, subdistrict="黄岛街道", community="南屯社区", address=None,
        build_year=None, units=None, floors=None, owner_name=None, owner_phone=None):
    return {
        "街道": subdistrict, "社区": community, "小区": compound, "小区地址": address,
        "建成年份": build_year, "楼号": building, "单元数": units, "层数": floors,
        "单元": unit, "户号": number, "面积(㎡)": area,
        "业主编号": owner_ref or f"{compound}-{building}-{unit}-{number}",
        "业主姓名": owner_name, "业主电话": owner_phone,
    }


def xlsx(rows, *, headers=HEADERS, before=()) -> io.BytesIO:
    """A workbook in memory; `rows` are dicts by header (missing keys → empty cells)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "房屋清册"
    for line in before:
        sheet.append(list(line))
    sheet.append(list(headers))
    for r in rows:
        sheet.append([r.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def counts():
    return (Compound.objects.count(), Building.objects.count(), Dwelling.objects.count())


def reasons(report):
    return [(e.row, e.column, e.reason) for e in report.errors]


def new_compound_rows(n_buildings=2, per_building=3, name="新建小区"):
    rows = []
    for b in range(1, n_buildings + 1):
        for i in range(per_building):
            first = not rows
            rows.append(row(name, str(b), "1", f"{101 + i}", area=f"{60 + i}.25",
                            address="海滨路1号" if first else None,
                            build_year=1995 if first else None))
    return rows


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- a valid file ----------------------------------------------------------------------


def test_valid_file_creates_exactly_the_rows_and_totals(area, district_user):
    rows = [*new_compound_rows(), row("长江路小区", "5", "2", "201", area="88.8", units=2,
                                      floors=6, owner_name="张三", owner_phone="138 0000 0000")]
    before = counts()

    preview = registry_import_preview(user=district_user, fileobj=xlsx(rows))
    assert preview.is_valid, reasons(preview)
    assert counts() == before, "the preview writes nothing"
    assert (preview.compounds.created, preview.compounds.updated) == (1, 1)
    assert (preview.buildings.created, preview.dwellings.created) == (3, 7)

    report = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert report.applied and report.rows == 7
    assert counts() == (before[0] + 1, before[1] + 3, before[2] + 7)
    assert report.compounds == preview.compounds and report.dwellings == preview.dwellings

    new = Compound.objects.get(name="新建小区")
    assert new.community == area.east_a and new.address == "海滨路1号" and new.build_year == 1995
    assert (new.households, new.building_count) == (6, 2)
    assert new.floor_area == Decimal("60.25") * 2 + Decimal("61.25") * 2 + Decimal("62.25") * 2
    # A new building without 单元数 gets the number of units listed for it.
    assert set(new.buildings.values_list("number", "units", "floors")) == {("1", 1, 1),
                                                                           ("2", 1, 1)}
    old = Compound.objects.get(name="长江路小区")
    assert (old.households, old.building_count, old.floor_area) == (1, 1, Decimal("88.80"))
    assert old.build_year == 1992, "an empty build year keeps the stored one"
    dwelling = Dwelling.objects.get(building__compound=old)
    assert (dwelling.unit, dwelling.number, dwelling.area) == ("2", "201", Decimal("88.80"))
    assert (dwelling.owner_name, dwelling.owner_phone) == ("张三", "13800000000")
    assert dwelling.building.units == 2 and dwelling.building.floors == 6


def test_numbers_typed_as_numbers_are_read_as_text_and_exact_decimals(area, district_user):
    rows = [row("长江路小区", 3, 1, 101, area=72.55, owner_ref=1001, build_year=1990.0),
            row("长江路小区", 3, 1, 102, area=60, owner_ref=1002)]
    report = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert report.applied, reasons(report)
    stored = dict(Dwelling.objects.values_list("number", "area"))
    assert stored == {"101": Decimal("72.55"), "102": Decimal("60.00")}
    assert Building.objects.get(compound__name="长江路小区").number == "3"
    assert Dwelling.objects.get(number="101").owner_ref == "1001"


def test_header_aliases_title_rows_and_other_columns_are_accepted(area, district_user):
    headers = [h if h != "面积(㎡)" else "专有面积（m²）" for h in HEADERS] + ["备注"]
    rows = [{**row(), "专有面积（m²）": "72.5", "备注": "东户"}]
    report = registry_import_apply(
        user=district_user, fileobj=xlsx(rows, headers=headers, before=[["长江路小区房屋清册"]]))
    assert report.applied, reasons(report)
    assert Dwelling.objects.get().area == Decimal("72.50")


def test_the_downloaded_template_imports_as_is(area, district_user):
    workbook = load_workbook(io.BytesIO(template_bytes()))
    assert workbook.sheetnames[0] == "房屋清册"
    assert [c.value for c in workbook["房屋清册"][1]] == HEADERS
    report = registry_import_apply(user=district_user, fileobj=io.BytesIO(template_bytes()))
    assert report.applied, reasons(report)
    assert report.dwellings.created == 2
    assert Compound.objects.get(name="长江路小区").address == "长江路88号"


# --- bad rows ------------------------------------------------------------------------


def test_every_kind_of_bad_row_is_reported_and_nothing_is_written(area, district_user):
    rows = [
        row(number="101"),                                             # 2: fine
        row(number="102", compound=None),                              # 3
        row(number="103", area="-1"),                                  # 4
        row(number="104", area="72.555"),                              # 5
        row(number="105", area="七十二"),                               # 6
        row(number="106", area=72.55000000001),                        # 7
        row(number="101"),                                             # 8 duplicate of 2
        row(number="108", community="无此社区"),                         # 9
        row(number="109", community="东岛社区"),                         # 10 other subdistrict
        row(number="110", subdistrict="无此街道"),                       # 11
        row(number="111", owner_phone="12345"),                        # 12
        row(number="112", unit=datetime(2024, 1, 2)),                  # 13 Excel made a date
        row("新小区", number="113"),                                    # 14 new, no build year
        row(number="114", build_year=1800),                            # 15
        row(number="115", address="甲路"),                              # 16
        row(number="116", address="乙路"),                              # 17 differs from 16
        row(number="117", owner_name="名" * 51),                        # 18
        row(number="118", area=None, owner_ref=" "),                   # 19 two problems
        row(number="119", floors=0),                                   # 20
    ]
    before = counts()
    preview = registry_import_preview(user=district_user, fileobj=xlsx(rows))
    report = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert counts() == before
    assert not report.applied and not report.is_valid
    assert reasons(report) == reasons(preview)

    found = {(r, c): reason for r, c, reason in reasons(report)}
    expected_cells = {
        (3, "小区"), (4, "面积(㎡)"), (5, "面积(㎡)"), (6, "面积(㎡)"), (7, "面积(㎡)"),
        (8, "户号"), (9, "社区"), (10, "社区"), (11, "街道"), (12, "业主电话"), (13, "单元"),
        (14, "建成年份"), (15, "建成年份"), (17, "小区地址"), (18, "业主姓名"),
        (19, "面积(㎡)"), (19, "业主编号"), (20, "层数"),
    }
    assert set(found) == expected_cells
    assert report.bad_rows == 17
    assert "该单元格为空" in found[(3, "小区")]
    assert "最多两位小数" in found[(5, "面积(㎡)")]
    assert "与第 2 行重复" in found[(8, "户号")]
    assert "东岛社区" in found[(10, "社区")] and "薛家岛街道" in found[(10, "社区")]
    assert "您的辖区内没有“无此社区”社区" in found[(9, "社区")]
    assert "导入不会新建社区" in found[(9, "社区")]
    assert "11 位手机号" in found[(12, "业主电话")]
    assert "变成了日期" in found[(13, "单元")]
    assert "新建小区必须填写建成年份" in found[(14, "建成年份")]
    assert "不是 1900 至" in found[(15, "建成年份")]
    assert "与同一小区第 16 行" in found[(17, "小区地址")] and "甲路" in found[(17, "小区地址")]
    assert "最多 50 个字" in found[(18, "业主姓名")]
    # Sorted by row, then in the order of the columns.
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)


# --- re-import and edits -----------------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(area, district_user):
    rows = [*new_compound_rows(), row(owner_name="李四", owner_phone="13900000000")]
    first = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert first.applied
    before = counts()
    stamps = dict(Compound.objects.values_list("id", "updated_at"))
    snapshot = list(Dwelling.objects.order_by("pk").values())

    again = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert again.applied and again.is_valid
    assert not again.has_changes
    for level in (again.compounds, again.buildings, again.dwellings):
        assert (level.created, level.updated) == (0, 0)
    assert again.dwellings.unchanged == 7
    assert counts() == before
    assert dict(Compound.objects.values_list("id", "updated_at")) == stamps
    assert list(Dwelling.objects.order_by("pk").values()) == snapshot


def test_reimport_writes_no_row(area, district_user):
    rows = new_compound_rows(n_buildings=3, per_building=20)
    registry_import_apply(user=district_user, fileobj=xlsx(rows))
    # Reads only, a handful whatever the row count: none per row, no INSERT/UPDATE.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        registry_import_apply(user=district_user, fileobj=xlsx(rows))
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert "INSERT" not in statements and "UPDATE" not in statements
    assert len([s for s in statements if s == "SELECT"]) <= 8


def test_an_edited_file_updates_only_the_changed_dwelling(area, district_user):
    rows = new_compound_rows()
    registry_import_apply(user=district_user, fileobj=xlsx(rows))
    snapshot = {d["id"]: d for d in Dwelling.objects.values()}
    compound = Compound.objects.get(name="新建小区")

    rows[4] = {**rows[4], "面积(㎡)": "99.00"}
    report = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert report.applied
    assert (report.dwellings.created, report.dwellings.updated, report.dwellings.unchanged) == (
        0, 1, 5)
    assert (report.buildings.updated, report.compounds.updated) == (0, 1)  # floor area total
    changed = [d for d in Dwelling.objects.values() if d != snapshot[d["id"]]]
    assert len(changed) == 1 and changed[0]["area"] == Decimal("99.00")
    compound_after = Compound.objects.get(pk=compound.pk)
    assert compound_after.floor_area == compound.floor_area - Decimal("61.25") + Decimal("99")
    assert compound_after.updated_at > compound.updated_at


def test_owner_columns_left_out_keep_stored_values_and_empty_cells_clear(area, district_user):
    registry_import_apply(user=district_user, fileobj=xlsx(
        [row(owner_name="王五", owner_phone="13700000000")]))
    without_owner_columns = [h for h in HEADERS if h not in ("业主姓名", "业主电话")]
    report = registry_import_apply(user=district_user,
                                   fileobj=xlsx([row()], headers=without_owner_columns))
    assert not report.has_changes
    assert Dwelling.objects.get().owner_name == "王五"

    report = registry_import_apply(user=district_user, fileobj=xlsx([row()]))
    assert report.dwellings.updated == 1
    assert (Dwelling.objects.get().owner_name, Dwelling.objects.get().owner_phone) == ("", "")


def test_existing_dwellings_not_in_the_file_stay_and_count_in_totals(area, district_user):
    compound = area.compounds["长江路小区"]
    area.dwelling(compound, building="1", unit="1", number="101", area="50.00")
    report = registry_import_apply(user=district_user, fileobj=xlsx([row(number="102")]))
    assert report.applied and report.buildings.unchanged == 1
    compound.refresh_from_db()
    assert (compound.households, compound.floor_area, compound.building_count) == (
        2, Decimal("122.50"), 1)


# --- the area gate -----------------------------------------------------------------------


def test_a_subdistrict_user_cannot_import_into_another_subdistrict(area, east_user):
    rows = [row(number="101"),
            row("石油大院", subdistrict="薛家岛街道", community="东岛社区", number="102")]
    before = counts()
    report = registry_import_apply(user=east_user, fileobj=xlsx(rows))
    assert not report.applied and counts() == before
    assert {(e.row, e.column) for e in report.errors} == {(3, "街道"), (3, "社区")}
    # The same words as for a community that does not exist: nothing is given away.
    assert "您的辖区内没有“东岛社区”社区" in report.errors[1].reason


def test_a_community_user_imports_only_into_its_community(area, east_a_user):
    report = registry_import_apply(user=east_a_user, fileobj=xlsx(
        [row(number="101"), row("育才苑", community="渡口社区", number="102")]))
    assert not report.applied
    assert [(e.row, e.column) for e in report.errors] == [(3, "社区")]
    assert registry_import_apply(user=east_a_user, fileobj=xlsx([row()])).applied


def test_an_account_without_role_can_import_nothing(area, roleless_user):
    report = registry_import_apply(user=roleless_user, fileobj=xlsx([row()]))
    assert not report.applied and Dwelling.objects.count() == 0


# --- the file as a whole ------------------------------------------------------------------


def file_reason(fileobj, user) -> str:
    report = registry_import_preview(user=user, fileobj=fileobj)
    assert report.fatal and len(report.errors) == 1, reasons(report)
    return report.errors[0].reason


def test_a_text_file_named_xlsx_gets_a_clear_error(area, district_user):
    fake = SimpleUploadedFile("清册.xlsx", "街道,社区,小区\n黄岛街道,南屯社区,x\n".encode())
    assert ".xlsx" in file_reason(fake, district_user)
    # A zip that is no workbook, and an empty file, say the same.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("hello.txt", "hi")
    assert ".xlsx" in file_reason(archive, district_user)
    assert ".xlsx" in file_reason(io.BytesIO(b""), district_user)


def test_missing_headers_are_named(area, district_user):
    headers = [h for h in HEADERS if h not in ("楼号", "户号")]
    reason = file_reason(xlsx([row()], headers=headers), district_user)
    assert "楼号" in reason and "户号" in reason and "单元" not in reason.split(":")[-1]


def test_an_empty_sheet_and_a_header_without_rows(area, district_user):
    empty = io.BytesIO()
    Workbook().save(empty)
    assert "工作表是空的" in file_reason(empty, district_user)
    assert "表头下没有房屋数据行" in file_reason(xlsx([]), district_user)


def test_a_duplicated_column_is_refused(area, district_user):
    reason = file_reason(xlsx([row()], headers=[*HEADERS, "户号"]), district_user)
    assert "“户号”列出现了两次" in reason


def test_too_many_rows_and_too_large_a_file(area, district_user, monkeypatch):
    monkeypatch.setattr(reader_module, "MAX_ROWS", 3)
    rows = [row(number=str(n)) for n in range(101, 105)]
    assert "文件超过 3 行" in file_reason(xlsx(rows), district_user)
    assert registry_import_preview(user=district_user, fileobj=xlsx(rows[:3])).is_valid
    monkeypatch.setattr(reader_module, "MAX_FILE_BYTES", 1024)
    assert re.search(r"文件超过 \d+ MB", file_reason(xlsx(rows[:3]), district_user))


def test_blank_rows_are_skipped_and_row_numbers_stay_excels(area, district_user):
    rows = [row(number="101"), {}, {}, row(number="104", area="0")]
    report = registry_import_preview(user=district_user, fileobj=xlsx(rows))
    assert report.rows == 2
    assert [(e.row, e.column) for e in report.errors] == [(5, "面积(㎡)")]


# --- size ---------------------------------------------------------------------------------


def test_five_thousand_rows_import_correctly(area, district_user):
    rows = []
    for c in range(5):
        for b in range(1, 11):
            for u in range(1, 3):
                for n in range(50):
                    rows.append(row(f"批量小区{c}", str(b), str(u), f"{100 + n}",
                                    area=f"{50 + n % 40}.{n % 100:02d}",
                                    build_year=1990 + c if not (b > 1 or u > 1 or n) else None))
    assert len(rows) == 5000
    data = xlsx(rows).getvalue()
    started = time.perf_counter()
    report = registry_import_apply(user=district_user, fileobj=io.BytesIO(data))
    elapsed = time.perf_counter() - started
    assert report.applied, reasons(report)[:5]
    assert (report.compounds.created, report.buildings.created, report.dwellings.created) == (
        5, 50, 5000)
    assert Dwelling.objects.filter(building__compound__name__startswith="批量小区").count() == 5000
    compound = Compound.objects.get(name="批量小区3")
    expected_area = sum(Decimal(r["面积(㎡)"]) for r in rows if r["小区"] == "批量小区3")
    assert (compound.households, compound.building_count, compound.floor_area) == (
        1000, 10, expected_area)
    assert compound.buildings.get(number="1").units == 2
    again = registry_import_apply(user=district_user, fileobj=io.BytesIO(data))
    assert again.dwellings.unchanged == 5000 and not again.has_changes
    assert elapsed < 30, "a sanity bound only; the speed target is measured in bench/"


# --- pages ---------------------------------------------------------------------------------


def upload(client, rows, name="清册.xlsx", **kwargs):
    data = xlsx(rows, **kwargs).getvalue()
    return client.post(reverse("compounds:import"),
                       {"file": SimpleUploadedFile(name, data)})


def test_import_page_offers_the_template(client, area, east_user):
    client.force_login(east_user)
    page = client.get(reverse("compounds:import"))
    assert page.status_code == 200
    assert reverse("compounds:import-template") in page.content.decode()
    response = client.get(reverse("compounds:import-template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content), read_only=True)
    assert [c.value for c in next(workbook["房屋清册"].iter_rows(max_row=1))] == HEADERS


def test_pages_need_a_staff_account(client, area, roleless_user):
    assert client.get(reverse("compounds:import")).status_code == 302  # to sign in
    client.force_login(roleless_user)
    assert client.get(reverse("compounds:import")).status_code == 403


def test_upload_preview_confirm(client, area, east_user, media):
    client.force_login(east_user)
    response = upload(client, new_compound_rows())
    assert response.status_code == 200
    body = response.content.decode()
    token = response.context["token"]
    assert response.context["report"].dwellings.created == 6
    assert reverse("compounds:import-apply", args=[token]) in body
    assert counts()[2] == 0, "the preview writes nothing"
    assert (media / "imports" / f"{token}.xlsx").is_file()
    # The preview can be shown again from the stored file.
    assert client.get(reverse("compounds:import-preview", args=[token])).status_code == 200

    response = client.post(reverse("compounds:import-apply", args=[token]))
    assert response.status_code == 302 and response["Location"] == reverse("compounds:list")
    assert Dwelling.objects.count() == 6
    assert not (media / "imports" / f"{token}.xlsx").exists()
    assert client.get(reverse("compounds:import-preview", args=[token])).status_code == 404
    follow = client.get(reverse("compounds:list"))
    assert "6" in " ".join(str(m) for m in follow.context["messages"])


def test_preview_lists_the_bad_rows_and_offers_no_confirm(client, area, east_user):
    client.force_login(east_user)
    response = upload(client, [row(), row(number="102", area="abc"),
                               row("石油大院", subdistrict="薛家岛街道", community="东岛社区")])
    body = response.content.decode()
    token = response.context["token"]
    assert response.context["report"].bad_rows == 2
    assert reverse("compounds:import-apply", args=[token]) not in body
    assert "面积(㎡)" in body and "东岛社区" in body and ">3<" in body and ">4<" in body
    # Even forced, the confirm writes nothing.
    response = client.post(reverse("compounds:import-apply", args=[token]))
    assert response.status_code == 200 and Dwelling.objects.count() == 0


def test_confirm_checks_again_against_the_registry_as_it_is_then(client, area, east_user):
    client.force_login(east_user)
    response = upload(client, [row("新小区", build_year=1990)])
    token = response.context["token"]
    area.east_a.name = "南屯新社区"  # renamed between the preview and the confirm
    area.east_a.save()
    response = client.post(reverse("compounds:import-apply", args=[token]))
    assert response.status_code == 200 and not response.context["report"].is_valid
    assert Compound.objects.filter(name="新小区").count() == 0


def test_a_file_that_is_no_workbook_is_refused_on_the_upload_form(client, area, east_user,
                                                                     media):
    client.force_login(east_user)
    response = client.post(reverse("compounds:import"), {
        "file": SimpleUploadedFile("清册.xlsx", b"just some text, renamed")})
    assert response.status_code == 200
    assert ".xlsx" in " ".join(response.context["form"].errors["file"])
    assert not (media / "imports").exists() or not any((media / "imports").iterdir())


def test_another_users_upload_cannot_be_seen_or_applied(client, area, east_user, west_user):
    client.force_login(east_user)
    token = upload(client, [row()]).context["token"]
    client.force_login(west_user)
    assert client.get(reverse("compounds:import-preview", args=[token])).status_code == 404
    assert client.post(reverse("compounds:import-apply", args=[token])).status_code == 404
    assert Dwelling.objects.count() == 0


def test_discard_deletes_the_file(client, area, east_user, media):
    client.force_login(east_user)
    token = upload(client, [row()]).context["token"]
    response = client.post(reverse("compounds:import-discard", args=[token]))
    assert response.status_code == 302
    assert store.path_for(token) is None and Dwelling.objects.count() == 0


def test_the_full_problem_list_downloads(client, area, east_user):
    client.force_login(east_user)
    token = upload(client, [row(area="x"), row(number="102", area="y")]).context["token"]
    response = client.get(reverse("compounds:import-errors", args=[token]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert [(v[0], v[1]) for v in values[1:]] == [(2, "面积(㎡)"), (3, "面积(㎡)")]


def test_old_uploads_are_swept(media):
    token = store.save(io.BytesIO(b"x"))
    assert store.path_for(token) is not None
    assert store.sweep(max_age=-1) == 1
    assert store.path_for(token) is None
    assert store.path_for("../../etc/passwd") is None


def test_only_the_last_few_uploads_are_kept(client, area, east_user, media):
    client.force_login(east_user)
    tokens = [upload(client, [row()]).context["token"] for _ in range(7)]
    kept = sorted(p.stem for p in (media / "imports").iterdir())
    assert kept == sorted(tokens[-5:])


# --- the sheet reader, on files Excel, WPS and other programs write ---------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"


def handmade_xlsx(sheet_rows: str, *, date1904=False) -> io.BytesIO:
    """A workbook written by hand: shared strings with rich text and phonetic runs, a
    custom Chinese date format, the 1904 calendar, a namespace prefix, cells and rows
    without references, the data sheet second."""
    parts = {
        "[Content_Types].xml": "<Types/>",
        "_rels/.rels": f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
        f'<workbookPr date1904="{1 if date1904 else 0}"/><sheets>'
        '<sheet name="说明" sheetId="2" r:id="rId2"/>'
        '<sheet name="房屋清册" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG}">'
        f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELS}/worksheet" Target="/xl/worksheets/s2.xml"/>'
        f'<Relationship Id="rId3" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
        f'<Relationship Id="rId4" Type="{RELS}/styles" Target="styles.xml"/>'
        "</Relationships>",
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}">'
        + "".join(f"<si><t>{h}</t></si>" for h in HEADERS)
        + "<si><r><t>长江</t></r><r><rPr><b/></rPr><t>路小区</t></r>"
        "<rPh sb=\"0\" eb=\"2\"><t>ちょうこう</t></rPh></si></sst>",
        "xl/styles.xml": f'<styleSheet xmlns="{MAIN}"><numFmts count="1">'
        '<numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
        '</numFmts><cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="58"/>'
        "</cellXfs></styleSheet>",
        "xl/worksheets/s2.xml": f'<worksheet xmlns="{MAIN}"><sheetData/></worksheet>',
        "xl/worksheets/sheet1.xml": f'<x:worksheet xmlns:x="{MAIN}"><x:sheetData>'
        + sheet_rows + "</x:sheetData></x:worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    buffer.seek(0)
    return buffer


def cell(ref, value, kind=None, style=None):
    attributes = (f' r="{ref}"' if ref else "") + (f' t="{kind}"' if kind else "") + (
        f' s="{style}"' if style else "")
    if kind == "inlineStr":
        return f"<x:c{attributes}><x:is><x:r><x:t>{value}</x:t></x:r></x:is></x:c>"
    return f"<x:c{attributes}><x:v>{value}</x:v></x:c>"


def header_row():
    return '<x:row r="1">' + "".join(
        cell(None, i, "s") for i in range(len(HEADERS))) + "</x:row>"


def test_the_sheet_reader_reads_what_excel_writes():
    from compounds.importing.sheet import ExcelError, Workbook

    rows = header_row() + (
        "<x:row>" + cell("A2", "黄岛街道", "inlineStr") + cell("C2", len(HEADERS), "s")
        + cell("E2", "1.992E3") + cell("F2", "1", "str") + cell("G2", "#N/A", "e")
        + cell("H2", "1", "b") + cell("I2", "45000", style="1") + cell("J2", "45000.5",
                                                                         style="2")
        + cell("K2", "72.549999999999997") + "</x:row>"
        + '<x:row r="5">' + cell("A5", "x", "inlineStr") + "</x:row>"
    )
    workbook = Workbook(zipfile.ZipFile(handmade_xlsx(rows, date1904=True)))
    assert workbook.sheetnames == ["说明", "房屋清册"]
    read = list(workbook.rows("房屋清册"))
    assert [number for number, _values in read] == [1, 2, 5]
    assert read[0][1] == HEADERS
    values = read[1][1]
    assert values[0] == "黄岛街道" and values[1] is None and values[2] == "长江路小区"
    assert values[4] == 1992.0 and values[5] == "1"
    assert isinstance(values[6], ExcelError) and values[7] is True
    assert values[8] == datetime(2027, 3, 16) and values[9] == datetime(2027, 3, 16, 12)
    assert str(Decimal(str(values[10]))) == "72.55"


def test_a_handmade_workbook_imports(area, district_user):
    cells = [
        cell(None, "黄岛街道", "inlineStr"), cell(None, "南屯社区", "inlineStr"),
        cell(None, len(HEADERS), "s"),  # 长江路小区, as rich text with a phonetic guide
        cell(None, "", "inlineStr"), cell(None, "1990"), cell(None, "1"), cell(None, "1"),
        cell(None, "6"), cell(None, "1"), cell(None, "101"), cell(None, "72.5"),
        cell(None, "K-1", "inlineStr"), cell(None, "甲", "inlineStr"),
        cell(None, "13800000000"),
    ]
    rows = header_row() + "<x:row>" + "".join(cells) + "</x:row>"
    report = registry_import_apply(user=district_user, fileobj=handmade_xlsx(rows))
    assert report.applied, reasons(report)
    dwelling = Dwelling.objects.select_related("building__compound").get()
    assert dwelling.building.compound.name == "长江路小区"
    assert (dwelling.owner_ref, dwelling.owner_phone, dwelling.area) == (
        "K-1", "13800000000", Decimal("72.50"))


def test_excel_errors_and_formulas_without_a_value_are_reported(area, district_user):
    rows = [row(number="101", owner_ref="#N/A"), row(number="=A1", area="=B2*2")]
    report = registry_import_preview(user=district_user, fileobj=xlsx(rows))
    found = {(e.row, e.column): e.reason for e in report.errors}
    assert "Excel 错误值" in found[(2, "业主编号")]
    # openpyxl writes formulas without a cached value: the cells read as empty.
    assert "该单元格为空" in found[(3, "户号")] and "该单元格为空" in found[(3, "面积(㎡)")]


def test_a_write_only_workbook_imports(area, district_user):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(HEADERS)
    sheet.append([row()[h] for h in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    assert registry_import_apply(user=district_user, fileobj=buffer).applied


# --- the API: POST /api/v1/imports/registry/ ---------------------------------------------


def api_post(user, data):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.post("/api/v1/imports/registry/", data, format="multipart")


def test_api_dry_run_then_import(area, east_user):
    data = xlsx(new_compound_rows()).getvalue()
    response = api_post(east_user, {"file": SimpleUploadedFile("a.xlsx", data),
                                    "dry_run": "true"})
    assert response.status_code == 200, response.data
    assert response.data["dwellings"] == {"created": 6, "updated": 0, "unchanged": 0}
    assert response.data["applied"] is False and Dwelling.objects.count() == 0
    response = api_post(east_user, {"file": SimpleUploadedFile("a.xlsx", data)})
    assert response.status_code == 200 and response.data["applied"] is True
    assert Dwelling.objects.count() == 6


def test_api_bad_rows_are_400_and_write_nothing(area, east_user):
    data = xlsx([row(), row("石油大院", subdistrict="薛家岛街道", community="东岛社区")])
    response = api_post(east_user, {"file": SimpleUploadedFile("a.xlsx", data.getvalue())})
    assert response.status_code == 400
    assert {(e["row"], e["column"]) for e in response.data["errors"]} == {(3, "街道"),
                                                                          (3, "社区")}
    assert response.data["detail"] and Dwelling.objects.count() == 0


def test_api_needs_a_file_and_a_staff_account(area, east_user, roleless_user):
    response = api_post(east_user, {"dry_run": "true"})
    assert response.status_code == 400 and "file" in response.data
    assert api_post(None, {}).status_code in (401, 403)
    assert api_post(roleless_user, {}).status_code == 403


# --- robustness --------------------------------------------------------------------------


def test_the_preview_runs_the_same_few_queries_whatever_the_size(area, district_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(rows):
        registry_import_apply(user=district_user, fileobj=xlsx(rows))
        with CaptureQueriesContext(connection) as captured:
            registry_import_preview(user=district_user, fileobj=xlsx(rows))
        return len(captured)

    small = queries_for(new_compound_rows(n_buildings=1, per_building=2, name="小"))
    large = queries_for(new_compound_rows(n_buildings=6, per_building=40, name="大"))
    assert small == large <= 6


def test_a_concurrent_write_is_a_409_and_writes_nothing(area, district_user, monkeypatch):
    from compounds.errors import ApplicationError
    from compounds.importing import services

    registry_import_apply(user=district_user, fileobj=xlsx([row(number="101")]))
    load = services._load_existing

    def load_then_forget_one(plan):
        # As if another import had created 101 after this one read the registry.
        load(plan)
        for compound in plan.compounds.values():
            for building in compound.buildings.values():
                for dwelling in building.dwellings.values():
                    dwelling.existing_id = None

    monkeypatch.setattr(services, "_load_existing", load_then_forget_one)
    before = counts()
    with pytest.raises(ApplicationError) as caught:
        registry_import_apply(user=district_user, fileobj=xlsx(
            [row(number="101"), row(number="102")]))
    assert caught.value.status_code == 409
    assert counts() == before


def test_a_zip_bomb_is_refused_before_it_is_unpacked(area, district_user, monkeypatch):
    monkeypatch.setattr(reader_module, "MAX_UNPACKED_BYTES", 1000)
    assert "数据量过大" in file_reason(xlsx([row()]), district_user)


def test_a_compound_floor_area_beyond_a_dwellings_digits_adds_up(area, district_user):
    # Dwelling areas have 8 digits; a compound's total needs more.
    rows = [row(number=str(n), area="99999.99", build_year=1990) for n in range(1, 13)]
    report = registry_import_apply(user=district_user, fileobj=xlsx(rows))
    assert report.applied, reasons(report)
    compound = Compound.objects.get(name="长江路小区")
    assert compound.floor_area == Decimal("99999.99") * 12
