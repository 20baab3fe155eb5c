"""A small, fast reader of one sheet of an .xlsx workbook: cell values, row by row.

openpyxl's read-only mode builds a dict and several objects per cell; on this machine
that is ~0.3 ms a row, most of the time of a 10,000-row import. This reader does only
what the import needs: the sheet names, the shared strings, which cell styles are
dates, and the values of one sheet, streamed with ElementTree.iterparse (constant
memory). Values come out as openpyxl's `values_only` gives them (str, int, float, bool,
datetime, None), plus `ExcelError` for cells such as #N/A. openpyxl still writes the
template and the exports, and supplies the date-format rules.
"""

import posixpath
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO
from xml.etree.ElementTree import ParseError, iterparse

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

# Built-in formats Excel leaves out of styles.xml; 27–36 and 50–58 are the East Asian
# date formats (yyyy年m月d日 ...) that openpyxl does not list.
_DATE_FORMAT_IDS = {i for i, code in BUILTIN_FORMATS.items() if is_date_format(code)}
_DATE_FORMAT_IDS |= set(range(27, 37)) | set(range(50, 59))
# Cells further right are ignored: the layout has 14 columns, and a cell at column XFD
# must not make every row 16,384 values long.
MAX_COLUMNS = 256


class NotAWorkbook(Exception):
    """The archive is not a SpreadsheetML workbook (or a damaged one)."""


