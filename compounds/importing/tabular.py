"""A tabular file in, rows checked one by one out: what every import reads with.

An import describes its columns as a `Layout` (keys, the headers as written, aliases,
which are required) and checks its own cells in a `read_row` function; the rest is the
same for all and is here: the file checks (size, zip bomb, not a workbook, a damaged
one, a CSV's encoding and delimiter), finding the header row by the columns' names, the
row loop (blank rows skipped, a cap on the count), the cell helpers and the result.
The registry import (`compounds.importing.reader`, .xlsx) and the city hotline's
(`grievances.hotline.reader`, .xlsx or .csv) read through it. Nothing here touches the
database.

Speed: a 10,000-row file goes through `read_cells` once a row; a cell's problem is
worded (gettext) only when there is one.
"""

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import IO, Any

from django.utils.translation import gettext as _

from compounds.importing.report import RowError
from compounds.importing.sheet import ExcelError, NotAWorkbook, Workbook

HEADER_SEARCH_ROWS = 10  # the header row is looked for in the first rows only
MIN_KNOWN_HEADERS = 3  # a row naming fewer known columns is a title, not the header
Rows = Iterator[tuple[int, list]]  # (the row number a spreadsheet shows, its values)
# What goes wrong inside a file that opened: a damaged sheet, a broken CSV.
_DAMAGED = (NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, IndexError, OSError,
            EOFError, csv.Error)
_SPACES = re.compile(r"\s+")


def squeeze(value: object) -> str:
    """A header (or a coded cell) as compared: no spaces, half-width brackets."""
    text = _SPACES.sub("", str(value or ""))
    return text.replace("（", "(").replace("）", ")")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # as written in the template and the error list (not translated)
    # A required column must be in the header row; its cells must be filled on every
    # row unless `cell_optional` (then an empty cell means "no value").
    required: bool
    aliases: tuple[str, ...] = ()
    cell_optional: bool = False
    text: bool = True  # formatted as text in a template (keeps 0101, stops 1-2 → date)
    width: int = 12  # in a template


class Layout:
    """The columns of one import's file, and how its header cells are compared.

    `sheet`: the sheet to read when the workbook has one of that name (else the first).
    `csv`: a .csv file is accepted too; the messages then speak of "the file" (a
    workbook-only import speaks of "the sheet" and "the workbook")."""

    def __init__(self, columns: Iterable[Column], *,
                 normalize: Callable[[object], str] = squeeze, sheet: str = "",
                 csv: bool = False):
        self.columns = tuple(columns)
        self.normalize = normalize
        self.sheet = sheet
        self.csv = csv
        self.by_key = {c.key: c for c in self.columns}
        self.required_keys = tuple(c.key for c in self.columns if c.required)
        self.cell_required = frozenset(
            c.key for c in self.columns if c.required and not c.cell_optional)
        self.lookup = {normalize(name): c.key
                       for c in self.columns for name in (c.header, *c.aliases)}
        self._order = {c.header: i for i, c in enumerate(self.columns)}

    def problem(self, row: int, key: str, reason: str) -> RowError:
        return RowError(row=row, column=self.by_key[key].header, reason=reason)

    def sort(self, problems: list[RowError]) -> None:
        """By row, then in the order of the columns (the file's problems first)."""
        problems.sort(key=lambda e: (e.row or 0, self._order.get(e.column, -1)))


@dataclass
class ReadResult:
    rows: list = field(default_factory=list)  # what `read_row` made of each valid row
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0  # non-empty data rows, valid or not
    columns: frozenset[str] = frozenset()  # the keys of the columns in the header row
    fatal: bool = False  # the file as a whole cannot be imported; no row was checked


def file_error(reason: str, *, row: int | None = None) -> ReadResult:
    return ReadResult(errors=[RowError(row=row, column="", reason=reason)], fatal=True)


# --- cells ---------------------------------------------------------------------------


class CellError(Exception):
    """A cell's value is wrong. `reason` is the words, or a function giving them: gettext
    per cell would cost a second on 10,000 rows, so a check may word it only when needed.
    `str(exc)` is the reason."""

    def __init__(self, reason: str | Callable[[], str]):
        super().__init__()
        self.reason = reason

    def __str__(self) -> str:
        return self.reason() if callable(self.reason) else self.reason


def _error_reason() -> str:
    return _("The cell holds an Excel error (such as #N/A): put the value itself in it.")


def _date_reason() -> str:
    return _("Excel turned this cell into a date: format the column as text and type it "
             "again.")


def blank(value: Any) -> bool:
    return value is None or (type(value) is str and not value.strip())


