"""Baseline: the schema of the first Alembic-managed store.

A new store gets the tables. A store written by prodkit before Alembic (no version table)
is adopted: the columns the old hand-written migration added (`artifacts`, `fail_on_drift`)
are added when missing. A store with `jobs` but without `runs` lost its history: refused.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_LEGACY_ADDED = (("runs", "artifacts", sa.Text, None), ("jobs", "fail_on_drift", sa.Integer, "0"))


def upgrade() -> None:
    from prodkit.jobs.store import StoreDamaged

    bind = op.get_bind()
    tables = set(sa.inspect(bind).get_table_names())
    if not tables & {"jobs", "runs"}:
        _create()
        return
    missing = {"jobs", "runs"} - tables
    if missing:
        raise StoreDamaged(f"table {', '.join(sorted(missing))} is missing")
    inspector = sa.inspect(bind)
    for table, column, type_, default in _LEGACY_ADDED:
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            op.add_column(table, sa.Column(column, type_, nullable=default is None, server_default=default))


def _create() -> None:
    op.create_table(
        "jobs",
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
        sa.Column("checked_until", sa.Double, nullable=False),
        sa.Column("next_due", sa.Double),
    )
    op.create_index("jobs_due", "jobs", ["paused", "next_due"])
    op.create_table(
        "runs",
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
        sa.Column("artifacts", sa.Text),
        sa.UniqueConstraint("job", "scheduled_for", "attempt", name="runs_slot"),
        sqlite_autoincrement=True,
    )
    op.create_index("runs_status", "runs", ["status", "owner"])
    op.create_index("runs_job", "runs", ["job", "run_id"])
