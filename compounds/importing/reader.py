"""Reading the workbook: file checks, the header row, and each row on its own.

Nothing here touches the database. The result is a list of `RowData` for the rows that
passed every check that needs no database, and a list of errors for the others.
"""

import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

from compounds.importing.layout import (
    COLUMN_BY_KEY,
    HEADER_LOOKUP,
    REQUIRED_KEYS,
    SHEET_NAME,
    normalize_header,
)
from compounds.importing.report import RowError
from compounds.importing.sheet import ExcelError, NotAWorkbook, Workbook
from compounds.models import Building, Community, Compound, Dwelling, Subdistrict

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# What the archive may unpack to: a 50,000-row sheet is ~40 MB of XML; more is a bomb.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
HEADER_SEARCH_ROWS = 10
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_UNITS_OR_FLOORS = 999
AREA_STEP = Decimal("0.01")
AREA_LIMIT = Decimal("1000000")  # Dwelling.area has 8 digits, 2 after the point

_MAX_LENGTH = {
    "subdistrict": Subdistrict._meta.get_field("name").max_length,
    "community": Community._meta.get_field("name").max_length,
    "compound": Compound._meta.get_field("name").max_length,
    "address": Compound._meta.get_field("address").max_length,
    "building": Building._meta.get_field("number").max_length,
    "unit": Dwelling._meta.get_field("unit").max_length,
    "number": Dwelling._meta.get_field("number").max_length,
    "owner_ref": Dwelling._meta.get_field("owner_ref").max_length,
    "owner_name": Dwelling._meta.get_field("owner_name").max_length,
}
_TEXT_REQUIRED = ("subdistrict", "community", "compound", "building", "unit", "number",
                  "owner_ref")
_PHONE_NOISE = re.compile(r"[\s\-]")
_MOBILE = re.compile(r"1\d{10}")


@dataclass(slots=True)
class RowData:
    row: int
    subdistrict: str
    community: str
    compound: str
    address: str | None  # None: no value given (keep what is stored)
    build_year: int | None
    building: str
    units: int | None
    floors: int | None
    unit: str
    number: str
    area: Decimal
    owner_ref: str
    owner_name: str | None  # None: the column is not in the sheet (keep what is stored)
    owner_phone: str | None


@dataclass
class ReadResult:
    rows: list[RowData]
    errors: list[RowError]
    row_count: int = 0  # non-empty data rows, valid or not
    has_owner_name: bool = False
    has_owner_phone: bool = False
    fatal: bool = False  # the file as a whole cannot be imported; no row was checked


class _Bad(Exception):
    """A cell's value is wrong. The reason is worded only when needed: gettext per cell
    would cost a second on 10,000 rows."""

    def __init__(self, reason: Callable[[], str]):
        self.reason = reason


def _date_reason() -> str:
    return _("Excel turned this cell into a date: format the column as text and type it "
             "again.")


def _error_reason() -> str:
    return _("The cell holds an Excel error (such as #N/A): put the value itself in it.")


def _year_reason() -> str:
    return _("Not a year between %(low)d and %(high)d.") % {"low": MIN_YEAR, "high": MAX_YEAR}


def _count_reason() -> str:
    return _("Must be a whole number from 1 to %(max)d.") % {"max": MAX_UNITS_OR_FLOORS}


def _area_reason() -> str:
    return _("The area must be a number greater than 0 with at most 2 decimal places "
             "(for example 72.50).")


def _area_too_large() -> str:
    return _("The area is too large (at most 999999.99).")


def _phone_reason() -> str:
    return _("The phone must be an 11-digit mobile number.")


def _file_error(reason: str, *, row: int | None = None, column: str = "") -> ReadResult:
    return ReadResult(rows=[], errors=[RowError(row=row, column=column, reason=reason)],
                      fatal=True)


def _size_of(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return size
    position = fileobj.tell()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _megabytes(n: int) -> int:
    return n // (1024 * 1024)


def _text(value: Any) -> str:
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, ExcelError):
        raise _Bad(_error_reason)
    if isinstance(value, datetime | date | time):
        raise _Bad(_date_reason)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _blank(value: Any) -> bool:
    return value is None or (type(value) is str and not value.strip())


def _whole(value: Any, *, low: int, high: int, reason: Callable[[], str]) -> int:
    if isinstance(value, bool | datetime | date | time):
        raise _Bad(reason)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise _Bad(reason)
        number = int(value)
    else:
        text = str(value).strip()
        if not text.isdigit() or not text.isascii():
            raise _Bad(reason)
        number = int(text)
    if not low <= number <= high:
        raise _Bad(reason)
    return number


def _year(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip().removesuffix("年")
    return _whole(value, low=MIN_YEAR, high=MAX_YEAR, reason=_year_reason)


def _count(value: Any) -> int:
    return _whole(value, low=1, high=MAX_UNITS_OR_FLOORS, reason=_count_reason)


def _area(value: Any) -> Decimal:
    if isinstance(value, bool | datetime | date | time):
        raise _Bad(_area_reason)
    # Never float arithmetic: str() of the float Excel stored is the number it shows.
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Bad(_area_reason) from None
    if not area.is_finite() or area <= 0 or area != area.quantize(AREA_STEP):
        raise _Bad(_area_reason)
    if area >= AREA_LIMIT:
        raise _Bad(_area_too_large)
    return area.quantize(AREA_STEP)


def _phone(value: Any) -> str:
    phone = _PHONE_NOISE.sub("", _text(value))
    if phone and not _MOBILE.fullmatch(phone):
        raise _Bad(_phone_reason)
    return phone


_CHECKS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("build_year", _year), ("units", _count), ("floors", _count), ("owner_phone", _phone),
)
_TEXT_KEYS = (*_TEXT_REQUIRED, "address", "owner_name")


