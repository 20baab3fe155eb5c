"""The container files hold together: docker-compose.yml, Dockerfile, .dockerignore and
gunicorn.conf.py. Structure only: no Docker engine, no database.

Run alone with:
    pytest tests/test_compose.py -p no:django -p no:cacheprovider -o addopts=""
"""

import http.server
import re
import runpy
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"

INFRA_SERVICES = ("postgres", "redis")
LONG_RUNNING_APP_SERVICES = ("web", "worker", "beat")
APP_SERVICES = (*LONG_RUNNING_APP_SERVICES, "migrate")  # everything built from ./Dockerfile
HEALTHCHECKED = (*INFRA_SERVICES, *LONG_RUNNING_APP_SERVICES)  # migrate is a one-shot


# --- helpers -----------------------------------------------------------------------------


def _compose() -> dict:
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml is not a YAML mapping"
    return data


def _services() -> dict:
    services = _compose().get("services")
    assert isinstance(services, dict) and services, "docker-compose.yml has no services"
    return services


def _service(name: str) -> dict:
    services = _services()
    assert name in services, f"service {name!r} is missing from docker-compose.yml"
    return services[name]


def _command(service: dict) -> str:
    command = service.get("command")
    if isinstance(command, list):
        return shlex.join(str(part) for part in command)
    return command or ""


def _environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", "KEY"]
        pairs = (item.split("=", 1) if "=" in item else (item, None) for item in env)
        env = dict(pairs)
    return {key: None if value is None else str(value) for key, value in env.items()}


def _build(service: dict) -> tuple[Path, Path]:
    """(context, dockerfile) of a service, both resolved against the compose file."""
    build = service.get("build")
    assert build, "no build section"
    if isinstance(build, str):
        build = {"context": build}
    context = (COMPOSE_FILE.parent / build.get("context", ".")).resolve()
    return context, (context / build.get("dockerfile", "Dockerfile")).resolve()


def _healthcheck_test(service: dict) -> list[str]:
    healthcheck = service.get("healthcheck") or {}
    assert not healthcheck.get("disable"), "healthcheck is disabled"
    test = healthcheck.get("test")
    assert test, "no healthcheck test"
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    assert test[0] in ("CMD", "CMD-SHELL"), f"healthcheck test starts with {test[0]!r}"
    assert len(test) > 1, "healthcheck test has no command"
    return [str(part) for part in test]


def _python_c_snippet(service: dict) -> str:
    test = _healthcheck_test(service)
    assert test[0] == "CMD" and "-c" in test, f"not a `python -c` check: {test}"
    assert Path(test[1]).name.startswith("python")
    return test[test.index("-c") + 1]


