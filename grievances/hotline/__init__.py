"""Import of the city hotline's export (12345 / 青诉即办), .xlsx or .csv.

`hotline_import_preview` says what a file would do and lists every bad row (row, column,
reason) and every warning, writing nothing; `hotline_import_apply` writes it, all or
nothing. A work order is known by its number (工单编号 → `Grievance.external_id`, channel
hotline): importing it again updates that issue, never a second one, and the same file
again changes nothing. `layout` holds the columns and the word lists, `reader` the file,
`services` the matching and writing.
"""

from grievances.hotline.layout import COLUMNS, column_notes, template_bytes
from grievances.hotline.reader import MAX_FILE_BYTES, MAX_ROWS
from grievances.hotline.services import (
    HotlineReport,
    RowChange,
    hotline_import_apply,
    hotline_import_preview,
)

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "HotlineReport",
    "RowChange",
    "column_notes",
    "hotline_import_apply",
    "hotline_import_preview",
    "template_bytes",
]
