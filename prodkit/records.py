"""The records capabilities hand each other (and the panel, through REST): one typed shape each.

Readiness checks and the server import the state functions that return these and read their
fields; the REST JSON of a section is the record's `model_dump(mode="json")`, and the panel's
TypeScript types (extensions/jupyterlab/src/records.ts) are generated from their JSON Schema
by scripts/gen_panel_types.py. Plain data, no capability imported here.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from prodkit.statuses import RunStatus


class Record(BaseModel):
    """Base of the shared records: unknown keys are refused, so a renamed field fails loudly."""

    # the JSON always holds every field, so the generated TypeScript types mark none optional
    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


# --- promote ---------------------------------------------------------------------------------------------

class PromoteTarget(Record):
    """One module or test file `prodkit promote` writes for the notebook."""

    module: str
    path: str
    cells: list[int] = Field(default_factory=list)
    exists: bool
    edited: bool
    up_to_date: bool
    names: list[str] | None = None  # tests only: the test functions it holds


class PromoteProblem(Record):
    """Why a cell cannot be promoted as it is."""

    kind: str
    module: str | None = None
    cell: int | None = None
    name: str | None = None
    message: str
    in_tests: bool = False


class PromoteStatus(Record):
    """Is what `prodkit promote` wrote for the notebook still up to date?"""

    promoted: bool
    modules: list[PromoteTarget] = Field(default_factory=list)
    tests: list[PromoteTarget] = Field(default_factory=list)
    params_cell: int | None = None
    problems: list[PromoteProblem] = Field(default_factory=list)
    up_to_date: bool


# --- monitor ---------------------------------------------------------------------------------------------

class DriftVerdict(Record):
    """What `prodkit.monitor.watch` decided about one batch (several: the worst one).

    Kept once: on the scheduled run that watched the batch (its jobs-store artifact), else in the
    model's monitor history; a history line for a run's batch names the run (`drift_run`).
    """

    drift: bool
    share: float | None = None
    report: str | None = None  # the evidently HTML report, relative to the project root
    model: str | None = None
    drifted: list[str] = Field(default_factory=list)
    columns: int | None = None
    sample: dict[str, Any] | None = None  # how the batches were sampled (max_rows, seed, sizes)
    time: str | None = None
    run_id: int | None = None  # the scheduled run that watched it; None: an ad hoc watch()


class ValidationVerdict(Record):
    """A batch checked against its data contract."""

    ok: bool
    errors: int = 0
    warnings: int = 0
    rules: list[str] = Field(default_factory=list)
    time: str | None = None
    run_id: int | None = None


class ModelMonitoring(Record):
    """One model's contract and latest verdicts."""

    contract: str | None = None
    last_validation: ValidationVerdict | None = None
    last_drift: DriftVerdict | None = None  # scheduled runs only
    last_drift_any: DriftVerdict | None = None  # ad hoc watch(..., drift=True) too
    batches: int = 0


class MonitorStatus(Record):
    """What monitoring covers a notebook (the newest verdicts over the models it watches)."""

    watched: bool = False
    models: list[str] = Field(default_factory=list)
    cells: list[int] = Field(default_factory=list)
    contracts: dict[str, str | None] = Field(default_factory=dict)
    per_model: dict[str, ModelMonitoring] = Field(default_factory=dict)
    last_validation: ValidationVerdict | None = None
    last_drift: DriftVerdict | None = None
    last_drift_any: DriftVerdict | None = None
    error: str | None = None


# --- jobs ------------------------------------------------------------------------------------------------

class RunErrorRecord(Record):
    cell: int | None = None
    ename: str
    evalue: str


class RunRecord(Record):
    """One execution of a job as the CLI's `--json`, REST and the panel show it (times: ISO UTC).

    Built from the stored run by prodkit.jobs.records.StoredRun.to_record only.
    """

    run_id: int
    job: str
    status: RunStatus
    trigger: str
    attempt: int = 1
    retry_of: int | None = None
    scheduled_for: str | None = None
    queued_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    output_path: str | None = None
    notebook: str | None = None
    notebook_sha256: str | None = None
    error: RunErrorRecord | None = None
    drift: DriftVerdict | None = None
    degraded: bool = False
    triggered_by: int | None = None
    artifacts: list[dict[str, Any]] = Field(default_factory=list)


class JobRecord(Record):
    """A job as stored (prodkit.jobs.records.JobSpec.to_dict: ISO times)."""

    name: str
    notebook: str
    cron: str
    tz: str = "UTC"
    parameters: dict[str, Any] = Field(default_factory=dict)
    kernel: str = "python3"
    timeout_s: float | None = None
    retries: int = 0
    retry_backoff_s: float = 60.0
    catch_up: str = "once"
    paused: bool = False
    fail_on_drift: bool = False
    on_drift: str | None = None
    on_degraded: str | None = None
    created_at: str | None = None
    next_due: str | None = None  # the next slot the scheduler runs (ISO UTC)


class ScheduledJob(JobRecord):
    """The answer to the panel's Schedule (POST jobs/schedule): the job as added, its store, and what to check."""

    store: str  # the job store it was added to
    warnings: list[str] = Field(default_factory=list)  # e.g. a parameter the notebook does not declare


class JobStatus(JobRecord):
    """A notebook's job with its last runs and health."""

    last_run: RunRecord | None = None
    last_finished: RunRecord | None = None
    overdue: bool = False
    healthy: bool = False
    message: str = ""
    chain: str = ""


# --- models ----------------------------------------------------------------------------------------------

class Parity(Record):
    status: str | None = None  # passed | failed | None (not checked)
    passed: bool = False
    max_abs_diff: float | None = None


class ModelStatus(Record):
    """A model registered from the notebook, described by its newest version."""

    name: str
    latest_version: str
    aliases: dict[str, str] = Field(default_factory=dict)
    complete: bool
    missing: list[str] = Field(default_factory=list)
    status: str | None = None
    parity: Parity = Field(default_factory=Parity)
    benchmark: bool = False
    has_card: bool = False
    card_todo: list[str] = Field(default_factory=list)
    registered_at: str | int | float | None = None
    promoted: bool = False
    rollback_versions: list[str] = Field(default_factory=list)
    versions: int = 1


# --- readiness -------------------------------------------------------------------------------------------

class CheckRecord(Record):
    id: str
    section: str
    status: Literal["pass", "warn", "fail", "skip"]
    message: str
    cells: list[int] = Field(default_factory=list)
    fix: str | None = None
    scope: str | None = None


class ReadinessResult(Record):
    """The JSON of `prodkit check NB --json` (prodkit.readiness.result.ReadinessResult.to_dict)."""

    # the scores' details are the readiness capability's own; a notebook that cannot be read has only
    # notebook, error, score, grade and checks: the keys with a default may be absent (`?` in TypeScript)
    model_config = ConfigDict(extra="allow", json_schema_serialization_defaults_required=False)

    notebook: str
    score: float
    grade: str | None = None
    meaning: str | None = None
    error: str | None = None
    notebook_score: dict[str, Any] | None = None
    project_score: dict[str, Any] | None = None
    notes: list[str] = Field(default_factory=list)
    sections: dict[str, dict[str, Any]] = Field(default_factory=dict)
    checks: list[CheckRecord] = Field(default_factory=list)


PANEL_RECORDS = (PromoteStatus, JobStatus, ScheduledJob, RunRecord, ModelStatus, DriftVerdict, MonitorStatus, ReadinessResult)
"""The records the panel reads: scripts/gen_panel_types.py writes their TypeScript types."""
