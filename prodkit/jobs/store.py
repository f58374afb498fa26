"""The job store: SQLite tables for job definitions and runs, safe across processes.

WAL + busy_timeout; every transaction is short and none is open while a notebook runs.
A scheduled slot is claimed exactly once by `INSERT OR IGNORE` against
UNIQUE(job, scheduled_for, attempt), inside `BEGIN IMMEDIATE` so concurrent schedulers
serialise their ticks. Times are UTC epoch seconds.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prodkit.errors import BadInput
from prodkit.jobs.model import (
    ACTIVE,
    LOST,
    QUEUED,
    JobSpec,
    RunError,
    RunRecord,
    dumps,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    name            TEXT PRIMARY KEY,
    notebook        TEXT NOT NULL,
    cron            TEXT NOT NULL,
    tz              TEXT NOT NULL,
    parameters      TEXT NOT NULL,
    kernel          TEXT NOT NULL,
    timeout_s       REAL,
    retries         INTEGER NOT NULL,
    retry_backoff_s REAL NOT NULL,
    catch_up        TEXT NOT NULL,
    paused          INTEGER NOT NULL DEFAULT 0,
    fail_on_drift   INTEGER NOT NULL DEFAULT 0,  -- added later: see _migrate
    created_at      REAL NOT NULL,
    checked_until   REAL NOT NULL,   -- slots up to here have been considered
    next_due        REAL             -- first slot after checked_until
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(paused, next_due);
CREATE TABLE IF NOT EXISTS runs (
    run_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job             TEXT NOT NULL,
    scheduled_for   REAL NOT NULL,
    attempt         INTEGER NOT NULL DEFAULT 1,
    retry_of        INTEGER,
    trigger         TEXT NOT NULL,
    status          TEXT NOT NULL,
    parameters      TEXT NOT NULL,
    notebook        TEXT,
    not_before      REAL,
    owner           TEXT,
    heartbeat       REAL,
    queued_at       REAL,
    started_at      REAL,
    ended_at        REAL,
    output_path     TEXT,
    notebook_sha256 TEXT,
    kernel_pid      INTEGER,
    error           TEXT,
    artifacts       TEXT,            -- JSON list the notebook adds to while it runs (context.py)
    UNIQUE(job, scheduled_for, attempt)
);
CREATE INDEX IF NOT EXISTS runs_status ON runs(status, owner);
CREATE INDEX IF NOT EXISTS runs_job ON runs(job, run_id);
"""

_JOB_COLUMNS = ("name", "notebook", "cron", "tz", "parameters", "kernel", "timeout_s", "retries",
                "retry_backoff_s", "catch_up", "paused", "fail_on_drift", "created_at", "next_due", "on_drift",
                "on_degraded")


@dataclass(frozen=True)
class Owner:
    """Who claimed a run: `host/pid/process-start#token`, unique even after pid reuse and for
    several schedulers in one process."""

    host: str
    pid: int
    started: float
    token: str = ""

    @classmethod
    def current(cls) -> Owner:
        import secrets

        pid = os.getpid()
        return cls(socket.gethostname(), pid, _process_start(pid) or time.time(), secrets.token_hex(3))

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        try:
            body, _, token = text.partition("#")
            host, pid, started = body.rsplit("/", 2)
            return cls(host, int(pid), float(started), token)
        except (ValueError, AttributeError):
            return None

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.started:.2f}#{self.token}"

    def is_dead(self) -> bool | None:
        """True/False on this host; None for another host (use the heartbeat there)."""
        if self.host != socket.gethostname():
            return None
        started = _process_start(self.pid)
        return started is None or abs(started - self.started) > 1.0