def _published_container_ports(service: dict) -> set[int]:
    ports = set()
    for spec in service.get("ports") or []:
        if isinstance(spec, dict):
            ports.add(int(spec["target"]))
        else:
            ports.add(int(str(spec).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def _named_mounts(service: dict) -> dict[str, str]:
    """{container path: named volume} for the service's short-syntax volume mounts."""
    mounts = {}
    for spec in service.get("volumes") or []:
        if isinstance(spec, dict):
            source, target = spec.get("source"), spec["target"]
        else:
            source, target = str(spec).split(":")[:2]
        if source and not source.startswith((".", "/", "~", "$")):
            mounts[target] = source
    return mounts


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """[(INSTRUCTION, arguments)], continuation lines joined and comments dropped."""
    instructions, pending = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        keyword, _, args = line.partition(" ")
        instructions.append((keyword.upper(), " ".join(args.split())))
    assert not pending, "Dockerfile ends inside a continued line"
    return instructions


def _dockerfile_env() -> dict[str, str]:
    env = {}
    for keyword, args in _dockerfile_instructions():
        if keyword != "ENV":
            continue
        if "=" in args.split()[0]:
            env.update(part.split("=", 1) for part in shlex.split(args))
        else:  # legacy `ENV KEY value`
            key, _, value = args.partition(" ")
            env[key] = value
    return env


def _index(instructions, keyword: str, needle: str) -> int:
    for position, (kw, args) in enumerate(instructions):
        if kw == keyword and needle in args:
            return position
    raise AssertionError(f"no {keyword} instruction containing {needle!r} in the Dockerfile")


def _dockerignored(path: str) -> bool:
    """Whether `path` (relative to the build context) is left out by .dockerignore:
    Go filepath.Match-style patterns plus `**`, `!` re-includes, last match wins, and an
    excluded directory excludes everything below it."""
    rules = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:].strip() if negate else line
        pattern = pattern.strip("/")
        regex = ""
        i = 0
        while i < len(pattern):
            if pattern.startswith("**/", i):
                regex, i = regex + "(?:.*/)?", i + 3
            elif pattern.startswith("**", i):
                regex, i = regex + ".*", i + 2
            elif pattern[i] == "*":
                regex, i = regex + "[^/]*", i + 1
            elif pattern[i] == "?":
                regex, i = regex + "[^/]", i + 1
            elif pattern[i] == "[":
                end = pattern.index("]", i)
                regex, i = regex + pattern[i : end + 1], end + 1
            else:
                regex, i = regex + re.escape(pattern[i]), i + 1
        rules.append((re.compile(regex + r"\Z"), negate))

    parts = path.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for prefix in prefixes:  # a directory's verdict carries down to its contents
        for regex, negate in rules:
            if regex.match(prefix):
                ignored = not negate
    return ignored


# --- docker-compose.yml: services, image, commands ---------------------------------------


def test_compose_file_is_yaml_with_the_services():
    services = _services()
    required = {*INFRA_SERVICES, *APP_SERVICES}
    assert required <= set(services), f"missing services: {sorted(required - set(services))}"


def test_infrastructure_images():
    assert str(_service("postgres")["image"]).startswith("postgres:15")
    assert str(_service("redis")["image"]).startswith("redis:7")


def test_app_services_build_one_image_from_the_dockerfile():
    builds = {name: _build(_service(name)) for name in APP_SERVICES}
    assert len(set(builds.values())) == 1, f"app services build differently: {builds}"
    context, dockerfile = builds["web"]
    assert context == ROOT
    assert dockerfile == DOCKERFILE and dockerfile.is_file()
    images = {_service(name).get("image") for name in APP_SERVICES}
    assert len(images) == 1 and None not in images, f"app services tag different images: {images}"


def test_web_runs_gunicorn_with_the_wsgi_app_and_config():
    command = _command(_service("web"))
    assert re.match(r"(\S*/)?gunicorn\b", command), command
    assert "renewal.wsgi" in command, command
    assert "gunicorn.conf.py" in command, command


def test_worker_runs_celery_worker():
    command = _command(_service("worker"))
    assert re.search(r"\bcelery\s+(-A\s+|--app[=\s]+)renewal\s+worker\b", command), command


def test_beat_runs_celery_beat_with_a_writable_schedule():
    command = _command(_service("beat"))
    assert re.search(r"\bcelery\s+(-A\s+|--app[=\s]+)renewal\s+beat\b", command), command
    # The image runs as a non-root user and /app belongs to root: the schedule goes to /tmp.
    match = re.search(r"(?:--schedule|-s)[=\s]+(\S+)", command)
    assert match and match.group(1).startswith("/tmp/"), command


def test_migrate_is_a_one_shot_that_the_app_services_wait_for():
    migrate = _service("migrate")
    assert re.search(r"manage\.py\s+migrate\b.*--noinput", _command(migrate))
    # A restarting one-shot never "completes", so nothing waiting on it would start.
    assert str(migrate.get("restart", "no")) in ("no", "False", "on-failure")
    for name in LONG_RUNNING_APP_SERVICES:
        depends_on = _service(name).get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on has no conditions"
        assert depends_on.get("migrate", {}).get("condition") == (
            "service_completed_successfully"
        ), name


def test_migrations_run_nowhere_else():
    for name in LONG_RUNNING_APP_SERVICES:
        assert "migrate" not in _command(_service(name)), name


def test_app_services_wait_for_healthy_postgres_and_redis():
    for name in APP_SERVICES:
        depends_on = _service(name).get("depends_on")
        assert isinstance(depends_on, dict), f"{name}: depends_on must be a mapping"
        for dependency in INFRA_SERVICES:
            condition = (depends_on.get(dependency) or {}).get("condition")
            assert condition == "service_healthy", f"{name} -> {dependency}: {condition}"


def test_long_running_services_restart():
    for name in (*INFRA_SERVICES, *LONG_RUNNING_APP_SERVICES):
        assert _service(name).get("restart") in ("always", "unless-stopped"), name


# --- healthchecks ------------------------------------------------------------------------


def test_every_long_running_service_has_a_healthcheck():
    for name in HEALTHCHECKED:
        test = _healthcheck_test(_service(name))
        assert test != ["NONE"], name


def test_postgres_and_redis_healthchecks():
    postgres = " ".join(_healthcheck_test(_service("postgres")))
    assert "pg_isready" in postgres
    redis = " ".join(_healthcheck_test(_service("redis")))
    assert "redis-cli" in redis and "ping" in redis


def test_web_healthcheck_probes_healthz_on_8000():
    snippet = _python_c_snippet(_service("web"))
    assert "http://127.0.0.1:8000/healthz" in snippet
    compile(snippet.replace("$$", "$"), "<web healthcheck>", "exec")


class _Probe(http.server.BaseHTTPRequestHandler):
    status = 200
    hosts: list

    def do_GET(self):
        type(self).hosts.append((self.path, self.headers.get("Host")))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize(
    ("status", "allowed_hosts", "expected_host", "healthy"),
    [
        (200, "*,.renewal.example.org,localhost", "renewal.example.org", True),
        (200, "", "localhost", True),
        (503, "localhost", "localhost", False),
    ],
)
def test_web_healthcheck_exit_code_follows_healthz(status, allowed_hosts, expected_host, healthy):
    """Run the real one-liner against a stand-in /healthz on a free port."""
    _Probe.status, _Probe.hosts = status, []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Probe)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        snippet = _python_c_snippet(_service("web")).replace("$$", "$")
        snippet = snippet.replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        result = subprocess.run(
            [sys.executable, "-c", snippet],
            env={"ALLOWED_HOSTS": allowed_hosts, "HTTP_PROXY": "http://127.0.0.1:9"},
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert (result.returncode == 0) is healthy, result.stderr.decode()
    assert _Probe.hosts == [("/healthz", expected_host)]


def test_worker_healthcheck_pings_its_own_node():
    test = _healthcheck_test(_service("worker"))
    command = " ".join(test[1:])
    assert re.search(r"\bcelery\s+(-A\s+|--app[=\s]+)renewal\s+inspect\s+ping\b", command)
    # $$ reaches the container as $, where the shell expands it; a single $ would be
    # replaced by compose with the *host's* HOSTNAME.
    assert test[0] == "CMD-SHELL"
    assert "celery@$$HOSTNAME" in command
    assert not re.search(r"(?<!\$)\$HOSTNAME", command)


def test_beat_healthcheck_reads_the_heartbeat():
    snippet = _python_c_snippet(_service("beat"))
    assert "beat" in snippet
    compile(snippet.replace("$$", "$"), "<beat healthcheck>", "exec")


# --- environment, ports, volumes ------------------------------------------------------------


def test_shared_app_environment():
    compose = _compose()
    shared = compose.get("x-app-env")
    assert isinstance(shared, dict), "no x-app-env mapping"
    for name in APP_SERVICES:
        env = _environment(_service(name))
        assert env == _environment({"environment": shared}), f"{name} does not use x-app-env"

        database = urlsplit(env["DATABASE_URL"])
        assert database.scheme in ("postgres", "postgresql")
        assert (database.hostname, database.port) == ("postgres", 5432)
        assert database.path == "/renewal"

        redis = urlsplit(env["REDIS_URL"])
        assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)

        assert env["DEBUG"] == "0"
        # `:?` makes compose refuse to start when SECRET_KEY is unset or empty.
        assert re.fullmatch(r"\$\{SECRET_KEY:\?[^}]*\}", env["SECRET_KEY"]), env["SECRET_KEY"]
        assert env.get("ALLOWED_HOSTS"), "ALLOWED_HOSTS must be set with DEBUG=0"


