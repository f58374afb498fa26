"""Kernel managers for the kernels prodkit starts (jobs, the demo, CODE-01's fresh run).

ipykernel >= 7 warns `Kernel is running over TCP without encryption` on every start over plain
TCP. Rather than hiding the warning, the kernel gets what it asks for: CurveZMQ keys provisioned
by jupyter_client (`transport_encryption="auto"`, used when the kernelspec declares
`supported_encryption: curve` and pyzmq has Curve), else IPC sockets on POSIX. Imports
jupyter_client: import this module only where a kernel is started.
"""

from __future__ import annotations

import os
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
    return km


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
