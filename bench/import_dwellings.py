"""Benchmark: the Excel import of 10,000 dwellings (issue 3 target: ≤ 15 s).

    .venv/bin/python -m bench.import_dwellings [--dwellings 10000]

Builds a 房屋清册 workbook in memory and times the import services on a throwaway
database created and dropped here: `bench_import_<name>` on the PostgreSQL server of
DATABASE_URL when it is set, else a temporary SQLite file under var/. Tables come
straight from the models (like `--nomigrations`), so the run does not depend on the
state of the migration files. Timed, each from the .xlsx bytes:

  preview, then apply, of a new file (10,000 dwellings created);
  preview and apply of the same file again (nothing to change);
  apply of the file with every area edited (10,000 dwellings updated).

The target is met when preview + apply of the new file take ≤ 15 s, what a user waits
for in all. `measure()` is what `bench/run.py` can call on its own database.
"""

import argparse
import io
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 15.0
BENCH_SUBDISTRICT = "导入压测街道"


def _configure() -> None:
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0", DJANGO_SETTINGS_MODULE="renewal.settings",
    )
    if not os.environ.get("DATABASE_URL"):
        (ROOT / "var").mkdir(exist_ok=True)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def build_workbook(*, dwellings: int, communities: list[str], area_bump: str = "0") -> bytes:
    """Compounds of 10 buildings × 2 units × 25 dwellings, spread over `communities`."""
    from openpyxl import Workbook

    from compounds.importing import COLUMNS, SHEET_NAME

    # Not write-only mode: like Excel and WPS, the normal mode writes shared strings and
    # the sheet's dimension, which is what offices upload.
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    sheet.append([c.header for c in COLUMNS])
    bump = Decimal(area_bump)
    per_compound = 10 * 2 * 25
    for i in range(dwellings):
        compound, rest = divmod(i, per_compound)
        building, rest = divmod(rest, 50)
        unit, number = divmod(rest, 25)
        floor, door = divmod(number, 2)
        first_of_compound = rest == 0 and building == 0
        sheet.append([
            BENCH_SUBDISTRICT,
            communities[compound % len(communities)],
            f"压测小区{compound:03d}",
            f"压测路{compound}号" if first_of_compound else None,
            1985 + compound % 15 if first_of_compound else None,
            str(building + 1),
            2 if unit == 0 and number == 0 else None,
            6 if unit == 0 and number == 0 else None,
            str(unit + 1),
            f"{floor + 1}{door + 1:02d}",
            float(Decimal("55.00") + Decimal(i % 400) / 10 + bump),
            f"BENCH-{i:06d}",
            f"业主{i}",
            f"139{i:08d}",
        ])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _seed():
    from compounds.models import Community, Compound, Role, Subdistrict, User

    subdistrict, _ = Subdistrict.objects.get_or_create(name=BENCH_SUBDISTRICT)
    Compound.objects.filter(community__subdistrict=subdistrict).delete()
    communities = [
        Community.objects.get_or_create(name=f"导入压测社区{j}", subdistrict=subdistrict)[0].name
        for j in range(5)
    ]
    user, _ = User.objects.get_or_create(username="bench-import",
                                         defaults={"role": Role.DISTRICT})
    return user, subdistrict, communities


def _timed(name: str, call, data: bytes, *, expect: dict) -> dict:
    started = time.perf_counter()
    report = call(io.BytesIO(data))
    seconds = time.perf_counter() - started
    assert report.is_valid, report.errors[:5]
    got = {"created": report.dwellings.created, "updated": report.dwellings.updated}
    assert got == expect, (name, got, expect)
    return {"name": name, "seconds": round(seconds, 2)}


def measure(*, dwellings: int = 10_000) -> list[dict]:
    """Time the import on the configured database; leaves it as it found it."""
    from compounds.importing import registry_import_apply, registry_import_preview
    from compounds.models import Compound

    user, subdistrict, communities = _seed()
    new = build_workbook(dwellings=dwellings, communities=communities)
    edited = build_workbook(dwellings=dwellings, communities=communities, area_bump="0.5")

    def preview(f):
        return registry_import_preview(user=user, fileobj=f)

    def apply(f):
        return registry_import_apply(user=user, fileobj=f)

    n = f"{dwellings:,}"
    none = {"created": 0, "updated": 0}
    try:
        rows = [
            _timed(f"import preview, {n} new dwellings", preview, new,
                   expect={"created": dwellings, "updated": 0}),
            _timed(f"import apply, {n} new dwellings", apply, new,
                   expect={"created": dwellings, "updated": 0}),
            _timed(f"import preview, same {n} again", preview, new, expect=none),
            _timed(f"import apply, same {n} again", apply, new, expect=none),
            _timed(f"import apply, {n} dwellings edited", apply, edited,
                   expect={"created": 0, "updated": dwellings}),
        ]
    finally:
        Compound.objects.filter(community__subdistrict=subdistrict).delete()
    total = rows[0]["seconds"] + rows[1]["seconds"]
    for row in rows:
        row.update(target="", met=True)
    rows.insert(2, {"name": f"import of {n} dwellings, preview + apply",
                    "seconds": round(total, 2), "target": f"≤ {TARGET_SECONDS:g} s",
                    "met": total <= TARGET_SECONDS})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dwellings", type=int, default=10_000)
    args = parser.parse_args()
    _configure()
    from django.conf import settings
    from django.db import connection

    test = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(ROOT / "var" / "bench-import.sqlite3")
    else:
        test["NAME"] = f"bench_import_{settings.DATABASES['default']['NAME']}"
    test["MIGRATE"] = False
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        print(f"database: {connection.vendor} {name}")
        rows = measure(dwellings=args.dwellings)
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        met = ("yes" if r["met"] else "NO") if r["target"] else ""
        print(f"{r['name']:<{width}}  {r['seconds']:>7.2f} s  {r['target']:<8} {met}")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
