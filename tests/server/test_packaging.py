"""The wheel's shared-data puts the built panel and the server switch where Jupyter looks."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_shared_data_maps_the_panel_and_the_server_config():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    ext = json.loads((REPO / "extensions" / "jupyterlab" / "package.json").read_text())
    shared = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    out_dir = (REPO / "extensions" / "jupyterlab" / ext["jupyterlab"]["outputDir"]).resolve()
    assert out_dir == REPO / "prodkit" / "labextension"
    assert shared["prodkit/labextension"] == f"share/jupyter/labextensions/{ext['name']}"
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    hook = pyproject["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    assert "prodkit/labextension/package.json" in hook["ensured-targets"]


def test_the_panels_npm_version_is_prodkits_version():
    """npm needs its own `version` field; it must say what prodkit/__init__.py says (the one source)."""
    import prodkit

    ext = json.loads((REPO / "extensions" / "jupyterlab" / "package.json").read_text())
    assert ext["version"] == prodkit.__version__


def test_server_config_enables_the_extension_that_exists():
    config = json.loads((REPO / "jupyter-config" / "server-config" / "prodkit.json").read_text())
    names = [n for n, on in config["ServerApp"]["jpserver_extensions"].items() if on]
    assert names == ["prodkit.server"]
    from prodkit.server import _jupyter_server_extension_points

    (point,) = _jupyter_server_extension_points()
    assert point["module"] == "prodkit.server" and point["app"].name == "prodkit"


def test_importing_the_extension_imports_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys, prodkit.server, prodkit.server.handlers; "
            "print([m for m in ('papermill', 'mlflow', 'nbformat', 'torch', 'pandas', 'evidently', 'nbdev') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