def test_secret_key_is_not_written_anywhere_in_compose():
    lines = COMPOSE_FILE.read_text(encoding="utf-8").splitlines()
    text = "\n".join(line for line in lines if not line.lstrip().startswith("#"))
    for match in re.finditer(r"SECRET_KEY\s*[:=]\s*(\S+)", text):
        assert match.group(1).startswith("${SECRET_KEY:?"), match.group(0)


def test_only_web_publishes_a_port():
    publishing = {name for name, service in _services().items() if service.get("ports")}
    assert publishing == {"web"}
    assert 8000 in _published_container_ports(_service("web"))


def test_persistent_volumes():
    compose = _compose()
    declared = set(compose.get("volumes") or {})

    postgres = _named_mounts(_service("postgres"))
    assert postgres.get("/var/lib/postgresql/data") in declared

    media_root = _environment(_service("web"))["MEDIA_ROOT"]
    assert media_root and media_root.startswith("/")
    volumes = {name: _named_mounts(_service(name)).get(media_root) for name in ("web", "worker")}
    assert volumes["web"] and volumes["web"] == volumes["worker"], volumes
    assert volumes["web"] in declared


# --- Dockerfile ----------------------------------------------------------------------------


def test_dockerfile_is_one_slim_python_311_image():
    froms = [args for keyword, args in _dockerfile_instructions() if keyword == "FROM"]
    assert len(froms) == 1, f"expected a single stage, got {froms}"
    assert froms[0].split()[0] == "python:3.11-slim"


