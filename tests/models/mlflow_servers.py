"""Start and stop a real `mlflow server` on 127.0.0.1 for the model tests (sqlite or PostgreSQL backend)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_mlflow_server(folder: Path, backend_store_uri: str, *extra: str, wait_s: float = 120):
    """A real `mlflow server` on a free 127.0.0.1 port: (process, its URI, its log file), once /health answers."""
    port = _free_port()
    log = open(folder / "server.log", "w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "mlflow"), "server", "--backend-store-uri", backend_store_uri,
         "--artifacts-destination", str(folder / "artifacts"), *extra, "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=folder, start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("mlflow server exited: " + (folder / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(uri + "/health", timeout=1):
                return proc, uri, log
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError(f"mlflow server did not start in {wait_s:.0f} s")


def stop_mlflow_server(proc, log) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
