"""Seed the residents' issues the inbox benchmark reads (issue 5: 1,000,000 issues).

    .venv/bin/python -m bench.seed_grievances [--count N]   (on the bench database)

`ensure_grievances(count=)` tops the bench database up to `count` issues on the compounds
`bench.scenarios.ensure_registry` created (the 压测街道 district), each with its one
SUBMITTED event, and does nothing when they are already there (more count too). Rows
are deterministic (seeded random) and look like three years of a district: received
times spread over 3 years, every status (recent issues mostly open, older ones mostly
closed, some stragglers still open and climbed to the subdistrict or district), levels,
parties, deadlines (some overdue), the 12 categories (safety ones urgent), channels
(hotline rows with an external id), ratings, merges pointing at an earlier issue, half
the reporters with a phone.

PostgreSQL: COPY FROM STDIN (psycopg 3 `cursor.copy()` + `write_row`, rows streamed
from the generator so Python and the server work at once), 100,000 rows a COPY, all in
one transaction (an interrupted run leaves nothing behind). A bulk load drops the plain
indexes of the two tables and builds them again at the end, and as a superuser skips
the foreign-key triggers (the keys are valid by construction); then VACUUM ANALYZE.
1,000,000 issues + their events take about 40 s on 2 cores.
SQLite (no PostgreSQL at hand): `executemany`, and `make bench` asks for 100,000.
"""

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

POSTGRES_COUNT = 1_000_000
SQLITE_COUNT = 100_000
CHUNK = 100_000
SPAN_DAYS = 3 * 365
BENCH_SUBDISTRICT_PREFIX = "压测街道"

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

# (age in days up to, [(status, weight)]): new issues are mostly open, old ones closed.
_STATUS_BY_AGE = [
    (3, [("received", 40), ("accepted", 20), ("assigned", 25), ("in_progress", 8),
         ("resolved", 3), ("rejected", 2), ("merged", 2)]),
    (30, [("received", 6), ("accepted", 6), ("assigned", 18), ("in_progress", 18),
          ("reopened", 2), ("resolved", 22), ("closed", 20), ("rejected", 4), ("merged", 4)]),
    (180, [("received", 1), ("accepted", 1), ("assigned", 3), ("in_progress", 3),
           ("reopened", 1), ("resolved", 2), ("closed", 81), ("rejected", 4), ("merged", 4)]),
    (10**6, [("assigned", 1), ("in_progress", 0.5), ("reopened", 0.5), ("closed", 89),
             ("rejected", 5), ("merged", 4)]),
]
# Levels of open issues by age (old stragglers have climbed), and of finished ones.
_OPEN_LEVEL_BY_AGE = [
    (3, [("compound", 90), ("community", 10)]),
    (30, [("compound", 40), ("community", 30), ("subdistrict", 20), ("district", 10)]),
    (10**6, [("compound", 10), ("community", 25), ("subdistrict", 30), ("district", 35)]),
]
_DONE_LEVELS = [("compound", 70), ("community", 20), ("subdistrict", 7), ("district", 3)]
# Share of open issues past their deadline, by age.
_OVERDUE_BY_AGE = [(3, 0.10), (30, 0.35), (10**6, 0.60)]
_CATEGORIES = [("leak", 18), ("blocked_pipe", 12), ("road", 8), ("parking", 10),
               ("construction_nuisance", 6), ("safety", 5), ("sanitation", 12),
               ("elevator", 5), ("lighting", 6), ("greenery", 4), ("property_service", 10),
               ("other", 4)]
_CHANNELS = [("qr", 50), ("api", 20), ("hotline", 15), ("visit", 8), ("walk_in", 5),
             ("inspection", 2)]
_PARTIES = {"compound": ("property_company", "owners_committee", "party_branch"),
            "community": ("community_office",), "subdistrict": ("subdistrict_office",),
            "district": ("district_department",)}
_RATINGS = [("satisfied", 70), ("basically", 20), ("unsatisfied", 10)]
_OPEN = {"received", "accepted", "assigned", "in_progress", "reopened"}
_HANDLED = {"assigned", "in_progress", "resolved", "closed", "reopened"}
_PROBLEMS = [
    "顶层漏水，天花板掉灰", "楼道灯不亮，晚上看不见台阶", "下水道堵塞，污水反到地面",
    "小区路面塌陷一个坑", "电梯经常停在半层", "车位被长期占用", "施工噪音晚上十点还在响",
    "绿化带杂草很高有蚊虫", "垃圾桶满了没人清运", "外墙瓷砖松动有掉落危险",
    "单元门禁坏了关不上", "雨水管断裂，墙面渗水", "物业不回电话", "路灯夜里全灭",
    "消防通道堆满杂物", "化粪池冒水有臭味", "楼顶防水层开裂", "健身器材螺丝松了",
]
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗"


