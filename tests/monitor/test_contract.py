"""Data contracts: inference, the editable file, and each violation rule with its counts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from prodkit.errors import BadInput
from prodkit.monitor.contract import infer_contract, load_contract, save_contract, validate


def rules_of(result):
    return {(v.rule, v.column): v for v in result.violations}


def test_infer_contract_records_dtypes_kinds_nulls_ranges_and_categories(reference):
    reference = reference.copy()
    reference.loc[:149, "monthly_charges"] = np.nan
    contract = infer_contract(reference, name="churn-clf")
    tenure, charges, plan = (contract.columns[c] for c in ("tenure", "monthly_charges", "plan"))
    assert (tenure.dtype, tenure.kind, tenure.min, tenure.max) == ("integer", "numerical", 0, 71)
    assert charges.null_share == pytest.approx(0.1)
    assert (plan.dtype, plan.kind, plan.categories) == ("string", "categorical", ["basic", "plus", "premium"])
    assert contract.reference_rows == len(reference)


def test_inferred_kinds_can_be_overridden_and_ids_are_text():
    df = pd.DataFrame({"code": [1, 2, 3, 1], "user": ["a", "b", "c", "d"],
                       "ts": pd.date_range("2024-01-01", periods=4)})
    contract = infer_contract(df, kinds={"code": "categorical"})
    assert contract.columns["code"].kind == "categorical" and contract.columns["code"].categories == [1, 2, 3]
    assert contract.columns["ts"].kind == "datetime"
    wide = pd.DataFrame({"user": [f"u{i}" for i in range(100)]})
    assert infer_contract(wide).columns["user"].kind == "text"
    with pytest.raises(BadInput, match="unknown column"):
        infer_contract(df, kinds={"nope": "numerical"})


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_contract_file_round_trips_and_hand_edits_take_effect(tmp_path, reference, suffix):
    path = save_contract(infer_contract(reference, name="churn-clf"), tmp_path / f"contract{suffix}")
    assert load_contract(path).to_dict() == infer_contract(reference, name="churn-clf").to_dict()
    if suffix == ".yaml":
        text = path.read_text()
        assert text.startswith("# prodkit data contract for churn-clf")
        path.write_text(text.replace("categories: [basic, plus, premium]", "categories: [basic, plus]"))
    else:
        data = json.loads(path.read_text())
        data["columns"]["plan"]["categories"] = ["basic", "plus"]
        path.write_text(json.dumps(data))
    result = validate(reference, load_contract(path))
    unseen = rules_of(result)[("unseen_categories", "plan")]
    assert unseen.count == int((reference.plan == "premium").sum()) and unseen.examples == ["premium"]


def test_a_batch_like_the_reference_meets_the_contract(reference, same_batch):
    result = validate(same_batch, infer_contract(reference))
    assert result.ok and not result.errors


def test_missing_extra_and_changed_columns_are_violations(reference):
    contract = infer_contract(reference)
    batch = reference.drop(columns=["support_calls"]).assign(score=0.5)
    batch["plan"] = 1.0
    found = rules_of(validate(batch, contract))
    assert found[("missing_column", "support_calls")].severity == "error"
    assert found[("missing_column", "support_calls")].count == len(batch)
    assert found[("extra_column", "score")].severity == "warning"
    assert found[("dtype_changed", "plan")].severity == "error"
    assert "float" in found[("dtype_changed", "plan")].message


def test_integer_turning_float_is_a_warning_not_an_error(reference):
    batch = reference.assign(tenure=reference.tenure.astype(float))
    result = validate(batch, infer_contract(reference))
    assert result.ok and rules_of(result)[("dtype_changed", "tenure")].severity == "warning"


def test_out_of_range_counts_and_tolerance(reference):
    contract = infer_contract(reference)
    few = reference.copy()
    few.loc[:4, "tenure"] = 500  # 5 of 1500 = 0.33% <= 1%: a warning
    many = reference.copy()
    many.loc[:99, "tenure"] = -1  # 100 of 1500: an error
    assert rules_of(validate(few, contract))[("out_of_range", "tenure")].severity == "warning"
    v = rules_of(validate(many, contract))[("out_of_range", "tenure")]
    assert (v.severity, v.count, v.examples[:1]) == ("error", 100, [-1])
    assert v.share == pytest.approx(100 / 1500)


def test_null_spike_and_all_missing_column(reference):
    contract = infer_contract(reference)
    spiky = reference.copy()
    spiky.loc[:299, "monthly_charges"] = np.nan
    v = rules_of(validate(spiky, contract))[("null_spike", "monthly_charges")]
    assert (v.count, v.severity) == (300, "error")
    empty_col = reference.assign(monthly_charges=np.nan)
    v = rules_of(validate(empty_col, contract))[("null_spike", "monthly_charges")]
    assert v.message == "all values are missing" and v.count == len(reference)


def test_empty_batch_is_one_error(reference):
    result = validate(reference.iloc[:0], infer_contract(reference))
    assert not result.ok and [v.rule for v in result.errors] == ["empty"]


def test_result_renders_for_notebook_and_json(reference, shifted_batch):
    result = validate(shifted_batch, infer_contract(reference))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["ok"] is False and data["errors"] == len(result.errors)
    assert "breaks the contract" in result._repr_html_() and "unseen_categories" in result._repr_html_()


@pytest.mark.parametrize(("text", "expected"), [
    ("columns: [", "cannot parse the contract"),
    ("name: x\n", "no 'columns' mapping"),
    ("columns:\n  a: {dtype: float}\n", "needs at least dtype and kind"),
    ("columns:\n  a: {dtype: float, kind: fancy}\n", "unknown kind 'fancy'"),
    ("columns:\n  a: {dtype: float, kind: numerical, colour: red}\n", "unknown key"),
    ("columns:\n  a: {dtype: float, kind: numerical, null_share: 3}\n", "a.null_share is 3"),
    ("extra_columns: maybe\ncolumns:\n  a: {dtype: float, kind: numerical}\n", "extra_columns"),
])
def test_bad_contract_files_are_one_clear_line(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as info:
        load_contract(path)
    assert expected in info.value.line() and str(path) in info.value.line()
    assert "\n" not in info.value.line()


_A = "  a: {dtype: float, kind: numerical"


@pytest.mark.parametrize(("text", "expected"), [
    # accepted silently before pydantic validated the file (finding: issue 15, contract validation by hand)
    (f"drift_shar: 0.3\ncolumns:\n{_A}}}\n", "unknown top-level key 'drift_shar'"),
    (f"columns:\n{_A}, drift: maybe}}\n", "columns.a.drift is 'maybe' — use true or false"),
    ("columns:\n  a: {dtype: floaat, kind: numerical}\n", "columns.a.dtype is 'floaat'"),
    (f"reference_rows: -1\ncolumns:\n{_A}}}\n", "reference_rows is -1"),
    (f"name: [x]\ncolumns:\n{_A}}}\n", "name is ['x'] — use text"),
    # clearer than before: the field is named with its full path
    (f"columns:\n{_A}, min: low, max: 3}}\n", "columns.a.min is 'low' — use a number"),
    (f"tolerance: {{nul: 0.1}}\ncolumns:\n{_A}}}\n", "tolerance: unknown key 'nul'"),
    (f"tolerance: {{null_share_margin: true}}\ncolumns:\n{_A}}}\n", "tolerance.null_share_margin is True"),
    (f"columns:\n{_A}, categories: x}}\n", "columns.a.categories is 'x'"),
    ("columns:\n  a:\n", "column 'a' needs at least dtype and kind (got None)"),
    ("columns:\n  a: {kind: numerical}\n", "column 'a' needs at least dtype and kind (dtype is missing)"),
])
def test_bad_contract_names_the_file_and_the_field(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as info:
        load_contract(path)
    line = info.value.line()
    assert line.startswith(f"{path}: ") and expected in line and "\n" not in line
    assert info.value.exit_code == 2


def test_several_problems_are_one_line_with_a_count(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(f"drift_share: 2\ncolumns:\n{_A}, min: true, drift: 1}}\n")
    with pytest.raises(BadInput) as info:
        load_contract(path)
    assert "drift_share is 2 (and 2 more problems)" in info.value.line()


def test_a_hand_written_contract_with_every_key_loads_as_written(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("version: 1\nname: churn\nreference_rows: 10\nextra_columns: error\ndrift_share: 0.25\n"
                    "tolerance: {out_of_range_share: 0.1}\ncolumns:\n"
                    "  1: {dtype: integer, kind: numerical, null_share: 0, min: 0, max: 9, drift: false}\n"
                    "  plan: {dtype: string, kind: categorical, categories: [a, 2], method: psi, threshold: 0.2}\n")
    contract = load_contract(path)
    assert (contract.name, contract.reference_rows, contract.extra_columns, contract.drift_share) == \
        ("churn", 10, "error", 0.25)
    assert contract.tolerance == {"null_share_margin": 0.05, "out_of_range_share": 0.1, "unseen_category_share": 0.01}
    one, plan = contract.columns["1"], contract.columns["plan"]
    assert (one.min, one.max, one.drift) == (0, 9, False) and isinstance(one.min, int)
    assert (plan.categories, plan.method, plan.threshold) == (["a", 2], "psi", 0.2)
    assert contract.drift_columns() == {"plan": "categorical"}


def test_importing_prodkit_monitor_does_not_import_pydantic():
    import subprocess
    import sys

    code = "import sys, prodkit.monitor.contract; print('pydantic' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_a_bad_contract_on_the_command_line_is_one_line_exit_2(tmp_path, reference):
    from typer.testing import CliRunner

    from prodkit.cli import app

    reference.to_parquet(tmp_path / "ref.parquet")
    (tmp_path / "c.yaml").write_text(f"columns:\n{_A}, drift: maybe}}\n")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "ref.parquet"), "--contract", str(tmp_path / "c.yaml")])
    assert result.exit_code == 2 and "columns.a.drift is 'maybe'" in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1
