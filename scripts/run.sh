#!/usr/bin/env bash
# `make run`: migrate, load the demo district, serve on 127.0.0.1:8000.
# With REDIS_URL set, a Celery worker and beat run beside the web server; one Ctrl-C
# stops all of them.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBUG="${DEBUG:-1}"
PORT="${PORT:-8000}"
PY=.venv/bin/python
mkdir -p var

echo "Database: ${DATABASE_URL:+${DATABASE_URL##*@}}${DATABASE_URL:-SQLite file var/portal.sqlite3}"
$PY manage.py migrate --noinput
$PY manage.py load_demo

if [ -n "${REDIS_URL:-}" ]; then
  echo "Broker: ${REDIS_URL##*@} (starting a Celery worker and beat)"
  trap 'trap - EXIT INT TERM; kill 0 2>/dev/null || true' EXIT INT TERM
  .venv/bin/celery -A renewal worker --loglevel=INFO --concurrency=2 &
  .venv/bin/celery -A renewal beat --loglevel=INFO --schedule var/celerybeat-schedule &
else
  echo "Tasks: run in process (set REDIS_URL for a real worker)"
fi

echo "Serving http://127.0.0.1:${PORT}/  (Ctrl-C stops everything)"
$PY manage.py runserver "127.0.0.1:${PORT}"
