"""`%load_ext prodkit`, `%%promote` and `%prodkit` in a real IPython shell."""

from __future__ import annotations

import subprocess
import sys

import IPython
import pytest
from IPython.core.error import UsageError
from IPython.testing.globalipapp import start_ipython
from pktest import code, write_notebook

HEAVY = ("nbdev", "nbformat", "papermill", "mlflow", "evidently", "torch", "pandas", "fastcore")


@pytest.fixture(scope="module")
def ip():
    start_ipython()  # once per process; later calls return None
    shell = IPython.get_ipython()
    shell.run_line_magic("load_ext", "prodkit")
    yield shell
    shell.run_line_magic("unload_ext", "prodkit")


def run(ip, source):
    return ip.run_cell(source, store_history=True)


def test_promote_cell_runs_as_an_ordinary_cell(ip):
    result = run(ip, "%%promote shop.prices\ndef price(x):\n    return 2 * x\nprice(21)")
    assert result.success and result.result == 42
    assert ip.user_ns["price"](1) == 2


def test_promoted_module_is_importable_in_the_kernel(ip):
    run(ip, "%%promote shop.tax\nRATE = 0.2\ndef with_tax(x):\n    return x * (1 + RATE)")
    result = run(ip, "from shop.tax import with_tax, RATE\nwith_tax(10)")
    assert result.success and result.result == pytest.approx(12.0)
    run(ip, "%%promote shop.tax\nRATE = 0.5")
    assert run(ip, "import shop.tax\nshop.tax.RATE").result == 0.5


def test_test_and_params_cells_run(ip):
    assert run(ip, "%%promote --params\nthreshold = 0.7").success
    assert ip.user_ns["threshold"] == 0.7
    failed = run(ip, "%%promote --test shop.prices\nassert price(1) == 3")
    assert not failed.success and isinstance(failed.error_in_exec, AssertionError)


def test_parameters_cell_runs_and_is_the_params_cell_of_the_saved_notebook(ip, empty_project):
    from prodkit.notebook import read_notebook

    assert run(ip, "%%parameters\nthreshold = 0.8").success and ip.user_ns["threshold"] == 0.8
    refused = run(ip, "%%parameters threshold\nthreshold = 0.9")
    assert isinstance(refused.error_in_exec, UsageError) and "takes no arguments" in str(refused.error_in_exec)
    assert ip.user_ns["threshold"] == 0.8
    nb = write_notebook(empty_project.nbs_path / "p.ipynb", [code("x = 1"), code("%%parameters\nthreshold = 0.5")])
    assert read_notebook(nb).parameters_cell().number == 2


def test_errors_in_promoted_cells_surface_normally(ip):
    result = run(ip, "%%promote shop.broken\n1 / 0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)


def test_bad_promote_line_is_a_clear_usage_error(ip):
    result = run(ip, "%%promote ../escape\nx = 1")
    assert isinstance(result.error_in_exec, UsageError)
    assert "dotted name inside lib_path" in str(result.error_in_exec)
    assert "x" not in ip.user_ns or ip.user_ns.get("x") != 1


def test_prodkit_module_and_help(ip, capsys):
    ip.run_line_magic("prodkit", "module churn.core")
    assert ip.user_ns["__prodkit_default_module__"] == "churn.core"
    ip.run_line_magic("prodkit", "help")
    listed = capsys.readouterr().out
    assert "Usage: %prodkit [OPTIONS] COMMAND" in listed and "module" in listed and "jobs" in listed
    with pytest.raises(UsageError, match="No such command 'frobnicate'"):
        ip.run_line_magic("prodkit", "frobnicate")


def test_prodkit_promote_reads_the_saved_notebook(ip, empty_project):
    nb = write_notebook(empty_project.nbs_path / "saved.ipynb", [code("%%promote saved\ndef f():\n    return 1")])
    result = ip.run_line_magic("prodkit", f"promote {nb}")
    assert result.ok and (empty_project.lib_path / "saved.py").exists()


def _modules_after(statement: str) -> set[str]:
    probe = f"import sys\n{statement}\nprint(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


def test_import_prodkit_is_light():
    assert _modules_after("import prodkit") == set()


def test_load_ext_is_light():
    stmt = (
        "from IPython.testing.globalipapp import start_ipython\nip = start_ipython()\n"
        "ip.run_line_magic('load_ext', 'prodkit')\nip.run_cell('%%promote m\\nx = 1')"
    )
    assert _modules_after(stmt) == set()


def test_unnamed_promote_cell_binds_the_saved_notebooks_default_module(ip, empty_project, monkeypatch):
    nb = write_notebook(
        empty_project.nbs_path / "01_shop.ipynb",
        [code("#| default_exp shop.defaults"), code("%%promote\nLIMIT = 3")],
    )
    monkeypatch.setenv("PRODKIT_NOTEBOOK", str(nb))
    ip.user_ns.pop("__prodkit_default_module__", None)
    run(ip, "%%promote\nLIMIT = 3")
    assert run(ip, "from shop.defaults import LIMIT\nLIMIT").result == 3


SHADOWING_CELLS = [
    "%%promote os\ndef getcwd():\n    return 'patched'",
    "%%promote json\ndef dumps(x):\n    return 'patched'",
    "%%promote json.mine\nEXTRA = 1",
    "%%promote typer.extra\nEXTRA = 1",
]


def test_finding_04_kernel_refuses_names_that_shadow_the_stdlib_or_an_installed_package(ip):
    """Finding 4: `%%promote os` / `json` / an installed package's name is a UsageError with the
    reason, and the hook never patches the real `os.getcwd` / `json.dumps`."""
    import json
    import os

    real = (os.getcwd, json.dumps)
    try:
        for cell in SHADOWING_CELLS:
            result = run(ip, cell)
            assert isinstance(result.error_in_exec, UsageError), cell
            assert "shadows" in str(result.error_in_exec)
        with pytest.raises(UsageError, match="standard-library"):
            ip.run_line_magic("prodkit", "module os")
        assert (os.getcwd, json.dumps) == real and "json.mine" not in sys.modules
    finally:
        os.getcwd, json.dumps = real


def test_finding_04_kernel_never_binds_a_default_module_that_shadows_the_stdlib(ip, empty_project, monkeypatch, capsys):
    """Finding 4: an unnamed `%%promote` cell whose notebook says `#| default_exp json` runs,
    but its names are not hung on the real json module; the kernel says why."""
    import json

    nb = write_notebook(
        empty_project.nbs_path / "02_codec.ipynb",
        [code("#| default_exp json"), code("%%promote\ndef dumps(x):\n    return 'patched'")],
    )
    monkeypatch.setenv("PRODKIT_NOTEBOOK", str(nb))
    ip.user_ns.pop("__prodkit_default_module__", None)
    real = json.dumps
    try:
        assert run(ip, "%%promote\ndef dumps(x):\n    return 'patched'").success
        assert json.dumps is real
        assert "shadows" in capsys.readouterr().err
    finally:
        json.dumps = real