def test_dockerfile_installs_from_the_lock_file_before_copying_the_project():
    instructions = _dockerfile_instructions()
    copy_lock = _index(instructions, "COPY", "requirements.lock")
    install = _index(instructions, "RUN", "pip install")
    copy_all = _index(instructions, "COPY", ". .")
    assert copy_lock < install < copy_all
    pip = instructions[install][1]
    assert re.search(r"-r\s+requirements\.lock\b", pip), pip
    assert "--no-cache-dir" in pip, pip
    assert (ROOT / "requirements.lock").name not in (
        line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
    )


def test_dockerfile_collects_static_with_throwaway_settings():
    instructions = _dockerfile_instructions()
    collect = _index(instructions, "RUN", "collectstatic")
    assert collect > _index(instructions, "COPY", ". .")
    run = instructions[collect][1]
    assert "--noinput" in run
    # The variables are assigned in front of the command, for that command only.
    words = shlex.split(run.split("&&")[-1])
    prefix = dict(
        word.split("=", 1) for word in words[: words.index("collectstatic")] if "=" in word
    )
    assert prefix.get("SECRET_KEY"), run
    assert prefix.get("DEBUG") == "0", run
    assert prefix.get("ALLOWED_HOSTS"), run
    # The throwaway key must not outlive that RUN line.
    env = _dockerfile_env()
    assert "SECRET_KEY" not in env and "ALLOWED_HOSTS" not in env
    args = [args for keyword, args in instructions if keyword == "ARG"]
    assert not any("SECRET_KEY" in arg for arg in args)


def test_dockerfile_environment_and_port():
    env = _dockerfile_env()
    assert env.get("DEBUG") == "0"
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    exposed = [args for keyword, args in _dockerfile_instructions() if keyword == "EXPOSE"]
    assert any("8000" in args.split() for args in exposed), exposed


