"""Settings come from the environment only, and refuse to start when they are wrong."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "renewal.example.gov.cn",
    "DATABASE_URL": "postgres://renewal:secret@127.0.0.1:5432/renewal",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args, **env):
    # A fresh process environment: nothing inherited from this test run (such as the
    # browser tests' DJANGO_ALLOW_ASYNC_UNSAFE) may colour the checks.
    inherited = set(PRODUCTION) | {"DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in inherited}
    clean["DJANGO_SETTINGS_MODULE"] = "renewal.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False,
    )


def test_language_and_time_zone_defaults():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_check_deploy_passes_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_needs_allowed_hosts():
    result = manage("check", **{**PRODUCTION, "ALLOWED_HOSTS": ""})
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_malformed_database_url_names_the_variable():
    result = manage("check", **{**PRODUCTION, "DATABASE_URL": "mysql//oops"})
    assert result.returncode != 0
    assert "DATABASE_URL must be a URL" in result.stderr


def test_malformed_redis_url_names_the_variable():
    result = manage("check", **{**PRODUCTION, "REDIS_URL": "127.0.0.1:6379"})
    assert result.returncode != 0
    assert "REDIS_URL must be a URL" in result.stderr


def test_malformed_debug_names_the_variable():
    result = manage("check", **{**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_development_starts_with_nothing_set():
    result = manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


def test_production_settings_are_hardened():
    result = manage(
        "shell", "--no-imports", "-c",
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CELERY_TASK_ALWAYS_EAGER)",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "True", "True", "True", "django.db.backends.postgresql",
        "renewal.cache.ReusingRedisCache", "False",
    ]


def test_malformed_rainy_season_start_names_the_variable():
    result = manage("check", DEBUG="1", RAINY_SEASON_START="13-45")
    assert result.returncode != 0
    assert "RAINY_SEASON_START='13-45' is not a day of the year" in result.stderr
