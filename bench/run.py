"""`make bench`: measure the speed targets of the issues on this machine.

Runs in-process against a dedicated database (PostgreSQL when BENCH_DATABASE_URL or
DATABASE_URL is set, else the SQLite file var/bench.sqlite3), seeds it once, then
times each target with Django's test client: p50/p95 of the server-side time and the
queries per request. Prints one table and writes bench/results.json.

Residents' issues (issue 5): 1,000,000 issues are seeded on PostgreSQL (100,000 on
SQLite; `bench/seed_grievances.py`), the staff inbox and list API are timed like the
pages above, and the public submit is measured as throughput through gunicorn on
PostgreSQL + Redis (`bench/submit_throughput.py`; skipped, with the reason, without
them). `--only issues,submit` runs some groups only; `--help` lists the options.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"


def _configure() -> str:
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
        (ROOT / "var").mkdir(exist_ok=True)
        os.environ["SQLITE_PATH"] = str(ROOT / "var" / "bench.sqlite3")
    # Production-like: no DEBUG query log, real template caching.
    os.environ.update(
        DEBUG="0", SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0", DJANGO_SETTINGS_MODULE="renewal.settings",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    return f"{connection.vendor} {connection.settings_dict['NAME']}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def time_requests(client, url: str, *, n: int, warmup: int = 10) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(percentile(samples, 0.95), 2),
        "queries": len(queries),
        "n": n,
    }


GROUPS = ("registry", "tally", "import", "issues", "submit")


def _arguments(argv):
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default=",".join(GROUPS),
                        help=f"comma-separated groups to run (default all: {','.join(GROUPS)})")
    parser.add_argument("--issues", type=int, default=None,
                        help="residents' issues to seed (default 1,000,000 on PostgreSQL, "
                             "100,000 on SQLite)")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="how long the submit throughput runs (default 20)")
    args = parser.parse_args(argv)
    args.only = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = args.only - set(GROUPS)
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    return args


def main(argv=None) -> int:
    args = _arguments(argv)
    database = _configure()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench import scenarios
    from bench.seed_grievances import POSTGRES_COUNT, SQLITE_COUNT, ensure_grievances

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"database: {database}")
    rows = []
    user = scenarios.ensure_registry(compounds=10_000)
    scenarios.tally_data()
    issues = None
    if "issues" in args.only or "submit" in args.only:
        count = args.issues or (POSTGRES_COUNT if connection.vendor == "postgresql"
                                else SQLITE_COUNT)
        seeded = ensure_grievances(count=count)
        issues = seeded["count"]
        print(f"residents' issues: {issues:,}"
              + (f" ({seeded['added']:,} seeded in {seeded['seconds']} s)"
                 if seeded["added"] else ""))
    if connection.vendor == "postgresql":
        # The seeding is one bulk load; in production autovacuum analyzes after one. Without
        # fresh statistics the planner guesses 5 ballots where there are 1,700.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(user)
    baseline = time_requests(client, "/healthz", n=200)
    if "registry" in args.only:
        for name, url, target in scenarios.REGISTRY_PAGES:
            result = time_requests(client, url, n=200)
            rows.append({"name": name, "url": url, "target": f"p95 ≤ {target} ms",
                         "met": result["p95_ms"] <= target,
                         "ratio_to_trivial": round(result["p50_ms"] / baseline["p50_ms"], 1),
                         **result})
    if "issues" in args.only:
        clients = {}
        for who, staff in scenarios.issue_users().items():
            clients[who] = Client()
            clients[who].force_login(staff)
        # Issue 5 sets these targets on PostgreSQL; on the SQLite file of `make run` they
        # are measured for information and do not fail the run.
        informative = connection.vendor != "postgresql"
        for name, who, url, target in scenarios.inbox_pages():
            result = time_requests(clients[who], url, n=100)
            rows.append({"name": name, "url": url, "target": f"p95 ≤ {target} ms",
                         "met": result["p95_ms"] <= target, "issues": issues,
                         "informative": informative,
                         "ratio_to_trivial": round(result["p50_ms"] / baseline["p50_ms"], 1),
                         **result})
    rows.extend(scenarios.one_shot(tally="tally" in args.only,
                                   dwelling_import="import" in args.only))
    if "submit" in args.only:
        from bench.submit_throughput import measure as submit_measure

        rows.extend(submit_measure(seconds=args.seconds))

    width = max(len(r["name"]) for r in rows)
    print(f"{'target':<{width}}  {'p50':>8}  {'p95':>8}  {'queries':>7}  goal            met")
    for r in rows:
        if r.get("skipped"):
            print(f"{r['name']:<{width}}  {'-':>8}  {'-':>8}  {'-':>7}  "
                  f"{r['target']:<15} skipped: {r['skipped']}")
            continue
        p50 = f"{r['p50_ms']:.1f}ms" if "p50_ms" in r else "-"
        if "rps" in r:
            p95 = f"{r['p95_ms']:.1f}ms"
            goal = f"{r['target']} ({r['rps']:.0f}/s)"
        else:
            p95 = f"{r['p95_ms']:.1f}ms" if "p95_ms" in r else f"{r['seconds']:.2f}s"
            goal = r["target"]
        met = "yes" if r["met"] else "NO"
        if r.get("informative"):
            met = ("yes" if r["met"] else "no") + " (target is for PostgreSQL)"
        print(f"{r['name']:<{width}}  {p50:>8}  {p95:>8}  {r.get('queries', '-'):>7}  "
              f"{goal:<15} {met}")
    print(f"(trivial view /healthz p50 {baseline['p50_ms']} ms"
          + (f"; residents' issues in the database: {issues:,}" if issues else "") + ")")
    RESULTS.write_text(json.dumps(
        {"database": database, "issues": issues, "baseline": baseline, "results": rows},
        ensure_ascii=False, indent=2,
    ))
    # A skipped target (no PostgreSQL/Redis for the throughput run) is not a failure, nor
    # is an issue-5 target measured on SQLite.
    return 0 if all(r["met"] for r in rows
                    if not r.get("skipped") and not r.get("informative")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