def _find_header(rows: Iterator[tuple[int, list]]) -> tuple[int, dict[str, int]] | ReadResult:
    """The header row (its Excel number) and each known column's position in it."""
    seen_values = False
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        keys = [HEADER_LOOKUP.get(normalize_header(v)) if v is not None else None
                for v in values]
        seen_values = seen_values or any(not _blank(v) for v in values)
        if sum(1 for k in keys if k) < 3:
            continue
        positions: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is None:
                continue
            if key in positions:
                return _file_error(
                    _("The column “%(column)s” appears twice in the header row.")
                    % {"column": COLUMN_BY_KEY[key].header}, row=number)
            positions[key] = index
        missing = [COLUMN_BY_KEY[k].header for k in REQUIRED_KEYS if k not in positions]
        if missing:
            return _file_error(
                _("Missing columns: %(columns)s. Download the template to see the expected "
                  "headers.") % {"columns": "、".join(missing)}, row=number)
        return number, positions
    if not seen_values:
        return _file_error(_("The sheet is empty."))
    return _file_error(_(
        "No header row found in the first %(n)d rows. The sheet needs the columns: "
        "%(columns)s.") % {"n": HEADER_SEARCH_ROWS,
                           "columns": "、".join(COLUMN_BY_KEY[k].header for k in REQUIRED_KEYS)})


def _not_xlsx() -> str:
    return _("This is not an Excel .xlsx file. Save it from Excel or WPS as “Excel workbook "
             "(.xlsx)” and upload it again (.xls and .csv are not accepted).")


def _open(fileobj: IO[bytes]) -> Workbook | str:
    """The workbook, or the reason it cannot be read (in words an office can act on)."""
    try:
        fileobj.seek(0)
        archive = zipfile.ZipFile(fileobj)
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _not_xlsx()
    if unpacked > MAX_UNPACKED_BYTES:
        archive.close()
        return _("The workbook holds too much data to import at once: split it into "
                 "several files.")
    try:
        return Workbook(archive)
    except (NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, OSError):
        archive.close()
        return _not_xlsx()


def read_workbook(fileobj: IO[bytes]) -> ReadResult:
    if _size_of(fileobj) > MAX_FILE_BYTES:
        return _file_error(_("The file is larger than %(mb)d MB: split it into several "
                             "files.") % {"mb": _megabytes(MAX_FILE_BYTES)})
    workbook = _open(fileobj)
    if isinstance(workbook, str):
        return _file_error(workbook)
    try:
        return _read_sheet(workbook)
    except (NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError,
            EOFError) as exc:  # a damaged sheet inside a valid archive
        return _file_error(_("The workbook could not be read (%(problem)s). Open it in "
                             "Excel or WPS, save it again as .xlsx and retry.")
                           % {"problem": exc.__class__.__name__})
    finally:
        workbook.close()


def _read_sheet(workbook: Workbook) -> ReadResult:
    names = workbook.sheetnames
    rows = workbook.rows(SHEET_NAME if SHEET_NAME in names else names[0])
    found = _find_header(rows)
    if isinstance(found, ReadResult):
        return found
    header_row, positions = found
    result = ReadResult(rows=[], errors=[], has_owner_name="owner_name" in positions,
                        has_owner_phone="owner_phone" in positions)
    columns = list(positions.items())
    for number, values in rows:
        width = len(values)
        cells = {key: values[i] if i < width else None for key, i in columns}
        if all(_blank(v) for v in cells.values()):
            continue
        result.row_count += 1
        if result.row_count > MAX_ROWS:
            return _file_error(_("The file has more than %(max)s rows: split it into several "
                                 "files.") % {"max": f"{MAX_ROWS:,}"})
        row = _read_row(number, cells, result)
        if row is not None:
            result.rows.append(row)
    if result.row_count == 0:
        return _file_error(_("There are no dwelling rows under the header."), row=header_row)
    return result


def _read_row(number: int, cells: dict[str, Any], result: ReadResult) -> RowData | None:
    values: dict[str, Any] = {}
    errors: list[RowError] = []

    def bad(key: str, reason: str) -> None:
        errors.append(RowError(row=number, column=COLUMN_BY_KEY[key].header, reason=reason))

    for key in _TEXT_KEYS:
        try:
            text = _text(cells.get(key))
        except _Bad as exc:
            bad(key, exc.reason())
            continue
        if not text and key in _TEXT_REQUIRED:
            bad(key, _("Required: this cell is empty."))
        elif len(text) > _MAX_LENGTH[key]:
            bad(key, _("Too long: at most %(max)d characters.") % {"max": _MAX_LENGTH[key]})
        else:
            values[key] = text

    for key, check in _CHECKS:
        value = cells.get(key)
        if _blank(value):
            values[key] = "" if key == "owner_phone" else None
            continue
        try:
            values[key] = check(value)
        except _Bad as exc:
            bad(key, exc.reason())

    area = cells.get("area")
    if _blank(area):
        bad("area", _("Required: this cell is empty."))
    else:
        try:
            values["area"] = _area(area)
        except _Bad as exc:
            bad("area", exc.reason())

    if errors:
        result.errors.extend(errors)
        return None
    return RowData(
        row=number,
        subdistrict=values["subdistrict"],
        community=values["community"],
        compound=values["compound"],
        address=values["address"] or None,
        build_year=values["build_year"],
        building=values["building"],
        units=values["units"],
        floors=values["floors"],
        unit=values["unit"],
        number=values["number"],
        area=values["area"],
        owner_ref=values["owner_ref"],
        owner_name=values["owner_name"] if result.has_owner_name else None,
        owner_phone=values["owner_phone"] if result.has_owner_phone else None,
    )
