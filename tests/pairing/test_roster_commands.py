"""``import_branches`` and ``export_branches``: the output formats and exit codes are an interface."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from pairing.models import Branch
from tests.factories import BranchFactory, RegionFactory

from .roster_support import roster_bytes, roster_regions, row  # noqa: F401

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, rows, name="roster.xlsx", **kwargs) -> Path:
    path = tmp_path / name
    path.write_bytes(roster_bytes(rows, **kwargs).getvalue())
    return path


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_branches", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_prints_counts_and_reimport_is_unchanged(roster_regions, tmp_path):  # noqa: F811
    path = write(tmp_path, [row("C0001"), row("C0002", grade="好", optimised="是")])

    assert run(path) == ("created 2, updated 0, unchanged 0\n", "")
    assert run(path)[0] == "created 0, updated 0, unchanged 2\n"
    assert Branch.history.filter(history_user__isnull=True).count() == 2


def test_dry_run_writes_nothing(roster_regions, tmp_path):  # noqa: F811
    path = write(tmp_path, [row("C0001")])

    assert run(path, "--dry-run")[0] == "created 1, updated 0, unchanged 0\n"
    assert not Branch.objects.exists()


def test_errors_print_row_and_column_and_write_nothing(roster_regions, tmp_path):  # noqa: F811
    path = write(tmp_path, [row("C0001"), row("C0002", members="abc"), row("C0001")], title="商城县支部名册")
    err = StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("import_branches", str(path), stdout=StringIO(), stderr=err)

    assert excinfo.value.returncode == 1
    assert err.getvalue().splitlines() == [
        "row 4, column 党员数: 党员数应为不小于 0 的整数。",
        "row 5, column 支部编码: 支部编码与第 3 行重复。",
    ]
    assert not Branch.objects.exists()


def test_file_errors_are_reported(roster_regions, tmp_path):  # noqa: F811
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_branches", str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().startswith("file: 该文件不是 Excel 工作簿")


def test_several_cities_need_the_city_option(roster_regions, tmp_path):  # noqa: F811
    RegionFactory(city=True, name="南阳市")
    path = write(tmp_path, [row("C0001")])

    with pytest.raises(CommandError, match="--city"):
        run(path)
    assert run(path, "--city", "信阳市")[0] == "created 1, updated 0, unchanged 0\n"


def test_export_then_import_is_unchanged(roster_regions, tmp_path):  # noqa: F811
    BranchFactory(code="C0001", county=roster_regions.shangcheng, name="=1+1")
    BranchFactory(code="S0001", city=roster_regions.city)
    output = tmp_path / "export.xlsx"
    out = StringIO()

    call_command("export_branches", "-o", str(output), stdout=out)

    assert out.getvalue() == f"exported 2 branches to {output}\n"
    assert run(output)[0] == "created 0, updated 0, unchanged 2\n"


@pytest.mark.django_db(transaction=True)
def test_the_process_exits_non_zero_on_errors(tmp_path):
    """The real process: exit code 1 and the row/column lines on stderr (transactional: a subprocess)."""
    path = write(tmp_path, [row("C0001", county="无此县")])
    database = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{database}", "DEBUG": "1", "PATH": "/usr/bin:/bin"}
    manage = [sys.executable, "manage.py"]
    cwd = Path(__file__).resolve().parents[2]
    if connection.vendor == "sqlite":  # the test database is migrated and empty: copy it (migrating takes seconds)
        connection.ensure_connection()
        with sqlite3.connect(database) as copy:
            connection.connection.backup(copy)
    else:
        subprocess.run([*manage, "migrate", "-v0"], cwd=cwd, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c", "from pairing.models import Region; c=Region(name='信阳市', level='city'); c.save()"],
        cwd=cwd,
        env=env,
        check=True,
    )

    done = subprocess.run([*manage, "import_branches", str(path)], cwd=cwd, env=env, capture_output=True, text=True)

    assert done.returncode == 1
    assert "row 2, column 县区: 信阳市没有名为“无此县”的县区。" in done.stderr.splitlines()
