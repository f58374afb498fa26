"""Model performance on real outcomes: `prodkit.monitor.outcomes(labels, model=..., run=...)`.

Ground truth that arrives later, joined with the predictions a scoring run kept (prodkit.score), scored with evidently's classification or
regression preset, and a verdict: "degraded" when the model's metric falls below the threshold,
or below the value registered with the scoring version by more than the margin.

threshold / margin: arguments, else settings.ini [prodkit.outcomes] `threshold` and `margin`
(default margin 0.05). The verdict is appended to .prodkit/monitor/MODEL/outcomes.jsonl and,
inside a scheduled run, recorded on that run (artifact kind `outcomes`), where `--on-degraded`
jobs are triggered from.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from prodkit.errors import BadInput

OUTCOMES_FILE = "outcomes.jsonl"
DEFAULT_MARGIN = 0.05
# evidently metric names -> prodkit's keys
CLASSIFICATION = {"Accuracy": "accuracy", "Precision": "precision", "Recall": "recall", "F1Score": "f1",
                  "RocAuc": "roc_auc", "LogLoss": "log_loss"}
REGRESSION = {"MeanError": "mean_error", "MAE": "mae", "RMSE": "rmse", "MAPE": "mape", "R2Score": "r2",
              "AbsMaxError": "max_abs_error"}
SYNONYMS = {"auc": "roc_auc", "rocauc": "roc_auc", "acc": "accuracy", "f1score": "f1", "logloss": "log_loss",
            "r2score": "r2", "meanabsoluteerror": "mae", "rootmeansquarederror": "rmse"}
LOWER_IS_BETTER = {"log_loss", "mae", "rmse", "mape", "max_abs_error"}


@dataclass
class OutcomeResult:
    """Ground truth against one scoring's predictions: metrics, and the verdict on the model."""

    model: str
    version: str
    scored_run: int | None
    task: str  # classification | regression
    rows: int
    unmatched: int  # labels with no prediction (or the reverse)
    metrics: dict[str, float]
    metric: str | None
    value: float | None
    registered: float | None
    threshold: float | None
    margin: float
    verdict: str  # ok | degraded | unknown
    reasons: list[str] = field(default_factory=list)
    run_id: int | None = None  # the run that computed this (when scheduled)

    @property
    def degraded(self) -> bool:
        return self.verdict == "degraded"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "degraded": self.degraded}

    def summary(self) -> str:
        what = f"{self.metric}={self.value:.4g}" if self.value is not None else "no comparable metric"
        scored = f"run {self.scored_run}" if self.scored_run is not None else "an interactive scoring"
        why = f": {'; '.join(self.reasons)}" if self.reasons else ""
        return f"{self.model} v{self.version} on {self.rows} labelled rows of {scored}: {what} — {self.verdict}{why}"

    def __repr__(self) -> str:
        return self.summary()


def _key(name: str) -> str:
    plain = re.sub(r"[^a-z0-9]", "", name.lower())
    return SYNONYMS.get(plain, name.lower())


def find_scoring(project, model: str, run: int | None) -> dict[str, Any]:
    """The recorded scoring of `model` in `run` (None: the newest)."""
    from prodkit.models.score import read_index

    records = [r for r in read_index(project, model) if run is None or r.get("run_id") == run]
    if not records:
        where = f"in run {run}" if run is not None else "yet"
        raise BadInput(f"no predictions of {model} recorded {where}",
                       fix=f"score the batch with prodkit.score(df, {model + '@champion'!r}) first")
    return records[-1]


def _labels_frame(labels, label: str):
    import pandas as pd

    if isinstance(labels, pd.Series):
        return labels.rename("target").to_frame()
    if isinstance(labels, pd.DataFrame):
        if label not in labels.columns:
            raise BadInput(f"the labels have no column {label!r} (columns: {', '.join(map(str, labels.columns))})",
                           fix="pass label='COLUMN' naming the ground truth")
        return labels[[label]].rename(columns={label: "target"})
    raise BadInput(f"labels must be a pandas Series or DataFrame, got {type(labels).__name__}",
                   fix="pass the ground truth indexed like the scored batch")


def _joined(labels, scoring: dict[str, Any], label: str):
    import pandas as pd

    try:
        predictions = pd.read_parquet(scoring["path"])
    except (OSError, ValueError) as e:
        raise BadInput(f"cannot read the predictions {scoring['path']} ({e})", path=scoring["path"],
                       fix="score the batch again") from None
    column = scoring.get("output", "prediction")
    if column not in predictions.columns:
        raise BadInput(f"the predictions have no single {column!r} column", path=scoring["path"],
                       fix="outcomes compare one prediction per row")
    truth = _labels_frame(labels, label)
    joined = truth.join(predictions[[column]].rename(columns={column: "prediction"}), how="inner")
    unmatched = len(truth) + len(predictions) - 2 * len(joined)
    if joined.empty:
        raise BadInput("no label matches a scored row (the index is the join key)",
                       fix="index the labels like the batch that was scored")
    if joined["target"].isna().any():
        raise BadInput("some labels are missing (NaN)", fix="drop the rows whose outcome is not known yet")
    return joined, unmatched


def _task(target) -> str:
    values = set(target.unique().tolist())
    return "classification" if values <= {0, 1} else "regression"


