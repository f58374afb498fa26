"""`prodkit jobs repair`: back up a damaged SQLite job store, keep every readable job and run.

The damaged file (with its -wal/-shm) is copied beside it first (`jobs.db.damaged-STAMP`),
then the readable rows that hold what the schema says are copied into a new store that
replaces it. Nothing is deleted: what could not be kept stays in the backup.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prodkit.config import Project
from prodkit.errors import BadInput
from prodkit.jobs.store import JobStore, StoreDamaged, is_url

SIDE_FILES = ("-wal", "-shm")


@dataclass
class RepairReport:
    store: str
    damaged: str | None = None  # what was wrong, or None when nothing was
    backup: str | None = None
    kept: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def repair_store(project: Project) -> RepairReport:
    target = project.jobs_store
    if is_url(target):
        raise BadInput("`prodkit jobs repair` repairs a SQLite store file; this project's store is a PostgreSQL "
                       "database", fix="restore the database from your backup (pg_dump / pg_restore)")
    path = Path(target)
    report = RepairReport(store=str(path))
    if not path.exists():
        raise BadInput("there is no job store to repair", path=str(path), fix="nothing to do")
    try:
        JobStore(path, root=project.root).close()
        return report  # not damaged
    except StoreDamaged as e:
        report.damaged = e.detail
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    backup = path.with_name(f"{path.name}.damaged-{stamp}")
    report.backup = str(backup)
    if path.is_dir():
        os.replace(path, backup)
        report.notes.append("a folder was where the store file should be: moved aside; a new store is made now")
        JobStore(path, root=project.root).close()
        return report
    for suffix in ("", *SIDE_FILES):
        if Path(f"{path}{suffix}").exists():
            shutil.copy2(f"{path}{suffix}", f"{backup}{suffix}")
    fresh = path.with_name(f".{path.name}.repair-{stamp}")
    with tempfile.TemporaryDirectory(prefix="prodkit-repair-") as scratch:
        readable = Path(scratch) / "old.db"  # a copy to read: opening the backup itself could change it
        for suffix in ("", *SIDE_FILES):
            if Path(f"{backup}{suffix}").exists():
                shutil.copy2(f"{backup}{suffix}", f"{readable}{suffix}")
        with JobStore(fresh, root=project.root) as store:
            _salvage(readable, store, report)
    for suffix in SIDE_FILES:
        Path(f"{path}{suffix}").unlink(missing_ok=True)  # the damaged file's WAL must not meet the new file
    os.replace(fresh, path)
    return report


def _salvage(old: Path, store: JobStore, report: RepairReport) -> None:
    from prodkit.jobs.tables import jobs, runs

    try:
        db = sqlite3.connect(old)
        db.row_factory = sqlite3.Row
    except sqlite3.Error as e:
        report.notes.append(f"nothing readable ({e})")
        return
    try:
        for table in (jobs, runs):
            rows, lost = _readable_rows(db, table.name)
            if lost:
                report.notes.append(f"{table.name}: {lost}")
            kept = skipped = 0
            for row in rows:
                values = _complete(row, table)
                try:
                    if values is None:
                        raise StoreDamaged("a required column is missing")
                    (store._job if table is jobs else store._run)(values)
                except StoreDamaged:
                    skipped += 1
                    continue
                with store.transaction() as conn:
                    conn.execute(table.insert().values(**values))
                kept += 1
            report.kept[table.name], report.skipped[table.name] = kept, skipped
    finally:
        db.close()


def _readable_rows(db: sqlite3.Connection, table: str) -> tuple[list[dict[str, Any]], str | None]:
    """The rows SQLite can still read, and why the rest could not be (None when all were)."""
    rows: list[dict[str, Any]] = []
    try:
        cursor = db.execute(f"SELECT * FROM {table}")
        for row in cursor:
            rows.append(dict(row))
    except sqlite3.Error as e:
        return rows, f"read {len(rows)} row(s), then: {e}"
    return rows, None


def _complete(row: dict[str, Any], table) -> dict[str, Any] | None:
    """The row with this schema's columns: a missing nullable column is NULL, one with a default gets it."""
    values: dict[str, Any] = {}
    for column in table.columns:
        if column.name in row:
            values[column.name] = row[column.name]
        elif column.server_default is not None:
            values[column.name] = int(column.server_default.arg)
        elif column.nullable:
            values[column.name] = None
        else:
            return None
    return values
