"""The job store: job definitions and runs, safe across processes and hosts.

`JobStore(target)` opens the store a project is configured with (`Project.jobs_store`): a
SQLite file (the default, `.prodkit/jobs.db`) or a PostgreSQL database (`postgresql://…`).
Both backends run the same SQLAlchemy Core statements; they differ only in how a write
transaction locks: SQLite takes the write lock up front (`BEGIN IMMEDIATE`, WAL, busy_timeout),
PostgreSQL locks the due job rows it plans (`FOR UPDATE SKIP LOCKED`), so schedulers on
several hosts split the due jobs instead of waiting for each other. Either way a slot is
claimed exactly once: `INSERT … ON CONFLICT DO NOTHING` against UNIQUE(job, scheduled_for, attempt).

The schema is created and migrated by Alembic (prodkit/jobs/migrations, version table
`prodkit_jobs_version`), once, inside a locked transaction, so concurrent first opens don't race.
A damaged store (not a database, a missing table or column, a value of the wrong type) raises
`StoreDamaged`: one line, nothing re-created over lost history.

What is stored is redacted (`prodkit.readiness.secrets.redact_text`, and each URI in the text by
`redact_uri`'s rules): parameters, error text and output paths. Times are UTC epoch seconds.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prodkit.errors import BadInput
from prodkit.jobs.records import (
    ACTIVE,
    CANCELLED,
    LOST,
    QUEUED,
    RUNNING,
    STATUSES,
    JobSpec,
    RunError,
    StoredRun,
    dumps,
    iso,
)

HEAD = "0003"  # the newest Alembic revision in migrations/versions
VERSION_TABLE = "prodkit_jobs_version"
MIGRATIONS = Path(__file__).with_name("migrations")
RUN_LEASE_S = 60.0  # a running run whose heartbeat is older than this reads as `lost`
ENV_RUN_LEASE = "PRODKIT_RUN_LEASE_S"
_MIGRATION_LOCK = 0x70726F646B6974  # pg_advisory_xact_lock key ("prodkit")
PG_SCHEMA = "prodkit"  # on PostgreSQL the tables live in their own schema (MLflow's database also has `runs`)


class StoreDamaged(BadInput):
    """The store cannot be read as a job store; nothing was changed."""

    def __init__(self, detail: str, *, path: str | None = None, fix: str = ""):
        self.detail = detail
        super().__init__(f"the job store is damaged ({detail})", path=path, fix=fix)


class StoreUnavailable(BadInput):
    """The store is busy past its timeout, or its server cannot be reached."""


def is_url(target: Path | str) -> bool:
    return isinstance(target, str) and "://" in target


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
    """Jobs and runs of one project. `JobStore(path)` opens SQLite, `JobStore("postgresql://…")` PostgreSQL.

    Output paths are stored relative to the project root and handed out absolute. Every
    public method is one short transaction; none is open while a notebook runs.
    """

    backend = ""

    def __new__(cls, target: Path | str, **kw: Any):
        if cls is JobStore:
            cls = PostgresJobStore if is_url(target) else SQLiteJobStore
        return super().__new__(cls)

    def __init__(self, target: Path | str, *, root: Path | str | None = None, busy_timeout_s: float = 30.0,
                 run_lease_s: float | None = None):
        self.target = str(target)
        self.root = Path(root) if root is not None else self._default_root()
        self.run_lease_s = run_lease_s or float(os.environ.get(ENV_RUN_LEASE) or RUN_LEASE_S)
        self._lock = threading.RLock()
        self._immediate = False
        self._conn = None
        self._engine = self._make_engine(busy_timeout_s)
        try:
            with self._guard():
                self._conn = self._engine.connect()
                self._open_schema()
        except BaseException:
            self.close()
            raise

    # ---- backend hooks ------------------------------------------------------------------

    @property
    def path(self) -> Path | str:
        """Where the store is, for messages (a URL without its password)."""
        raise NotImplementedError

    def _default_root(self) -> Path:
        return Path.cwd()

    def _make_engine(self, busy_timeout_s: float):
        raise NotImplementedError

    def _insert(self, table):
        raise NotImplementedError

    def _lock_due(self, stmt):
        """Row locks for a claim (PostgreSQL); SQLite's BEGIN IMMEDIATE already serialises it."""
        return stmt

    def _lock_migration(self, conn) -> None:
        pass

    def _translate(self, error) -> BadInput:
        raise NotImplementedError

    def damaged_fix(self) -> str:
        raise NotImplementedError

    def _driver_error(self) -> type[Exception]:
        raise NotImplementedError

    # ---- plumbing -----------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._engine.dispose()

    def __enter__(self) -> JobStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def damaged(self, detail: str) -> StoreDamaged:
        return StoreDamaged(detail, path=str(self.path), fix=self.damaged_fix())

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Driver errors -> one line: damaged (StoreDamaged) or busy/unreachable (StoreUnavailable)."""
        from sqlalchemy import exc

        try:
            yield
        except StoreDamaged as e:
            if e.path is None:
                raise self.damaged(e.detail) from None
            raise
        except exc.DBAPIError as e:
            raise self._translate(e) from None
        except self._driver_error() as e:  # raised by the driver outside SQLAlchemy (e.g. the connect hook)
            raise self._translate(exc.DBAPIError(None, None, e)) from None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A short write transaction (SQLite: BEGIN IMMEDIATE takes the write lock up front)."""
        with self._lock, self._guard():
            self._immediate = True
            try:
                with self._conn.begin():
                    self._immediate = False
                    yield self._conn
            finally:
                self._immediate = False

    def _rows(self, stmt) -> list[Mapping[str, Any]]:
        with self._lock, self._guard(), self._conn.begin():
            return list(self._conn.execute(stmt).mappings())

    def _open_schema(self) -> None:
        """Migrate to HEAD when behind (once, under a lock), then check the tables are whole."""
        import sqlalchemy as sa

        if self._version() != HEAD:
            with self.transaction() as conn:
                self._lock_migration(conn)
                _upgrade(conn)
        present = {}
        with self._lock, self._conn.begin():
            inspector = sa.inspect(self._conn)
            names = set(inspector.get_table_names())
            for table in ("jobs", "runs"):
                if table not in names:
                    raise self.damaged(f"table {table} is missing; its history is not re-created over")
                present[table] = {c["name"] for c in inspector.get_columns(table)}
        from prodkit.jobs.tables import metadata

        for table in ("jobs", "runs"):
            missing = [c.name for c in metadata.tables[table].columns if c.name not in present[table]]
            if missing:
                raise self.damaged(f"column {table}.{missing[0]} is missing")
        self._verify_rows()

    def _verify_rows(self) -> None:
        """Every row holds what the schema says (backends where the database does not enforce it)."""

    def _raise_for_row(self, table: str, row: Mapping[str, Any]) -> None:
        """The first problem of a row found bad (raises StoreDamaged)."""
        if table == "jobs":
            self._job(row)
        else:
            self._run(row)
        raise self.damaged(f"a row of {table} holds a value of the wrong type")

    def _version(self) -> str | None:
        import sqlalchemy as sa

        with self._lock, self._conn.begin():
            if not sa.inspect(self._conn).has_table(VERSION_TABLE):
                return None
            return self._conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()

    # ---- jobs -------------------------------------------------------------------------

    def add_job(self, job: JobSpec, *, now: float, next_due: float, replace: bool = False) -> None:
        import sqlalchemy as sa

        from prodkit.jobs.tables import jobs

        values = dict(name=job.name, notebook=job.notebook, cron=job.cron, tz=job.tz,
                      parameters=dumps(_redact_value(job.parameters)), kernel=job.kernel, timeout_s=job.timeout_s,
                      retries=job.retries, retry_backoff_s=job.retry_backoff_s, catch_up=job.catch_up,
                      paused=int(job.paused), fail_on_drift=int(job.fail_on_drift), created_at=now,
                      checked_until=now, next_due=next_due, on_drift=job.on_drift, on_degraded=job.on_degraded)
        with self.transaction() as db:
            exists = db.execute(sa.select(jobs.c.name).where(jobs.c.name == job.name)).first()
            if exists and not replace:
                raise BadInput(f"a job named {job.name!r} already exists",
                               fix=f"pick another name, or `prodkit jobs remove {job.name}` first (or pass --replace)")
            if exists:
                db.execute(jobs.update().where(jobs.c.name == job.name).values(**values))
            else:
                db.execute(jobs.insert().values(**values))

    def get_job(self, name: str) -> JobSpec:
        from prodkit.jobs.tables import jobs

        rows = self._rows(jobs.select().where(jobs.c.name == name))
        if not rows:
            known = [r["name"] for r in self._rows(jobs.select().order_by(jobs.c.name))]
            raise BadInput(f"no job named {name!r}", path=str(self.path),
                           fix=f"known jobs: {', '.join(known)}" if known else "add one with `prodkit jobs add`")
        return self._job(rows[0])

    def list_jobs(self) -> list[JobSpec]:
        from prodkit.jobs.tables import jobs

        return [self._job(r) for r in self._rows(jobs.select().order_by(jobs.c.name))]

    def set_paused(self, name: str, paused: bool, *, now: float, next_due: float | None = None) -> None:
        """Pause, or resume from `now` (slots missed while paused are skipped, not caught up)."""
        from prodkit.jobs.tables import jobs

        self.get_job(name)
        with self.transaction() as db:
            where = jobs.update().where(jobs.c.name == name)
            db.execute(where.values(paused=1) if paused else where.values(paused=0, checked_until=now, next_due=next_due))

    def remove_job(self, name: str) -> int:
        """Delete the job definition; its run history and outputs stay. Returns queued runs dropped."""
        from prodkit.jobs.tables import jobs, runs

        self.get_job(name)
        with self.transaction() as db:
            db.execute(jobs.delete().where(jobs.c.name == name))
            return db.execute(runs.delete().where(runs.c.job == name, runs.c.status == QUEUED,
                                                  runs.c.started_at.is_(None))).rowcount

    def is_empty(self) -> bool:
        """No job and no run at all."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import jobs, runs

        return not any(self._rows(sa.select(sa.literal(1).label("x")).select_from(t).limit(1)) for t in (jobs, runs))

    def claim_slots(self, now: float, owner: str, plan, limit: int | None = None) -> tuple[dict[int, str], list[str]]:
        """Claim the due slots of up to `limit` jobs in one transaction. `plan(rows, now)` -> (claims, cursors).

        claims: (job, scheduled_for, trigger, parameters_json, notebook); cursors: (next_due, job).
        Returns ({run_id: trigger} of the runs this call claimed, the due jobs it looked at);
        a slot claimed elsewhere is ignored, and on PostgreSQL jobs another scheduler is claiming are skipped.
        """
        import sqlalchemy as sa

        from prodkit.jobs.tables import jobs

        due = sa.select(jobs.c.name, jobs.c.cron, jobs.c.tz, jobs.c.parameters, jobs.c.catch_up,
                        jobs.c.checked_until, jobs.c.notebook).where(jobs.c.paused == 0, jobs.c.next_due <= now)
        due = due.order_by(jobs.c.next_due, jobs.c.name).limit(limit)
        with self.transaction() as db:
            rows = list(db.execute(self._lock_due(due)).mappings())
            if not rows:
                return {}, []
            claims, cursors = plan(rows, now)
            claimed = dict(self._insert_claims(db, claims, owner, now)) if claims else {}
            by_next_due: dict[float | None, list[str]] = {}
            for next_due, job in cursors:
                by_next_due.setdefault(next_due, []).append(job)
            for next_due, names in by_next_due.items():
                self._advance(db, names, now, next_due)
            return dict(sorted(claimed.items())), [r["name"] for r in rows]

    def _insert_claims(self, db, claims: list[tuple], owner: str, now: float) -> list[tuple[int, str]]:
        """Insert the claimed slots' runs (a slot that has its run already is skipped): (run_id, trigger) of the new ones."""
        from prodkit.jobs.tables import runs

        stmt = self._insert(runs).on_conflict_do_nothing(
            index_elements=["job", "scheduled_for", "attempt"]).returning(runs.c.run_id, runs.c.trigger)
        values = [dict(job=job, scheduled_for=slot, attempt=1, trigger=trigger, status=QUEUED, parameters=params,
                       notebook=nb, owner=owner, heartbeat=now, queued_at=now, not_before=slot)
                  for job, slot, trigger, params, nb in claims]
        found: list[tuple[int, str]] = []
        for chunk in range(0, len(values), 500):
            found += [(r[0], r[1]) for r in db.execute(stmt, values[chunk:chunk + 500])]
        return found

    def _advance(self, db, names: list[str], now: float, next_due: float | None) -> None:
        """Move these jobs' cursors: slots up to `now` considered, the next one at `next_due`."""
        from prodkit.jobs.tables import jobs

        db.execute(jobs.update().where(jobs.c.name.in_(names)).values(checked_until=now, next_due=next_due))

    # ---- runs -------------------------------------------------------------------------

    def insert_run(self, *, job: str, scheduled_for: float, trigger: str, parameters: dict[str, Any],
                   notebook: str, owner: str | None, now: float, attempt: int = 1, retry_of: int | None = None,
                   not_before: float | None = None, status: str = QUEUED) -> int | None:
        """Insert a run; None when that (job, slot, attempt) exists already."""
        from prodkit.jobs.tables import runs

        stmt = self._insert(runs).values(
            job=job, scheduled_for=scheduled_for, attempt=attempt, retry_of=retry_of, trigger=trigger, status=status,
            parameters=dumps(_redact_value(parameters)), notebook=notebook, owner=owner, heartbeat=now, queued_at=now,
            not_before=not_before if not_before is not None else now,
        ).on_conflict_do_nothing(index_elements=["job", "scheduled_for", "attempt"]).returning(runs.c.run_id)
        with self.transaction() as db:
            return db.execute(stmt).scalar()

    def adopt_queued(self, owner: str, now: float, limit: int) -> list[int]:
        """Take unowned queued runs that are ready (released ones, retries left by a --once run)."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import runs

        free = sa.select(runs.c.run_id).where(runs.c.status == QUEUED, runs.c.owner.is_(None),
                                              runs.c.not_before <= now).order_by(runs.c.not_before, runs.c.run_id)
        with self.transaction() as db:
            ids = [r[0] for r in db.execute(self._lock_due(free.limit(limit)))]
            taken = []
            for run_id in ids:
                if db.execute(runs.update().where(runs.c.run_id == run_id, runs.c.owner.is_(None))
                              .values(owner=owner, heartbeat=now)).rowcount:
                    taken.append(run_id)
            return taken

    def queued_for(self, owner: str, now: float, limit: int | None = None) -> list[StoredRun]:
        """This owner's queued runs that are ready, oldest first (at most `limit`)."""
        from prodkit.jobs.tables import runs

        return [self._run(r) for r in self._rows(
            runs.select().where(runs.c.status == QUEUED, runs.c.owner == owner, runs.c.not_before <= now)
            .order_by(runs.c.not_before, runs.c.run_id).limit(limit))]

    def next_wakeup(self, owner: str) -> float | None:
        """The earliest of: the next due slot of an active job, a queued run (ours or nobody's) becoming ready."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import jobs, runs

        a = self._rows(sa.select(sa.func.min(jobs.c.next_due).label("t")).where(jobs.c.paused == 0))
        b = self._rows(sa.select(sa.func.min(runs.c.not_before).label("t")).where(
            runs.c.status == QUEUED, sa.or_(runs.c.owner == owner, runs.c.owner.is_(None))))
        times = [r["t"] for r in (*a, *b) if r["t"] is not None]
        return min(times) if times else None

    def mark_running(self, run_id: int, *, owner: str, now: float, output_path: str) -> bool:
        """queued -> running, only if still queued and ours (a run starts at most once)."""
        from prodkit.jobs.tables import runs

        with self.transaction() as db:
            return db.execute(runs.update().where(runs.c.run_id == run_id, runs.c.status == QUEUED, runs.c.owner == owner)
                              .values(status=RUNNING, started_at=now, heartbeat=now,
                                      output_path=_redact(output_path))).rowcount == 1

    def set_run_fields(self, run_id: int, **fields: Any) -> None:
        from prodkit.jobs.tables import runs

        if not fields:
            return
        with self.transaction() as db:
            db.execute(runs.update().where(runs.c.run_id == run_id).values(**fields))

    def beat(self, run_id: int, now: float) -> bool:
        """One run's heartbeat (written by whatever executes it). False once the run has finished."""
        from prodkit.jobs.tables import runs

        with self.transaction() as db:
            return db.execute(runs.update().where(runs.c.run_id == run_id, runs.c.status.in_(ACTIVE))
                              .values(heartbeat=now)).rowcount == 1

    def finish_run(self, run_id: int, *, status: str, ended_at: float, error: RunError | None,
                   started_at: float | None = None, notebook_sha256: str | None = None) -> bool:
        """running -> final status. False when the run was already finished (e.g. marked lost)."""
        from prodkit.jobs.tables import runs

        values: dict[str, Any] = dict(status=status, ended_at=ended_at, kernel_pid=None,
                                      error=dumps(_redact_value(error.to_dict())) if error else None)
        if started_at is not None:
            values["started_at"] = started_at
        if notebook_sha256 is not None:
            values["notebook_sha256"] = notebook_sha256
        with self.transaction() as db:
            return db.execute(runs.update().where(runs.c.run_id == run_id, runs.c.status.in_(ACTIVE))
                              .values(**values)).rowcount == 1

    def heartbeat(self, owner: str, now: float) -> None:
        from prodkit.jobs.tables import runs

        with self.transaction() as db:
            db.execute(runs.update().where(runs.c.owner == owner, runs.c.status.in_(ACTIVE)).values(heartbeat=now))

    def release_surplus(self, owner: str, keep: int) -> int:
        """Keep this owner's `keep` oldest queued runs; give the rest to any scheduler (they adopt them)."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import runs

        kept = sa.select(runs.c.run_id).where(runs.c.owner == owner, runs.c.status == QUEUED) \
            .order_by(runs.c.not_before, runs.c.run_id).limit(max(keep, 0))
        with self.transaction() as db:
            kept_ids = [r[0] for r in db.execute(kept)]
            return db.execute(runs.update().where(runs.c.owner == owner, runs.c.status == QUEUED,
                                                  runs.c.run_id.not_in(kept_ids)).values(owner=None)).rowcount

    def release_queued(self, owner: str) -> int:
        """On clean shutdown: give queued, never-started runs back to whoever runs next."""
        from prodkit.jobs.tables import runs

        with self.transaction() as db:
            return db.execute(runs.update().where(runs.c.owner == owner, runs.c.status == QUEUED)
                              .values(owner=None)).rowcount

    def recover_lost(self, me: str, now: float, lease_s: float) -> tuple[list[StoredRun], int]:
        """Runs whose owner died: running ones become `lost` (never re-run), queued ones are released.

        An owner on this host is dead when its process is gone; elsewhere, when its heartbeat is
        older than `lease_s`. Returns (the runs marked lost, how many queued runs were released).
        """
        from prodkit.jobs.tables import runs

        lost: list[StoredRun] = []
        released = 0
        with self.transaction() as db:
            rows = list(db.execute(runs.select().where(runs.c.status.in_(ACTIVE), runs.c.owner.is_not(None),
                                                       runs.c.owner != me)).mappings())
            for row in rows:
                owner = Owner.parse(row["owner"])
                dead = owner.is_dead() if owner else True
                if dead is None:
                    dead = (row["heartbeat"] or 0) < now - lease_s
                if not dead:
                    continue
                mine = runs.update().where(runs.c.run_id == row["run_id"])
                if row["status"] == QUEUED:
                    released += db.execute(mine.where(runs.c.status == QUEUED).values(owner=None)).rowcount
                    continue
                error = RunError(cell=None, ename="Lost",
                                 evalue=f"the process running it ({row['owner']}) died; partial output kept")
                db.execute(mine.where(runs.c.status == RUNNING).values(status=LOST, ended_at=now,
                                                                         error=dumps(error.to_dict())))
                lost.append(self._run(row))
        return lost, released

    def active_runs(self) -> list[StoredRun]:
        from prodkit.jobs.tables import runs

        return [self._run(r) for r in self._rows(runs.select().where(runs.c.status.in_(ACTIVE)).order_by(runs.c.run_id))]

    def get_run(self, run_id: int) -> StoredRun:
        from prodkit.jobs.tables import runs

        rows = self._rows(runs.select().where(runs.c.run_id == run_id))
        if not rows:
            raise BadInput(f"no run with id {run_id}", path=str(self.path), fix="`prodkit jobs history NAME` lists run ids")
        return self._run(rows[0])

    def history(self, job: str | None = None, limit: int = 50) -> list[StoredRun]:
        """Newest first."""
        from prodkit.jobs.tables import runs

        stmt = runs.select().order_by(runs.c.run_id.desc()).limit(limit)
        if job is not None:
            stmt = stmt.where(runs.c.job == job)
        return [self._run(r) for r in self._rows(stmt)]

    def last_runs(self) -> dict[str, StoredRun]:
        """The newest run of each job."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import runs

        newest = sa.select(sa.func.max(runs.c.run_id)).group_by(runs.c.job)
        return {r["job"]: self._run(r) for r in self._rows(runs.select().where(runs.c.run_id.in_(newest)))}

    def count_slots(self, job: str) -> dict[float, int]:
        """How many first attempts each slot of `job` has (1 everywhere, by construction)."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import runs

        rows = self._rows(sa.select(runs.c.scheduled_for, sa.func.count().label("n"))
                          .where(runs.c.job == job, runs.c.attempt == 1).group_by(runs.c.scheduled_for))
        return {r["scheduled_for"]: r["n"] for r in rows}

    def add_artifact(self, run_id: int, artifact: dict[str, Any]) -> None:
        """Append to a run's artifacts (a drift report, a metrics file, ...)."""
        from prodkit.jobs.tables import runs

        with self.transaction() as db:
            # a plain row lock (wait for a heartbeat holding it), never SKIP LOCKED: the artifact must not be lost
            row = db.execute(runs.select().where(runs.c.run_id == run_id).with_for_update()).mappings().first()
            if row is None:
                raise BadInput(f"no run with id {run_id}", path=str(self.path))
            artifacts = self._json(row, "runs", "artifacts", list) if row["artifacts"] else []
            db.execute(runs.update().where(runs.c.run_id == run_id)
                       .values(artifacts=json.dumps([*artifacts, artifact], default=str)))

    # ---- triggers (prodkit.jobs.triggers): a job started by another job's verdict ------------

    def trigger_candidates(self, since: float) -> list[tuple[StoredRun, JobSpec]]:
        """(finished run, job triggered by its job) pairs ended after `since` and after the triggered job
        was added, that have no triggered run yet; the caller checks the run's verdict."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import jobs, runs

        target = jobs.alias("target")
        triggered = runs.alias("triggered")
        stmt = (sa.select(runs, target.c.name.label("prodkit_target"))
                .join(target, sa.or_(target.c.on_drift == runs.c.job, target.c.on_degraded == runs.c.job))
                .where(runs.c.ended_at.is_not(None), runs.c.ended_at >= since, runs.c.ended_at >= target.c.created_at,
                       ~sa.exists().where(triggered.c.job == target.c.name, triggered.c.triggered_by == runs.c.run_id))
                .order_by(runs.c.run_id))
        rows = self._rows(stmt)
        by_name = {job.name: job for job in self.list_jobs()}
        pairs = []
        for row in rows:
            record = {k: v for k, v in row.items() if k != "prodkit_target"}
            if row["prodkit_target"] in by_name:
                pairs.append((self._run(record), by_name[row["prodkit_target"]]))
        return pairs

    def insert_triggered_run(self, *, job: JobSpec, triggered_by: int, trigger: str, parameters: dict[str, Any],
                             owner: str | None, now: float, not_run: RunError | None = None) -> int | None:
        """Queue `job` for the triggering run; None when that run already triggered it (exactly once).

        `not_run`: record the triggered run as cancelled with this reason instead (a paused job), so the
        history says what did not run and a later resume does not start it."""
        from prodkit.jobs.tables import runs

        status = dict(status=CANCELLED, ended_at=now, error=dumps(_redact_value(not_run.to_dict()))) if not_run \
            else dict(status=QUEUED)
        import sqlalchemy as sa

        with self.transaction() as db:
            # two verdicts firing one job in the same tick: the second takes the next free slot (runs_slot)
            taken = set(db.execute(sa.select(runs.c.scheduled_for).where(
                runs.c.job == job.name, runs.c.attempt == 1, runs.c.scheduled_for >= now,
                runs.c.scheduled_for < now + 1.0)).scalars())
            slot = next(now + bump * 1e-3 for bump in range(1001) if now + bump * 1e-3 not in taken)
            stmt = self._insert(runs).values(
                job=job.name, scheduled_for=slot, attempt=1, trigger=trigger, **status,
                parameters=dumps(_redact_value(parameters)), notebook=job.notebook, owner=owner, heartbeat=now,
                queued_at=now, not_before=now, triggered_by=triggered_by,
            ).on_conflict_do_nothing(index_elements=["job", "triggered_by"],
                                     index_where=runs.c.triggered_by.is_not(None)).returning(runs.c.run_id)
            return db.execute(stmt).scalar()

    def runs_triggered_by(self, run_id: int) -> list[StoredRun]:
        from prodkit.jobs.tables import runs

        return [self._run(r) for r in self._rows(runs.select().where(runs.c.triggered_by == run_id)
                                                 .order_by(runs.c.run_id))]

    # ---- rows -> records (a row that is not what the schema says is damage) -------------

    def _checked(self, table: str, row: Mapping[str, Any]) -> None:
        from prodkit.jobs.tables import EXPECTED_TYPES

        key = row.get("name") if table == "jobs" else row.get("run_id")
        for column, (types, nullable) in EXPECTED_TYPES[table].items():
            value = row.get(column)
            if value is None and nullable:
                continue
            if value is None or not isinstance(value, types) or isinstance(value, bool):
                raise self.damaged(f"{table}.{column} of {key!r} holds {type(value).__name__} {str(value)[:40]!r}")
        if table == "runs" and row["status"] not in STATUSES:
            raise self.damaged(f"runs.status of {key!r} is {str(row['status'])[:40]!r}")

    def _json(self, row: Mapping[str, Any], table: str, column: str, kind: type) -> Any:
        key = row.get("name") if table == "jobs" else row.get("run_id")
        try:
            value = json.loads(row[column])
        except (TypeError, ValueError):
            raise self.damaged(f"{table}.{column} of {key!r} is not valid JSON") from None
        if not isinstance(value, kind):
            raise self.damaged(f"{table}.{column} of {key!r} is not a JSON {kind.__name__}")
        return value

    def _job(self, row: Mapping[str, Any]) -> JobSpec:
        self._checked("jobs", row)
        return JobSpec(
            name=row["name"], notebook=row["notebook"], cron=row["cron"], tz=row["tz"],
            parameters=_redact_value(self._json(row, "jobs", "parameters", dict)), kernel=row["kernel"],
            timeout_s=row["timeout_s"], retries=row["retries"], retry_backoff_s=row["retry_backoff_s"],
            catch_up=row["catch_up"], paused=bool(row["paused"]), fail_on_drift=bool(row["fail_on_drift"]),
            created_at=row["created_at"], next_due=row["next_due"], on_drift=row["on_drift"],
            on_degraded=row["on_degraded"],
        )

    def _run(self, row: Mapping[str, Any], now: float | None = None) -> StoredRun:
        self._checked("runs", row)
        error = self._json(row, "runs", "error", dict) if row["error"] else None
        try:
            error = RunError(cell=error["cell"], ename=str(error["ename"]), evalue=_redact(str(error["evalue"]))) \
                if error else None
        except (KeyError, TypeError):
            raise self.damaged(f"runs.error of {row['run_id']!r} is not an error record") from None
        run = StoredRun(
            run_id=row["run_id"], job=row["job"], status=row["status"], scheduled_for=row["scheduled_for"],
            trigger=row["trigger"], attempt=row["attempt"], retry_of=row["retry_of"],
            parameters=_redact_value(self._json(row, "runs", "parameters", dict)), queued_at=row["queued_at"],
            started_at=row["started_at"], ended_at=row["ended_at"], not_before=row["not_before"],
            output_path=_redact(row["output_path"]), notebook=row["notebook"], notebook_sha256=row["notebook_sha256"],
            error=error, owner=row["owner"], heartbeat=row["heartbeat"], kernel_pid=row["kernel_pid"],
            artifacts=self._json(row, "runs", "artifacts", list) if row["artifacts"] else [],
            triggered_by=row["triggered_by"],
        )
        if run.output_path and "://" not in run.output_path and not Path(run.output_path).is_absolute():
            run.output_path = str(self.root / run.output_path)  # a URL (Dask output_url) stays as it is
        return _lost_if_silent(run, self.run_lease_s, time.time() if now is None else now)


def _lost_if_silent(run: StoredRun, lease_s: float, now: float) -> StoredRun:
    """A running run whose heartbeat stopped more than `lease_s` ago reads as `lost` (no scheduler needed)."""
    if run.status == RUNNING and run.heartbeat is not None and now - run.heartbeat > lease_s:
        run.status = LOST
        run.ended_at = run.ended_at or run.heartbeat
        run.error = RunError(None, "Lost", f"no heartbeat since {iso(run.heartbeat)} (limit {lease_s:g} s): "
                                           "the process running it stopped; partial output kept")
    return run


def _upgrade(conn) -> None:
    """Alembic upgrade to head on `conn`, inside the caller's (locked) transaction."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    cfg.attributes["version_table"] = VERSION_TABLE
    command.upgrade(cfg, "head")


