"""Kernels prodkit starts through papermill (demo, CODE-01) print no plain-TCP warning (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pktest import REPO, code, write_notebook

RUN = """
import sys, papermill
from prodkit._kernel import SecureKernelManager
papermill.execute_notebook(sys.argv[1], sys.argv[2], kernel_name="python3", progress_bar=False,
                           kernel_manager_class=SecureKernelManager)
"""


@pytest.mark.slow
def test_finding_15_papermill_run_with_the_secure_manager_prints_no_tcp_warning(tmp_path):
    nb = write_notebook(tmp_path / "n.ipynb", [code("print(6 * 7)")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", RUN, str(nb), str(tmp_path / "out.ipynb")], env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert "without encryption" not in done.stdout + done.stderr
    assert "42" in (tmp_path / "out.ipynb").read_text()


def test_secure_transport_keeps_what_the_user_configured():
    from prodkit._kernel import SecureKernelManager

    km = SecureKernelManager(kernel_name="python3")
    assert km.transport_encryption == "auto" or km.transport == "ipc"
    configured = SecureKernelManager(kernel_name="python3", transport="ipc")
    assert configured.transport == "ipc" and configured.transport_encryption == "disabled"
