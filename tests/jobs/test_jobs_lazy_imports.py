"""The job store's SQLAlchemy, Alembic and psycopg are imported only when a store is opened."""

from __future__ import annotations

import subprocess
import sys

from jobs.jobs_helpers import cli_env

HEAVY = ("sqlalchemy", "alembic", "psycopg")


def test_importing_prodkit_and_its_jobs_modules_imports_no_database_library():
    code = ("import sys, prodkit, prodkit.jobs, prodkit.jobs.api, prodkit.jobs.scheduler, prodkit.jobs.cli, "
            "prodkit.jobs.store, prodkit.jobs.state; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], env=cli_env(), capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