def _redact(text: str | None) -> str | None:
    if not text:
        return text
    from prodkit.readiness.secrets import redact_text, redact_uris_in

    return redact_text(redact_uris_in(text))


REDACTED = "***"


def _redact_value(value: Any, name: str | None = None) -> Any:
    """Every string inside a JSON value, redacted (dict keys included); a string is judged together with
    the key it is stored under, so `{"password": "hunter2hunter2"}` becomes `{"password": "***"}`."""
    if isinstance(value, str):
        plain = _redact(value)
        if plain != value:  # the secret is visible in the text itself: keep the rest readable
            return plain
        if name is not None:
            named = f"{name} = {json.dumps(value)}"
            if _redact(named) != named:  # a secret because of the key it is stored under
                return REDACTED
        return value
    if isinstance(value, dict):
        return {_redact(k) if isinstance(k, str) else k: _redact_value(v, k if isinstance(k, str) else name)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(v, name) for v in value]
    return value


class SQLiteJobStore(JobStore):
    """A SQLite file (WAL, busy_timeout): one host, any number of processes."""

    backend = "sqlite"

    def _default_root(self) -> Path:
        return Path(self.target).resolve().parent.parent

    @property
    def path(self) -> Path:
        return Path(self.target)

    def _make_engine(self, busy_timeout_s: float):
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        path = Path(self.target)
        if path.is_dir():
            raise StoreDamaged("a folder is where the database file should be", path=str(path),
                               fix=f"move the folder away (`mv {path} {path}.folder`); a new store is made on the next command")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{path}", poolclass=NullPool,
                                  connect_args={"timeout": busy_timeout_s, "check_same_thread": False})

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi, _record):
            dbapi.isolation_level = None  # transactions are begun below, not by the driver
            dbapi.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            if dbapi.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                dbapi.execute("PRAGMA journal_mode = WAL")
            dbapi.execute("PRAGMA synchronous = NORMAL")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE" if self._immediate else "BEGIN")

        return engine

    def _insert(self, table):
        from sqlalchemy.dialects.sqlite import insert

        return insert(table)

    def _verify_rows(self) -> None:
        """SQLite keeps any value in any column: one C-speed scan per table finds a row of the wrong
        type or with bad JSON (and reading every row finds a truncated or overwritten file)."""
        import sqlalchemy as sa

        from prodkit.jobs.tables import EXPECTED_TYPES, metadata

        for name, columns in EXPECTED_TYPES.items():
            table = metadata.tables[name]
            ok = []
            for column, (types, nullable) in columns.items():
                kinds = ("integer", "real") if types is not str and str not in types else ("text",)
                cond = sa.func.typeof(table.c[column]).in_(kinds)
                if column in ("parameters", "error", "artifacts"):
                    cond = sa.and_(cond, sa.func.json_valid(table.c[column]) == 1)
                ok.append(sa.or_(table.c[column].is_(None), cond) if nullable else cond)
            if name == "runs":
                ok.append(table.c.status.in_(STATUSES))
            bad = self._rows(table.select().where(sa.not_(sa.and_(*ok))).limit(1))
            if bad:
                self._raise_for_row(name, bad[0])

    def _driver_error(self) -> type[Exception]:
        import sqlite3

        return sqlite3.Error

    def _translate(self, error) -> BadInput:
        import sqlite3

        text = str(error.orig).splitlines()[0] if error.orig is not None else str(error)
        if isinstance(error.orig, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return StoreUnavailable(f"the job store is busy ({text})", path=str(self.path),
                                    fix="another process holds it; try again")
        return self.damaged(text)

    def damaged_fix(self) -> str:
        return (f"nothing was changed; `prodkit jobs repair` copies {self.path.name} to a backup beside it and "
                "keeps every readable job and run in a new store (or restore your own backup of the file)")


class PostgresJobStore(JobStore):
    """A PostgreSQL database (`postgresql://user:pw@host/db`): schedulers on several hosts share it.

    The tables are in the schema `prodkit` (the connection's search_path), so the database can
    be one that holds other tables too, MLflow's included.
    """

    backend = "postgresql"

    @property
    def path(self) -> str:
        from prodkit.readiness.secrets import redact_uri

        return redact_uri(self.target)

    def _make_engine(self, busy_timeout_s: float):
        import sqlalchemy as sa
        from sqlalchemy.pool import NullPool

        url = self.target
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url[len(prefix):]
        if not url.startswith("postgresql+"):
            raise BadInput(f"jobs_db {self.path!r} is not a PostgreSQL URL", path="settings.ini",
                           fix="use postgresql://USER:PASSWORD@HOST:PORT/DB, or a file path for SQLite")
        try:
            return sa.create_engine(url, poolclass=NullPool, connect_args={
                "connect_timeout": max(1, int(min(busy_timeout_s, 10))),
                "options": f"-c lock_timeout={int(busy_timeout_s * 1000)} -c search_path={PG_SCHEMA}"})
        except (sa.exc.ArgumentError, ImportError) as e:
            raise BadInput(f"cannot use job store {self.path}: {e}", path="settings.ini",
                           fix="pip install 'psycopg[binary]' and check jobs_db") from None

    def _insert(self, table):
        from sqlalchemy.dialects.postgresql import insert

        return insert(table)

    def _lock_due(self, stmt):
        return stmt.with_for_update(skip_locked=True)

    # One statement with array parameters instead of a 1,000-row VALUES list or IN list: psycopg
    # parses every statement's placeholders client-side, which dominated a 1,000-job tick.
    _INSERT_CLAIMS = (
        "INSERT INTO runs (job, scheduled_for, attempt, trigger, status, parameters, notebook, owner, heartbeat, "
        "queued_at, not_before) SELECT j, s, 1, t, 'queued', p, n, :owner, :now, :now, s FROM unnest("
        "CAST(:jobs AS text[]), CAST(:slots AS double precision[]), CAST(:triggers AS text[]), "
        "CAST(:params AS text[]), CAST(:notebooks AS text[])) AS c(j, s, t, p, n) "
        "ON CONFLICT (job, scheduled_for, attempt) DO NOTHING RETURNING run_id, trigger")

    def _insert_claims(self, db, claims: list[tuple], owner: str, now: float) -> list[tuple[int, str]]:
        import sqlalchemy as sa

        jobs_, slots, triggers, params, notebooks = (list(col) for col in zip(*claims, strict=True))
        rows = db.execute(sa.text(self._INSERT_CLAIMS), dict(owner=owner, now=now, jobs=jobs_, slots=slots,
                                                             triggers=triggers, params=params, notebooks=notebooks))
        return [(r[0], r[1]) for r in rows]

    def _advance(self, db, names: list[str], now: float, next_due: float | None) -> None:
        import sqlalchemy as sa

        db.execute(sa.text("UPDATE jobs SET checked_until = :now, next_due = :next_due WHERE name = ANY(:names)"),
                   dict(now=now, next_due=next_due, names=names))

    def _driver_error(self) -> type[Exception]:
        import psycopg

        return psycopg.Error

    def _lock_migration(self, conn) -> None:
        import sqlalchemy as sa

        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA}"))

    def _version(self) -> str | None:
        import sqlalchemy as sa

        with self._lock, self._conn.begin():
            if not self._conn.execute(sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": PG_SCHEMA}).first():
                return None
        return super()._version()

    def _translate(self, error) -> BadInput:
        import sqlalchemy as sa

        text = str(error.orig).strip().splitlines()[0] if error.orig is not None else str(error)
        if isinstance(error, sa.exc.OperationalError) or error.connection_invalidated:
            return StoreUnavailable(f"cannot use the job store ({text})", path=str(self.path),
                                    fix="check that the PostgreSQL server runs and jobs_db / PRODKIT_JOBS_DB")
        return self.damaged(text)

    def damaged_fix(self) -> str:
        return "nothing was changed; restore the database from your backup (pg_dump / pg_restore)"
