"""What an import found and did: counts per level and every problem, row by row."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RowError:
    """One problem. `row` is the row number Excel shows (None for the file as a whole);
    `column` the header as written in the template ("" when no one column is at fault)."""

    row: int | None
    column: str
    reason: str


class Problems:
    """What every import's report says of its problems, kept in `errors`."""

    errors: list[RowError]

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def bad_rows(self) -> int:
        return len({e.row for e in self.errors if e.row is not None})


def problems_as_dicts(problems: list[RowError]) -> list[dict]:
    return [{"row": e.row, "column": e.column, "reason": e.reason} for e in problems]


@dataclass
class LevelCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated


@dataclass
class ImportReport(Problems):
    rows: int = 0  # non-empty data rows read
    compounds: LevelCounts = field(default_factory=LevelCounts)
    buildings: LevelCounts = field(default_factory=LevelCounts)
    dwellings: LevelCounts = field(default_factory=LevelCounts)
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False  # True once the changes are in the database
    fatal: bool = False  # the file as a whole is unusable (not a workbook, no header...)

    @property
    def has_changes(self) -> bool:
        return any(level.changed for level in (self.compounds, self.buildings, self.dwellings))

    def levels(self) -> list[tuple[str, LevelCounts]]:
        return [("compounds", self.compounds), ("buildings", self.buildings),
                ("dwellings", self.dwellings)]

    def as_dict(self) -> dict:
        return {
            "rows": self.rows,
            "valid": self.is_valid,
            "applied": self.applied,
            "fatal": self.fatal,
            **{
                name: {"created": c.created, "updated": c.updated, "unchanged": c.unchanged}
                for name, c in self.levels()
            },
            "errors": problems_as_dicts(self.errors),
        }
