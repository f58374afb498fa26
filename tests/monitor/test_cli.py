"""`prodkit drift` and `prodkit validate` on CSV/Parquet files: JSON shape, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from prodkit.cli import app

runner = CliRunner()


@pytest.fixture
def files(tmp_path, reference, shifted_batch, same_batch):
    reference.to_parquet(tmp_path / "ref.parquet")
    shifted_batch.to_csv(tmp_path / "shifted.csv", index=False)
    same_batch.to_parquet(tmp_path / "same.parquet")
    return tmp_path


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_drift_json_has_the_issue_shape(files):
    result = run("drift", files / "ref.parquet", files / "shifted.csv", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["drift"] is True and data["share"] == 0.5
    assert sorted(c for c, v in data["columns"].items() if v["drift"]) == ["monthly_charges", "plan"]
    assert {"drift", "score", "method"} <= set(data["columns"]["tenure"])


def test_drift_table_html_and_fail_on_drift(files):
    result = run("drift", files / "ref.parquet", files / "shifted.csv", "--html", files / "out.html", "--fail-on-drift")
    assert result.exit_code == 1
    assert "DRIFT: 2 of 4 columns drifted" in result.stdout and (files / "out.html").is_file()
    calm = run("drift", files / "ref.parquet", files / "same.parquet", "--fail-on-drift")
    assert calm.exit_code == 0 and "no drift" in calm.stdout


def test_drift_kind_overrides_and_sampling(files):
    result = run("drift", files / "ref.parquet", files / "same.parquet", "--json", "--categorical", "support_calls",
                 "--columns", "support_calls,tenure", "--max-rows", "500", "--seed", "4")
    data = json.loads(result.stdout)
    assert set(data["columns"]) == {"support_calls", "tenure"} and data["columns"]["support_calls"]["kind"] == "categorical"
    assert data["sample"] == {"max_rows": 500, "seed": 4, "reference": 500, "current": 500}
    assert (data["reference_rows"], data["current_rows"]) == (1500, 1500)


@pytest.mark.parametrize(("make", "expected"), [
    (lambda df: df.drop(columns=["plan"]), "column 'plan' is missing"),
    (lambda df: df.assign(tenure="many"), "column 'tenure' is integer in"),
    (lambda df: df.iloc[:0], "the frame is empty"),
    (lambda df: df.assign(monthly_charges=np.nan), "column 'monthly_charges' has only missing values"),
])
def test_drift_bad_input_exits_2_with_one_line(files, same_batch, make, expected):
    make(same_batch).to_csv(files / "bad.csv", index=False)
    result = run("drift", files / "ref.parquet", files / "bad.csv")
    assert result.exit_code == 2 and expected in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_bad_input_from_the_real_command_is_one_line(files):
    (files / "junk.parquet").write_text("junk")
    proc = subprocess.run([sys.executable, "-m", "prodkit.cli", "drift", str(files / "ref.parquet"),
                           str(files / "junk.parquet")], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "junk.parquet" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "Traceback" not in proc.stderr


def test_validate_infer_then_check(files):
    contract = files / "contract.yaml"
    assert run("validate", files / "ref.parquet", "--infer", contract).exit_code == 0 and contract.is_file()
    assert run("validate", files / "ref.parquet", "--infer", contract).exit_code == 2  # no overwrite without --force
    good = run("validate", files / "same.parquet", "--contract", contract, "--json")
    assert good.exit_code == 0 and json.loads(good.stdout)["ok"] is True
    bad = run("validate", files / "shifted.csv", "--contract", contract)
    assert bad.exit_code == 1 and "unseen_categories" in bad.stdout and "breaks the contract" in bad.stdout
    data = json.loads(run("validate", files / "shifted.csv", "--contract", contract, "--json").stdout)
    unseen = next(v for v in data["violations"] if v["rule"] == "unseen_categories")
    assert unseen["column"] == "plan" and unseen["count"] == 750 and unseen["examples"] == ["enterprise"]


def test_validate_needs_exactly_one_of_contract_or_infer(files):
    result = run("validate", files / "ref.parquet")
    assert result.exit_code == 2 and "--contract FILE" in result.stderr


def test_drift_with_a_contract_uses_its_kinds(files, reference):
    from prodkit.monitor.contract import infer_contract, save_contract

    contract = infer_contract(reference, kinds={"support_calls": "categorical"})
    contract.columns["tenure"].drift = False
    save_contract(contract, files / "c.yaml")
    data = json.loads(run("drift", files / "ref.parquet", files / "same.parquet", "--contract", files / "c.yaml",
                          "--json").stdout)
    assert data["columns"]["support_calls"]["kind"] == "categorical" and "tenure" in data["skipped"]
