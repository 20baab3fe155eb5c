"""The workbook layout of the registry import (房屋清册): one row per dwelling.

The headers are a file format shared with the offices' own spreadsheets, so they are
fixed Chinese strings and are not translated: a template downloaded with the English
interface must still import. Everything said *about* them (the notes sheet, the error
reasons) goes through gettext.
"""

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from compounds.importing.tabular import Column, Layout, squeeze

SHEET_NAME = "房屋清册"
NOTES_SHEET_NAME = "填写说明"


COLUMNS: tuple[Column, ...] = (
    Column("subdistrict", "街道", True, width=14),
    Column("community", "社区", True, width=14),
    Column("compound", "小区", True, aliases=("小区名称",), width=16),
    Column("address", "小区地址", False, aliases=("地址",), width=22),
    Column("build_year", "建成年份", False, aliases=("建成年代", "建设年份"), text=False),
    Column("building", "楼号", True, aliases=("楼栋", "楼栋号"), width=8),
    Column("units", "单元数", False, text=False, width=8),
    Column("floors", "层数", False, aliases=("总层数",), text=False, width=8),
    Column("unit", "单元", True, aliases=("单元号",), width=8),
    Column("number", "户号", True, aliases=("房号", "门牌号"), width=8),
    Column("area", "面积(㎡)", True,
           aliases=("面积", "专有面积", "专有面积(㎡)", "建筑面积", "建筑面积(㎡)"), text=False),
    Column("owner_ref", "业主编号", True, width=14),
    Column("owner_name", "业主姓名", False, aliases=("姓名",)),
    Column("owner_phone", "业主电话", False, aliases=("联系电话", "手机号"), width=14),
)


def normalize_header(value: object) -> str:
    """How a header cell is compared: no spaces, half-width brackets, ㎡ for m²/m2."""
    text = squeeze(value)
    for square_metre in ("m²", "m2", "M2", "平方米", "平米"):
        text = text.replace(square_metre, "㎡")
    return text


LAYOUT = Layout(COLUMNS, normalize=normalize_header, sheet=SHEET_NAME)
COLUMN_BY_KEY = LAYOUT.by_key


EXAMPLE_ROWS = (
    ("黄岛街道", "南屯社区", "长江路小区", "长江路88号", 1992, "1", 3, 6, "1", "101",
     Decimal("72.50"), "HD-000001", "张三", "13800000000"),
    ("黄岛街道", "南屯社区", "长江路小区", None, None, "1", None, None, "1", "102",
     Decimal("68.35"), "HD-000002", None, None),
)


def column_notes() -> list[tuple[str, str, str]]:
    """(column, required or not, how to fill it in): the template's notes sheet and the
    import page."""
    required = _("required")
    optional = _("optional")
    return [
        ("街道", required, _("An existing subdistrict in your area.")),
        ("社区", required, _(
            "An existing community of that subdistrict. The import creates no subdistricts "
            "or communities: add them in the registry first.")),
        ("小区", required, _(
            "The compound name; a new name in the community creates the compound.")),
        ("小区地址", optional, _(
            "Compound-level: fill it in one row of the compound; empty cells keep the "
            "stored value.")),
        ("建成年份", _("for a new compound"), _(
            "Compound-level, 1900–2100, in one row of the compound; empty cells keep the "
            "stored value.")),
        ("楼号", required, _("Building number within the compound, e.g. 1 or 3A.")),
        ("单元数 / 层数", optional, _(
            "Building-level whole numbers; empty cells keep the stored value. A new building "
            "without 单元数 gets the number of different units listed for it.")),
        ("单元", required, _("Unit (staircase) within the building.")),
        ("户号", required, _(
            "Dwelling number within the unit. Building, unit and dwelling number together "
            "name a dwelling: each may appear only once in the file.")),
        ("面积(㎡)", required, _(
            "Exclusive area in square metres, greater than 0, at most 2 decimal places.")),
        ("业主编号", required, _(
            "The owner's key: the same key means the same owner (for counting votes).")),
        ("业主姓名 / 业主电话", optional, _(
            "Phone: an 11-digit mobile number. An empty cell clears the stored value; "
            "leaving the column out keeps it.")),
        ("", "", _(
            "One row per dwelling. Importing the same file again changes nothing; a changed "
            "row updates that dwelling. Nothing is written unless every row is valid. "
            "Other columns are ignored.")),
    ]


def template_bytes() -> bytes:
    """The downloadable template: the headers, two example rows and a notes sheet."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append([c.header for c in COLUMNS])
    for row in EXAMPLE_ROWS:
        sheet.append(list(row))
    header_fill = PatternFill("solid", fgColor="FFE8EEF7")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True, color="FF9C0006" if column.required else "FF000000")
        cell.fill = header_fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 2 + len(EXAMPLE_ROWS)):
                sheet.cell(row=row, column=index).number_format = "@"
        elif column.key == "area":
            for row in range(2, 2 + len(EXAMPLE_ROWS)):
                sheet.cell(row=row, column=index).number_format = "0.00"
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet(NOTES_SHEET_NAME)
    notes.append([_("Column"), _("Required"), _("How to fill it in")])
    for cell in notes[1]:
        cell.font = Font(bold=True)
    for note in column_notes():
        notes.append(list(note))
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 14
    notes.column_dimensions["C"].width = 90
    for row in notes.iter_rows(min_row=2):
        row[2].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
