"""Excel import of the registry (房屋清册): compounds, buildings and dwellings.

`registry_import_preview` says what a file would change and lists every bad row;
`registry_import_apply` writes it, all or nothing. The layout (headers, template) is in
`layout`; `sheet` reads the .xlsx (a small streaming reader: openpyxl's read-only mode
was most of the time of a 10,000-row import); `tabular` is what any import reads a file
with (file checks, the header row, the row loop, cell helpers; the hotline import uses
it too); `reader` checks the registry's cells, row by row; `services` matches the rows
against the registry and writes them; `store` keeps an uploaded file between the
preview and the confirm (the pages: `compounds.views.imports.ImportPages`).
Speed: bench/import_dwellings.py.
"""

from compounds.importing import store
from compounds.importing.layout import COLUMNS, SHEET_NAME, template_bytes
from compounds.importing.reader import MAX_FILE_BYTES, MAX_ROWS
from compounds.importing.report import ImportReport, LevelCounts, RowError
from compounds.importing.services import registry_import_apply, registry_import_preview

__all__ = [
    "COLUMNS",
    "MAX_FILE_BYTES",
    "MAX_ROWS",
    "SHEET_NAME",
    "ImportReport",
    "LevelCounts",
    "RowError",
    "registry_import_apply",
    "registry_import_preview",
    "store",
    "template_bytes",
]
