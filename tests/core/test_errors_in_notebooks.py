"""prodkit's expected errors in a notebook: one clean message and the fix, no traceback (issue 15)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from pktest import REPO, code, ipython_shell, write_notebook

from prodkit.errors import BadInput, GateFailed


@pytest.fixture(scope="module")
def ip():
    return ipython_shell()


def _shown(ip, capsys, source: str) -> str:
    capsys.readouterr()
    result = ip.run_cell(source)
    assert not result.success
    captured = capsys.readouterr()
    return captured.out + captured.err


def test_finding_15_bad_input_in_a_cell_shows_one_message_and_the_fix(ip, capsys):
    ip.user_ns["BadInput"] = BadInput
    shown = _shown(ip, capsys, "def helper():\n    raise BadInput('no column churn', path='data.csv', "
                               "fix='pass label=\"target\"')\nhelper()")
    assert "BadInput" in shown and "data.csv: no column churn" in shown and '→ pass label="target"' in shown
    assert "Traceback" not in shown and "helper()" not in shown and "----> " not in shown


def test_finding_15_failed_gate_in_a_cell_is_one_message(ip, capsys):
    ip.user_ns["GateFailed"] = GateFailed
    shown = _shown(ip, capsys, "raise GateFailed('drift in 3 of 12 columns')")
    assert [line for line in shown.splitlines() if line.strip()] == \
        ["\x1b[0;31mGateFailed\x1b[0m: drift in 3 of 12 columns"]


def test_other_exceptions_keep_their_traceback(ip, capsys):
    shown = _shown(ip, capsys, "def boom():\n    return 1 / 0\nboom()")
    assert "ZeroDivisionError" in shown and "boom()" in shown


@pytest.mark.slow
def test_finding_15_papermill_output_shows_the_clean_message(tmp_path):
    """A prodkit error raised in a kernel (papermill run) is stored as the two lines, not a traceback."""
    nb = write_notebook(tmp_path / "n.ipynb", [code(
        "from prodkit.errors import BadInput\nraise BadInput('no column churn', fix='pass label=\"target\"')")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    run = ("import sys, papermill\nfrom prodkit._kernel import SecureKernelManager\n"
           "try:\n    papermill.execute_notebook(sys.argv[1], sys.argv[2], kernel_name='python3', progress_bar=False,"
           " kernel_manager_class=SecureKernelManager)\nexcept papermill.PapermillExecutionError:\n    pass\n")
    done = subprocess.run([sys.executable, "-c", run, str(nb), str(tmp_path / "out.ipynb")], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    error = next(o for c in json.loads((tmp_path / "out.ipynb").read_text())["cells"] for o in c.get("outputs", [])
                 if o["output_type"] == "error")
    assert error["ename"] == "BadInput" and error["evalue"] == 'no column churn — pass label="target"'
    assert error["traceback"] == ["\x1b[0;31mBadInput\x1b[0m: no column churn", '\x1b[0;32m→ pass label="target"\x1b[0m']
