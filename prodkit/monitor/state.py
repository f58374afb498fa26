"""Read-only view of monitoring for readiness checks (DATA-02, DATA-03, OPS-02) and the side panel.

Fast: reads the notebook's JSON and the small files under `.prodkit/monitor/`; imports
neither pandas nor evidently.

Suggested reading for the checks:
  DATA-02 schema validated  -> watched and every watched model has a contract file
  DATA-03 data quality      -> last_validation exists and is ok (no contract errors)
  OPS-02 drift monitoring   -> watched and a drift verdict exists (from a scheduled run)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prodkit.monitor import store
from prodkit.records import DriftVerdict, ModelMonitoring, MonitorStatus, ValidationVerdict


def history(project, name: str) -> list[dict[str, Any]]:
    """NAME's history (oldest first), each batch's `drift` filled in: a verdict recorded on a scheduled
    run is kept in the jobs store only (the line's `drift_run`), and read from there."""
    records = store.read_history(project, name)
    runs = {r["drift_run"] for r in records if r.get("drift_run") is not None}
    on_runs = _run_verdicts(project, name, runs) if runs else {}
    return [{**r, "drift": on_runs.get(r["drift_run"])} if r.get("drift_run") is not None else r for r in records]


def _run_verdicts(project, name: str, run_ids: set[int]) -> dict[int, dict[str, Any]]:
    """run id -> NAME's drift verdict as recorded on that run (runs that are gone are left out)."""
    from prodkit.errors import ProdkitError
    from prodkit.jobs.api import open_store

    if not project.jobs_store_exists:
        return {}
    found = {}
    try:
        with open_store(project) as jobs:
            for run_id in sorted(run_ids)[-20:]:  # the newest ones: what the state reports
                try:
                    run = jobs.get_run(int(run_id))
                except (ProdkitError, KeyError, ValueError):
                    continue
                verdict = next((v for v in run.drift_verdicts() if v.get("model") in (None, name)), None)
                if verdict is not None:
                    found[run_id] = verdict
    except (ProdkitError, OSError):
        return found
    return found


def _last(records: list[dict[str, Any]], key: str, *, scheduled: bool = False) -> dict[str, Any] | None:
    for record in reversed(records):
        if record.get(key) is not None and (record.get("run_id") or not scheduled):
            return {**record[key], "time": record[key].get("time") or record.get("time"),
                    "run_id": record.get("run_id")}
    return None


_VERDICT_FIELDS = set(DriftVerdict.model_fields)


def _drift(record: dict[str, Any] | None) -> DriftVerdict | None:
    return DriftVerdict(**{k: v for k, v in record.items() if k in _VERDICT_FIELDS}) if record else None


def _validation(record: dict[str, Any] | None) -> ValidationVerdict | None:
    return ValidationVerdict(**record) if record else None


def model_monitoring(project, name: str) -> ModelMonitoring:
    """Contract path and the latest validation and drift verdicts of one model."""
    try:
        path = store.contract_path(project, name)
    except Exception:  # noqa: BLE001 - an odd name in a notebook is simply not monitored
        return ModelMonitoring()
    records = history(project, name)
    return ModelMonitoring(
        contract=project.relpath(path) if path.is_file() else None,
        last_validation=_validation(_last(records, "validation")),
        last_drift=_drift(_last(records, "drift", scheduled=True)),
        last_drift_any=_drift(_last(records, "drift")),
        batches=len(records),
    )


def _latest(items: list):
    present = [i for i in items if i]
    return max(present, key=lambda i: i.time or "") if present else None


def monitoring_for_notebook(project, notebook_path) -> MonitorStatus:
    """What monitoring covers `notebook_path` (see `prodkit.records.MonitorStatus`).

    `last_drift` only counts scheduled runs, `last_drift_any` also ad hoc `watch(..., drift=True)`;
    `error` when the notebook cannot be read.
    """
    from prodkit.errors import ProdkitError
    from prodkit.notebook import read_notebook

    try:
        notebook = read_notebook(Path(notebook_path))
    except ProdkitError as e:
        return MonitorStatus(error=e.line())
    from prodkit.notebook.analysis import watch_calls

    calls = watch_calls(notebook)  # imports in any cell count (`from prodkit.monitor import watch` in cell 1)
    cells = sorted({number for number, _ in calls})
    names = list(dict.fromkeys(model for _, model in calls if model))
    per_model = {name: model_monitoring(project, name) for name in names}
    return MonitorStatus(
        watched=bool(cells), models=names, cells=cells,
        contracts={name: info.contract for name, info in per_model.items()}, per_model=per_model,
        last_validation=_latest([m.last_validation for m in per_model.values()]),
        last_drift=_latest([m.last_drift for m in per_model.values()]),
        last_drift_any=_latest([m.last_drift_any for m in per_model.values()]),
    )