def _weighted(table):
    values = [v for v, _w in table]
    cumulative, total = [], 0.0
    for _v, weight in table:
        total += weight
        cumulative.append(total)
    return values, cumulative


def _by_age(bands, transform):
    return [(limit, transform(table)) for limit, table in bands]


def tracking_code(n: int) -> str:
    """A seeded issue's code: its number in the code alphabet (ABCD-2345 shape), unique
    and of the intake's shape, so lookups and pages treat them like real ones."""
    chars = []
    for _i in range(8):
        n, rest = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[rest])
    raw = "".join(reversed(chars))
    return f"{raw[:4]}-{raw[4:]}"


def _rows(*, start_id: int, count: int, total: int, offset: int, now: datetime,
          compound_ids: list[int], category_ids: dict[str, int]):
    """(grievance row, event row) pairs for ids start_id.. ; row `offset + i` of `total`
    is received at an even step over the 3 years, so ids follow time as in real life."""
    rng = random.Random(start_id)
    choices = rng.choices
    status_bands = _by_age(_STATUS_BY_AGE, _weighted)
    level_bands = _by_age(_OPEN_LEVEL_BY_AGE, _weighted)
    done_levels = _weighted(_DONE_LEVELS)
    categories = _weighted(_CATEGORIES)
    channels = _weighted(_CHANNELS)
    ratings = _weighted(_RATINGS)
    start = now - timedelta(days=SPAN_DAYS)
    step = SPAN_DAYS * 86400 / max(total, 1)
    last_kept = None
    for i in range(count):
        pk = start_id + i
        received = start + timedelta(seconds=(offset + i) * step + rng.random() * step)
        age = (now - received).total_seconds() / 86400
        status = next(choices(v, cum_weights=c)[0] for limit, (v, c) in status_bands
                      if age < limit)
        if status in _OPEN:
            level = next(choices(v, cum_weights=c)[0] for limit, (v, c) in level_bands
                         if age < limit)
            overdue_share = next(share for limit, share in _OVERDUE_BY_AGE if age < limit)
            if rng.random() < overdue_share:
                due = max(received + timedelta(hours=1),
                          now - timedelta(hours=1 + rng.random() * min(age, 30) * 24))
            else:
                due = now + timedelta(hours=1 + rng.random() * 240)
        else:
            level = choices(done_levels[0], cum_weights=done_levels[1])[0]
            due = received + timedelta(hours=72)
        category = choices(categories[0], cum_weights=categories[1])[0]
        channel = choices(channels[0], cum_weights=channels[1])[0]
        priority = "urgent" if category == "safety" or rng.random() < 0.03 else "normal"
        party = rng.choice(_PARTIES[level]) if status in _HANDLED else ""
        resolved = closed = rated = None
        rating = ""
        if status == "resolved":
            resolved = now - timedelta(seconds=rng.random() * min(age, 7) * 86400)
        elif status == "closed":
            resolved = received + timedelta(hours=12 + rng.random() * min(age * 24 - 12, 280))
            closed = min(now, resolved + timedelta(hours=rng.random() * 168))
            if rng.random() < 0.6:
                rating = choices(ratings[0], cum_weights=ratings[1])[0]
                rated = closed
        merged_into = last_kept if status == "merged" else None
        if status == "merged" and merged_into is None:
            status = "rejected"
        if status != "merged":
            last_kept = pk
        phone = name = ""
        if rng.random() < 0.5:
            phone = f"1{rng.choice('3456789')}{pk % 10**9:09d}"
            if rng.random() < 0.5:
                name = rng.choice(_SURNAMES) + rng.choice(("先生", "女士"))
        text = f"{rng.randint(1, 30)}号楼{rng.choice(_PROBLEMS)}，请尽快处理。"
        yield (
            (pk, tracking_code(pk), rng.choice(compound_ids), None,
             str(rng.randint(1, 6)) if rng.random() < 0.3 else "", None,
             category_ids[category], text, name, phone, bool(phone), channel,
             f"BENCH-{pk}" if channel == "hotline" else "", None,
             status, level, priority, party, "", None, due, merged_into,
             received, resolved, closed, closed or resolved or received,
             rating, "", rated, None),
            (pk, "submitted", "", "received", "", "compound", channel, None, received),
        )


GRIEVANCE_FIELDS = (
    "id", "tracking_code", "compound", "building", "unit", "qr_point", "category",
    "description", "reporter_name", "reporter_phone", "consent_contact", "channel",
    "external_id", "idempotency_key", "status", "level", "priority", "party", "party_name",
    "assignee", "due_at", "merged_into", "received_at", "resolved_at", "closed_at",
    "updated_at", "rating", "rating_comment", "rated_at", "created_by",
)
EVENT_FIELDS = ("grievance", "kind", "from_status", "to_status", "from_level", "to_level",
                "note", "by", "at")


def _columns(model, fields) -> tuple[str, str]:
    from django.db import connection

    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    return quote(model._meta.db_table), names


