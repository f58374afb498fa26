"""The job store's schema is Alembic's: a pre-Alembic store is adopted once, concurrent first opens don't race."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
import sqlalchemy as sa
from jobs.jobs_helpers import cli_env
from jobs.legacy_schema import LEGACY_SCHEMA

from prodkit.jobs.api import open_store
from prodkit.jobs.store import HEAD, VERSION_TABLE, JobStore, StoreDamaged

NEW_COLUMNS = {"jobs": {"on_drift", "on_degraded"}, "runs": {"triggered_by"}}
OPEN = "import sys; from prodkit.jobs.store import JobStore; JobStore(sys.argv[1]).close()"


def _legacy_store(path, *, runs_table: bool = True) -> None:
    """A jobs.db as the previous prodkit wrote it (fail_on_drift and artifacts included), with a job and a run."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.executescript(LEGACY_SCHEMA)
    db.execute("INSERT INTO jobs VALUES ('old', 'nbs/a.ipynb', '0 6 * * *', 'UTC', '{\"x\": 2}', 'python3', NULL, 1, "
               "60.0, 'once', 0, 1, 1.0, 1.0, 2.0)")
    db.execute("INSERT INTO runs (job, scheduled_for, trigger, status, parameters, ended_at) "
               "VALUES ('old', 1.0, 'schedule', 'succeeded', '{}', 3.0)")
    if not runs_table:
        db.execute("DROP TABLE runs")
    db.commit()
    db.close()


def _columns(url_or_path, table: str) -> set[str]:
    engine = sa.create_engine(url_or_path if "://" in str(url_or_path) else f"sqlite:///{url_or_path}")
    url = engine.url.set(drivername="postgresql+psycopg") if engine.url.drivername == "postgresql" else engine.url
    engine = sa.create_engine(url)
    try:
        return {c["name"] for c in sa.inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_a_store_at_the_pre_alembic_schema_is_migrated_once_and_keeps_its_history(empty_project):
    path = empty_project.jobs_db
    _legacy_store(path)
    with open_store(empty_project) as store:
        assert store._version() == HEAD
        job = store.get_job("old")
        assert (job.parameters, job.fail_on_drift, job.retries) == ({"x": 2}, True, 1)
        assert [r.status for r in store.history("old")] == ["succeeded"]
    for table, columns in NEW_COLUMNS.items():
        assert columns <= _columns(path, table)
    with open_store(empty_project) as store:  # opening again changes nothing
        assert store._version() == HEAD and len(store.list_jobs()) == 1
    db = sqlite3.connect(path)
    assert db.execute(f"SELECT COUNT(*) FROM {VERSION_TABLE}").fetchone()[0] == 1
    db.close()


def _open_concurrently(target: str, n: int) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, target], env=cli_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    return [(p, *p.communicate(timeout=120)) for p in procs]


def test_concurrent_first_opens_of_a_legacy_store_migrate_it_once(empty_project):
    path = empty_project.jobs_db
    _legacy_store(path)
    results = _open_concurrently(str(path), 6)
    assert [p.returncode for p, _, _ in results] == [0] * 6, [err[-1500:] for _, _, err in results]
    db = sqlite3.connect(path)
    assert db.execute(f"SELECT version_num FROM {VERSION_TABLE}").fetchall() == [(HEAD,)]
    assert [r[1] for r in db.execute("PRAGMA table_info(jobs)")].count("on_drift") == 1
    assert db.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    db.close()


def test_concurrent_first_opens_of_an_empty_store_create_it_once(backend_project):
    results = _open_concurrently(backend_project.jobs_store, 6)
    assert [p.returncode for p, _, _ in results] == [0] * 6, [err[-1500:] for _, _, err in results]
    with open_store(backend_project) as store:
        assert store._version() == HEAD
        assert store._rows(sa.text(f"SELECT COUNT(*) AS n FROM {VERSION_TABLE}"))[0]["n"] == 1
        assert store.is_empty()


def test_a_legacy_store_without_its_runs_table_is_refused_not_recreated(empty_project):
    path = empty_project.jobs_db
    _legacy_store(path, runs_table=False)
    with pytest.raises(StoreDamaged, match="table runs is missing"):
        JobStore(path)
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert tables - {"sqlite_sequence"} == {"jobs"}  # no runs table made over the lost history, no version table


@pytest.mark.parametrize("damage, detail", [("DROP TABLE runs", "table runs is missing"),
                                            ("ALTER TABLE jobs DROP COLUMN cron", "column jobs.cron is missing")])
def test_finding_12_a_dropped_table_or_column_is_damage_on_both_backends(backend_project, damage, detail):
    with open_store(backend_project) as store, store.transaction() as db:
        db.execute(sa.text(damage))
    with pytest.raises(StoreDamaged, match=detail):
        open_store(backend_project)
    engine_target = backend_project.jobs_store
    assert ("runs" in _tables(engine_target)) == ("runs" not in damage)  # nothing re-created


def _tables(target: str) -> set[str]:
    url = sa.engine.make_url(target if "://" in target else f"sqlite:///{target}")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names(schema="prodkit" if url.drivername.startswith("postgresql") else None))
    finally:
        engine.dispose()


def test_on_postgresql_the_store_shares_a_database_with_another_runs_table(pg_url, empty_project):
    """MLflow's database has a `runs` table too: prodkit's tables live in the schema `prodkit`."""
    from jobs.jobs_helpers import use_store

    from prodkit.config import load_project
    from prodkit.jobs.store import PG_SCHEMA

    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE public.runs (run_uuid TEXT PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO public.runs VALUES ('abc', 'an mlflow run')"))
    use_store(empty_project.root, pg_url)
    project = load_project(empty_project.root)
    with open_store(project) as store:
        assert store.is_empty() and store._version() == HEAD
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT name FROM public.runs")).scalars().all() == ["an mlflow run"]
        assert {"jobs", "runs", VERSION_TABLE} <= set(sa.inspect(conn).get_table_names(schema=PG_SCHEMA))
    engine.dispose()


def test_an_unreachable_postgresql_store_is_one_line_without_its_password(empty_project):
    from jobs.jobs_helpers import prodkit_cmd, use_store

    use_store(empty_project.root, "postgresql://bob:hunter2pw@127.0.0.1:1/jobs")
    proc = subprocess.run(prodkit_cmd("jobs", "list"), cwd=empty_project.root, env=cli_env(), capture_output=True,
                          text=True, timeout=60)
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "cannot use the job store" in lines[0] and "bob:***@127.0.0.1:1" in lines[0]
    assert "hunter2pw" not in proc.stderr + proc.stdout
