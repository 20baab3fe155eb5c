"""Gunicorn settings for the web container.

    gunicorn --config gunicorn.conf.py renewal.wsgi:application

Tuned by environment variables, all optional:
  WEB_CONCURRENCY      worker processes (default: 2 x CPUs + 1, at most 8)
  GUNICORN_THREADS     threads per worker (default 4)
  GUNICORN_TIMEOUT     seconds before a silent worker is killed and restarted (default 60)
  GUNICORN_MAX_REQUESTS requests before a worker is recycled (default 10000)
  FORWARDED_ALLOW_IPS  front-end addresses trusted for X-Forwarded-* (default "*")
  LOG_LEVEL            shared with Django (default INFO)
"""

import os


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name}={raw!r} is not a whole number.") from None
    if value < 1:
        raise SystemExit(f"{name}={raw!r} must be 1 or more.")
    return value


def _cpus() -> int:
    """CPUs this container may use: the cgroup v2 quota when set, else the CPU affinity.

    os.cpu_count() reports every CPU of the host, which over-forks in a limited container.
    """
    try:
        with open("/sys/fs/cgroup/cpu.max") as fh:
            quota, period = fh.read().split()[:2]
        if quota != "max":
            return max(1, int(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# Plain HTTP inside the container network; TLS ends at the reverse proxy in front.
bind = "0.0.0.0:8000"
wsgi_app = "renewal.wsgi:application"

# Each worker holds a full Django process (~100 MB), so the usual 2 x CPUs + 1 is capped.
workers = _env_int("WEB_CONCURRENCY", min(2 * _cpus() + 1, 8))
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5  # a little above nothing: the reverse proxy reuses connections
# Recycle workers now and then so a slow leak never grows without bound. Not too often:
# a new worker spends 1 to 2 s of CPU importing Django and warming up, taken from the
# requests. At 1,000 requests, residents' reports at 150 a second on two cores recycled
# a worker every few seconds and cost a tenth of the throughput.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = max_requests // 10
# The heartbeat file on a disk-backed overlay filesystem can stall workers; use tmpfs.
worker_tmp_dir = "/dev/shm"
# Gunicorn >= 25.1 opens a control socket under $HOME by default; keep it in /tmp.
control_socket = "/tmp/gunicorn.ctl"

# Logs go to stdout/stderr, where `docker compose logs` collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
access_log_format = '%({x-forwarded-for}i)s %(h)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

# Behind a reverse proxy whose address is not known in advance: trust X-Forwarded-Proto
# from any peer. Only the proxy should reach this port (compose publishes it on the
# loopback address by default); set FORWARDED_ALLOW_IPS to the proxy's address to narrow it.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "*")