def text(value: Any) -> str:
    """A cell as text: trimmed; 3.0 → "3"; an Excel error or a date is a CellError."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, ExcelError):
        raise CellError(_error_reason)
    if isinstance(value, datetime | date | time):
        raise CellError(_date_reason)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


Check = tuple[str, Callable[[Any], Any], Any]  # key, check (may raise CellError), if empty


def read_cells(number: int, cells: dict[str, Any], layout: Layout, errors: list[RowError],
               *, texts: Iterable[str], max_length: dict[str, int],
               checks: Iterable[Check] = ()) -> dict[str, Any] | None:
    """The values of one row by key, or None when a cell is bad (each problem appended
    to `errors`). `texts` are read with `text` and capped at `max_length`; each check
    turns a non-empty cell into its value. An empty cell is a problem in a column whose
    cells are required (`Layout.cell_required`); elsewhere it is "" (text) or the
    check's empty value."""
    values: dict[str, Any] = {}
    found = len(errors)
    required = layout.cell_required
    for key in texts:
        try:
            value = text(cells.get(key))
        except CellError as exc:
            errors.append(layout.problem(number, key, str(exc)))
            continue
        if not value and key in required:
            errors.append(layout.problem(number, key, _("Required: this cell is empty.")))
        elif len(value) > max_length[key]:
            errors.append(layout.problem(number, key, _(
                "Too long: at most %(max)d characters.") % {"max": max_length[key]}))
        else:
            values[key] = value
    for key, check, empty in checks:
        value = cells.get(key)
        if blank(value):
            if key in required:
                errors.append(layout.problem(number, key, _("Required: this cell is empty.")))
            else:
                values[key] = empty
            continue
        try:
            values[key] = check(value)
        except CellError as exc:
            errors.append(layout.problem(number, key, str(exc)))
    return values if len(errors) == found else None


# --- the header and the rows -----------------------------------------------------------


def find_header(rows: Rows, layout: Layout) -> tuple[int, dict[str, int]] | ReadResult:
    """The header row (its number) and each known column's position in it, or the
    file's error. Reads `rows` up to the header only."""
    lookup, normalize = layout.lookup, layout.normalize
    seen_values = False
    for number, values in rows:
        if number > HEADER_SEARCH_ROWS:
            break
        seen_values = seen_values or any(not blank(v) for v in values)
        keys = [lookup.get(normalize(v)) if isinstance(v, str) else None for v in values]
        if sum(1 for k in keys if k) < MIN_KNOWN_HEADERS:
            continue
        positions: dict[str, int] = {}
        for index, key in enumerate(keys):
            if key is None:
                continue
            if key in positions:
                return file_error(
                    _("The column “%(column)s” appears twice in the header row.")
                    % {"column": layout.by_key[key].header}, row=number)
            positions[key] = index
        missing = [layout.by_key[k].header for k in layout.required_keys
                   if k not in positions]
        if missing:
            return file_error(
                _("Missing columns: %(columns)s. Download the template to see the expected "
                  "headers.") % {"columns": "、".join(missing)}, row=number)
        return number, positions
    columns = "、".join(layout.by_key[k].header for k in layout.required_keys)
    if layout.csv:
        if not seen_values:
            return file_error(_("The file is empty."))
        return file_error(_(
            "No header row found in the first %(n)d rows. The file needs the columns: "
            "%(columns)s.") % {"n": HEADER_SEARCH_ROWS, "columns": columns})
    if not seen_values:
        return file_error(_("The sheet is empty."))
    return file_error(_(
        "No header row found in the first %(n)d rows. The sheet needs the columns: "
        "%(columns)s.") % {"n": HEADER_SEARCH_ROWS, "columns": columns})


RowReader = Callable[[int, dict[str, Any], ReadResult], Any]


def read_rows(rows: Rows, layout: Layout, read_row: RowReader, *, max_rows: int,
              no_rows: Callable[[], str]) -> ReadResult:
    """The header, then every non-blank row: `read_row(number, cells by key, result)`
    returns the row's value (kept in `result.rows`) or None after adding its problems to
    `result.errors`. More than `max_rows` rows, or none, is the file's error."""
    found = find_header(rows, layout)
    if isinstance(found, ReadResult):
        return found
    header_row, positions = found
    result = ReadResult(columns=frozenset(positions))
    columns = list(positions.items())
    for number, values in rows:
        width = len(values)
        cells = {key: values[i] if i < width else None for key, i in columns}
        if all(blank(v) for v in cells.values()):
            continue
        result.row_count += 1
        if result.row_count > max_rows:
            return file_error(_("The file has more than %(max)s rows: split it into several "
                                "files.") % {"max": f"{max_rows:,}"})
        row = read_row(number, cells, result)
        if row is not None:
            result.rows.append(row)
    if result.row_count == 0:
        return file_error(no_rows(), row=header_row)
    return result


