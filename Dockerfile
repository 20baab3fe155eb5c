# syntax=docker/dockerfile:1
#
# One image for every process of the portal; docker-compose.yml picks the command:
#   web     gunicorn -c gunicorn.conf.py renewal.wsgi:application   (the default CMD)
#   worker  celery -A renewal worker --loglevel=INFO
#   beat    celery -A renewal beat --loglevel=INFO
#   migrate python manage.py migrate --noinput
#
# Build: docker build -t renewal-portal .   (needs requirements.lock: pip-compile output)
# No HEALTHCHECK here: each service checks something different, so compose defines them.

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=renewal.settings \
    DEBUG=0 \
    MEDIA_ROOT=/data/media

# An unprivileged user with a real home; uid/gid fixed so volume ownership is predictable.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, from the pinned lock file only, so code edits reuse this layer.
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

# The project, owned by root and read-only to the app user.
COPY . .

# Static files are collected into the image, where whitenoise serves them. Settings refuse
# to load with DEBUG=0 unless SECRET_KEY and ALLOWED_HOSTS are set: the throwaway values
# below exist only for this one command and are not kept in the image's environment.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret \
    DEBUG=0 \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# The media directory belongs to the app user; a fresh named volume mounted here
# starts with this ownership.
RUN mkdir -p /data/media && chown -R app:app /data

USER app

EXPOSE 8000

CMD ["gunicorn", "--config", "gunicorn.conf.py", "renewal.wsgi:application"]