def _process_start(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


class JobStore:
    """Jobs and runs of one project (`<root>/.prodkit/jobs.db`).

    Output paths are stored relative to the project root and handed out absolute.
    """

    def __init__(self, path: Path | str, *, root: Path | str | None = None, busy_timeout_s: float = 30.0):
        self.path = Path(path)
        self.root = Path(root) if root is not None else self.path.resolve().parent.parent
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if self._db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")
        with self.transaction():
            for statement in filter(str.strip, SCHEMA.split(";")):
                self._db.execute(statement)
            _migrate(self._db)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction (BEGIN IMMEDIATE takes the write lock up front)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Iterable[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(args)).fetchall()

    # ---- jobs -------------------------------------------------------------------------

    def add_job(self, job: JobSpec, *, now: float, next_due: float, replace: bool = False) -> None:
        with self.transaction() as db:
            exists = db.execute("SELECT 1 FROM jobs WHERE name = ?", (job.name,)).fetchone()
            if exists and not replace:
                raise BadInput(f"a job named {job.name!r} already exists",
                               fix=f"pick another name, or `prodkit jobs remove {job.name}` first (or pass --replace)")
            db.execute(
                "INSERT OR REPLACE INTO jobs (name, notebook, cron, tz, parameters, kernel, timeout_s, retries, "
                "retry_backoff_s, catch_up, paused, fail_on_drift, created_at, checked_until, next_due, on_drift, "
                "on_degraded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.name, job.notebook, job.cron, job.tz, dumps(job.parameters), job.kernel, job.timeout_s,
                 job.retries, job.retry_backoff_s, job.catch_up, int(job.paused), int(job.fail_on_drift), now, now,
                 next_due, job.on_drift, job.on_degraded),
            )

    def get_job(self, name: str) -> JobSpec:
        rows = self._query(f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs WHERE name = ?", (name,))
        if not rows:
            known = [r["name"] for r in self._query("SELECT name FROM jobs ORDER BY name")]
            raise BadInput(f"no job named {name!r}", path=str(self.path),
                           fix=f"known jobs: {', '.join(known)}" if known else "add one with `prodkit jobs add`")
        return _job(rows[0])

    def list_jobs(self) -> list[JobSpec]:
        return [_job(r) for r in self._query(f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs ORDER BY name")]

    def set_paused(self, name: str, paused: bool, *, now: float, next_due: float | None = None) -> None:
        """Pause, or resume from `now` (slots missed while paused are skipped, not caught up)."""
        self.get_job(name)
        with self.transaction() as db:
            if paused:
                db.execute("UPDATE jobs SET paused = 1 WHERE name = ?", (name,))
            else:
                db.execute("UPDATE jobs SET paused = 0, checked_until = ?, next_due = ? WHERE name = ?",
                           (now, next_due, name))

    def remove_job(self, name: str) -> int:
        """Delete the job definition; its run history and outputs stay. Returns queued runs dropped."""
        self.get_job(name)
        with self.transaction() as db:
            db.execute("DELETE FROM jobs WHERE name = ?", (name,))
            return db.execute("DELETE FROM runs WHERE job = ? AND status = ? AND started_at IS NULL",
                              (name, QUEUED)).rowcount

    def due_jobs(self, db: sqlite3.Connection, now: float) -> list[sqlite3.Row]:
        return db.execute(
            "SELECT name, cron, tz, parameters, catch_up, checked_until, notebook FROM jobs "
            "WHERE paused = 0 AND next_due <= ?", (now,)).fetchall()

    def claim_slots(self, now: float, owner: str, plan) -> dict[int, str]:
        """Claim due slots in one transaction. `plan(rows, now)` -> (claims, cursors).

        claims: (job, scheduled_for, trigger, parameters_json, notebook); cursors: (next_due, job).
        Returns {run_id: trigger} of the runs this call claimed (a slot claimed elsewhere is ignored).
        """
        with self.transaction() as db:
            rows = self.due_jobs(db, now)
            if not rows:
                return {}
            claims, cursors = plan(rows, now)
            before = db.execute("SELECT COALESCE(MAX(run_id), 0) FROM runs").fetchone()[0]
            db.executemany(
                "INSERT OR IGNORE INTO runs (job, scheduled_for, attempt, trigger, status, parameters, notebook, "
                "owner, heartbeat, queued_at, not_before) VALUES (?, ?, 1, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                [(job, slot, trigger, params, nb, owner, now, now, slot) for job, slot, trigger, params, nb in claims],
            )
            by_next_due: dict[float, list[str]] = {}
            for next_due, job in cursors:
                by_next_due.setdefault(next_due, []).append(job)
            db.executemany("UPDATE jobs SET checked_until = ?, next_due = ? WHERE name IN (SELECT value FROM json_each(?))",
                           [(now, next_due, json.dumps(jobs)) for next_due, jobs in by_next_due.items()])
            return dict(db.execute(
                "SELECT run_id, trigger FROM runs WHERE run_id > ? AND owner = ? AND status = 'queued' ORDER BY run_id",
                (before, owner)).fetchall())

    # ---- runs -------------------------------------------------------------------------

    def insert_run(self, *, job: str, scheduled_for: float, trigger: str, parameters: dict[str, Any],
                   notebook: str, owner: str | None, now: float, attempt: int = 1, retry_of: int | None = None,
                   not_before: float | None = None, status: str = QUEUED) -> int | None:
        """Insert a run; None when that (job, slot, attempt) exists already."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO runs (job, scheduled_for, attempt, retry_of, trigger, status, parameters, "
                "notebook, owner, heartbeat, queued_at, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job, scheduled_for, attempt, retry_of, trigger, status, dumps(parameters), notebook, owner, now,
                 now, not_before if not_before is not None else now),
            )
            return cur.lastrowid if cur.rowcount else None

    def adopt_queued(self, owner: str, now: float, limit: int) -> list[int]:
        """Take unowned queued runs that are ready (released ones, retries left by a --once run)."""
        with self.transaction() as db:
            ids = [r[0] for r in db.execute(
                "SELECT run_id FROM runs WHERE status = 'queued' AND owner IS NULL AND not_before <= ? "
                "ORDER BY not_before, run_id LIMIT ?", (now, limit))]
            db.executemany("UPDATE runs SET owner = ?, heartbeat = ? WHERE run_id = ? AND owner IS NULL",
                           [(owner, now, i) for i in ids])
            return ids

    def queued_for(self, owner: str, now: float) -> list[RunRecord]:
        return [self._run(r) for r in self._query(
            "SELECT * FROM runs WHERE status = 'queued' AND owner = ? AND not_before <= ? "
            "ORDER BY not_before, run_id", (owner, now))]

    def next_wakeup(self, owner: str) -> float | None:
        """The earliest of: the next due slot of an active job, a queued run (ours or nobody's) becoming ready."""
        row = self._query(
            "SELECT MIN(t) FROM (SELECT MIN(next_due) AS t FROM jobs WHERE paused = 0 UNION ALL "
            "SELECT MIN(not_before) FROM runs WHERE status = 'queued' AND (owner = ? OR owner IS NULL))", (owner,))
        return row[0][0] if row else None

    def mark_running(self, run_id: int, *, owner: str, now: float, output_path: str) -> bool:
        """queued -> running, only if still queued and ours (a run starts at most once)."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE runs SET status = 'running', started_at = ?, heartbeat = ?, output_path = ? "
                "WHERE run_id = ? AND status = 'queued' AND owner = ?",
                (now, now, output_path, run_id, owner)).rowcount == 1

    def set_run_fields(self, run_id: int, **fields: Any) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE runs SET {cols} WHERE run_id = ?", (*fields.values(), run_id))

    def finish_run(self, run_id: int, *, status: str, ended_at: float, error: RunError | None,
                   started_at: float | None = None, notebook_sha256: str | None = None) -> bool:
        """running -> final status. False when the run was already finished (e.g. marked lost)."""
        with self.transaction() as db:
            return db.execute(
                "UPDATE runs SET status = ?, ended_at = ?, error = ?, started_at = COALESCE(?, started_at), "
                "notebook_sha256 = COALESCE(?, notebook_sha256), kernel_pid = NULL "
                "WHERE run_id = ? AND status IN ('queued', 'running')",
                (status, ended_at, dumps(error.to_dict()) if error else None, started_at, notebook_sha256,
                 run_id)).rowcount == 1

    def heartbeat(self, owner: str, now: float) -> None:
        with self.transaction() as db:
            db.execute("UPDATE runs SET heartbeat = ? WHERE owner = ? AND status IN ('queued', 'running')", (now, owner))

    def release_queued(self, owner: str) -> int:
        """On clean shutdown: give queued, never-started runs back to whoever runs next."""
        with self.transaction() as db:
            return db.execute("UPDATE runs SET owner = NULL WHERE owner = ? AND status = 'queued'", (owner,)).rowcount

    def recover_lost(self, me: str, now: float, lease_s: float) -> tuple[list[RunRecord], int]:
        """Runs whose owner died: running ones become `lost` (never re-run), queued ones are released.

        An owner on this host is dead when its process is gone; elsewhere, when its heartbeat is
        older than `lease_s`. Returns (the runs marked lost, how many queued runs were released).
        """
        lost: list[RunRecord] = []
        released = 0
        with self.transaction() as db:
            rows = db.execute("SELECT * FROM runs WHERE status IN ('queued', 'running') AND owner IS NOT NULL "
                              "AND owner != ?", (me,)).fetchall()
            for row in rows:
                owner = Owner.parse(row["owner"])
                dead = owner.is_dead() if owner else True
                if dead is None:
                    dead = (row["heartbeat"] or 0) < now - lease_s
                if not dead:
                    continue
                if row["status"] == QUEUED:
                    released += db.execute("UPDATE runs SET owner = NULL WHERE run_id = ? AND status = 'queued'",
                                           (row["run_id"],)).rowcount
                    continue
                error = RunError(cell=None, ename="Lost",
                                 evalue=f"the process running it ({row['owner']}) died; partial output kept")
                db.execute("UPDATE runs SET status = ?, ended_at = ?, error = ? WHERE run_id = ? AND status = 'running'",
                           (LOST, now, dumps(error.to_dict()), row["run_id"]))
                lost.append(self._run(row))
        return lost, released

    def active_runs(self) -> list[RunRecord]:
        return [self._run(r) for r in self._query(
            f"SELECT * FROM runs WHERE status IN ({', '.join('?' * len(ACTIVE))}) ORDER BY run_id", ACTIVE)]

    def get_run(self, run_id: int) -> RunRecord:
        rows = self._query("SELECT * FROM runs WHERE run_id = ?", (run_id,))
        if not rows:
            raise BadInput(f"no run with id {run_id}", path=str(self.path), fix="`prodkit jobs history NAME` lists run ids")
        return self._run(rows[0])

    def history(self, job: str | None = None, limit: int = 50) -> list[RunRecord]:
        """Newest first."""
        if job is None:
            rows = self._query("SELECT * FROM runs ORDER BY run_id DESC LIMIT ?", (limit,))
        else:
            rows = self._query("SELECT * FROM runs WHERE job = ? ORDER BY run_id DESC LIMIT ?", (job, limit))
        return [self._run(r) for r in rows]

    def last_runs(self) -> dict[str, RunRecord]:
        """The newest run of each job."""
        rows = self._query("SELECT * FROM runs WHERE run_id IN (SELECT MAX(run_id) FROM runs GROUP BY job)")
        return {r["job"]: self._run(r) for r in rows}

    def count_slots(self, job: str) -> dict[float, int]:
        """How many first attempts each slot of `job` has (1 everywhere, by construction)."""
        rows = self._query("SELECT scheduled_for, COUNT(*) FROM runs WHERE job = ? AND attempt = 1 "
                           "GROUP BY scheduled_for", (job,))
        return {r[0]: r[1] for r in rows}

    def _run(self, row: sqlite3.Row) -> RunRecord:
        run = _run_from_row(row)
        if run.output_path and "://" not in run.output_path and not Path(run.output_path).is_absolute():
            run.output_path = str(self.root / run.output_path)
        return run

    # ---- triggers (prodkit.jobs.triggers): a job started by another job's verdict ------------

    def trigger_candidates(self, since: float) -> list[tuple[RunRecord, JobSpec]]:
        """(finished run, job triggered by its job) pairs ended after `since` and after the triggered job
        was added, that have no triggered run yet; the caller checks the run's verdict."""
        rows = self._query(
            "SELECT r.*, j.name AS target FROM runs r JOIN jobs j ON (j.on_drift = r.job OR j.on_degraded = r.job) "
            "WHERE r.ended_at IS NOT NULL AND r.ended_at >= ? AND r.ended_at >= j.created_at "
            "AND NOT EXISTS (SELECT 1 FROM runs t WHERE t.job = j.name AND t.triggered_by = r.run_id) "
            "ORDER BY r.run_id", (since,))
        jobs = {job.name: job for job in self.list_jobs()}
        return [(self._run(row), jobs[row["target"]]) for row in rows if row["target"] in jobs]

    def insert_triggered_run(self, *, job: JobSpec, triggered_by: int, trigger: str, parameters: dict[str, Any],
                             owner: str | None, now: float) -> int | None:
        """Queue `job` for the triggering run; None when that run already triggered it (exactly once)."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO runs (job, scheduled_for, attempt, trigger, status, parameters, notebook, "
                "owner, heartbeat, queued_at, not_before, triggered_by) "
                "VALUES (?, ?, 1, ?, 'queued', ?, ?, ?, ?, ?, ?, ?)",
                (job.name, now, trigger, dumps(parameters), job.notebook, owner, now, now, now, triggered_by))
            return cur.lastrowid if cur.rowcount else None

    def runs_triggered_by(self, run_id: int) -> list[RunRecord]:
        return [self._run(r) for r in self._query("SELECT * FROM runs WHERE triggered_by = ? ORDER BY run_id",
                                                  (run_id,))]

    def add_artifact(self, run_id: int, artifact: dict[str, Any]) -> None:
        """Append to a run's artifacts (a drift report, a metrics file, ...)."""
        with self.transaction() as db:
            row = db.execute("SELECT artifacts FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise BadInput(f"no run with id {run_id}", path=str(self.path))
            artifacts = json.loads(row[0]) if row[0] else []
            db.execute("UPDATE runs SET artifacts = ? WHERE run_id = ?",
                       (json.dumps([*artifacts, artifact], default=str), run_id))


# Columns added after stores were first written: (table, column, definition). Stores made by an
# older prodkit get them on open (inside the schema transaction, so concurrent openers serialise).
_ADDED_COLUMNS = (
    ("runs", "artifacts", "TEXT"),
    ("jobs", "fail_on_drift", "INTEGER NOT NULL DEFAULT 0"),
    ("jobs", "on_drift", "TEXT"),
    ("jobs", "on_degraded", "TEXT"),
    ("runs", "triggered_by", "INTEGER"),
)
# A triggering run starts each job it triggers once (first attempts; retries have no triggered_by).
_ADDED_INDEXES = ("CREATE UNIQUE INDEX IF NOT EXISTS runs_triggered_once ON runs(job, triggered_by) "
                  "WHERE triggered_by IS NOT NULL",)


def _migrate(db: sqlite3.Connection) -> None:
    for table, column, definition in _ADDED_COLUMNS:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
    for statement in _ADDED_INDEXES:
        db.execute(statement)


def _job(row: sqlite3.Row) -> JobSpec:
    return JobSpec(
        name=row["name"], notebook=row["notebook"], cron=row["cron"], tz=row["tz"],
        parameters=json.loads(row["parameters"]), kernel=row["kernel"], timeout_s=row["timeout_s"],
        retries=row["retries"], retry_backoff_s=row["retry_backoff_s"], catch_up=row["catch_up"],
        paused=bool(row["paused"]), fail_on_drift=bool(row["fail_on_drift"]), created_at=row["created_at"], next_due=row["next_due"],
        on_drift=row["on_drift"], on_degraded=row["on_degraded"],
    )


def _run_from_row(row: sqlite3.Row) -> RunRecord:
    error = json.loads(row["error"]) if row["error"] else None
    return RunRecord(
        run_id=row["run_id"], job=row["job"], status=row["status"], scheduled_for=row["scheduled_for"],
        trigger=row["trigger"], attempt=row["attempt"], retry_of=row["retry_of"],
        parameters=json.loads(row["parameters"]), queued_at=row["queued_at"], started_at=row["started_at"],
        ended_at=row["ended_at"], not_before=row["not_before"], output_path=row["output_path"],
        notebook=row["notebook"], notebook_sha256=row["notebook_sha256"],
        error=RunError(**error) if error else None, owner=row["owner"], heartbeat=row["heartbeat"],
        kernel_pid=row["kernel_pid"], artifacts=json.loads(row["artifacts"]) if row["artifacts"] else [],
        triggered_by=row["triggered_by"],
    )

