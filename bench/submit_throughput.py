"""Benchmark: residents' reports per second through gunicorn (issue 5: the phone form and
the public API, without photos, ≥ 150 requests/s on this machine).

    .venv/bin/python -m bench.submit_throughput [--seconds 20] [--workers 5]
        [--worker-class sync|gthread] [--threads 4] [--clients 10] [--no-form]

Needs PostgreSQL (BENCH_DATABASE_URL, the bench database `make bench` seeds) and Redis
(BENCH_REDIS_URL, default redis://127.0.0.1:6379/2); without them `measure()` returns
the rows as skipped, with the reason. It starts gunicorn with the project's
gunicorn.conf.py (bound to a free port on 127.0.0.1, access log to var/bench-gunicorn.log)
and production settings from the environment (DEBUG=0, Redis cache and Celery broker),
through bench/settings_gunicorn.py, which only raises the rate limits out of reach.

A client of `--clients` threads (http.client, keep-alive where the worker keeps the
connection) sends reports as a phone would: multipart, a random bench compound and
category, a description, a unit, half of them with a name, phone and consent (so an
Outbox SMS and a Celery message on commit) and each with its own Idempotency-Key. After
3 s of warm-up it counts for `--seconds`: requests/s completed, p50/p95 latency as the
client saw it, and every status other than 201 (none allowed). The phone form is then
measured the same way: each client thread GETs the form once (the CSRF cookie and
token), then POSTs reports with a fresh one-time `submission` key each (302 expected).

The reports made here are deleted afterwards and the bench's Celery queue emptied, so
the database is left as it was found.
"""

