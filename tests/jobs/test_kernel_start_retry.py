"""A kernel that dies before its first reply is started again; the run is not failed for it (CI: two
scheduler processes starting four kernels at once, one kernel died before replying to kernel_info)."""

from __future__ import annotations

import json
import sys

import pytest
from pktest import code, write_notebook

from prodkit.jobs.execute import KERNEL_START_TRIES, RunRequest, execute_run
from prodkit.jobs.records import FAILED, SUCCEEDED

pytestmark = pytest.mark.slow

# exits at once for its first `deaths` launches (counted in a file), then is a normal ipykernel
LAUNCHER = """
import runpy, sys
count, deaths = sys.argv[1], int(sys.argv[2])
with open(count, "a") as f:
    f.write("x")
if len(open(count).read()) <= deaths:
    sys.exit(1)
sys.argv = ["ipykernel_launcher", "-f", sys.argv[3]]
runpy.run_module("ipykernel_launcher", run_name="__main__")
"""


def dying_kernel(tmp_path, monkeypatch, deaths: int) -> tuple[str, object]:
    spec = tmp_path / "share" / "kernels" / "dies-at-start"
    spec.mkdir(parents=True)
    launches = tmp_path / "launches"
    argv = [sys.executable, "-c", LAUNCHER, str(launches), str(deaths), "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "dies", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share"))
    return "dies-at-start", launches


def run_with(tmp_path, kernel: str):
    notebook = write_notebook(tmp_path / "n.ipynb", [code("print(6 * 7)")])
    return execute_run(RunRequest(run_id=1, job="n", notebook=str(notebook), output_path=str(tmp_path / "out.ipynb"),
                                  kernel=kernel, log_path=str(tmp_path / "run.log")))


def test_a_kernel_that_dies_before_replying_is_started_again_and_the_run_succeeds(tmp_path, monkeypatch):
    kernel, launches = dying_kernel(tmp_path, monkeypatch, deaths=1)
    outcome = run_with(tmp_path, kernel)
    assert outcome.status == SUCCEEDED, outcome.error
    assert launches.read_text() == "xx"
    assert "42" in (tmp_path / "out.ipynb").read_text()
    assert "died before it replied" in (tmp_path / "run.log").read_text()


def test_a_kernel_that_never_replies_fails_the_run_after_the_last_start(tmp_path, monkeypatch):
    kernel, launches = dying_kernel(tmp_path, monkeypatch, deaths=KERNEL_START_TRIES)
    outcome = run_with(tmp_path, kernel)
    assert outcome.status == FAILED and outcome.error.cell is None
    assert "died before replying to kernel_info" in outcome.error.evalue
    assert launches.read_text() == "x" * KERNEL_START_TRIES
