"""The job store's schema as prodkit wrote it by hand before Alembic (commit 07b6ee2), for migration tests."""

LEGACY_SCHEMA = """
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
