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


@pytest.fixture
def plain_kernel(tmp_path, monkeypatch):
    """A kernelspec like python3's that declares no Curve support, so prodkit falls back to IPC sockets."""
    import json

    spec = tmp_path / "share" / "kernels" / "plain"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": "plain", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share"))
    monkeypatch.chdir(tmp_path)
    return "plain"


def test_ipc_kernels_get_their_own_absolute_socket_paths_outside_the_current_directory(plain_kernel, tmp_path):
    """CI: two scheduler processes in one directory both took jupyter_client's default `kernel-ipc-1..5`
    sockets and one kernel died before replying to kernel_info."""
    from prodkit._kernel import SecureKernelManager

    first, second = (SecureKernelManager(kernel_name=plain_kernel) for _ in range(2))
    assert first.transport == second.transport == "ipc"
    assert first.ip != second.ip
    for km in (first, second):
        assert os.path.isabs(km.ip) and not km.ip.startswith(str(tmp_path))


@pytest.mark.slow
def test_ipc_kernels_started_at_once_from_one_directory_all_reply(plain_kernel):
    from concurrent.futures import ThreadPoolExecutor

    from jupyter_core.utils import run_sync

    from prodkit._kernel import SecureKernelManager

    def start_and_ask():
        km = SecureKernelManager(kernel_name=plain_kernel)
        run_sync(km.start_kernel)()
        client = km.client()
        client.start_channels()
        try:
            run_sync(client.wait_for_ready)(timeout=120)
            return km.ip
        finally:
            client.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)

    with ThreadPoolExecutor(3) as pool:
        paths = list(pool.map(lambda _: start_and_ask(), range(3)))
    assert len(set(paths)) == 3
    assert not [p for p in os.listdir(".") if "ipc" in p]
