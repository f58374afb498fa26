"""Job and run records: plain data, rendered alike by the CLI, the notebook and the REST API."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, get_args

from prodkit.statuses import RunStatus

if TYPE_CHECKING:
    from prodkit.records import RunRecord as ShownRun

# Run statuses, from their one definition (prodkit.statuses.RunStatus). A status added there and not
# named here fails this unpacking at import.
STATUSES: tuple[str, ...] = get_args(RunStatus)
QUEUED, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, LOST, CANCELLED = STATUSES
ACTIVE = (QUEUED, RUNNING)
FINISHED = (SUCCEEDED, FAILED, TIMED_OUT, LOST, CANCELLED)
RETRYABLE = (FAILED, TIMED_OUT)  # lost runs are never retried: they may have had effects

# How a run came to be.
TRIGGER_SCHEDULE, TRIGGER_CATCHUP, TRIGGER_MANUAL, TRIGGER_RETRY = "schedule", "catchup", "manual", "retry"

CATCH_UP_POLICIES = ("once", "all", "none")


def iso(ts: float | None) -> str | None:
    """Epoch seconds -> `2026-01-01T06:00:00Z` (stored times are UTC epoch seconds)."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (f".{dt.microsecond:06d}"[:4] if dt.microsecond else "") + "Z"


@dataclass
class JobSpec:
    """A notebook that runs on a cron schedule with parameters."""

    name: str
    notebook: str  # relative to the project root when inside it
    cron: str
    tz: str = "UTC"
    parameters: dict[str, Any] = field(default_factory=dict)
    kernel: str = "python3"
    timeout_s: float | None = None  # whole-run limit
    retries: int = 0
    retry_backoff_s: float = 60.0  # first retry waits this long, then doubles
    catch_up: str = "once"  # missed slots while no scheduler ran: once | all | none
    paused: bool = False
    fail_on_drift: bool = False  # runs get PRODKIT_FAIL_ON_DRIFT=1: prodkit.monitor.watch fails them on drift
    on_drift: str | None = None  # run once per run of this job whose watch() found drift (prodkit.jobs.triggers)
    on_degraded: str | None = None  # run once per run of this job whose outcomes() said "degraded"
    created_at: float | None = None
    next_due: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["created_at"], d["next_due"] = iso(self.created_at), iso(self.next_due)
        return d


@dataclass
class RunError:
    """Where and why a run failed: the 1-based cell of the source notebook, exception, message."""

    cell: int | None
    ename: str
    evalue: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """`cell 3: ValueError: <the message's first line>`, then its other non-blank lines (a message may span several)."""
        where = f"cell {self.cell}: " if self.cell else ""
        first, *rest = [line.rstrip() for line in self.evalue.splitlines() if line.strip()] or [""]
        return [f"{where}{self.ename}: {first}".strip(), *rest]

    def line(self) -> str:
        """One line for tables, logs and the panel: the first of `lines()`, `…` when there are more (`jobs show` has them all)."""
        lines = self.lines()
        return lines[0] + (" …" if len(lines) > 1 else "")


@dataclass
class StoredRun:
    """One execution (or attempt) of a job, as stored (times: UTC epoch seconds).

    What the CLI's `--json`, REST and the panel show is `to_record()`: prodkit.records.RunRecord.
    """

    run_id: int
    job: str
    status: str
    scheduled_for: float
    trigger: str
    attempt: int = 1
    retry_of: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    queued_at: float | None = None
    started_at: float | None = None
    ended_at: float | None = None
    not_before: float | None = None
    output_path: str | None = None
    notebook: str | None = None
    notebook_sha256: str | None = None
    error: RunError | None = None
    owner: str | None = None
    heartbeat: float | None = None
    kernel_pid: int | None = None
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    triggered_by: int | None = None  # the run whose verdict (drift, degraded) started this one

    @property
    def degraded(self) -> bool:
        """True when an outcomes() call in this run said the model degraded."""
        return any((a.get("summary") or {}).get("degraded") for a in self.artifacts if a.get("kind") == "outcomes")

    @property
    def drift(self) -> dict[str, Any] | None:
        """The drift verdict of the batches this run watched (artifacts of kind "drift"), or None.

        Several watched batches: drift if any drifted; share and report of the worst one.
        """
        verdicts = self.drift_verdicts()
        if not verdicts:
            return None
        worst = max(verdicts, key=lambda v: (bool(v.get("drift")), v.get("share") or 0.0))
        return {"drift": bool(worst.get("drift")), "share": worst.get("share"), "report": worst.get("report")}

    def drift_verdicts(self) -> list[dict[str, Any]]:
        """Each watched batch's verdict as recorded (the one copy of it; monitor history names this run)."""
        summaries = [a.get("summary") or {} for a in self.artifacts if a.get("kind") == "drift"]
        return [v for v in summaries if "drift" in v]

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return round(self.ended_at - self.started_at, 3)

    def to_record(self) -> ShownRun:
        """The shown record of this run (ISO times; drift, degraded and duration derived): the one place
        a stored run becomes prodkit.records.RunRecord."""
        from prodkit.records import DriftVerdict, RunErrorRecord, RunRecord

        drift = self.drift
        return RunRecord(
            run_id=self.run_id, job=self.job, status=self.status, trigger=self.trigger, attempt=self.attempt,
            retry_of=self.retry_of, scheduled_for=iso(self.scheduled_for), queued_at=iso(self.queued_at),
            started_at=iso(self.started_at), ended_at=iso(self.ended_at), duration_s=self.duration_s,
            parameters=self.parameters, output_path=self.output_path, notebook=self.notebook,
            notebook_sha256=self.notebook_sha256,
            error=RunErrorRecord(**self.error.to_dict()) if self.error else None,
            drift=DriftVerdict(**drift) if drift else None, degraded=self.degraded,
            triggered_by=self.triggered_by, artifacts=self.artifacts)

    def to_dict(self) -> dict[str, Any]:
        """The shown record's JSON (the same as REST's)."""
        return self.to_record().model_dump(mode="json")


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)
