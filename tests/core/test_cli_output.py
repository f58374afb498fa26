"""What the CLI prints when stdout is not a terminal (CI logs, `| cat`): nothing squeezed or cut.

Each command runs as a subprocess with stdout piped and no COLUMNS, as in a CI job.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pktest import REPO, code, write_notebook

LONG_JOB = "linreg-daily-retraining-of-the-churn-model-for-every-region-and-segment"
DEEP = Path("nbs") / "experiments" / "2026-q4" / "customer-retention" / "churn_poc_with_a_rather_long_name.ipynb"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "MLFLOW_TRACKING_URI")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def prodkit(root: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    """stdout of `prodkit ARGS` run in `root` with stdout and stderr piped (not a terminal)."""
    done = subprocess.run([sys.executable, "-m", "prodkit.cli", *args], cwd=root, env=_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode in ok, done.stdout + done.stderr
    return done.stdout


def assert_uncut(text: str, *wanted: str) -> None:
    assert "…" not in text, text
    for piece in wanted:
        assert piece in text, f"{piece!r} cut or missing in:\n{text}"


@pytest.fixture
def deep_notebook(empty_project) -> Path:
    return write_notebook(empty_project.root / DEEP, [
        code("%%promote --params\nthreshold = 0.5"),
        code("%%promote churn_features_for_the_retention_experiment\n\ndef scale(x):\n    return x * 2\n"),
    ])


def test_finding_15_jobs_list_and_history_keep_long_names_and_dates_when_piped(empty_project, deep_notebook):
    prodkit(empty_project.root, "jobs", "add", LONG_JOB, str(DEEP), "--cron", "0 6 * * *", "--tz", "Europe/London")
    prodkit(empty_project.root, "jobs", "run", LONG_JOB, "--queue")
    listed = prodkit(empty_project.root, "jobs", "list")
    assert_uncut(listed, LONG_JOB, DEEP.as_posix(), "Europe/London")
    row = json.loads(prodkit(empty_project.root, "jobs", "list", "--json"))[0]
    assert_uncut(listed, row["next_due"].replace("T", " ").removesuffix("Z")[:19])
    history = prodkit(empty_project.root, "jobs", "history")
    scheduled = json.loads(prodkit(empty_project.root, "jobs", "history", "--json"))[0]["scheduled_for"]
    assert_uncut(history, LONG_JOB, scheduled.replace("T", " ").removesuffix("Z")[:19], "queued")


def test_finding_15_check_and_promote_tables_are_not_squeezed_to_80_columns(empty_project, deep_notebook):
    checked = prodkit(empty_project.root, "check", str(DEEP), "--static", "--fail-under", "0")
    assert_uncut(checked, f"Readiness of {DEEP.as_posix()}")
    assert max(map(len, checked.splitlines())) > 80  # the message column got its natural width
    promoted = prodkit(empty_project.root, "promote", str(DEEP), "--no-import-check")
    assert_uncut(promoted, "churn_features_for_the_retention_experiment.py", DEEP.as_posix())


@pytest.mark.slow
def test_finding_15_drift_table_keeps_long_column_names_when_piped(tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    cols = [f"average_monthly_spend_in_the_last_twelve_months_segment_{i}" for i in range(3)]
    pd.DataFrame(rng.normal(size=(300, 3)), columns=cols).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame(rng.normal(2, 1, size=(300, 3)), columns=cols).to_csv(tmp_path / "cur.csv", index=False)
    shown = prodkit(tmp_path, "drift", "ref.csv", "cur.csv", ok=(0, 1))
    assert_uncut(shown, *cols)


def test_finding_15_console_width_follows_the_terminal_or_columns_and_is_unlimited_otherwise(monkeypatch):
    import io

    from prodkit._cli_support import UNLIMITED_WIDTH, CliConsole

    monkeypatch.delenv("COLUMNS", raising=False)
    assert CliConsole(file=io.StringIO()).width == UNLIMITED_WIDTH
    assert CliConsole(file=io.StringIO(), force_terminal=True).width < UNLIMITED_WIDTH
    monkeypatch.setenv("COLUMNS", "132")
    assert CliConsole(file=io.StringIO()).width == 132
    ruled = io.StringIO()
    monkeypatch.delenv("COLUMNS")
    CliConsole(file=ruled).rule("step")
    assert len(ruled.getvalue().rstrip("\n")) == 80


@pytest.mark.parametrize("command", [("jobs", "list"), ("jobs", "history"), ("jobs", "show"), ("models", "list"),
                                     ("models", "show"), ("check",), ("promote",), ("drift",)])
def test_every_command_that_prints_a_table_has_json(command):
    import typer

    from prodkit.cli import app

    group = typer.main.get_command(app)
    cmd = group
    for name in command:
        cmd = cmd.commands[name]
    assert "--json" in {opt for p in cmd.params for opt in p.opts}, " ".join(command)