# --- the file ------------------------------------------------------------------------


def size_of(fileobj: IO[bytes]) -> int:
    size = getattr(fileobj, "size", None)
    if size is not None:
        return size
    position = fileobj.tell()
    fileobj.seek(0, 2)
    size = fileobj.tell()
    fileobj.seek(position)
    return size


def _unreadable(layout: Layout) -> str:
    """Why a file that is no workbook (nor, if accepted, CSV) is refused."""
    if layout.csv:
        return _("This is neither an Excel .xlsx file nor a .csv text file. Save the export "
                 "as “Excel workbook (.xlsx)” or as CSV and upload it again (.xls is not "
                 "accepted).")
    return _("This is not an Excel .xlsx file. Save it from Excel or WPS as “Excel workbook "
             "(.xlsx)” and upload it again (.xls and .csv are not accepted).")


def _damaged(layout: Layout, exc: Exception) -> str:
    problem = {"problem": exc.__class__.__name__}
    if layout.csv:
        return _("The file could not be read (%(problem)s). Open it in Excel or WPS, save it "
                 "again and retry.") % problem
    return _("The workbook could not be read (%(problem)s). Open it in Excel or WPS, save it "
             "again as .xlsx and retry.") % problem


def open_workbook(fileobj: IO[bytes], layout: Layout, *, max_unpacked: int) -> Workbook | str:
    """The workbook, or the reason it cannot be read (in words an office can act on).
    The archive's unpacked size is checked before anything is unpacked."""
    try:
        fileobj.seek(0)
        archive = zipfile.ZipFile(fileobj)
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return _unreadable(layout)
    if unpacked > max_unpacked:
        archive.close()
        return _("The workbook holds too much data to import at once: split it into "
                 "several files.")
    try:
        return Workbook(archive)
    except (NotAWorkbook, zipfile.BadZipFile, KeyError, ValueError, OSError):
        archive.close()
        return _unreadable(layout)


def decode(data: bytes) -> str | None:
    """The text of a CSV file: UTF-8 with or without BOM, UTF-16 with BOM (Excel's
    "Unicode text"), else GB18030 (a superset of GBK and GB2312, what Excel on a Chinese
    Windows saves). None when it is none of these, or binary."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            content = data[len(codecs.BOM_UTF8):].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            content = data.decode("utf-16")
        else:
            try:
                content = data.decode("utf-8")
            except UnicodeDecodeError:
                content = data.decode("gb18030")
    except UnicodeDecodeError:
        return None
    return None if "\x00" in content else content


def csv_rows(content: str) -> Rows:
    """Comma- or tab-separated (whichever the first non-blank line has more of)."""
    first_line = next((line for line in content.splitlines() if line.strip()), "")
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    yield from enumerate(reader, start=1)


def read_file(fileobj: IO[bytes], layout: Layout, read_row: RowReader, *, max_bytes: int,
              max_unpacked: int, max_rows: int, no_rows: Callable[[], str]) -> ReadResult:
    """Every row of an uploaded file, checked on its own (see `read_rows`): an .xlsx
    (the `layout.sheet`, else the first sheet) or, when `layout.csv`, a .csv."""
    if size_of(fileobj) > max_bytes:
        return file_error(_("The file is larger than %(mb)d MB: split it into several "
                            "files.") % {"mb": max_bytes // (1024 * 1024)})
    if layout.csv:
        fileobj.seek(0)
        data = fileobj.read()
        if not data.startswith(b"PK\x03\x04"):
            content = decode(data)
            if content is None:
                return file_error(_unreadable(layout))
            try:
                return read_rows(csv_rows(content), layout, read_row, max_rows=max_rows,
                                 no_rows=no_rows)
            except _DAMAGED as exc:
                return file_error(_damaged(layout, exc))
        fileobj = io.BytesIO(data)
    workbook = open_workbook(fileobj, layout, max_unpacked=max_unpacked)
    if isinstance(workbook, str):
        return file_error(workbook)
    try:
        names = workbook.sheetnames
        sheet = layout.sheet if layout.sheet and layout.sheet in names else names[0]
        return read_rows(workbook.rows(sheet), layout, read_row, max_rows=max_rows,
                         no_rows=no_rows)
    except _DAMAGED as exc:  # a damaged sheet inside a valid archive
        return file_error(_damaged(layout, exc))
    finally:
        workbook.close()
