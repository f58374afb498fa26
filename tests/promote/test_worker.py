"""promote's nbdev worker: the forked child renders exactly what the CLI renders in-process,
its errors reach the user as if raised here, and a dead child costs nothing but time."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from pktest import code, markdown, write_notebook

from prodkit.errors import BadInput, GateFailed

PRODKIT = os.path.join(os.path.dirname(sys.executable), "prodkit")

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the worker forks only on Linux")


def _cells():
    return [
        markdown("# Shop\n\n> Prices and discounts"),
        code("%load_ext prodkit\nimport math"),
        code("#| default_exp shop.legacy"),
        code("x = 1\nprint(x)"),
        code("%%promote shop.prices\ndef price(q):\n    return q * 2"),
        code("y = [i for i in range(3)]"),
        code("#| export\ndef legacy():\n    return 'nbdev'"),
        code("# | exporti\ndef _hidden():\n    return 0"),
        code("%%promote --test shop.prices\nassert price(2) == 4"),
        code("z = 'a|b'"),
        code("%%promote shop.prices\nDISCOUNT = 0.1"),
    ]


def _promote(project, worker_on: bool) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRODKIT_PROMOTE_WORKER": "1" if worker_on else "0"}
    return subprocess.run([PRODKIT, "promote", str(project.nbs_path / "shop.ipynb")], capture_output=True,
                          text=True, env=env, cwd=project.root)


def _written(project) -> dict[str, str]:
    files = [*project.lib_path.rglob("*.py"), *(project.root / "tests").rglob("*.py")]
    return {str(p.relative_to(project.root)): p.read_text() for p in sorted(files) if "__pycache__" not in p.parts}


def _clear(project) -> None:
    import shutil

    shutil.rmtree(project.lib_path, ignore_errors=True)
    shutil.rmtree(project.root / "tests", ignore_errors=True)


def test_the_worker_writes_byte_for_byte_what_the_cli_writes_in_process(empty_project):
    write_notebook(empty_project.nbs_path / "shop.ipynb", _cells())
    in_process = _promote(empty_project, worker_on=False)
    assert in_process.returncode == 0, in_process.stderr
    expected = _written(empty_project)
    _clear(empty_project)
    forked = _promote(empty_project, worker_on=True)
    assert forked.returncode == 0, forked.stderr
    assert _written(empty_project) == expected
    assert {"src/shop/prices.py", "src/shop/legacy.py", "src/_modidx.py", "tests/test_shop_prices.py"} <= set(expected)
    assert "def price" in expected["src/shop/prices.py"] and "DISCOUNT" in expected["src/shop/prices.py"]
    assert "def legacy" in expected["src/shop/legacy.py"] and "def _hidden" in expected["src/shop/legacy.py"]
    assert forked.stdout == in_process.stdout.replace(_seconds(in_process.stdout), _seconds(forked.stdout))


def _seconds(text: str) -> str:
    return text.rsplit("(", 1)[-1]


def test_nbdev_errors_in_the_worker_are_one_line_naming_the_notebook(empty_project):
    nb = write_notebook(empty_project.nbs_path / "shop.ipynb", _cells())
    data = json.loads(nb.read_text())
    data["cells"][4]["metadata"]["nbdev"] = {"export": True}  # nbdev: directive values must be str
    nb.write_text(json.dumps(data))
    proc = _promote(empty_project, worker_on=True)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error:"), proc.stderr
    assert "shop.ipynb" in proc.stderr and "nbdev cannot read" in proc.stderr and "Traceback" not in proc.stderr


# Run in a fresh interpreter: the test process may have threads left by other tests, and the
# worker (rightly) never forks a process with threads.
_IN_A_FRESH_PROCESS = """
import os, signal, sys
from pathlib import Path
from prodkit.config import load_project
from prodkit.errors import BadInput
from prodkit.promote import worker
from prodkit.promote.pipeline import _plan_notebook, render_files

nb = Path(sys.argv[1])
project = load_project(nb)
plan = _plan_notebook(nb, project, allow_missing=False, in_folder=False)
expected = {path: f.text for path, f in render_files(plan, project).items()}
if sys.argv[2] == "threads":
    import threading
    done = threading.Event()
    thread = threading.Thread(target=done.wait)
    thread.start()
    worker.start()
    assert worker._worker is None, "forked a process with threads"
    done.set()
    thread.join()
    worker.start()  # the same process, its thread gone: it forks
