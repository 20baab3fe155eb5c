"""Import of the city hotline's export (12345 / 青诉即办): checks, preview, all or nothing,
re-import idempotence and updates, encodings, the pages and the command."""

import codecs
import io
from datetime import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from compounds.models import Building, Compound
from grievances.hotline import (
    COLUMNS,
    hotline_import_apply,
    hotline_import_preview,
    template_bytes,
)
from grievances.models import Grievance, GrievanceEvent, Outbox
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in COLUMNS]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def order(external_id="QD0001", *, received="2024-05-01 09:30", community="",
          compound="长江路小区", building="", category="漏水渗水",
          description="3号楼顶层漏水，天花板掉灰。", name="张女士", phone="13800000001",
          status="已受理", rating=""):
    return {"工单编号": external_id, "受理时间": received, "社区": community, "小区": compound,
            "楼号": building, "问题类别": category, "诉求内容": description, "联系人": name,
            "联系电话": phone, "办理状态": status, "满意度": rating}


def xlsx(rows, *, headers=HEADERS, before=()) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    for line in before:
        sheet.append(list(line))
    sheet.append(list(headers))
    for r in rows:
        sheet.append([r.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def csv_bytes(rows, *, encoding="utf-8", bom=b"", headers=HEADERS) -> io.BytesIO:
    lines = [",".join(headers)]
    for r in rows:
        lines.append(",".join(f'"{r.get(h) or ""}"' for h in headers))
    return io.BytesIO(bom + ("\r\n".join(lines) + "\r\n").encode(encoding))


def problems(report):
    return {(e.row, e.column) for e in report.errors}


def test_preview_lists_every_bad_row_and_writes_nothing(area, east_user):
    rows = [
        order("A1"),
        order("A2", compound="没有这个小区"),
        order("A3", description=""),
        order("A4", received="昨天下午"),
        order("A5", status="神秘状态"),
        order("A1"),  # the same work order twice
        order("A7", compound="石油大院"),  # another subdistrict: not in east's area
        order("A8", phone="call me"),
        order("A9", rating="还行吧"),
        order("", description="没有编号的工单内容"),
    ]
    report = hotline_import_preview(user=east_user, fileobj=xlsx(rows))
    assert problems(report) == {
        (3, "小区"), (4, "诉求内容"), (5, "受理时间"), (6, "办理状态"), (7, "工单编号"),
        (8, "小区"), (9, "联系电话"), (10, "满意度"), (11, "工单编号"),
    }
    assert report.bad_rows == 9
    assert not report.applied
    assert all(e.reason for e in report.errors)
    assert Grievance.objects.count() == 0


def test_apply_creates_hotline_issues_through_intake(area, east_user):
    building = Building.objects.create(compound=area.compounds["长江路小区"], number="3")
    rows = [order("A1", building="3号楼"),
            order("A2", compound="育才苑", category="路灯不亮", status="已办结",
                  rating="满意", phone="0532-86001234", name="")]
    report = hotline_import_apply(user=east_user, fileobj=xlsx(rows))
    assert report.applied and (report.created, report.updated) == (2, 0)

    first = Grievance.objects.get(external_id="A1")
    assert first.channel == "hotline"
    assert first.compound == area.compounds["长江路小区"]
    assert first.building == building
    assert first.category.code == "leak"
    assert first.status == "received"
    assert first.created_by == east_user
    assert timezone.localtime(first.received_at).replace(tzinfo=None) == datetime(
        2024, 5, 1, 9, 30)
    assert (first.reporter_name, first.reporter_phone, first.consent_contact) == (
        "张女士", "13800000001", True)
    assert list(first.events.values_list("kind", flat=True)) == ["submitted"]

    second = Grievance.objects.get(external_id="A2")
    assert second.category.code == "lighting"  # matched by keyword (路灯)
    assert second.status == "resolved" and second.resolved_at is not None
    assert second.rating == "satisfied"
    assert second.reporter_phone == "0532-86001234"  # a landline is kept
    updated = second.events.get(kind="updated")
    assert (updated.from_status, updated.to_status, updated.by) == ("received", "resolved",
                                                                    east_user)
    # The hotline answers its own callers: no SMS from us.
    assert not Outbox.objects.exists()


def test_one_bad_row_means_nothing_is_written(area, east_user):
    rows = [order("A1"), order("A2"), order("A3", compound="没有这个小区")]
    report = hotline_import_apply(user=east_user, fileobj=xlsx(rows))
    assert not report.applied
    assert problems(report) == {(4, "小区")}
    assert Grievance.objects.count() == 0 and GrievanceEvent.objects.count() == 0


def test_reimporting_the_same_file_changes_nothing(area, east_user):
    rows = [order("A1"), order("A2", status="办理中", rating="基本满意")]
    hotline_import_apply(user=east_user, fileobj=xlsx(rows))
    before = list(Grievance.objects.order_by("pk").values())
    events = GrievanceEvent.objects.count()

    preview = hotline_import_preview(user=east_user, fileobj=xlsx(rows))
    assert (preview.created, preview.updated, preview.unchanged) == (0, 0, 2)
    assert not preview.has_changes
    report = hotline_import_apply(user=east_user, fileobj=xlsx(rows))
    assert report.applied and (report.created, report.updated) == (0, 0)
    assert list(Grievance.objects.order_by("pk").values()) == before
    assert GrievanceEvent.objects.count() == events


def test_a_changed_row_updates_its_issue_never_a_duplicate(area, east_user):
    hotline_import_apply(user=east_user, fileobj=xlsx([order("A1"), order("A2")]))
    original = Grievance.objects.get(external_id="A1")

    changed = [order("A1", description="3号楼顶层漏水，已经漏到二楼。", status="已办结",
                     phone="", name="张女士"),
               order("A2")]
    preview = hotline_import_preview(user=east_user, fileobj=xlsx(changed))
    assert (preview.created, preview.updated, preview.unchanged) == (0, 1, 1)
    assert preview.changes[0].external_id == "A1"
    assert set(preview.changes[0].fields) == {"诉求内容", "联系电话", "办理状态（已办结）"}
    assert Grievance.objects.get(pk=original.pk).description == original.description

    report = hotline_import_apply(user=east_user, fileobj=xlsx(changed))
    assert report.applied and report.updated == 1
    assert Grievance.objects.filter(external_id="A1").count() == 1
    grievance = Grievance.objects.get(pk=original.pk)
    assert grievance.tracking_code == original.tracking_code
    assert grievance.description == "3号楼顶层漏水，已经漏到二楼。"
    assert grievance.status == "resolved"
    assert (grievance.reporter_phone, grievance.consent_contact) == ("", False)
    event = grievance.events.get(kind="updated")
    assert (event.from_status, event.to_status) == ("received", "resolved")
    assert "A1" in event.note


def test_an_older_status_never_undoes_what_staff_did(area, east_user):
    hotline_import_apply(user=east_user, fileobj=xlsx([order("A1", status="办理中")]))
    Grievance.objects.filter(external_id="A1").update(status="closed")
    report = hotline_import_apply(user=east_user, fileobj=xlsx([order("A1", status="办理中")]))
    assert report.applied and report.unchanged == 1
    assert [w.column for w in report.warnings] == ["办理状态"]
    assert Grievance.objects.get(external_id="A1").status == "closed"


def test_unknown_category_goes_to_other_with_a_warning(area, east_user):
    report = hotline_import_apply(
        user=east_user, fileobj=xlsx([order("A1", category="城乡建设/其他事项", building="9")]))
    assert report.applied
    assert {w.column for w in report.warnings} == {"问题类别", "楼号"}
    grievance = Grievance.objects.get()
    assert grievance.category.code == "other"
    assert grievance.building is None
    assert grievance.description == (
        "【问题类别：城乡建设/其他事项】【楼号：9】3号楼顶层漏水，天花板掉灰。")
    # Deterministic: the same file again is unchanged.
    again = hotline_import_preview(
        user=east_user, fileobj=xlsx([order("A1", category="城乡建设/其他事项", building="9")]))
    assert again.unchanged == 1


def test_same_compound_name_needs_the_community(area, east_user):
    Compound.objects.create(name="长江路小区", community=area.east_b, build_year=1990)
    report = hotline_import_preview(user=east_user, fileobj=xlsx([order("A1")]))
    assert problems(report) == {(2, "社区")}
    report = hotline_import_apply(user=east_user,
                                  fileobj=xlsx([order("A1", community="南屯社区")]))
    assert report.applied
    assert Grievance.objects.get().compound == area.compounds["长江路小区"]


def test_community_user_only_imports_in_its_community(area, east_a_user):
    report = hotline_import_preview(user=east_a_user,
                                    fileobj=xlsx([order("A1"), order("A2", compound="育才苑")]))
    assert problems(report) == {(3, "小区")}


def test_a_work_order_recorded_outside_the_area_is_refused(area, east_user, west_user):
    hotline_import_apply(user=west_user, fileobj=xlsx([order("W1", compound="石油大院")]))
    report = hotline_import_preview(user=east_user, fileobj=xlsx([order("W1")]))
    assert problems(report) == {(2, "工单编号")}


@pytest.mark.parametrize("encoding,bom", [
    ("gb18030", b""), ("utf-8", codecs.BOM_UTF8), ("utf-8", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE),
])
def test_csv_in_every_encoding_offices_save(area, east_user, encoding, bom):
    rows = [order("C1", description="楼道灯坏了，晚上看不见台阶。", category="照明")]
    report = hotline_import_apply(user=east_user,
                                  fileobj=csv_bytes(rows, encoding=encoding, bom=bom))
    assert report.applied, report.errors
    grievance = Grievance.objects.get(external_id="C1")
    assert grievance.description == "楼道灯坏了，晚上看不见台阶。"
    assert grievance.category.code == "lighting"
    assert grievance.reporter_name == "张女士"


def test_xlsx_with_a_title_row_and_aliased_headers(area, east_user):
    headers = ["工单号", "来电时间", "小区名称", "诉求类别", "问题描述", "工单状态"]
    rows = [{"工单号": 24050100017, "来电时间": datetime(2024, 5, 1, 9, 30),
             "小区名称": "长江路小区", "诉求类别": "电梯", "问题描述": "2单元电梯经常停运。",
             "工单状态": "已派单"}]
    report = hotline_import_apply(user=east_user, fileobj=xlsx(
        rows, headers=headers, before=[("青岛市12345热线工单导出",)]))
    assert report.applied, report.errors
    grievance = Grievance.objects.get()
    assert grievance.external_id == "24050100017"  # a number cell, read as text
    assert (grievance.category.code, grievance.status) == ("elevator", "assigned")
    # No 联系人/联系电话 columns: contact stays empty.
    assert (grievance.reporter_name, grievance.reporter_phone) == ("", "")


def test_files_that_are_not_exports(area, east_user):
    for data in (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,  # an old .xls
                 b"PK\x03\x04 not really a zip", b"", b"just,some,text\n"):
        report = hotline_import_preview(user=east_user, fileobj=io.BytesIO(data))
        assert report.fatal and report.errors, data
    missing = xlsx([order("A1")], headers=[h for h in HEADERS if h != "办理状态"])
    report = hotline_import_preview(user=east_user, fileobj=missing)
    assert report.fatal and "办理状态" in report.errors[0].reason


def test_template_has_the_headers_and_imports(area, east_user):
    workbook = load_workbook(io.BytesIO(template_bytes()))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == HEADERS
    report = hotline_import_preview(user=east_user, fileobj=io.BytesIO(template_bytes()))
    assert report.is_valid and report.created == 2, report.errors


# --- the pages -------------------------------------------------------------------------------

def upload(client, rows, name="12345.xlsx"):
    return client.post(reverse("grievances:hotline-import"),
                       {"file": SimpleUploadedFile(name, xlsx(rows).getvalue())})


def test_pages_upload_preview_apply(client, area, east_user):
    client.force_login(east_user)
    assert client.get(reverse("grievances:hotline-import")).status_code == 200
    template = client.get(reverse("grievances:hotline-template"))
    assert template.status_code == 200 and template.content[:2] == b"PK"

    response = upload(client, [order("P1"), order("P2", compound="育才苑")])
    assert response.status_code == 302
    preview_url = response["Location"]
    token = preview_url.rstrip("/").rsplit("/", 1)[-1]
    assert preview_url == reverse("grievances:hotline-preview", args=[token])
    page = client.get(preview_url)
    assert page.status_code == 200 and page.context["report"].created == 2
    assert "P1" in page.content.decode()
    assert Grievance.objects.count() == 0

    done = client.post(reverse("grievances:hotline-apply", args=[token]))
    assert done.status_code == 302 and done["Location"] == reverse("grievances:inbox")
    assert Grievance.objects.filter(channel="hotline").count() == 2
    # The file is gone with the import.
    assert client.get(preview_url).status_code == 404


def test_pages_bad_rows_and_bad_files(client, area, east_user):
    client.force_login(east_user)
    response = upload(client, [order("P1", category="神秘类别"),
                               order("P2", compound="石油大院")])
    page = client.get(response["Location"])
    assert page.context["report"].bad_rows == 1
    assert "石油大院" in page.content.decode()
    assert [w.column for w in page.context["warnings"]] == ["问题类别"]
    assert "神秘类别" in page.content.decode()
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    refused = client.post(reverse("grievances:hotline-apply", args=[token]))
    assert refused.status_code == 200 and not refused.context["report"].applied
    assert Grievance.objects.count() == 0

    not_a_file = client.post(reverse("grievances:hotline-import"),
                             {"file": SimpleUploadedFile("x.xls", b"\xd0\xcf\x11\xe0" * 50)})
    assert not_a_file.status_code == 200 and "file" in not_a_file.context["form"].errors


def test_pages_tokens_belong_to_their_session(client, area, east_user, west_user):
    client.force_login(east_user)
    response = upload(client, [order("P1")])
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    client.force_login(west_user)  # a new session
    assert client.get(reverse("grievances:hotline-preview", args=[token])).status_code == 404
    assert client.post(reverse("grievances:hotline-apply", args=[token])).status_code == 404
    assert client.post(reverse("grievances:hotline-discard", args=[token])).status_code == 404

    client.force_login(east_user)
    response = upload(client, [order("P1")])
    token = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    discard = client.post(reverse("grievances:hotline-discard", args=[token]))
    assert discard.status_code == 302
    assert client.get(reverse("grievances:hotline-preview", args=[token])).status_code == 404
    assert Grievance.objects.count() == 0


def test_pages_need_a_role(client, roleless_user):
    client.force_login(roleless_user)
    assert client.get(reverse("grievances:hotline-import")).status_code == 403
    client.logout()
    assert client.get(reverse("grievances:hotline-import")).status_code == 302


# --- the command -------------------------------------------------------------------------------

def test_command_previews_then_applies(area, east_user, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_bytes([order("K1"), order("K2", status="已办结")],
                               encoding="gb18030").getvalue())
    out = io.StringIO()
    call_command("import_hotline", str(path), "--user", "east", stdout=out)
    assert "2 new" in out.getvalue()
    assert Grievance.objects.count() == 0

    out = io.StringIO()
    call_command("import_hotline", str(path), "--user", "east", "--apply", stdout=out)
    assert Grievance.objects.filter(channel="hotline").count() == 2
    assert Grievance.objects.get(external_id="K2").status == "resolved"

    call_command("import_hotline", str(path), "--user", "east", "--apply",
                 stdout=io.StringIO())
    assert Grievance.objects.count() == 2


def test_command_refuses_bad_files_and_users(area, east_user, tmp_path):
    path = tmp_path / "export.xlsx"
    path.write_bytes(xlsx([order("K1"), order("K2", compound="石油大院")]).getvalue())
    out = io.StringIO()
    with pytest.raises(CommandError, match="Nothing was written"):
        call_command("import_hotline", str(path), "--user", "east", "--apply", stdout=out)
    assert "row 3 [小区]" in out.getvalue()
    assert Grievance.objects.count() == 0
    with pytest.raises(CommandError):
        call_command("import_hotline", str(path), "--user", "nobody-here")
    with pytest.raises(CommandError):
        call_command("import_hotline", str(tmp_path / "missing.xlsx"), "--user", "east")


def test_superuser_imports_anywhere(area, db):
    admin = make_staff("root")
    admin.is_superuser = True
    admin.save()
    report = hotline_import_apply(user=admin, fileobj=xlsx([order("S1", compound="石油大院")]))
    assert report.applied


@pytest.mark.parametrize("size", [2, 12])
def test_preview_runs_a_constant_number_of_queries(area, east_user, size,
                                                   django_assert_num_queries):
    Building.objects.create(compound=area.compounds["长江路小区"], number="3")
    known = [order(f"K{i}", compound=("长江路小区", "育才苑")[i % 2]) for i in range(size)]
    hotline_import_apply(user=east_user, fileobj=xlsx(known))
    rows = known + [order(f"N{i}", building="3", compound=("长江路小区", "育才苑")[i % 2])
                    for i in range(size)]
    # Existing work orders, the area check of their compounds, the new rows' compounds,
    # their buildings, the categories.
    with django_assert_num_queries(5):
        report = hotline_import_preview(user=east_user, fileobj=xlsx(rows))
    assert (report.created, report.unchanged) == (size, size)
