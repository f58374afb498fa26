"""Drift through evidently: one honest verdict, per-column scores, kinds, sampling, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from prodkit.errors import BadInput
from prodkit.monitor.drift import compare


def test_shifted_columns_drift_and_the_rest_do_not(reference, shifted_batch, same_batch):
    drifted = compare(reference, shifted_batch)
    assert drifted.drift and sorted(drifted.drifted) == ["monthly_charges", "plan"]
    assert drifted.share == pytest.approx(0.5) and drifted.drift_share == 0.5
    assert drifted.columns["plan"].kind == "categorical" and drifted.columns["tenure"].kind == "numerical"
    calm = compare(reference, same_batch)
    assert not calm.drift and calm.drifted == [] and calm.share == 0


def test_verdict_and_scores_are_evidentlys_own(reference, shifted_batch):
    from evidently import Report
    from evidently.presets import DataDriftPreset

    ours = compare(reference, shifted_batch)
    raw = Report([DataDriftPreset()], include_tests=True).run(current_data=shifted_batch, reference_data=reference).dict()
    scores = {m["config"]["column"]: m["value"] for m in raw["metrics"] if "column" in m["config"]}
    # evidently itself treats the low-cardinality integer support_calls as categorical; prodkit says numerical
    for column in ("tenure", "monthly_charges", "plan"):
        assert ours.columns[column].score == pytest.approx(scores[column])
    share = next(m["value"]["share"] for m in raw["metrics"] if "DriftedColumnsCount" in m["metric_name"])
    assert ours.share == pytest.approx(share)


def test_json_shape_of_the_issue(reference, shifted_batch):
    data = json.loads(json.dumps(compare(reference, shifted_batch).to_dict()))
    assert isinstance(data["drift"], bool) and isinstance(data["share"], float)
    for column in data["columns"].values():
        assert isinstance(column["drift"], bool) and isinstance(column["score"], float)
        assert isinstance(column["method"], str) and column["method"]


def test_drift_share_decides_the_verdict(reference, shifted_batch):
    assert not compare(reference, shifted_batch, drift_share=0.75).drift
    assert compare(reference, shifted_batch, drift_share=0.25).drift


def test_column_kinds_methods_and_thresholds_can_be_overridden(reference, same_batch):
    result = compare(reference, same_batch, kinds={"support_calls": "categorical"},
                     methods={"tenure": "psi"}, thresholds={"monthly_charges": 0.5})
    assert result.columns["support_calls"].kind == "categorical"
    assert "psi" in result.columns["tenure"].method.lower()
    assert result.columns["monthly_charges"].threshold == 0.5


def test_datetime_and_text_columns_are_listed_not_compared(reference, same_batch):
    ref = reference.assign(ts=pd.date_range("2024-01-01", periods=len(reference), freq="h"),
                           user=[f"u{i}" for i in range(len(reference))])
    cur = same_batch.assign(ts=pd.date_range("2025-01-01", periods=len(same_batch), freq="h"),
                            user=[f"v{i}" for i in range(len(same_batch))])
    result = compare(ref, cur)
    assert set(result.skipped) == {"ts", "user"} and "datetime" in result.skipped["ts"]
    assert set(result.columns) == {"tenure", "monthly_charges", "support_calls", "plan"}


def test_nullable_bool_and_category_dtypes_are_compared(reference, same_batch):
    ref = reference.assign(flag=(reference.tenure > 30), kind=pd.Categorical(reference.plan),
                           calls=pd.array(reference.support_calls, dtype="Int64"))
    cur = same_batch.assign(flag=(same_batch.tenure > 30), kind=same_batch.plan,
                            calls=pd.array(same_batch.support_calls, dtype="Int64"))
    result = compare(ref, cur)
    assert {"flag", "kind", "calls"} <= set(result.columns) and not result.drift


def test_large_frames_are_sampled_with_the_seed_recorded(reference):
    big_ref = pd.concat([reference] * 4, ignore_index=True)
    result = compare(big_ref, reference, max_rows=1000, seed=3)
    assert result.sample == {"max_rows": 1000, "seed": 3, "reference": 1000, "current": 1000}
    assert (result.reference_rows, result.current_rows) == (6000, 1500)
    again = compare(big_ref, reference, max_rows=1000, seed=3)
    assert {c: d.score for c, d in again.columns.items()} == {c: d.score for c, d in result.columns.items()}


def test_html_report_is_written(tmp_path, reference, shifted_batch):
    result = compare(reference, shifted_batch, html=tmp_path / "drift.html")
    assert result.report == str(tmp_path / "drift.html")
    text = (tmp_path / "drift.html").read_text()
    assert text.lstrip().lower().startswith("<!doctype html") and "monthly_charges" in text


@pytest.mark.parametrize(("change", "expected"), [
    (lambda df: df.drop(columns=["tenure"]), "column 'tenure' is missing in current"),
    (lambda df: df.assign(tenure="x"), "column 'tenure' is integer in reference but string in current"),
    (lambda df: df.assign(plan=1.5), "column 'plan' changed dtype: string in reference, float in current"),
    (lambda df: df.assign(monthly_charges=np.nan), "column 'monthly_charges' has only missing values in current"),
    (lambda df: df.iloc[:0], "current: the frame is empty (0 rows)"),
    (lambda df: df.assign(monthly_charges=np.inf), "column 'monthly_charges' has no finite values in current"),
    (lambda df: df.to_numpy(), "expected a pandas DataFrame, got ndarray"),
])
def test_bad_input_is_one_clear_line_never_an_evidently_traceback(reference, same_batch, change, expected):
    with pytest.raises(BadInput) as info:
        compare(reference, change(same_batch))
    assert expected in info.value.line() and "\n" not in info.value.line()


def test_bad_columns_can_be_skipped_and_are_listed(reference, same_batch):
    result = compare(reference, same_batch.drop(columns=["tenure"]).assign(plan=np.nan), skip_bad_columns=True)
    assert set(result.skipped) == {"tenure", "plan"} and set(result.columns) == {"monthly_charges", "support_calls"}


def test_result_renders_in_a_notebook(reference, shifted_batch):
    html = compare(reference, shifted_batch)._repr_html_()
    assert "DRIFT" in html and "monthly_charges" in html and "Wasserstein" in html


def test_frames_with_integer_column_names_are_compared_by_their_text_names():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(rng.normal(size=(500, 3)))
    result = compare(ref, ref + np.array([0, 0, 2]))
    assert set(result.columns) == {"0", "1", "2"} and result.drifted == ["2"]