class ExcelError(str):
    """A cell holding an Excel error value such as #N/A or #VALUE!."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _attribute(element, name: str) -> str | None:
    """An attribute by local name, whatever its namespace (r:id is namespaced)."""
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return None


def _column_index(reference: str) -> int:
    """0-based column of a cell reference such as "AB12"."""
    index = 0
    for char in reference:
        if "A" <= char <= "Z":
            index = index * 26 + ord(char) - 64
        else:
            break
    return index - 1


class Workbook:
    def __init__(self, archive: zipfile.ZipFile):
        self._archive = archive
        self._names = set(archive.namelist())
        workbook_path = self._office_document()
        relations = self._relations(workbook_path)
        self.sheets: list[tuple[str, str]] = []  # (name, part path), in workbook order
        self._epoch = CALENDAR_WINDOWS_1900
        for element in self._elements(workbook_path):
            name = _local(element.tag)
            if name == "sheet":
                target = relations.get(_attribute(element, "id") or "", ("", ""))[1]
                if target in self._names:
                    self.sheets.append((element.get("name", ""), target))
            elif name == "workbookPr" and element.get("date1904") in ("1", "true"):
                self._epoch = CALENDAR_MAC_1904
        if not self.sheets:
            raise NotAWorkbook("no worksheet")
        by_type = {kind.rpartition("/")[2]: target for kind, target in relations.values()}
        self._strings = self._shared_strings(by_type.get("sharedStrings"))
        self._date_styles = self._date_style_ids(by_type.get("styles"))

    def close(self) -> None:
        self._archive.close()

    @property
    def sheetnames(self) -> list[str]:
        return [name for name, _path in self.sheets]

    def _elements(self, path: str) -> list:
        try:
            with self._archive.open(path) as source:
                return [element for _event, element in iterparse(source)]
        except (KeyError, ParseError) as exc:
            raise NotAWorkbook(path) from exc

    def _office_document(self) -> str:
        for _id, (kind, target) in self._relations("").items():
            if kind.endswith("/officeDocument"):
                return target
        raise NotAWorkbook("no workbook part")

    def _relations(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, target path) of a part's relationships ("" for the package)."""
        folder, name = posixpath.split(part)
        path = posixpath.join(folder, "_rels", f"{name}.rels")
        if path not in self._names:
            return {}
        relations = {}
        for element in self._elements(path):
            if _local(element.tag) != "Relationship" or element.get("TargetMode") == "External":
                continue
            target = element.get("Target", "")
            target = (target.lstrip("/") if target.startswith("/")
                      else posixpath.normpath(posixpath.join(folder, target)))
            relations[element.get("Id", "")] = (element.get("Type", ""), target)
        return relations

    def _shared_strings(self, path: str | None) -> list[str]:
        if not path or path not in self._names:
            return []
        strings: list[str] = []
        parts: list[str] = []
        phonetic = 0  # inside <rPh>: a reading guide, not part of the text
        try:
            with self._archive.open(path) as source:
                for event, element in iterparse(source, events=("start", "end")):
                    name = _local(element.tag)
                    if name == "rPh":
                        phonetic += 1 if event == "start" else -1
                    elif event == "end" and name == "t" and not phonetic:
                        parts.append(element.text or "")
                    elif event == "end" and name == "si":
                        strings.append("".join(parts))
                        parts = []
                        element.clear()
        except ParseError as exc:
            raise NotAWorkbook(path) from exc
        return strings

    def _date_style_ids(self, path: str | None) -> set[int]:
        if not path or path not in self._names:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_xfs = False
        with self._archive.open(path) as source:
            try:
                for event, element in iterparse(source, events=("start", "end")):
                    name = _local(element.tag)
                    if name == "cellXfs":
                        in_cell_xfs = event == "start"
                    elif event == "end" and name == "numFmt":
                        custom[int(element.get("numFmtId", -1))] = element.get("formatCode", "")
                    elif event == "end" and name == "xf" and in_cell_xfs:
                        formats.append(int(element.get("numFmtId", 0)))
            except (ParseError, ValueError) as exc:
                raise NotAWorkbook(path) from exc
        return {
            index for index, format_id in enumerate(formats)
            if (is_date_format(custom[format_id]) if format_id in custom
                else format_id in _DATE_FORMAT_IDS)
        }

    def rows(self, sheet_name: str) -> Iterator[tuple[int, list]]:
        """(Excel row number, values by column) for each row the sheet stores."""
        path = dict(self.sheets)[sheet_name]
        with self._archive.open(path) as source:
            try:
                yield from self._parse_rows(source)
            except ParseError as exc:
                raise NotAWorkbook(path) from exc

    def _parse_rows(self, source: IO[bytes]) -> Iterator[tuple[int, list]]:
        row_tag = cell_tag = value_tag = inline_tag = ""
        row_number = 0
        cells: list = []
        column = -1
        for _event, element in iterparse(source):
            tag = element.tag
            if not row_tag:
                namespace = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
                row_tag, cell_tag = namespace + "row", namespace + "c"
                value_tag, inline_tag = namespace + "v", namespace + "is"
            if tag == cell_tag:
                reference = element.get("r")
                column = _column_index(reference) if reference else column + 1
                value = self._value(element, value_tag, inline_tag)
                if value is not None and column < MAX_COLUMNS:
                    if column >= len(cells):
                        cells.extend([None] * (column + 1 - len(cells)))
                    cells[column] = value
                element.clear()
            elif tag == row_tag:
                number = element.get("r")
                row_number = int(number) if number else row_number + 1
                yield row_number, cells
                cells = []
                column = -1
                element.clear()

    def _value(self, element, value_tag: str, inline_tag: str):
        kind = element.get("t", "n")
        if kind == "inlineStr":
            inline = element.find(inline_tag)
            if inline is None:
                return None
            parts = []
            for child in inline:  # <t>, or rich-text runs <r><t>; not the phonetic <rPh>
                name = _local(child.tag)
                if name == "t":
                    parts.append(child.text or "")
                elif name == "r":
                    parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
            return "".join(parts)
        text = element.findtext(value_tag)
        if text is None or text == "":
            return None
        if kind == "s":
            return self._strings[int(text)]
        if kind == "n":
            number = float(text) if any(c in text for c in ".eE") else int(text)
            style = element.get("s")
            if style and int(style) in self._date_styles:
                try:
                    return from_excel(number, self._epoch)
                except (OverflowError, ValueError):
                    return ExcelError("#VALUE!")
            return number
        if kind == "str":
            return text
        if kind == "b":
            return text == "1"
        if kind == "e":
            return ExcelError(text)
        if kind == "d":
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                return ExcelError("#VALUE!")
        return text
