"""Settings read from the environment: the database options each shape gets."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = "import json; from django.conf import settings; print(json.dumps(settings.DATABASES['default'], default=str))"


def _database(**env) -> dict:
    """The default database's settings in a fresh process with ``env`` (no connection is made)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "POSTGRES_"))}
    environment.update(env, DJANGO_SETTINGS_MODULE="twinning.settings", DEBUG="1")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {PROBE}"],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _options(**env) -> dict:
    return _database(**env)["OPTIONS"]


def test_postgresql_connections_turn_jit_off_unless_asked():
    url = "postgres://user:secret@127.0.0.1:5432/twinning"
    assert _options(DATABASE_URL=url) == {"options": "-c jit=off"}
    assert "options" not in _options(DATABASE_URL=url, POSTGRES_JIT="1")


def test_sqlite_writers_wait_for_each_other_and_get_no_postgresql_options():
    assert _options() == {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }


def test_postgresql_from_its_parts_takes_any_password():
    password = "p@ss:w/o#rd?x%20 y"
    database = _database(
        POSTGRES_HOST="postgres", POSTGRES_DB="twinning", POSTGRES_USER="twinning", POSTGRES_PASSWORD=password
    )
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("postgres", 5432, "twinning")
    assert (database["USER"], database["PASSWORD"]) == ("twinning", password)
    assert database["OPTIONS"] == {"options": "-c jit=off"}


def test_database_url_wins_over_the_parts():
    url = "postgres://other:secret@db.example:6543/elsewhere"
    database = _database(DATABASE_URL=url, POSTGRES_HOST="postgres", POSTGRES_PASSWORD="x")
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.example", 6543, "elsewhere")
