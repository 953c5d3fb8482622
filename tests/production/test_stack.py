"""The production stack as written: docker-compose.yml and the Dockerfile agree with the settings,
and every environment variable the settings read is documented.

No Docker engine runs here, so the compose file is parsed (PyYAML) and checked, and .ci/run runs
the same production settings on loopback (tests/production/test_live_stack.py)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DJANGO_SERVICES = ("web", "worker", "beat")
REQUIRED_ENV = ("POSTGRES_HOST", "POSTGRES_PASSWORD", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def settings_env_names() -> set[str]:
    source = (ROOT / "twinning" / "settings.py").read_text()
    pattern = r"""(?:os\.environ\.get|os\.getenv|env_bool|env_list)\(\s*["']([A-Z0-9_]+)["']"""
    names = set(re.findall(pattern, source))
    if "dj_database_url.config(" in source:
        names.add("DATABASE_URL")  # dj-database-url reads it
    return names


def test_every_service_is_there_with_a_healthcheck(compose):
    services = compose["services"]
    assert set(services) >= {"postgres", "redis", "web", "worker", "beat"}
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name].get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert services[name].get("restart") in ("unless-stopped", "always"), name


def test_commands_run_the_right_programs(compose):
    services = compose["services"]
    web = _command(services["web"])
    assert re.search(r"\bgunicorn twinning\.wsgi(:application)?\b", web)
    assert "migrate --noinput" in web and "collectstatic --noinput" in web
    assert re.search(r"--bind 0\.0\.0\.0:8000", web)
    assert re.search(r"\bcelery -A twinning worker\b", _command(services["worker"]))
    assert re.search(r"\bcelery -A twinning beat\b", _command(services["beat"]))
    assert "redis-server" in _command(services["redis"])


def test_django_services_get_the_settings_they_need(compose):
    for name in DJANGO_SERVICES:
        env = compose["services"][name]["environment"]
        missing = [key for key in REQUIRED_ENV if key not in env]
        assert not missing, f"{name} lacks {missing}"
        assert str(env["DEBUG"]) in ("0", "False", "false")
        # The password goes in as it is, never pasted into a URL (where @ : / # would break it).
        assert "DATABASE_URL" not in env and env["POSTGRES_HOST"] == "postgres"
        assert env["REDIS_URL"].startswith("redis://redis:6379/")
        assert "?" in env["SECRET_KEY"], "SECRET_KEY must be required from the environment, not defaulted"
        # Every variable passed through is one the settings read (no typos that are silently ignored).
        unknown = set(env) - settings_env_names()
        assert not unknown, f"{name} sets variables the settings never read: {sorted(unknown)}"
        depends = compose["services"][name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy"


def test_database_credentials_agree(compose):
    pg = compose["services"]["postgres"]["environment"]
    for name in DJANGO_SERVICES:
        env = compose["services"][name]["environment"]
        for key in ("POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"):
            assert env[key] == pg[key], f"{name}: {key}"


def test_worker_and_beat_start_after_the_migrations(compose):
    services = compose["services"]
    # web migrates before gunicorn starts, and its healthcheck answers only once gunicorn does
    assert _command(services["web"]).index("migrate --noinput") < _command(services["web"]).index("gunicorn")
    assert services["web"]["healthcheck"]["test"]
    for name in ("worker", "beat"):
        assert services[name]["depends_on"]["web"]["condition"] == "service_healthy", name


def test_the_image_leaves_local_secrets_and_data_out():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, pattern) for pattern in patterns)

    for secret in (".env", ".env.local", ".env.production", "db.sqlite3", "db.sqlite3-wal", "media"):
        assert ignored(secret), secret
    for needed in ("requirements.txt", "manage.py", "twinning", "Dockerfile"):
        assert not ignored(needed), needed


def test_volumes_keep_data_media_and_static(compose):
    assert {"pgdata", "media", "static"} <= set(compose["volumes"])
    services = compose["services"]
    assert any(v.startswith("pgdata:/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    web_env = services["web"]["environment"]
    assert f"media:{web_env['MEDIA_ROOT']}" in services["web"]["volumes"]
    assert f"static:{web_env['STATIC_ROOT']}" in services["web"]["volumes"]
    assert f"media:{services['worker']['environment']['MEDIA_ROOT']}" in services["worker"]["volumes"]


def test_dockerfile_is_slim_non_root_and_serves_with_gunicorn():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M)
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "collectstatic --noinput" in dockerfile
    assert "gunicorn" in dockerfile and "twinning.wsgi" in dockerfile
    requirements = (ROOT / "requirements.txt").read_text()
    for package in ("gunicorn", "whitenoise", "psycopg2-binary", "redis", "celery", "dj-database-url"):
        assert re.search(rf"^{package}==", requirements, re.M | re.I), package


def test_whitenoise_serves_static_files_in_production():
    source = (ROOT / "twinning" / "settings.py").read_text()
    assert '"whitenoise.middleware.WhiteNoiseMiddleware"' in source
    assert "CompressedManifestStaticFilesStorage" in source


@pytest.mark.parametrize("document", ["README.md", "docs/deploy.md"])
def test_every_environment_variable_the_settings_read_is_documented(document):
    text = (ROOT / document).read_text()
    if document == "README.md":
        start = text.find("## Production")
        assert start >= 0, "README.md has no '## Production' section"
        end = text.find("\n## ", start + 1)
        text = text[start : end if end > 0 else None]
    names = settings_env_names()
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"} <= names
    undocumented = sorted(name for name in names if f"`{name}`" not in text)
    assert not undocumented, f"{document} does not document {undocumented}"
