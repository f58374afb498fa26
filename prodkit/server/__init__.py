"""Jupyter server extension: the REST API behind prodkit's JupyterLab side panel.

Handlers live under /prodkit/api/... (see `handlers.py`). Loading the extension imports
only jupyter_server code that the server has already loaded; each capability is imported
lazily inside the request that needs it.
"""

from __future__ import annotations


def _jupyter_server_extension_points() -> list[dict]:
    from prodkit.server.app import ProdkitServerApp

    return [{"module": "prodkit.server", "app": ProdkitServerApp}]