def test_dockerfile_runs_as_a_non_root_user():
    instructions = _dockerfile_instructions()
    users = [(position, args) for position, (kw, args) in enumerate(instructions) if kw == "USER"]
    assert users, "no USER instruction: the image would run as root"
    position, user = users[-1]
    name = user.split(":")[0]
    assert name not in ("root", "0"), user
    created = [
        args
        for kw, args in instructions[:position]
        if kw == "RUN" and re.search(rf"\b(useradd|adduser)\b.*\b{re.escape(name)}\b", args)
    ]
    assert created, f"user {name!r} is never created"
    # Nothing after USER switches back to root.
    assert all(kw != "USER" for kw, _ in instructions[position + 1 :])


def test_dockerfile_default_command_is_gunicorn_with_the_config():
    cmds = [args for keyword, args in _dockerfile_instructions() if keyword == "CMD"]
    assert len(cmds) == 1
    command = cmds[-1]
    assert "gunicorn" in command and "gunicorn.conf.py" in command, command


# --- .dockerignore -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".git/HEAD",
        "var/portal.sqlite3",
        "var/media/photo.jpg",
        "staticfiles/staticfiles.json",
        "node_modules/x/index.js",
        "renewal/__pycache__/settings.cpython-311.pyc",
        "compounds/models.pyc",
        ".env",
        ".pytest_cache/README.md",
        "bench/results/run-1.json",
    ],
)
def test_dockerignore_keeps_local_state_out(path):
    assert _dockerignored(path), path


@pytest.mark.parametrize(
    "path",
    [
        "requirements.lock",
        "manage.py",
        "gunicorn.conf.py",
        "renewal/settings.py",
        "renewal/env.py",
        "static/css/site.css",
        "templates/base.html",
        "locale/zh_Hans/LC_MESSAGES/django.mo",
        # read by this test module, which can run inside the image
        "Dockerfile",
        "docker-compose.yml",
        ".dockerignore",
        "tests/test_compose.py",
    ],
)
def test_dockerignore_keeps_the_build_inputs(path):
    assert not _dockerignored(path), path


# --- gunicorn.conf.py ----------------------------------------------------------------------


def _gunicorn_conf(monkeypatch, **env) -> dict:
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
                 "GUNICORN_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_binds_8000_on_all_interfaces(monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    bind = conf["bind"]
    binds = [bind] if isinstance(bind, str) else list(bind)
    assert "0.0.0.0:8000" in binds, binds
    assert conf.get("accesslog") == "-"
    assert conf.get("forwarded_allow_ips")


def test_gunicorn_workers_default_and_override(monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    assert isinstance(conf["workers"], int) and 1 <= conf["workers"] <= 8
    assert conf["threads"] >= 1 and conf["timeout"] > 0
    assert _gunicorn_conf(monkeypatch, WEB_CONCURRENCY="3")["workers"] == 3
    with pytest.raises(SystemExit):
        _gunicorn_conf(monkeypatch, WEB_CONCURRENCY="many")


def test_gunicorn_recycles_workers_rarely_and_with_jitter(monkeypatch):
    conf = _gunicorn_conf(monkeypatch)
    # A recycled worker costs a second or two of CPU: not every few seconds under load.
    assert conf["max_requests"] == 10000 and conf["max_requests_jitter"] == 1000
    conf = _gunicorn_conf(monkeypatch, GUNICORN_MAX_REQUESTS="500")
    assert conf["max_requests"] == 500 and conf["max_requests_jitter"] == 50


def test_gunicorn_conf_names_only_real_settings(monkeypatch):
    """Gunicorn silently ignores unknown names in a config file, so a typo would not show."""
    gunicorn_config = pytest.importorskip("gunicorn.config")
    known = {setting.name for setting in gunicorn_config.KNOWN_SETTINGS}
    conf = _gunicorn_conf(monkeypatch)
    names = {
        name
        for name, value in conf.items()
        if not name.startswith("_") and not callable(value) and not isinstance(value, type(re))
    }
    assert names - known == set(), f"not gunicorn settings: {sorted(names - known)}"