worker.start()
assert worker._worker is not None, "not forked"
if sys.argv[2] in ("answers", "threads"):
    rendered = worker.call("render", plan, project)
    assert worker._worker is not None, "answered by the fallback, not by the child"
    plan.notebook.raw["cells"][4]["metadata"]["nbdev"] = {"export": True}  # not a str: nbdev refuses it
    try:
        worker.call("render", plan, project)
        raise AssertionError("no error")
    except BadInput as e:
        assert "nbdev cannot read" in e.message and e.path == str(nb) and e.fix, e.line()
    assert worker._worker is not None, "an error of the call was taken for a dead child"
else:
    os.kill(worker._worker.pid, signal.SIGKILL)
    rendered = worker.call("render", plan, project)
    assert worker._worker is None, "the dead child was not dropped"
worker.stop()
assert {path: f.text for path, f in rendered.items()} == expected, "rendered differently"
print("ok")
"""


def _in_a_fresh_process(project, case: str) -> None:
    nb = write_notebook(project.nbs_path / "shop.ipynb", _cells())
    proc = subprocess.run([sys.executable, "-c", _IN_A_FRESH_PROCESS, str(nb), case], capture_output=True,
                          text=True, cwd=project.root)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_the_child_answers_what_this_process_renders_and_its_errors_arrive_whole(empty_project):
    _in_a_fresh_process(empty_project, "answers")


def test_a_killed_worker_is_replaced_by_rendering_here(empty_project):
    _in_a_fresh_process(empty_project, "killed")


def test_no_worker_where_threads_run(empty_project):
    _in_a_fresh_process(empty_project, "threads")


def test_errors_cross_a_pickle_whole():
    error = pickle.loads(pickle.dumps(BadInput("bad name", path="nbs/x.ipynb", cell=3, fix="rename it")))
    assert type(error) is BadInput
    assert (error.message, error.path, error.cell, error.fix) == ("bad name", "nbs/x.ipynb", 3, "rename it")
    assert error.line() == "nbs/x.ipynb: cell 3: bad name — rename it" and error.exit_code == 2
    assert pickle.loads(pickle.dumps(GateFailed("gate"))).exit_code == 1


def test_cells_nbdev_cannot_use_are_not_given_to_it(empty_project):
    from prodkit.notebook import read_notebook
    from prodkit.promote.export import _for_nbdev
    from prodkit.promote.plan import build_plan

    nb = write_notebook(empty_project.nbs_path / "shop.ipynb", _cells())
    plan = build_plan(read_notebook(nb))
    module_of_cell = {c.number - 1: m for m, cells in plan.modules.items() for c in cells}
    raw, reindexed = _for_nbdev(plan, module_of_cell)
    kept = [c["source"] for c in raw["cells"]]
    assert "x = 1\nprint(x)" not in kept and "y = [i for i in range(3)]" not in kept  # plain code: left out
    assert "z = 'a|b'" in kept  # a `|` may be a directive: kept
    assert kept[0].startswith("# Shop") and kept[1].startswith("%load_ext")  # markdown; the first code cell
    assert all(raw["cells"][i]["source"].startswith("%%promote shop.prices") for i in reindexed)
    assert sorted(reindexed.values()) == ["shop.prices", "shop.prices"]
    assert all("outputs" not in c for c in raw["cells"])
    saved = json.loads(Path(nb).read_text())["cells"]
    assert [c["id"] for c in raw["cells"]] == [c["id"] for c in saved if "".join(c["source"]) in kept]


_IPYTHON_AFTER_WARM_UP = """
import sys
from prodkit.promote import worker
worker._warm()
assert "IPython" not in sys.modules and "IPython.display" not in sys.modules, "a stand-in was left behind"
import nbdev.config
shown = nbdev.config.show_src("x = 1")  # nbdev's one use of IPython.display at its import
import IPython.display
assert type(shown) is IPython.display.Markdown and "x = 1" in shown.data, type(shown)
import IPython.core.interactiveshell  # the real package, submodules and all
print("ok")
"""


def test_the_worker_defers_ipython_until_used_and_then_it_is_the_real_one():
    proc = subprocess.run([sys.executable, "-c", _IPYTHON_AFTER_WARM_UP], capture_output=True, text=True)
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]
