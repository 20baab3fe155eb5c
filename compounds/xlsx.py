"""Writing any filtered list to .xlsx, streaming rows (openpyxl write-only mode)."""

import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Column = tuple[str, Callable[[Any], Any]]


def _cell_value(value: Any) -> Any:
    if isinstance(value, datetime):
        # Excel has no time zones: write the local (Asia/Shanghai) wall time.
        return timezone.localtime(value).replace(tzinfo=None)
    if value is None or isinstance(value, str | int | float | Decimal | date | bool):
        return value
    return str(value)


def xlsx_bytes(*, title: str, columns: list[Column], rows: Iterable[Any]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    bold = Font(bold=True)
    header = []
    for name, _getter in columns:
        cell = WriteOnlyCell(sheet, value=str(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell_value(getter(row)) for _name, getter in columns])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_response(*, filename: str, title: str, columns: list[Column], rows: Iterable[Any]):
    """An attachment named `filename` (Chinese allowed) holding one sheet."""
    response = HttpResponse(xlsx_bytes(title=title, columns=columns, rows=rows),
                            content_type=XLSX_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = f"{filename}-{stamp}.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"export-{stamp}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
