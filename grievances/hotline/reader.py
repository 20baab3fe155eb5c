"""Reading a hotline export: each row on its own. The file (.xlsx or .csv in any of the
encodings offices save), its header row and the row loop are the registry import's
toolkit (`compounds.importing.tabular`); here are the hotline's cells. Nothing here
touches the database."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl.utils.datetime import from_excel

from compounds.importing import tabular
from compounds.importing.sheet import ExcelError
from compounds.importing.tabular import CellError, ReadResult
from grievances.hotline.layout import LAYOUT, RATING_WORDS, STATUS_WORDS, normalize
from grievances.models import Grievance

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 10_000
EARLIEST_YEAR = 2000
_MAX_LENGTH = {
    "external_id": Grievance._meta.get_field("external_id").max_length,
    "description": Grievance._meta.get_field("description").max_length,
    "name": Grievance._meta.get_field("reporter_name").max_length,
    "community": 100,
    "compound": 100,
    "building": 20,
    "category": 100,
}
_PHONE = re.compile(r"\+?\d[\d-]{5,19}")
_PHONE_NOISE = re.compile(r"[\s()（）]")
_DATE_NOISE = str.maketrans({"年": "-", "月": "-", "日": " ", "/": "-", ".": "-", "T": " "})
_SPACES = re.compile(r"\s+")
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")


@dataclass(slots=True)
class HotlineRow:
    row: int
    external_id: str
    received_at: datetime
    community: str
    compound: str
    building: str
    category: str
    description: str
    name: str | None  # None: the column is not in the file (keep what is stored)
    phone: str | None
    status: str  # one of Status, or "" for an empty cell (change nothing)
    status_text: str
    rating: str | None  # one of Rating or ""; None: the column is not in the file


def _aware(value: datetime) -> datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _not_a_moment() -> str:
    return _("Not a date and time: write it like 2024-05-01 09:30.")


def _received_at(value: Any) -> datetime:
    if isinstance(value, ExcelError | bool):
        raise CellError(_not_a_moment)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, int | float):
        if not 20_000 < value < 80_000:  # an Excel serial date that lost its format
            raise CellError(_not_a_moment)
        moment = from_excel(value)
    else:
        moment = _parse_datetime_text(str(value))
        if moment is None:
            raise CellError(_not_a_moment)
    if moment.year < EARLIEST_YEAR:
        raise CellError(_("The date is before 2000: check the cell."))
    moment = _aware(moment)
    if moment > timezone.now() + timedelta(hours=1):
        raise CellError(_("The date is in the future: check the cell."))
    return moment


def _parse_datetime_text(text: str) -> datetime | None:
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    text = _SPACES.sub(" ", text.translate(_DATE_NOISE)).strip().rstrip("-").strip()
    for pattern in _DATETIME_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _phone(value: Any) -> str:
    phone = _PHONE_NOISE.sub("", tabular.text(value))
    if phone and not _PHONE.fullmatch(phone):
        raise CellError(_("Not a phone number: digits only (a landline may have an area code "
                          "and a dash), at most 20 characters."))
    return phone


def _coded(value: Any, words: dict[str, str], key: str) -> str:
    text = normalize(tabular.text(value))
    if not text:
        return ""
    if text in words:
        return words[text]
    known = "、".join(w for w in words if w != "-")
    if key == "status":
        raise CellError(_("Unknown status “%(value)s”. Known: %(known)s.")
                        % {"value": text, "known": known})
    raise CellError(_("Unknown satisfaction “%(value)s”. Known: %(known)s.")
                    % {"value": text, "known": known})


def _status(value: Any) -> str:
    return _coded(value, STATUS_WORDS, "status")


def _rating(value: Any) -> str:
    return _coded(value, RATING_WORDS, "rating")


_TEXT_KEYS = ("external_id", "community", "compound", "building", "category", "description",
              "name")
# key, check, the value of an empty cell (received_at is required: empty is an error)
_CHECKS: tuple[tabular.Check, ...] = (
    ("received_at", _received_at, ""), ("phone", _phone, ""), ("status", _status, ""),
    ("rating", _rating, ""),
)


def _no_rows() -> str:
    return _("There are no work orders under the header.")


def read_file(fileobj: IO[bytes]) -> ReadResult:
    """Every row of a hotline export, checked on its own (no database)."""
    return tabular.read_file(fileobj, LAYOUT, _read_row, max_bytes=MAX_FILE_BYTES,
                             max_unpacked=MAX_UNPACKED_BYTES, max_rows=MAX_ROWS,
                             no_rows=_no_rows)


def _read_row(number: int, cells: dict[str, Any], result: ReadResult) -> HotlineRow | None:
    values = tabular.read_cells(number, cells, LAYOUT, result.errors, texts=_TEXT_KEYS,
                                max_length=_MAX_LENGTH, checks=_CHECKS)
    if values is None:
        return None
    columns = result.columns
    return HotlineRow(
        row=number,
        external_id=values["external_id"],
        received_at=values["received_at"],
        community=values["community"],
        compound=values["compound"],
        building=values["building"],
        category=values["category"],
        description=values["description"],
        name=values["name"] if "name" in columns else None,
        phone=values["phone"] if "phone" in columns else None,
        status=values["status"],
        status_text=normalize(tabular.text(cells.get("status"))),
        rating=values["rating"] if "rating" in columns else None,
    )