import argparse
import http.client
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RPS = 150
WARMUP_SECONDS = 3.0
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/2"
# The configuration kept after trying others (see docs/performance.md).
DEFAULTS = {"workers": 5, "worker_class": "sync", "threads": 1, "clients": 10}
MARKER = "（压测提交）"
API_PATH = "/api/v1/public/grievances/"
_CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_PROBLEMS = ["顶层漏水，天花板掉灰", "下水道堵塞，污水反到地面", "楼道灯不亮", "路面塌陷一个坑",
             "电梯停在半层", "垃圾没人清运", "外墙瓷砖松动"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _multipart(fields: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n")
    parts.append(f"--{boundary}--\r\n")
    return "".join(parts).encode(), f"multipart/form-data; boundary={boundary}"


def _report_fields(rng: random.Random, categories: list[str]) -> dict:
    fields = {
        "category": rng.choice(categories),
        "description": f"{rng.randint(1, 30)}号楼{rng.choice(_PROBLEMS)}，请尽快处理。{MARKER}",
        "unit": str(rng.randint(1, 6)),
    }
    if rng.random() < 0.5:
        fields.update(name="王先生", phone=f"139{rng.randint(0, 10**8 - 1):08d}",
                      consent_contact="true")
    return fields


class _Load:
    """Client threads against one gunicorn; collects completions inside the window."""

    def __init__(self, port: int, *, clients: int, make, expect: int, prepare=None):
        self.port, self.clients, self.make, self.expect = port, clients, make, expect
        self.prepare = prepare
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()

    def _connection(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _thread(self, index: int, start: float, end: float) -> None:
        rng = random.Random(index)
        conn = self._connection()
        try:
            state = self.prepare(conn) if self.prepare else None
        except Exception as exc:  # the form page failed: this client cannot post
            with self.lock:
                self.statuses[f"preparing: {exc}"] += 1
            conn.close()
            return
        latencies, statuses = [], Counter()
        while time.perf_counter() < end:
            method, path, body, headers = self.make(rng, state)
            began = time.perf_counter()
            try:
                conn.request(method, path, body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (http.client.HTTPException, OSError) as exc:
                conn.close()
                conn = self._connection()
                status = type(exc).__name__
            done = time.perf_counter()
            if start <= done <= end:
                statuses[status] += 1
                if status == self.expect:
                    latencies.append((done - began) * 1000)
        conn.close()
        with self.lock:
            self.latencies.extend(latencies)
            self.statuses.update(statuses)

    def run(self, seconds: float, *, cpu=None) -> dict:
        """Load for warm-up + `seconds`; `cpu()` (CPU seconds used by the server so far)
        is read at both ends of the window to give the server's CPU per request."""
        start = time.perf_counter() + WARMUP_SECONDS
        end = start + seconds
        threads = [threading.Thread(target=self._thread, args=(i, start, end))
                   for i in range(self.clients)]
        for t in threads:
            t.start()
        used = None
        if cpu is not None:
            time.sleep(max(0.0, start - time.perf_counter()))
            before = cpu()
            time.sleep(max(0.0, end - time.perf_counter()))
            used = cpu() - before
        for t in threads:
            t.join()
        ok = self.statuses.get(self.expect, 0)
        ordered = sorted(self.latencies) or [0.0]
        return {
            "rps": round(ok / seconds, 1),
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
                            1),
            "n": ok,
            "server_cpu_ms": round(used * 1000 / ok, 1) if used is not None and ok else None,
            "unexpected": {str(k): v for k, v in self.statuses.items() if k != self.expect},
        }


def _api_request(compounds, categories):
    def make(rng, _state):
        fields = _report_fields(rng, categories)
        fields["compound"] = str(rng.choice(compounds))
        body, content_type = _multipart(fields)
        return "POST", API_PATH, body, {"Content-Type": content_type,
                                        "Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    return make


def _form_requests(compounds, categories):
    def prepare(conn):
        conn.request("GET", f"/r/c/{compounds[0]}/report/")
        response = conn.getresponse()
        html = response.read()
        cookies = [c.split(";")[0] for c in response.headers.get_all("Set-Cookie", [])
                   if c.startswith("csrftoken=")]
        token = _CSRF_INPUT.search(html)
        if response.status != 200 or not cookies or not token:
            raise RuntimeError(f"form page answered {response.status} without a CSRF token")
        return {"cookie": cookies[0], "token": token.group(1).decode()}

    def make(rng, state):
        fields = _report_fields(rng, categories)
        fields.update(csrfmiddlewaretoken=state["token"], submission=uuid.uuid4().hex,
                      building="", website="")
        if fields.get("consent_contact"):
            fields["consent_contact"] = "on"
        body, content_type = _multipart(fields)
        return "POST", f"/r/c/{rng.choice(compounds)}/report/", body, {
            "Content-Type": content_type, "Cookie": state["cookie"]}
    return prepare, make


def _cpu_seconds(master: int) -> float:
    """CPU time (user + system) of gunicorn's workers so far, from /proc (Linux): the
    server's cost of a request whatever else the machine is doing meanwhile."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == master:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _why_not(redis_url: str) -> str | None:
    """Why the throughput cannot be measured here (None: it can)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return "needs PostgreSQL (set BENCH_DATABASE_URL)"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except Exception as exc:  # not installed, refused, timed out
        return f"needs Redis at {redis_url} ({type(exc).__name__})"
    return None


def _start_gunicorn(port: int, *, workers: int, worker_class: str, threads: int,
                    redis_url: str, log) -> subprocess.Popen:
    env = {
        **os.environ,  # DATABASE_URL: the bench database (bench.run._configure set it)
        "REDIS_URL": redis_url, "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_GUNICORN_SETTINGS",
                                                 "bench.settings_gunicorn"),
        "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads),
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return subprocess.Popen(
        [gunicorn, "--config", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--worker-class", worker_class, "--workers", str(workers), "--threads", str(threads),
         "--access-logfile", str(ROOT / "var" / "bench-gunicorn-access.log"),
         "--control-socket", f"/tmp/bench-gunicorn-{port}.ctl"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def _wait_ready(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}: "
                               "see var/bench-gunicorn.log")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse()  # any answer will do: 503 only says no Celery worker runs
            return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer in time: see var/bench-gunicorn.log")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the master stops its workers gracefully
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _clean_up(first_new_id: int, redis_url: str) -> int:
    """Delete the reports this benchmark made; empty the bench's Celery queue."""
    from grievances.models import Grievance

    deleted, _by_model = Grievance.objects.filter(
        pk__gte=first_new_id, description__endswith=MARKER).delete()
    try:
        import redis

        redis.Redis.from_url(redis_url).delete("celery")  # kombu's default queue
    except Exception:  # the queue holds a few thousand small messages at most
        pass
    return deleted


def measure(*, seconds: float = 20.0, form: bool = True, **config) -> list[dict]:
    """Rows for bench/run.py: the public API submit (the target) and the phone form."""
    from django.db.models import Max

    from bench.seed_grievances import bench_compound_ids
    from grievances.models import Category, Grievance

    config = {**DEFAULTS, **{k: v for k, v in config.items() if v is not None}}
    if config["worker_class"] == "sync":
        config["threads"] = 1  # gunicorn would otherwise switch a sync worker to gthread
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    shape = (f"gunicorn {config['workers']}×{config['worker_class']}"
             + (f"×{config['threads']}" if config["worker_class"] == "gthread" else "")
             + f", {config['clients']} clients")
    target = f"≥ {TARGET_RPS}/s"
    names = [f"public API submit, no photos ({shape})"]
    if form:
        names.append(f"phone form submit, no photos ({shape})")
    if reason := _why_not(redis_url):
        return [{"name": n, "target": target, "skipped": reason, "met": None} for n in names]

    compounds = bench_compound_ids()
    categories = list(Category.objects.filter(active=True).values_list("code", flat=True))
    first_new_id = (Grievance.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    port = _free_port()
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-gunicorn-access.log").write_text("")  # this run's lines only
    rows = []
    with open(ROOT / "var" / "bench-gunicorn.log", "w") as log:
        proc = _start_gunicorn(port, workers=config["workers"],
                               worker_class=config["worker_class"],
                               threads=config["threads"], redis_url=redis_url, log=log)
        try:
            _wait_ready(port, proc)
            loads = [(names[0], 201, _Load(port, clients=config["clients"], expect=201,
                                           make=_api_request(compounds, categories)))]
            if form:
                prepare, make = _form_requests(compounds, categories)
                loads.append((names[1], 302, _Load(port, clients=config["clients"],
                                                   expect=302, make=make, prepare=prepare)))
            cpu = (lambda: _cpu_seconds(proc.pid)) if Path("/proc/self/stat").exists() else None
            for name, _expect, load in loads:
                result = load.run(seconds, cpu=cpu)
                rows.append({"name": name, "target": target, "seconds": seconds,
                             "met": result["rps"] >= TARGET_RPS and not result["unexpected"],
                             **config, **result})
        finally:
            _stop(proc)
            _clean_up(first_new_id, redis_url)
    return rows


def main() -> int:
    from bench.run import _configure

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--worker-class", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--no-form", action="store_true", help="the public API only")
    args = parser.parse_args()
    print(f"database: {_configure()}")
    rows = measure(seconds=args.seconds, form=not args.no_form, workers=args.workers,
                   worker_class=args.worker_class, threads=args.threads, clients=args.clients)
    for r in rows:
        if r.get("skipped"):
            print(f"{r['name']}: skipped, {r['skipped']}")
        else:
            print(f"{r['name']}: {r['rps']}/s (goal {r['target']}), p50 {r['p50_ms']} ms, "
                  f"p95 {r['p95_ms']} ms, n={r['n']}, server CPU {r['server_cpu_ms']} ms a "
                  f"request, other statuses {r['unexpected'] or 'none'}"
                  f" → {'yes' if r['met'] else 'NO'}")
    return 0 if all(r["met"] for r in rows if not r.get("skipped")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
