"""Kernel managers for the kernels prodkit starts (jobs, the demo, CODE-01's fresh run).

ipykernel >= 7 warns `Kernel is running over TCP without encryption` on every start over plain
TCP. Rather than hiding the warning, the kernel gets what it asks for: CurveZMQ keys provisioned
by jupyter_client (`transport_encryption="auto"`, used when the kernelspec declares
`supported_encryption: curve` and pyzmq has Curve), else IPC sockets on POSIX. Each kernel's IPC
sockets get their own absolute path in Jupyter's runtime directory: jupyter_client's default
(`kernel-ipc-1`... in the current directory, numbered by which files exist) lets two processes
starting kernels at once pick the same sockets, and the second kernel dies before it replies.
Imports jupyter_client: import this module only where a kernel is started.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

import zmq
from jupyter_client.manager import AsyncKernelManager


def _declares_curve(km: AsyncKernelManager) -> bool:
    metadata = getattr(km.kernel_spec, "metadata", None) or {}
    supported = metadata.get("supported_encryption") or ()
    supported = [supported] if isinstance(supported, str) else supported
    return "curve" in {str(s).strip().lower() for s in supported}


def secure_transport(km: AsyncKernelManager) -> AsyncKernelManager:
    """Set `km` (before its kernel starts) to an encrypted or local-socket transport when it can."""
    if km.transport_encryption != "disabled" or km.transport != "tcp":
        return km  # configured by the user
    if zmq.has("curve") and _declares_curve(km):
        km.transport_encryption = "auto"
    elif os.name == "posix":
        km.transport = "ipc"
        km.ip = _private_ipc_path()
    return km


_UNIX_SOCKET_PATH_MAX = 100  # sun_path is 104-108 bytes; the suffix `-N` is added to this


def _private_ipc_path() -> str:
    """An absolute socket-path prefix no other kernel uses: `<runtime dir>/kernel-<uuid>-ipc`."""
    from jupyter_core.paths import jupyter_runtime_dir

    name = f"kernel-{uuid.uuid4().hex}-ipc"
    for folder in (jupyter_runtime_dir(), tempfile.gettempdir()):
        path = os.path.join(os.path.abspath(folder), name)
        if len(path.encode()) <= _UNIX_SOCKET_PATH_MAX:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            return path
    return path  # both too long: the kernel's bind error names the path


class SecureKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernel starts without the plain-TCP warning (see module doc);
    pass it to papermill as `kernel_manager_class=`."""

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        if self.kernel_name:
            secure_transport(self)


def kernel_manager(kernel_name: str) -> AsyncKernelManager:
    """A manager for `kernel_name` (NoSuchKernel if it is not installed)."""
    return SecureKernelManager(kernel_name=kernel_name)
