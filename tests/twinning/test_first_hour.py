"""A checkout's first hour: commands run from the checkout with the .env `make run` writes, production
still refuses to start without a real SECRET_KEY (in one line), and the console is not flooded."""

import io
import logging
import os
import shutil
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command

PROBE = (
    "import django, logging; django.setup(); from django.conf import settings; "
    "print('DEBUG', settings.DEBUG, settings.SECRET_KEY); "
    "logging.getLogger('django.utils.autoreload').info('probe line')"
)


def _run(args: list[str], *, env_file: str = "", **env) -> subprocess.CompletedProcess:
    """``args`` in a fresh process from the checkout, with only ``env`` on top of a clean environment."""
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "LOG_LEVEL")
    }
    environment.update(env, DJANGO_SETTINGS_MODULE="twinning.settings", ENV_FILE=env_file)
    return subprocess.run(
        [sys.executable, *args], cwd=settings.BASE_DIR, env=environment, capture_output=True, text=True, timeout=120
    )


def test_commands_from_the_checkout_read_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('# written by make\nDEBUG=1\nSECRET_KEY="from-the-env-file"\n', encoding="utf-8")
    result = _run(["-c", PROBE], env_file=str(env_file))
    assert result.returncode == 0, result.stderr
    assert "DEBUG True from-the-env-file" in result.stdout


def test_the_real_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nSECRET_KEY=from-the-env-file\n", encoding="utf-8")
    result = _run(["-c", PROBE], env_file=str(env_file), SECRET_KEY="from-the-environment")
    assert "DEBUG True from-the-environment" in result.stdout


def test_production_without_a_secret_key_refuses_in_one_line():
    result = _run(["manage.py", "check"])
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0] and "make run" in lines[0], result.stderr


def test_production_refuses_the_development_key():
    result = _run(["manage.py", "check"], SECRET_KEY=settings_module_dev_key())
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def settings_module_dev_key() -> str:
    from twinning import settings as project_settings

    return project_settings.DEVELOPMENT_SECRET_KEY


def test_django_log_lines_print_once_under_debug():
    """runserver's "Watching for file changes with StatReloader" printed twice under DEBUG."""
    result = _run(["-c", PROBE], DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("probe line") == 1, result.stderr


def test_login_attempts_do_not_log_at_info():
    """django-axes wrote four INFO lines per login; only its warnings (lockouts) reach the console."""
    assert logging.getLogger("axes.handlers.database").getEffectiveLevel() == logging.WARNING


@pytest.fixture
def trace_logger_unset():
    """Celery's trace logger as production leaves it (REDIS_URL set: the settings do not quiet it)."""
    trace = logging.getLogger("celery.app.trace")
    level = trace.level
    trace.setLevel(logging.NOTSET)
    yield
    trace.setLevel(level)


@pytest.mark.django_db
@pytest.mark.parametrize("eager", [True, False], ids=["eager", "with-a-broker"])
def test_build_reports_does_not_print_celerys_succeeded_line(caplog, request, eager):
    if not eager:
        request.getfixturevalue("trace_logger_unset")
    call_command("seed_demo", "--branches", "0", stdout=io.StringIO())
    caplog.set_level(logging.INFO)
    out = io.StringIO()
    call_command("build_reports", stdout=out)
    assert "Snapshots built" in out.getvalue()
    assert not [r for r in caplog.records if "succeeded" in r.getMessage()], caplog.text


def _make(*args: str, cwd) -> subprocess.CompletedProcess:
    if not shutil.which("make"):
        pytest.skip("make not installed")
    makefile = os.path.join(settings.BASE_DIR, "Makefile")
    return subprocess.run(["make", "-f", makefile, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_make_writes_a_development_env_file_once(tmp_path):
    result = _make(".env", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    env_file = tmp_path / ".env"
    values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if not line.startswith("#"))
    assert values["DEBUG"] == "1" and len(values["SECRET_KEY"]) >= 50
    assert env_file.stat().st_mode & 0o077 == 0, "the key is readable by others"
    env_file.write_text("DEBUG=0\n")
    _make(".env", cwd=tmp_path)
    assert env_file.read_text() == "DEBUG=0\n", "an existing .env was overwritten"


def test_make_run_installs_the_runtime_requirements_only(tmp_path):
    """`make run` installed Locust, Playwright and schemathesis too (92 s on a first run)."""
    result = _make("-n", "run", f"VENV={tmp_path / 'venv'}", cwd=settings.BASE_DIR)
    assert result.returncode == 0, result.stderr
    installs = [line for line in result.stdout.splitlines() if "pip install" in line]
    assert installs and all("-r requirements.txt" in line for line in installs), installs
