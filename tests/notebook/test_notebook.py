"""prodkit.notebook: reading any nbformat, malformed cells, per-cell facts, resolving a typed path."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pktest import code, write_notebook
from typer.testing import CliRunner

from prodkit.errors import BadInput
from prodkit.notebook import Cell, read_notebook, resolve_explicit_notebook

V3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"},
      "worksheets": [{"cells": [
          {"cell_type": "heading", "level": 1, "source": ["Old notebook"], "metadata": {}},
          {"cell_type": "code", "language": "python", "input": ["import numpy as np\n", "x = np.arange(3)"],
           "prompt_number": 1, "outputs": [], "collapsed": False, "metadata": {}}]}]}


def write_raw(path, raw):
    path.write_text(raw if isinstance(raw, str) else json.dumps(raw), encoding="utf-8")
    return path


def test_nbformat3_is_converted_with_a_note(tmp_path):
    """Issue 12: a folder check aborted on one nbformat-3 notebook; now it is read, converted by nbformat."""
    nb = read_notebook(write_raw(tmp_path / "old.ipynb", V3))
    assert nb.nbformat == 4 and "nbformat 3" in nb.notes[0]
    (cell,) = nb.code_cells
    assert cell.source == "import numpy as np\nx = np.arange(3)" and cell.execution_count == 1
    assert [i.module for i in cell.facts.imports] == ["numpy"]


@pytest.mark.parametrize("cell, what", [
    ('{"cell_type": "code", "source": ["x = 1\\n", 3], "outputs": [], "metadata": {}}', "other than text"),
    ('{"cell_type": "code", "source": "x = \\"\\ud800\\"", "outputs": [], "metadata": {}}', "lone surrogate"),
    ('{"cell_type": "code", "source": "x = 1", "outputs": "oops", "metadata": {}}', "'outputs' is not a list"),
    ('{"cell_type": "code", "source": "x = 1", "outputs": [], "metadata": []}', "'metadata' is not an object"),
    ('{"cell_type": "code", "source": "x", "outputs": [], "metadata": {"tags": "parameters"}}', "tags"),
])
def test_finding_11_13_malformed_cell_is_one_line_naming_file_and_cell(tmp_path, cell, what):
    path = write_raw(tmp_path / "bad.ipynb", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
                     '{"cell_type": "markdown", "source": "# t", "metadata": {}}, ' + cell + "]}")
    with pytest.raises(BadInput) as e:
        read_notebook(path)
    assert "bad.ipynb: cell 2: malformed cell" in e.value.line() and what in e.value.line()


def test_finding_11_13_malformed_cell_exits_2_from_check(tmp_path):
    from prodkit.cli import app

    path = write_raw(tmp_path / "bad.ipynb", '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": ['
                     '{"cell_type": "code", "source": "x", "outputs": "oops", "metadata": {}}]}')
    res = CliRunner().invoke(app, ["check", str(path)])
    assert res.exit_code == 2 and "cell 1: malformed cell" in res.output and "Traceback" not in res.output


def facts(source):
    return Cell(1, "code", source).facts


def test_shell_and_magic_lines_come_from_ipythons_transformer():
    f = facts("!pip install x\n%conda install y\nfiles = !ls data\nimport numpy as np\nnp?")
    assert f.parse_error is None
    assert [(s.line, s.kind, s.name, s.command) for s in f.shell_lines] == [
        (1, "shell", "pip", "pip install x"), (2, "line_magic", "conda", "conda install y"),
        (3, "shell", "ls", "ls data"), (5, "line_magic", "pinfo", "pinfo np")]
    assert "files" in f.assigned and [i.module for i in f.imports] == ["numpy"]


def test_cell_magics_python_body_is_read_other_bodies_are_shell():
    timed = facts("%%time\nimport os\nos.getcwd()")
    assert timed.parse_error is None and [c.name for c in timed.calls] == ["os.getcwd"]
    bash = facts("%%bash\nwget https://x.org/a.csv\necho done")
    assert bash.tree is None and bash.parse_error is None and bash.cell_magic == "bash"
    assert [s.command for s in bash.shell_lines if s.kind == "shell"] == ["wget https://x.org/a.csv", "echo done"]


def test_shell_lines_keep_the_cells_line_numbers_after_a_cell_magic_and_blank_lines():
    """IPython's transformer drops leading blank lines (and a `%%promote` body is read from line 2)."""
    promoted = facts("%%promote churn.io\nimport os\n!pip install x\nimport sys")
    assert [(s.line, s.name) for s in promoted.shell_lines] == [(3, "pip")]
    spaced = facts("\n\nimport os\n!pip install x")
    assert [(s.line, s.name) for s in spaced.shell_lines] == [(4, "pip")]


def test_an_indented_cell_is_read_as_ipython_runs_it():
    """IPython dedents a cell whose first line is indented (a real notebook's ` device = "cuda" ...`)."""
    f = facts(' # Make sure we have a GPU\n device = "cuda" if torch.cuda.is_available() else "cpu"\n device')
    assert f.parse_error is None and "device" in f.assigned


