"""Reading the workbook of the registry import: each row on its own.

The file, the header row and the row loop are `tabular`'s; here are the registry's
cells. Nothing here touches the database. The result is a `tabular.ReadResult` whose
`rows` are a `RowData` for each row that passed every check that needs no database, and
whose `errors` list the others.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _

from compounds.importing import tabular
from compounds.importing.layout import LAYOUT
from compounds.importing.tabular import CellError, ReadResult
from compounds.models import Building, Community, Compound, Dwelling, Subdistrict

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
# What the archive may unpack to: a 50,000-row sheet is ~40 MB of XML; more is a bomb.
MAX_UNPACKED_BYTES = 400 * 1024 * 1024
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


def _whole(value: Any, *, low: int, high: int, reason: Callable[[], str]) -> int:
    if isinstance(value, bool | datetime | date | time):
        raise CellError(reason)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(reason)
        number = int(value)
    else:
        text = str(value).strip()
        if not text.isdigit() or not text.isascii():
            raise CellError(reason)
        number = int(text)
    if not low <= number <= high:
        raise CellError(reason)
    return number


def _year(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip().removesuffix("年")
    return _whole(value, low=MIN_YEAR, high=MAX_YEAR, reason=_year_reason)


def _count(value: Any) -> int:
    return _whole(value, low=1, high=MAX_UNITS_OR_FLOORS, reason=_count_reason)


def _area(value: Any) -> Decimal:
    if isinstance(value, bool | datetime | date | time):
        raise CellError(_area_reason)
    # Never float arithmetic: str() of the float Excel stored is the number it shows.
    try:
        area = Decimal(str(value).strip())
    except InvalidOperation:
        raise CellError(_area_reason) from None
    if not area.is_finite() or area <= 0 or area != area.quantize(AREA_STEP):
        raise CellError(_area_reason)
    if area >= AREA_LIMIT:
        raise CellError(_area_too_large)
    return area.quantize(AREA_STEP)


def _phone(value: Any) -> str:
    phone = _PHONE_NOISE.sub("", tabular.text(value))
    if phone and not _MOBILE.fullmatch(phone):
        raise CellError(_phone_reason)
    return phone


_TEXT_KEYS = ("subdistrict", "community", "compound", "building", "unit", "number",
              "owner_ref", "address", "owner_name")
# key, check, the value of an empty cell (area is required: an empty cell is an error)
_CHECKS: tuple[tabular.Check, ...] = (
    ("build_year", _year, None), ("units", _count, None), ("floors", _count, None),
    ("owner_phone", _phone, ""), ("area", _area, None),
)


def _no_rows() -> str:
    return _("There are no dwelling rows under the header.")


def read_workbook(fileobj: IO[bytes]) -> ReadResult:
    """Every row of the uploaded workbook, checked on its own (no database)."""
    return tabular.read_file(fileobj, LAYOUT, _read_row, max_bytes=MAX_FILE_BYTES,
                             max_unpacked=MAX_UNPACKED_BYTES, max_rows=MAX_ROWS,
                             no_rows=_no_rows)


def _read_row(number: int, cells: dict[str, Any], result: ReadResult) -> RowData | None:
    values = tabular.read_cells(number, cells, LAYOUT, result.errors, texts=_TEXT_KEYS,
                                max_length=_MAX_LENGTH, checks=_CHECKS)
    if values is None:
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
        owner_name=values["owner_name"] if "owner_name" in result.columns else None,
        owner_phone=values["owner_phone"] if "owner_phone" in result.columns else None,
    )
