"""`prodkit.monitor.watch(df, model=NAME)`: the one line a notebook declares for its scored batch.

Outside scheduled runs it checks the batch against NAME's data contract. Inside a scheduled
run (prodkit.jobs) it also computes drift against NAME's reference, writes evidently's HTML
report beside the run's output notebook and records the verdict on the run, so
`prodkit jobs history` shows it. Drift fails the run when the job asks for it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit.errors import BadInput, GateFailed
from prodkit.monitor import store
from prodkit.monitor.frames import DEFAULT_MAX_ROWS, DEFAULT_SEED
from prodkit.monitor.results import WatchResult

if TYPE_CHECKING:
    import pandas as pd

    from prodkit.config import Project


class DriftDetected(GateFailed):
    """The batch drifted and the run was asked to fail on drift."""


class ContractBroken(GateFailed):
    """The batch broke its data contract and the caller asked to fail on that."""


def _project(project: Project | str | Path | None) -> Project:
    from prodkit.config import Project, load_project

    return project if isinstance(project, Project) else load_project(project)


def _current_run():
    """The scheduled run this kernel executes, or None."""
    from prodkit.jobs.context import current_run

    return current_run()


def _record_on_run(kind: str, path: Path, summary: dict[str, Any]) -> bool:
    from prodkit.jobs.context import record_run_artifact

    return record_run_artifact(kind, str(path), summary) is not False


def set_reference(name: str, df: pd.DataFrame, *, project: Project | str | Path | None = None) -> WatchResult:
    """Keep `df` as NAME's drift reference and infer its data contract from it.

    It wins over the training data registered with the model. The contract file is
    re-inferred unless you edited it by hand. Returns the reference checked against it.
    """
    from prodkit.monitor.contract import validate
    from prodkit.monitor.frames import check_frame

    project = _project(project)
    check_frame(df, f"reference for {name}")
    path = store.save_reference(project, name, df)
    contract, cpath, notes = store.ensure_contract(project, name, df)
    result = validate(df, contract, contract_path=project.relpath(cpath))
    return WatchResult(model=name, validation=result, contract=project.relpath(cpath),
                       reference=project.relpath(path), notes=[*notes, f"reference kept: {project.relpath(path)}"])


def watch(df: pd.DataFrame, model: str, *, version: str | int | None = None, columns: list[str] | None = None,
          drift: bool | None = None, fail_on_drift: bool | None = None, fail_on_violation: bool = False,
          max_rows: int = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED,
          project: Project | str | Path | None = None) -> WatchResult:
    """Check a scored batch against MODEL's data contract, and for drift in scheduled runs.

    columns: watch only these columns (e.g. the features, leaving out a label the batch
    lacks). drift: compute drift outside scheduled runs too (True) or never (False).
    fail_on_drift: raise DriftDetected when the batch drifted (default: the job's
    --fail-on-drift; per job today also as a parameter: `watch(..., fail_on_drift=fail_on_drift)`
    with `prodkit jobs add ... -p fail_on_drift=true`). fail_on_violation: raise
    ContractBroken on contract errors.
    Batches longer than max_rows are sampled with `seed` for drift.
    """
    from prodkit.monitor.contract import validate

    project = _project(project)
    run = _current_run()
    want_drift = drift if drift is not None else run is not None
    has_contract = store.contract_path(project, model).is_file()
    reference, source = (None, "")
    if want_drift or not has_contract:
        reference, source = store.load_reference(project, model, version)
    contract, cpath, notes = store.ensure_contract(project, model, reference)
    if contract is None:
        raise BadInput(f"no reference data and no contract for model {model!r}",
                       fix=f"register it with register_model(..., data=train_df) or call "
                           f"prodkit.monitor.set_reference({model!r}, train_df)")
    if columns is not None:
        contract = _only(contract, columns, model)
    rel_contract = project.relpath(cpath)
    validation = validate(df, contract, contract_path=rel_contract)
    result = WatchResult(model=model, validation=validation, run_id=run.run_id if run else None,
                         contract=rel_contract, reference=source or None, notes=notes)
    on_run = False
    if want_drift:
        result.drift, on_run = _drift(project, model, df, reference, contract, run, result, max_rows=max_rows,
                                      seed=seed)
    store.append_history(project, model, _history_record(result, drift_on_run=on_run))
    _raise_if_asked(result, fail_on_drift if fail_on_drift is not None else run is not None and run.fail_on_drift,
                    fail_on_violation)
    return result


def _only(contract, columns: list[str], model: str):
    from dataclasses import replace

    unknown = [c for c in columns if c not in contract.columns]
    if unknown:
        raise BadInput(f"column(s) not in the contract of {model}: {', '.join(map(str, unknown))}",
                       fix="pass columns the reference has")
    return replace(contract, columns={c: contract.columns[c] for c in columns}, extra_columns="ignore")


def _drift(project: Project, model: str, df, reference, contract, run, result: WatchResult, *,
           max_rows: int, seed: int):
    """(the drift result or None, whether its verdict was recorded on the scheduled run)."""
    from prodkit.monitor.drift import compare

    if reference is None:
        result.notes.append(f"drift not computed: model {model!r} has no reference data")
        return None, False
    if any(v.rule == "empty" for v in result.validation.violations):
        result.notes.append("drift not computed: the batch is empty")
        return None, False
    wanted = [c for c in contract.columns if c in set(map(str, reference.columns))]
    kinds = {c: (r.kind if r.drift else "excluded") for c, r in contract.columns.items() if c in wanted}
    methods = {c: r.method for c, r in contract.columns.items() if r.method and c in wanted}
    thresholds = {c: r.threshold for c, r in contract.columns.items() if r.threshold is not None and c in wanted}
    report = _report_path(project, model, run)
    try:
        drift = compare(reference, df, kinds=kinds, columns=wanted, drift_share=contract.drift_share,
                        methods=methods or None, thresholds=thresholds or None, max_rows=max_rows, seed=seed,
                        html=report, skip_bad_columns=True, names=(f"reference of {model}", "the batch"))
    except BadInput as e:  # nothing comparable left: the contract violations say why
        result.notes.append(f"drift not computed: {e.line()}")
        return None, False
    drift.report = project.relpath(report)
    recorded = False
    if run is not None:
        summary = {**_verdict(drift, model, run.run_id).model_dump(mode="json"), "report": str(report),
                   "contract_ok": result.validation.ok, "violations": len(result.validation.errors)}
        try:
            recorded = _record_on_run("drift", report, summary)
        except (OSError, sqlite3.Error) as e:  # the run's store is unreachable: keep scoring, say so
            recorded = False
            result.notes.append(f"could not record the verdict on run {result.run_id}: {e}")
        if not recorded:
            result.notes.append("the verdict is in the monitor history only (not on the run record)")
    return drift, recorded


def _verdict(drift, model: str, run_id: int | None):
    from prodkit.records import DriftVerdict

    return DriftVerdict(drift=drift.drift, share=drift.share, report=drift.report, model=model,
                        drifted=list(drift.drifted), columns=len(drift.columns), sample=drift.sample,
                        time=store.now_utc(), run_id=run_id)


def _report_path(project: Project, model: str, run) -> Path:
    """One per run, beside its output notebook (RUN_ID.ipynb -> RUN_ID-drift-MODEL.html), so runs,
    retries and concurrent runs of a job never share one; outside runs under .prodkit/monitor/NAME/reports/."""
    if run is not None and run.output_path:
        output = Path(run.output_path)
        return output.with_name(f"{output.stem}-drift-{model}.html")
    if run is not None:
        return run.run_dir / f"{run.run_id}-drift-{model}.html"
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return store.monitor_dir(project, model) / "reports" / f"drift-{stamp}.html"


def _history_record(result: WatchResult, *, drift_on_run: bool = False) -> dict[str, Any]:
    """One line of the model's history. A verdict recorded on the scheduled run is kept there only:
    the line names the run (`drift_run`), and `prodkit.monitor.state.history` reads it back."""
    v = result.validation
    record: dict[str, Any] = {
        "time": store.now_utc(), "run_id": result.run_id, "rows": v.rows,
        "validation": {"ok": v.ok, "errors": len(v.errors), "warnings": len(v.warnings),
                       "rules": sorted({x.rule for x in v.errors})},
        "drift": None,
    }
    if drift_on_run:
        record["drift_run"] = result.run_id
    elif result.drift is not None:
        verdict = _verdict(result.drift, result.model, result.run_id)
        record["drift"] = verdict.model_dump(mode="json", include={"drift", "share", "drifted", "report", "columns",
                                                                    "sample"})
    return record


def _raise_if_asked(result: WatchResult, fail_on_drift: bool, fail_on_violation: bool) -> None:
    if fail_on_violation and not result.validation.ok:
        first = result.validation.errors[0]
        raise ContractBroken(f"the batch breaks the contract of {result.model}: {len(result.validation.errors)} "
                             f"error(s), first: {first.column or ''} {first.message}".replace("  ", " "),
                             path=result.contract, fix="look at the violations, fix the data or edit the contract")
    if fail_on_drift and result.drift is not None and result.drift.drift:
        d = result.drift
        raise DriftDetected(f"drift in {len(d.drifted)} of {len(d.columns)} columns of {result.model} "
                            f"({', '.join(d.drifted[:5])}{'…' if len(d.drifted) > 5 else ''})",
                            path=d.report, fix="open the report; retrain, or run without --fail-on-drift to only flag it")