def evidently_metrics(joined, task: str) -> dict[str, float]:
    """The classification or regression preset's scalar metrics for `target` vs `prediction`."""
    from evidently import BinaryClassification, DataDefinition, Dataset, Regression, Report
    from evidently.presets import ClassificationPreset, RegressionPreset

    frame = joined.astype({"target": int if task == "classification" else float, "prediction": float})
    if task == "classification":
        definition = DataDefinition(classification=[BinaryClassification(target="target",
                                                                          prediction_probas="prediction")])
        preset, names = ClassificationPreset(), CLASSIFICATION
    else:
        definition = DataDefinition(regression=[Regression(target="target", prediction="prediction")])
        preset, names = RegressionPreset(), REGRESSION
    if task == "classification" and frame["target"].nunique() < 2:
        raise BadInput("the labels hold one class only: classification metrics need both",
                       fix="wait for more outcomes, or pass labels with both classes")
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            snapshot = Report([preset]).run(current_data=Dataset.from_pandas(frame, data_definition=definition))
            data = snapshot.dict()
    except (KeyError, ValueError, TypeError) as e:
        from prodkit.models.tracking import first_line

        raise BadInput(f"evidently could not score the outcomes ({type(e).__name__}: {first_line(e)})",
                       fix="check that labels are 0/1 (classification) or numbers (regression)") from None
    found: dict[str, float] = {}
    for metric in data.get("metrics", []):
        base = str(metric.get("metric_name") or metric.get("metric_id") or "").split("(")[0]
        value = metric.get("value")
        if isinstance(value, dict):
            value = value.get("mean")
        if base in names and isinstance(value, int | float) and names[base] not in found:
            found[names[base]] = float(value)
    return found


def _registered(project, model: str, version: str) -> tuple[str | None, float | None, bool]:
    """The scoring version's primary metric, its registered value, and whether greater is better."""
    from prodkit.models import tags as T
    from prodkit.models.registry import show

    info = show(model, version, project=project)
    primary = info.tags.get(T.PRIMARY_METRIC)
    value = info.metrics.get(primary) if primary else None
    greater = info.tags.get(T.GREATER_IS_BETTER, "true") == "true"
    return primary, value, greater


def _settings(project, threshold: float | None, margin: float | None) -> tuple[float | None, float]:
    section = project.section("prodkit.outcomes")
    try:
        if threshold is None and section.get("threshold", "").strip():
            threshold = float(section["threshold"])
        if margin is None:
            margin = float(section.get("margin", "").strip() or DEFAULT_MARGIN)
    except ValueError:
        raise BadInput("settings.ini [prodkit.outcomes] threshold/margin must be numbers",
                       path=str(project.root / "settings.ini"), fix="e.g. threshold = 0.7, margin = 0.05") from None
    return threshold, margin


def verdict(value: float | None, registered: float | None, threshold: float | None, margin: float,
            greater: bool) -> tuple[str, list[str]]:
    """ "degraded" when below the threshold or worse than registered by more than the margin (pure)."""
    if value is None:
        return "unknown", ["the model's primary metric cannot be computed from the outcomes"]
    reasons = []
    worse = (lambda a, b: a < b) if greater else (lambda a, b: a > b)
    if threshold is not None and worse(value, threshold):
        reasons.append(f"{value:.4g} {'below' if greater else 'above'} the threshold {threshold:g}")
    if registered is not None:
        limit = registered - margin if greater else registered + margin
        if worse(value, limit):
            reasons.append(f"{value:.4g} is worse than the registered {registered:.4g} by more than {margin:g}")
    return ("degraded" if reasons else "ok"), reasons


def _record(project, result: OutcomeResult) -> None:
    from prodkit.jobs.context import current_run, record_run_artifact
    from prodkit.monitor.store import monitor_dir

    run = current_run()
    result.run_id = getattr(run, "run_id", None)
    record = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **result.to_dict()}
    path = monitor_dir(project, result.model) / OUTCOMES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(record, default=str) + "\n").encode())
    finally:
        os.close(fd)
    if run is not None:
        record_run_artifact("outcomes", str(path), {k: record[k] for k in (
            "model", "version", "scored_run", "metric", "value", "registered", "verdict", "degraded", "reasons")})


def outcomes(labels, model: str, *, run: int | None = None, label: str = "label", metric: str | None = None,
             threshold: float | None = None, margin: float | None = None, project=None) -> OutcomeResult:
    """Join ground truth with the predictions `model` made in scheduled `run` (default: its newest scoring),
    compute the metrics with evidently and say whether the model degraded."""
    from prodkit.models.refs import parse_model_ref
    from prodkit.models.registry import as_project

    name = parse_model_ref(model).name
    project = as_project(project)
    scoring = find_scoring(project, name, run)
    joined, unmatched = _joined(labels, scoring, label)
    task = _task(joined["target"])
    computed = evidently_metrics(joined, task)
    primary, registered, greater = _registered(project, name, str(scoring["version"]))
    chosen = _key(metric or primary or ("roc_auc" if task == "classification" else "rmse"))
    if metric is not None or primary is None:
        greater = chosen not in LOWER_IS_BETTER
    if chosen != _key(primary or ""):
        registered = None  # a different metric than the one registered: only the threshold applies
    threshold, margin = _settings(project, threshold, margin)
    value = computed.get(chosen)
    word, reasons = verdict(value, registered, threshold, margin, greater)
    result = OutcomeResult(model=name, version=str(scoring["version"]), scored_run=scoring.get("run_id"), task=task,
                           rows=len(joined), unmatched=unmatched, metrics=computed, metric=chosen, value=value,
                           registered=registered, threshold=threshold, margin=margin, verdict=word, reasons=reasons)
    _record(project, result)
    if result.degraded:
        from prodkit.notify import notify

        notify(project, "degraded", {"model": name, "version": result.version, "scored_run": result.scored_run,
                                     "summary": result.summary()})
    return result
