"""`make bench`: measure the speed targets of the issues on this machine.

Runs in-process against a dedicated database (PostgreSQL when BENCH_DATABASE_URL or
DATABASE_URL is set, else the SQLite file var/bench.sqlite3), seeds it once, then
times each target with Django's test client: p50/p95 of the server-side time and the
queries per request. Prints one table and writes bench/results.json.
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


def main() -> int:
    database = _configure()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench import scenarios

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    print(f"database: {database}")
    rows = []
    user = scenarios.ensure_registry(compounds=10_000)
    scenarios.tally_data()
    if connection.vendor == "postgresql":
        # The seeding is one bulk load; in production autovacuum analyzes after one. Without
        # fresh statistics the planner guesses 5 ballots where there are 1,700.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = Client()
    client.force_login(user)
    baseline = time_requests(client, "/healthz", n=200)
    for name, url, target in scenarios.REGISTRY_PAGES:
        result = time_requests(client, url, n=200)
        rows.append({"name": name, "url": url, "target": f"p95 ≤ {target} ms",
                     "met": result["p95_ms"] <= target,
                     "ratio_to_trivial": round(result["p50_ms"] / baseline["p50_ms"], 1),
                     **result})
    for row in scenarios.one_shot():
        rows.append(row)

    width = max(len(r["name"]) for r in rows)
    print(f"{'target':<{width}}  {'p50':>8}  {'p95':>8}  {'queries':>7}  goal            met")
    for r in rows:
        p50 = f"{r['p50_ms']:.1f}ms" if "p50_ms" in r else "-"
        p95 = f"{r['p95_ms']:.1f}ms" if "p95_ms" in r else f"{r['seconds']:.2f}s"
        print(f"{r['name']:<{width}}  {p50:>8}  {p95:>8}  {r.get('queries', '-'):>7}  "
              f"{r['target']:<15} {'yes' if r['met'] else 'NO'}")
    print(f"(trivial view /healthz p50 {baseline['p50_ms']} ms)")
    RESULTS.write_text(json.dumps(
        {"database": database, "baseline": baseline, "results": rows},
        ensure_ascii=False, indent=2,
    ))
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