@pytest.mark.parametrize("source", ["    x = (\n", "# note\n    )\n"])
def test_a_cell_with_no_statement_at_the_margin_gets_a_parse_error_not_a_crash(source):
    f = facts(source)
    assert f.tree is None and f.parse_error is not None


@pytest.mark.parametrize("source, line, message", [
    ('import os\nprint "x"', 2, "Missing parentheses"),
    ("x = model.cuda(async=True)", 1, "invalid syntax"),
    ("!ls\nprint 'x'", 2, "Missing parentheses"),
])
def test_parse_error_is_recorded_with_line_and_message(source, line, message):
    f = facts(source)
    assert f.tree is None and f.parse_error.line == line and message in f.parse_error.message


def test_import_with_importerror_fallback_is_optional():
    f = facts("try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle")
    assert [(i.module, i.optional) for i in f.imports] == [("cPickle", True), ("pickle", False)]


def test_fstring_pieces_are_not_strings():
    assert facts('b = "bkt"\npath = f"gs://{b}/mnist/x.csv"').strings == [("bkt", 1)]


def test_plain_python_notebook_does_not_import_ipython(tmp_path):
    """Facts of cells without IPython syntax need neither IPython nor nbformat (speed)."""
    path = write_notebook(tmp_path / "a.ipynb", [code("import os\nx = os.getcwd()")])
    script = ("import sys\nfrom prodkit.notebook import read_notebook\n"
              f"nb = read_notebook({str(path)!r})\n[c.facts for c in nb.code_cells]\n"
              "print(sorted(m for m in sys.modules if m.split('.')[0] in ('IPython', 'nbformat')))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_explicit_path_resolves_against_cwd_then_project_root(empty_project, monkeypatch):
    """Issue 12: `%prodkit check nbs/x.ipynb` from a kernel in nbs/ silently checked another notebook."""
    target = write_notebook(empty_project.nbs_path / "churn_poc.ipynb", [code("x = 1")])
    monkeypatch.chdir(empty_project.nbs_path)
    assert resolve_explicit_notebook("churn_poc.ipynb") == target.resolve()
    assert resolve_explicit_notebook("nbs/churn_poc.ipynb") == target.resolve()
    with pytest.raises(BadInput, match="no such notebook 'nbs/nope.ipynb'"):
        resolve_explicit_notebook("nbs/nope.ipynb")


def test_magic_check_refuses_a_missing_explicit_path(empty_project, monkeypatch):
    from IPython.core.error import UsageError

    from prodkit.notebook import kernel_notebook_path

    other = write_notebook(empty_project.nbs_path / "current.ipynb", [code("x = 1")])
    monkeypatch.chdir(empty_project.nbs_path)
    with pytest.raises(BadInput):
        kernel_notebook_path({"__session__": str(other)}, "nbs/churn_poc.ipynb")
    assert kernel_notebook_path({"__session__": str(other)}) == other.resolve()
    assert UsageError  # the magic turns the BadInput into a one-line UsageError (prodkit.magics)


def test_watch_calls_resolve_imports_from_other_cells(empty_project):
    """The monitor's old regex needed `monitor.watch(` or the import in the same cell; the analysis layer
    resolves `from prodkit.monitor import watch` in cell 1 for a `watch(df, model=...)` in cell 3."""
    from prodkit.monitor.state import monitoring_for_notebook

    path = write_notebook(empty_project.nbs_path / "score.ipynb", [
        code("from prodkit.monitor import watch as w"), code("x = 1"), code('w(df, model="churn-clf")'),
        code('import prodkit\nprodkit.monitor.watch(df, "other")\nwatch = print\nwatch("not a monitor call")')])
    info = monitoring_for_notebook(empty_project, path)
    assert info.watched and info.cells == [3, 4] and info.models == ["churn-clf", "other"]


def test_parameters_cell_names_are_read_through_ipython_syntax(tmp_path):
    from prodkit.jobs.params import declared_names

    nb = read_notebook(write_notebook(tmp_path / "p.ipynb", [
        code("x = 1"), code("%%promote --params\nrun_date = '2026-01-01'\n%matplotlib inline\nthreshold: float = 0.5")]))
    cell = nb.parameters_cell()
    assert cell.number == 2 and declared_names(cell) == ["run_date", "threshold"]


def test_reading_an_nbformat_3_notebook_skips_jsonschemas_iri_grammar_import(tmp_path):
    """Converting a v3 notebook imports nbformat without rfc3987_syntax (its Lark grammars cost 1-2 s)."""
    import json
    import subprocess
    import sys

    v3 = {"worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [],
                                     "metadata": {}}]}], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3), encoding="utf-8")
    probe = ("import sys; from prodkit.notebook import read_notebook; nb = read_notebook(sys.argv[1]); "
             "print(nb.nbformat, [c.source for c in nb.code_cells], 'rfc3987_syntax' in sys.modules, "
             "sys.modules.get('rfc3987_syntax', 'absent'))")
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["4", "['x", "=", "1']", "False", "absent"], out