def _copy(cursor, model, fields, rows) -> None:
    table, columns = _columns(model, fields)
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _sqlite_value(value):
    if isinstance(value, datetime):  # how Django stores an aware datetime in SQLite
        return str(value.astimezone(UTC).replace(tzinfo=None))
    return value


def _insert_many(cursor, model, fields, rows) -> None:
    table, columns = _columns(model, fields)
    marks = ", ".join(["%s"] * len(fields))
    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                       [tuple(_sqlite_value(v) for v in row) for row in rows])


def bench_compound_ids() -> list[int]:
    from compounds.models import Compound

    return list(Compound.objects.filter(
        community__subdistrict__name__startswith=BENCH_SUBDISTRICT_PREFIX,
    ).order_by("pk").values_list("pk", flat=True))


def _secondary_indexes(cursor, tables) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain (non-unique) indexes of `tables`."""
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary",
        [list(tables)],
    )
    return cursor.fetchall()


def ensure_grievances(*, count: int, verbose: bool = True) -> dict:
    """Top the database up to `count` issues (nothing to do when they are there).
    Returns {"count", "added", "seconds"}."""
    from django.db import connection, transaction
    from django.db.models import Max
    from django.utils import timezone

    from grievances.catalog import seed_catalog
    from grievances.models import Category, DeadlineRule, Grievance, GrievanceEvent

    have = Grievance.objects.count()
    if have >= count:
        return {"count": have, "added": 0, "seconds": 0.0}
    seed_catalog(Category, DeadlineRule)
    compound_ids = bench_compound_ids()
    assert compound_ids, "run bench.scenarios.ensure_registry first"
    category_ids = dict(Category.objects.values_list("code", "pk"))
    # Now, to the minute.
    now = timezone.now().replace(second=0, microsecond=0)
    postgres = connection.vendor == "postgresql"
    tables = (Grievance._meta.db_table, GrievanceEvent._meta.db_table)
    started = time.perf_counter()
    added = 0
    first = (Grievance.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    # One transaction: an interrupted run leaves nothing half done (PostgreSQL's DDL is
    # transactional too, so dropped indexes come back on a rollback).
    with transaction.atomic(), connection.cursor() as cursor:
        indexes = []
        if postgres:
            # Foreign keys checked at the end of each COPY, not all at commit (an index
            # cannot be built while checks are pending).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                # The rows are made with valid keys: skip the foreign-key triggers (a
                # third of the load time). Needs a superuser; others just wait longer.
                cursor.execute("SET LOCAL session_replication_role = replica")
        if postgres and count - have >= CHUNK:
            # A bulk load: build the plain indexes once at the end, not row by row.
            indexes = _secondary_indexes(cursor, tables)
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        while have + added < count:
            n = min(CHUNK, count - have - added)
            rows = _rows(start_id=first + added, count=n, total=count, offset=have + added,
                         now=now, compound_ids=compound_ids, category_ids=category_ids)
            events = []
            if postgres:
                # Rows stream into COPY as they are made: Python and the server overlap.
                _copy(cursor, Grievance, GRIEVANCE_FIELDS,
                      (g for g, e in rows if not events.append(e)))
                _copy(cursor, GrievanceEvent, EVENT_FIELDS, events)
            else:
                _insert_many(cursor, Grievance, GRIEVANCE_FIELDS,
                             [g for g, e in rows if not events.append(e)])
                _insert_many(cursor, GrievanceEvent, EVENT_FIELDS, events)
            added += n
            if verbose:
                print(f"  seeded {have + added:,} / {count:,} issues "
                      f"({time.perf_counter() - started:.0f} s)", flush=True)
        for _name, definition in indexes:
            cursor.execute(definition)
        if postgres:
            # Ids were given explicitly: move the identity past them.
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{tables[0]}', 'id'), "
                           f"(SELECT MAX(id) FROM {tables[0]}))")
    with connection.cursor() as cursor:
        if postgres:
            # What autovacuum would do after a bulk load: statistics for the planner and
            # the visibility map, without which a COUNT cannot be an index-only scan.
            cursor.execute(f"VACUUM ANALYZE {tables[0]}")
            cursor.execute(f"VACUUM ANALYZE {tables[1]}")
        else:
            cursor.execute("ANALYZE")
    return {"count": have + added, "added": added,
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> int:
    from bench.run import _configure

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=None)
    args = parser.parse_args()
    database = _configure()
    from django.core.management import call_command
    from django.db import connection

    from bench import scenarios

    call_command("migrate", verbosity=0)
    scenarios.ensure_registry(compounds=10_000)
    count = args.count or (POSTGRES_COUNT if connection.vendor == "postgresql"
                           else SQLITE_COUNT)
    print(f"database: {database}")
    result = ensure_grievances(count=count)
    print(f"{result['count']:,} issues ({result['added']:,} added in {result['seconds']} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
