"""`prodkit.score(df, "churn-clf@champion")`: batch scoring for scheduled jobs.

The reference is resolved once, so one version scores the whole batch. The predictions (with
the batch's row index, for joining ground truth later) are kept as parquet: beside the run's
output notebook in a scheduled run (RUN_ID-predictions-MODEL.parquet, recorded on the run as a
`predictions` artifact with the version), else under .prodkit/monitor/MODEL/predictions/.
Every scoring appends one line to .prodkit/monitor/MODEL/predictions.jsonl, which
`prodkit.monitor.outcomes` reads. The features then go to `prodkit.monitor.watch` as before.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prodkit.errors import BadInput

PREDICTIONS_INDEX = "predictions.jsonl"
BATCH = 4096


@dataclass
class ScoreResult:
    """A scored batch: the frame with its prediction column(s), which version scored it, where it is kept."""

    model: str
    version: str
    ref: str
    rows: int
    scored: Any  # pandas.DataFrame: the input plus prediction column(s)
    predictions_path: str
    run_id: int | None = None
    watch: Any = None  # prodkit.monitor.WatchResult, or None with watch=False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        where = f"run {self.run_id}" if self.run_id is not None else "no scheduled run"
        drift = getattr(getattr(self.watch, "drift", None), "drift", None)
        tail = "" if drift is None else ("; drift detected" if drift else "; no drift")
        return f"scored {self.rows} rows with {self.model} v{self.version} ({self.ref}, {where}){tail}"

    def __repr__(self) -> str:
        return self.summary()


def _features(df, spec, columns: list[str] | None) -> list[str]:
    """The columns fed to the model, in the signature's order."""
    if columns is not None:
        chosen = list(columns)
    elif spec.columns is not None:
        chosen = list(spec.columns)
    else:
        chosen = [c for c in df.columns if str(df[c].dtype) != "object" and df[c].dtype.kind in "iufb"]
    missing = [c for c in chosen if c not in df.columns]
    if missing:
        raise BadInput(f"the batch lacks column(s) {', '.join(map(str, missing))} the model takes",
                       fix="pass the features the model was trained on (or columns=[...])")
    if len(chosen) != spec.width:
        raise BadInput(f"the model takes {spec.width} features, the batch gives {len(chosen)} ({', '.join(map(str, chosen))})",
                       fix="pass columns=[...] naming the model's features in training order")
    bad = [c for c in chosen if df[c].dtype.kind not in "iufb"]
    if bad:
        raise BadInput(f"column(s) {', '.join(map(str, bad))} are not numeric", fix="encode them as the training did")
    return chosen


def _predict(loaded, array) -> Any:
    import numpy as np

    if not np.isfinite(array).all():
        raise BadInput("the batch has NaN or infinite feature values", fix="impute them as the training did")
    parts = [np.asarray(loaded.predict(array[i:i + BATCH])) for i in range(0, len(array), BATCH)]
    return np.concatenate(parts) if parts else np.empty((0, 1))


def _with_predictions(df, predictions, output: str):
    scored = df.copy()
    if predictions.ndim == 1 or predictions.shape[1] == 1:
        scored[output] = predictions.reshape(len(df))
    else:
        for i in range(predictions.shape[1]):
            scored[f"{output}_{i}"] = predictions[:, i]
    return scored


def _predictions_path(project, name: str, run) -> Path:
    from prodkit.monitor.store import monitor_dir

    if run is not None and run.output_path:
        output = Path(run.output_path)
        return output.with_name(f"{output.stem}-predictions-{name}.parquet")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return monitor_dir(project, name) / "predictions" / f"score-{stamp}.parquet"


def _write_parquet(frame, path: Path) -> None:
    """Atomically: a reader never sees half a file."""
    import tempfile

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _append_index(project, name: str, record: dict[str, Any]) -> None:
    from prodkit.monitor.store import monitor_dir

    path = monitor_dir(project, name) / PREDICTIONS_INDEX
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)  # one write per line: safe in parallel runs
    try:
        os.write(fd, (json.dumps(record, default=str) + "\n").encode())
    finally:
        os.close(fd)


def read_index(project, name: str) -> list[dict[str, Any]]:
    """Every recorded scoring of `name`, oldest first."""
    from prodkit.monitor.store import monitor_dir

    path = monitor_dir(project, name) / PREDICTIONS_INDEX
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def _model_input(df, loaded, columns: list[str] | None, prepare):
    """The (rows, width) array the model takes: `prepare(df)` when given (the training's feature
    function, e.g. churn.features.to_matrix), else the batch's feature columns."""
    import numpy as np
    import pandas as pd

    if prepare is None:
        features = _features(df, loaded.spec, columns)
        return df[features].to_numpy(dtype=loaded.spec.dtype), features
    prepared = prepare(df)
    if isinstance(prepared, pd.DataFrame):
        prepared = prepared[_features(prepared, loaded.spec, columns)].to_numpy()
    array = np.asarray(prepared, dtype=loaded.spec.dtype)
    if array.ndim != 2 or array.shape != (len(df), loaded.spec.width):
        raise BadInput(f"prepare() gave shape {array.shape}; the model takes ({len(df)}, {loaded.spec.width})",
                       fix="return one row of the model's features per batch row")
    return array, None


def score(df, model: str = "champion", *, columns: list[str] | None = None, prepare=None,
          output: str = "prediction", watch: bool = True, device: str | None = None, project=None) -> ScoreResult:
    """Score `df` with `model` (e.g. "churn-clf@champion"), record which version scored which run,
    and watch the batch for contract breaks and drift (as `prodkit.monitor.watch`).

    prepare: the training's feature function (raw batch -> model input); the raw batch is then
    what is watched, as the registered `data=` was the raw training frame."""
    import pandas as pd

    from prodkit.jobs.context import current_run, record_run_artifact
    from prodkit.models.refs import parse_model_ref
    from prodkit.models.registry import as_project, registry_client, resolve_version
    from prodkit.models.serve import load_version

    if not isinstance(df, pd.DataFrame):
        raise BadInput(f"score() takes a pandas DataFrame, got {type(df).__name__}", fix="pass the batch as a DataFrame")
    ref = parse_model_ref(model)
    project = as_project(project)
    number = resolve_version(registry_client(project), ref.name, ref.ref)
    loaded = load_version(project, ref.name, number, device)
    array, features = _model_input(df, loaded, columns, prepare)
    predictions = _predict(loaded, array)
    scored = _with_predictions(df, predictions, output)
    run = current_run()
    path = _predictions_path(project, ref.name, run)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_parquet(scored[[c for c in scored.columns if c not in df.columns]], path)
    record = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "model": ref.name, "version": number,
              "ref": str(ref), "rows": len(df), "run_id": getattr(run, "run_id", None), "path": str(path),
              "output": output}
    _append_index(project, ref.name, record)
    result = ScoreResult(model=ref.name, version=number, ref=str(ref), rows=len(df), scored=scored,
                         predictions_path=str(path), run_id=record["run_id"])
    if run is not None and not record_run_artifact("predictions", str(path), record):
        result.notes.append("the run's job store is unreachable: scoring recorded in predictions.jsonl only")
    if watch:
        from prodkit.monitor.watcher import watch as watch_batch

        watched = df if features is None else df[features]
        result.watch = watch_batch(watched, model=ref.name, version=number, project=project)
    return result
