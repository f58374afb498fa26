"""Drift of a current batch against a reference, computed by evidently 0.7.

prodkit checks the frames first (so bad input is one clear line, never an evidently
traceback), samples large frames with a fixed seed, tells evidently the column types, runs
`Report([DataDriftPreset()], include_tests=True)` once, and reads back one dataset verdict
(the DriftedColumnsCount test) and each column's score, method and verdict (ValueDrift tests).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit.errors import BadInput
from prodkit.monitor.frames import (
    CATEGORICAL,
    DEFAULT_MAX_ROWS,
    DEFAULT_SEED,
    NUMERICAL,
    Sampled,
    check_frame,
    dtype_family,
    infer_kind,
    sample_frame,
)
from prodkit.monitor.results import ColumnDrift, DriftResult

if TYPE_CHECKING:
    import pandas as pd

_NUMERIC = {"integer", "float"}
_TEXT = {"string", "category"}
_FAILED = {"FAIL", "WARNING"}


def compare(reference: pd.DataFrame | Sampled, current: pd.DataFrame | Sampled, *,
            kinds: dict[str, str] | None = None, columns: list[str] | None = None,
            drift_share: float = 0.5, methods: dict[str, str] | None = None,
            thresholds: dict[str, float] | None = None, max_rows: int = DEFAULT_MAX_ROWS,
            seed: int = DEFAULT_SEED, html: Path | str | None = None, skip_bad_columns: bool = False,
            names: tuple[str, str] = ("reference", "current")) -> DriftResult:
    """Drift of `current` against `reference`: one verdict and per-column scores.

    kinds: column -> "numerical" | "categorical" (others are not compared), overriding
    what prodkit infers from the reference. columns: compare only these. methods /
    thresholds: per-column evidently stat tests and thresholds. Frames longer than
    `max_rows` are sampled with `seed`. `html` writes evidently's report there.
    Bad input (missing columns, changed dtypes, empty or all-missing columns) raises
    BadInput, or with `skip_bad_columns` leaves those columns out, listed in `skipped`.
    """
    ref_s = reference if isinstance(reference, Sampled) else None
    cur_s = current if isinstance(current, Sampled) else None
    ref_df = ref_s.frame if ref_s else reference
    cur_df = cur_s.frame if cur_s else current
    check_frame(ref_df, names[0])
    check_frame(cur_df, names[1])
    ref_s = _str_columns(_resample(ref_s or sample_frame(ref_df, max_rows, seed), max_rows, seed))
    cur_s = _str_columns(_resample(cur_s or sample_frame(cur_df, max_rows, seed), max_rows, seed))
    plan, skipped = plan_columns(ref_s.frame, cur_s.frame, kinds=kinds, columns=columns, names=names,
                                 skip_bad_columns=skip_bad_columns)
    if not plan:
        raise BadInput("no numerical or categorical column to compare", path=names[1],
                       fix="pass frames with feature columns, or set column kinds")
    snapshot = run_evidently(_prepare(ref_s.frame, plan), _prepare(cur_s.frame, plan), plan,
                             drift_share=drift_share, methods=methods, thresholds=thresholds)
    result = read_snapshot(snapshot.dict(), plan, drift_share)
    result.reference_rows, result.current_rows = ref_s.total_rows, cur_s.total_rows
    result.skipped = skipped
    result.sample = {"max_rows": max_rows, "seed": seed, "reference": len(ref_s.frame), "current": len(cur_s.frame)}
    if html is not None:
        result.report = str(save_html(snapshot, html))
    return result


def _str_columns(s: Sampled) -> Sampled:
    """Column names as text (numpy arrays turned frames have 0, 1, ...): what users type and YAML keeps."""
    if all(isinstance(c, str) for c in s.frame.columns):
        return s
    return Sampled(s.frame.rename(columns=str), s.total_rows, s.seed, s.max_rows)


def _resample(s: Sampled, max_rows: int, seed: int) -> Sampled:
    if len(s.frame) <= max_rows:
        return s
    again = sample_frame(s.frame, max_rows, seed)
    return Sampled(again.frame, s.total_rows, seed, max_rows)


def plan_columns(ref: pd.DataFrame, cur: pd.DataFrame, *, kinds: dict[str, str] | None,
                 columns: list[str] | None, names: tuple[str, str],
                 skip_bad_columns: bool) -> tuple[dict[str, str], dict[str, str]]:
    """column -> kind for the columns to compare, and column -> reason for those left out."""
    kinds = dict(kinds or {})
    ref_cols = [str(c) for c in ref.columns]
    wanted = [str(c) for c in columns] if columns else ref_cols
    missing_ref = [c for c in wanted if c not in ref_cols]
    if missing_ref:
        raise BadInput(f"column(s) not in the reference: {', '.join(missing_ref)}", path=names[0],
                       fix="pick columns the reference has")
    cur_cols = {str(c) for c in cur.columns}
    plan: dict[str, str] = {}
    skipped: dict[str, str] = {}
    problems: list[str] = []
    for col in wanted:
        kind = kinds.get(col) or infer_kind(ref[col])
        if kind not in (NUMERICAL, CATEGORICAL):
            skipped[col] = f"{kind} column (drift compares numerical and categorical columns)"
            continue
        problem = _column_problem(col, kind, ref, cur, cur_cols, names)
        if problem:
            problems.append(problem)
            skipped[col] = problem
            continue
        plan[col] = kind
    if problems and not skip_bad_columns:
        fix = "pass a batch with the reference's columns and dtypes"
        if len(problems) > 1:
            raise BadInput(f"{len(problems)} columns cannot be compared: " + "; ".join(problems), path=names[1], fix=fix)
        raise BadInput(problems[0], path=names[1], fix=fix)
    return plan, skipped


def _column_problem(col: str, kind: str, ref, cur, cur_cols: set[str], names: tuple[str, str]) -> str | None:
    if col not in cur_cols:
        return f"column {col!r} is missing in {names[1]}"
    ref_family, cur_family = dtype_family(ref[col].dtype), dtype_family(cur[col].dtype)
    if kind == NUMERICAL and (ref_family not in _NUMERIC or cur_family not in _NUMERIC):
        return f"column {col!r} is {ref_family} in {names[0]} but {cur_family} in {names[1]} (numerical needs numbers)"
    if kind == CATEGORICAL and ref_family != cur_family and not {ref_family, cur_family} <= _TEXT:
        return f"column {col!r} changed dtype: {ref_family} in {names[0]}, {cur_family} in {names[1]}"
    for frame, name in ((ref, names[0]), (cur, names[1])):
        if frame[col].isna().all():
            return f"column {col!r} has only missing values in {name}"
        if kind == NUMERICAL and not _has_finite(frame[col]):
            return f"column {col!r} has no finite values in {name} (only inf/NaN)"
    return None


def _has_finite(series) -> bool:
    import numpy as np

    values = series.to_numpy(dtype="float64", na_value=np.nan)
    return bool(np.isfinite(values).any())


def _prepare(df: pd.DataFrame, plan: dict[str, str]) -> pd.DataFrame:
    """Only the planned columns; numbers as float64, categories as plain objects (what evidently expects)."""
    import numpy as np
    import pandas as pd

    out = df if list(map(str, df.columns)) == list(plan) else df[[c for c in df.columns if str(c) in plan]]
    fixes: dict[str, Any] = {}
    for col in out.columns:
        kind, dtype = plan[str(col)], out[col].dtype
        plain_number = isinstance(dtype, np.dtype) and dtype.kind in "fiu"
        plain_object = isinstance(dtype, np.dtype) and dtype.kind == "O"
        if kind == NUMERICAL and not plain_number:
            fixes[col] = pd.to_numeric(out[col], errors="coerce").astype("float64")
        elif kind == CATEGORICAL and not plain_object:
            fixes[col] = out[col].astype(object).where(out[col].notna(), None).map(lambda v: v if v is None else str(v))
    if fixes:
        out = out.assign(**{str(k): v for k, v in fixes.items()})
    out.columns = [str(c) for c in out.columns]
    return out


def run_evidently(ref: pd.DataFrame, cur: pd.DataFrame, plan: dict[str, str], *, drift_share: float,
                  methods: dict[str, str] | None = None, thresholds: dict[str, float] | None = None):
    """One evidently Report with DataDriftPreset and tests; returns its Snapshot."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    definition = DataDefinition(numerical_columns=[c for c, k in plan.items() if k == NUMERICAL],
                                categorical_columns=[c for c, k in plan.items() if k == CATEGORICAL])
    preset = DataDriftPreset(columns=list(plan), drift_share=drift_share,
                             per_column_method=dict(methods) if methods else None,
                             per_column_threshold=dict(thresholds) if thresholds else None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's divide-by-zero on empty categories, pandas futures
        try:
            return Report([preset], include_tests=True).run(
                current_data=Dataset.from_pandas(cur, data_definition=definition),
                reference_data=Dataset.from_pandas(ref, data_definition=definition))
        except (ValueError, TypeError, KeyError) as e:  # what slipped past our checks: still one line
            first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
            raise BadInput(f"evidently could not compare the frames ({first})",
                           fix="check the column kinds and methods") from None


def read_snapshot(data: dict, plan: dict[str, str], drift_share: float) -> DriftResult:
    """The verdict and per-column results from `Snapshot.dict()`."""
    status = {t["metric_config"]["metric_id"]: str(getattr(t["status"], "value", t["status"])) for t in data["tests"]}
    share, dataset_drift = 0.0, None
    columns: dict[str, ColumnDrift] = {}
    for metric in data["metrics"]:
        config = metric.get("config", {})
        kind = config.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
            if metric["id"] in status:
                dataset_drift = status[metric["id"]] in _FAILED
        elif kind.endswith("ValueDrift"):
            col = config["column"]
            columns[col] = ColumnDrift(column=col, kind=plan.get(col, ""), method=str(config.get("method")),
                                       score=float(metric["value"]), threshold=float(config.get("threshold")),
                                       drift=status.get(metric["id"]) in _FAILED)
    if dataset_drift is None:  # no test came back: evidently's own rule, share of drifted columns >= drift_share
        dataset_drift = share >= drift_share
    return DriftResult(drift=dataset_drift, share=share, drift_share=drift_share, columns=columns,
                       reference_rows=0, current_rows=0)


def save_html(snapshot, path: Path | str) -> Path:
    """evidently's HTML report, written atomically."""
    from prodkit._io import atomic_write_text

    path = Path(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = snapshot.get_html_str(as_iframe=False)
    atomic_write_text(path, text)
    os.chmod(path, 0o666 & ~_umask())  # a report to open and share, not the temp file's 0600
    return path


def _umask() -> int:
    """The process umask, read without setting it (os.umask would race other threads)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022
