"""The job store's tables as SQLAlchemy Core metadata (one definition for SQLite and PostgreSQL).

Imported only when a store is opened: `import prodkit` never imports SQLAlchemy.
Times are UTC epoch seconds (double precision); JSON is stored as TEXT.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

jobs = sa.Table(
    "jobs", metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("notebook", sa.Text, nullable=False),
    sa.Column("cron", sa.Text, nullable=False),
    sa.Column("tz", sa.Text, nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("kernel", sa.Text, nullable=False),
    sa.Column("timeout_s", sa.Double),
    sa.Column("retries", sa.Integer, nullable=False),
    sa.Column("retry_backoff_s", sa.Double, nullable=False),
    sa.Column("catch_up", sa.Text, nullable=False),
    sa.Column("paused", sa.Integer, nullable=False, server_default="0"),
    sa.Column("fail_on_drift", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("checked_until", sa.Double, nullable=False),  # slots up to here have been considered
    sa.Column("next_due", sa.Double),  # first slot after checked_until
    sa.Column("on_drift", sa.Text),  # job triggers: run this job after a drift verdict of that job
    sa.Column("on_degraded", sa.Text),
    sa.Index("jobs_due", "paused", "next_due"),
    sqlite_autoincrement=False,
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job", sa.Text, nullable=False),
    sa.Column("scheduled_for", sa.Double, nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
    sa.Column("retry_of", sa.Integer),
    sa.Column("trigger", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("notebook", sa.Text),
    sa.Column("not_before", sa.Double),
    sa.Column("owner", sa.Text),
    sa.Column("heartbeat", sa.Double),
    sa.Column("queued_at", sa.Double),
    sa.Column("started_at", sa.Double),
    sa.Column("ended_at", sa.Double),
    sa.Column("output_path", sa.Text),
    sa.Column("notebook_sha256", sa.Text),
    sa.Column("kernel_pid", sa.Integer),
    sa.Column("error", sa.Text),
    sa.Column("artifacts", sa.Text),  # JSON list the notebook adds to while it runs (context.py)
    sa.Column("triggered_by", sa.Integer),  # the run whose verdict triggered this one (prodkit.jobs.triggers)
    sa.UniqueConstraint("job", "scheduled_for", "attempt", name="runs_slot"),
    sa.Index("runs_status", "status", "owner"),
    sa.Index("runs_job", "job", "run_id"),
    # a triggering run starts each job it triggers once (first attempts; retries have no triggered_by)
    sa.Index("runs_triggered_once", "job", "triggered_by", unique=True,
             sqlite_where=sa.text("triggered_by IS NOT NULL"), postgresql_where=sa.text("triggered_by IS NOT NULL")),
    sqlite_autoincrement=True,
)

# Python types each stored column must hold (a wrong type means a damaged store).
NUMBER, TEXT = (int, float), (str,)
EXPECTED_TYPES = {
    t.name: {c.name: (NUMBER if isinstance(c.type, (sa.Integer, sa.Double)) else TEXT, c.nullable) for c in t.columns}
    for t in (jobs, runs)
}
