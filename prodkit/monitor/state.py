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


def _last(records: list[dict[str, Any]], key: str, *, scheduled: bool = False) -> dict[str, Any] | None:
    for record in reversed(records):
        if record.get(key) is not None and (record.get("run_id") or not scheduled):
            return {**record[key], "time": record.get("time"), "run_id": record.get("run_id")}
    return None


def model_monitoring(project, name: str) -> dict[str, Any]:
    """Contract path and the latest validation and drift verdicts of one model."""
    try:
        path = store.contract_path(project, name)
    except Exception:  # noqa: BLE001 - an odd name in a notebook is simply not monitored
        return {"contract": None, "last_validation": None, "last_drift": None, "last_drift_any": None, "batches": 0}
    records = store.read_history(project, name)
    return {
        "contract": project.relpath(path) if path.is_file() else None,
        "last_validation": _last(records, "validation"),
        "last_drift": _last(records, "drift", scheduled=True),
        "last_drift_any": _last(records, "drift"),
        "batches": len(records),
    }


def _latest(items: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    present = [i for i in items if i]
    return max(present, key=lambda i: i.get("time") or "") if present else None


def monitoring_for_notebook(project, notebook_path) -> dict[str, Any]:
    """What monitoring covers `notebook_path`.

    Keys: watched (the notebook calls prodkit.monitor.watch), models (names it watches),
    cells (1-based numbers of those cells), contracts {model: path or None}, per_model
    {model: {contract, last_validation, last_drift, last_drift_any, batches}}, last_validation
    and last_drift (the newest over its models: {ok/errors/warnings | drift/share/report,
    time, run_id}; last_drift only counts scheduled runs, last_drift_any also ad hoc
    `watch(..., drift=True)`), error (when the notebook cannot be read).
    """
    from prodkit.errors import ProdkitError
    from prodkit.notebook import read_notebook

    result: dict[str, Any] = {"watched": False, "models": [], "cells": [], "contracts": {}, "per_model": {},
                              "last_validation": None, "last_drift": None, "last_drift_any": None, "error": None}
    try:
        notebook = read_notebook(Path(notebook_path))
    except ProdkitError as e:
        result["error"] = e.line()
        return result
    from prodkit.notebook.analysis import watch_calls

    calls = watch_calls(notebook)  # imports in any cell count (`from prodkit.monitor import watch` in cell 1)
    result["cells"] = sorted({number for number, _ in calls})
    names = [model for _, model in calls if model]
    result["watched"] = bool(result["cells"])
    result["models"] = list(dict.fromkeys(names))
    for name in result["models"]:
        info = model_monitoring(project, name)
        result["per_model"][name] = info
        result["contracts"][name] = info["contract"]
    result["last_validation"] = _latest([m["last_validation"] for m in result["per_model"].values()])
    result["last_drift"] = _latest([m["last_drift"] for m in result["per_model"].values()])
    result["last_drift_any"] = _latest([m["last_drift_any"] for m in result["per_model"].values()])
    return result
