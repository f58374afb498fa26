"""Issue 15: the readiness score tells the truth — n/a checks, nothing to judge, unparsable cells,
exit calls and unknown magics, cell lists shown once, the table in a CI log, the model card's
unwritten sections."""

from __future__ import annotations

import io

import pytest
from pktest import code, numbered, write_notebook

from prodkit.readiness import check_notebook
from prodkit.records import ModelStatus

PARAMS = code("%%promote --params\nthreshold = 0.5")
READ = code('import pandas as pd\ndf = pd.read_csv("data/customers.csv")\nhigh = df[df.score > threshold]')
CODE_READING = ("DATA-01", "DATA-05", "DATA-06", "DATA-07", "MOD-01", "MOD-02", "MOD-03", "CODE-03", "CODE-05",
                "CODE-10", "CODE-12")


def checked(project, cells, name="nb.ipynb", **options):
    return check_notebook(write_notebook(project.nbs_path / name, numbered(*cells)), project=project, static=True,
                          **options)


def flagged(result) -> dict[str, str]:
    """id -> status of every scored notebook check that does not pass."""
    return {c.id: c.status for c in result.checks if c.status != "pass" and c.counted and c.scope == "notebook"}


def test_checks_that_do_not_apply_are_na_and_not_scored(deps_project):
    res = checked(deps_project, [PARAMS, READ])  # reads data, trains no model, draws no random numbers
    assert flagged(res) == {}
    for check_id in ("DATA-05", "MOD-01", "MOD-02", "MOD-03", "CODE-05"):
        c = res.check(check_id)
        assert c.status == "skip" and c.message.startswith("n/a: ") and not c.counted, c
    assert res.sections["Model"].max == 0 and res.weakest.name != "Model"
    assert res.score == 1.0 and res.grade == "A"


def test_a_notebook_with_nothing_to_judge_is_not_ready_to_promote(deps_project):
    res = checked(deps_project, [PARAMS, code("print(1)")])
    assert flagged(res) == {}  # every check that applies holds ...
    assert res.score == 0.0 and res.grade == "E"  # ... but it reads no data and trains no model
    assert "nothing to judge" in res.meaning and "not ready to promote" in res.meaning
    assert res.to_dict()["notebook_score"]["meaning"] == res.meaning
    assert "ready to promote" not in res.explanation().replace("not ready to promote", "")


def test_nothing_to_judge_does_not_apply_to_a_gate_on_chosen_checks(deps_project):
    res = checked(deps_project, [PARAMS, code("print(1)")], only=["SEC-01", "SEC-02"])
    assert res.score == 1.0


def test_one_unparsable_cell_fails_code08_and_leaves_the_checks_reading_code_na(deps_project):
    res = checked(deps_project, [PARAMS, READ, code("print 'done'")])
    assert flagged(res) == {"CODE-08": "fail"}
    for check_id in CODE_READING:
        c = res.check(check_id)
        assert c.status == "skip" and not c.counted and "cell 3 does not parse (CODE-08)" in c.message, c
    assert res.score == pytest.approx(4 / 5)  # Code: CODE-06, -09, -11 pass, CODE-08 fails; not 0.00


def test_a_problem_found_in_the_cells_that_parse_is_still_reported(deps_project):
    res = checked(deps_project, [PARAMS, code('import pandas as pd\ndf = pd.read_csv("/home/ann/x.csv")'),
                            code("print 'done'")])
    assert res.check("DATA-01").status == "fail" and res.check("DATA-01").counted


@pytest.mark.parametrize("stop", ["import sys\nsys.exit(0)", "exit()", "quit()", "raise SystemExit(1)",
                                  "import os\nos._exit(0)"])
def test_code10_flags_calls_that_end_the_run_early(deps_project, stop):
    res = checked(deps_project, [PARAMS, READ, code(stop)])
    assert flagged(res) == {"CODE-10": "fail"}
    c = res.check("CODE-10")
    assert "ends the run early" in c.message and c.cells == [3], c


def test_code10_a_function_the_notebook_names_exit_is_not_an_exit(deps_project):
    res = checked(deps_project, [PARAMS, READ, code("def exit():\n    return 0\nexit()")])
    assert res.check("CODE-10").status == "pass"


@pytest.mark.parametrize("magic", ["%foo 1", "%%sql\nSELECT 1", "%autoreload 2"])
def test_code09_flags_magics_a_fresh_kernel_does_not_know(deps_project, magic):
    res = checked(deps_project, [PARAMS, READ, code(magic)])
    assert flagged(res) == {"CODE-09": "warn"}
    c = res.check("CODE-09")
    assert "magics a fresh kernel does not know" in c.message and c.cells == [3], c


@pytest.mark.parametrize("cell", [
    "%matplotlib inline\n%config InlineBackend.figure_format = 'retina'",
    "%load_ext autoreload\n%autoreload 2",
    "%%timeit\nsum(range(10))",
    "%prodkit help",
    "try:\n    %tensorflow_version 2.x\nexcept Exception:\n    pass",
    "%load_ext some_extension_prodkit_does_not_know\n%whatever_it_defines",
    "from IPython.core.magic import register_line_magic\n@register_line_magic\ndef hello(line):\n    return line",
])
def test_code09_known_loaded_defined_or_guarded_magics_are_not_flagged(deps_project, cell):
    res = checked(deps_project, [PARAMS, READ, code(cell), code("%hello x" if "register" in cell else "x = 1")])
    assert res.check("CODE-09").status == "pass", res.check("CODE-09")


def test_cell_lists_are_shown_once(deps_project):
    from rich.console import Console

    from prodkit.readiness.render import print_results

    res = checked(deps_project, [PARAMS, READ, code("import pdb\npdb.set_trace()")])
    assert flagged(res) == {"CODE-10": "fail"}
    c = res.check("CODE-10")
    assert "cells" not in c.message and c.cells == [3]
    assert res.to_text().count("(cell 3)") == 1
    buffer = io.StringIO()
    print_results([res], Console(file=buffer, width=200))
    assert buffer.getvalue().count("(cell 3)") == 1


def test_the_table_in_a_ci_log_wraps_at_100_columns(deps_project, monkeypatch):
    from prodkit._cli_support import CliConsole
    from prodkit.readiness.render import LOG_WIDTH, print_results

    monkeypatch.delenv("COLUMNS", raising=False)
    res = checked(deps_project, [PARAMS, READ])
    buffer = io.StringIO()
    console = CliConsole(file=buffer, soft_wrap=True)  # not a terminal: what `prodkit check nb | cat` gets
    print_results([res], console)
    lines = buffer.getvalue().splitlines()
    table = lines[:next(i for i, line in enumerate(lines) if line.startswith("notebook score"))]  # up to the bars
    assert len(table) > 10 and max(len(line) for line in table) <= LOG_WIDTH
    assert any("BIZ-01" in line for line in table)


CARD_TODO = ["Intended Use", "Factors", "Evaluation Data", "Quantitative Analyses", "Ethical Considerations",
             "Caveats and Recommendations"]


def model_record(**fields) -> ModelStatus:
    return ModelStatus.model_validate({"name": "churn", "latest_version": "1", "aliases": {}, "complete": True, "missing": [],
            "parity": {"status": "passed", "passed": True}, "benchmark": True, "has_card": True, "card_todo": [],
            **fields})


def test_mod05_is_partial_while_card_sections_are_unwritten_and_counts_in_the_project_score(deps_project):
    path = write_notebook(deps_project.nbs_path / "nb.ipynb", numbered(PARAMS, READ))
    run = lambda record: check_notebook(path, project=deps_project, only=["MOD-05"],  # noqa: E731
                                        hook_answers={"models": [record]})
    partial = run(model_record(card_todo=CARD_TODO))
    c = partial.check("MOD-05")
    assert c.status == "warn" and "churn has 6 unwritten section(s): Intended Use" in c.message, c
    assert "Caveats and Recommendations" in c.message and c.counted
    assert partial.project_points == (0.5, 1)
    assert run(model_record()).check("MOD-05").status == "pass"
    assert run(model_record(has_card=False)).check("MOD-05").status == "fail"


TRAIN = [code('import pandas as pd\nfrom sklearn.dummy import DummyClassifier\nfrom sklearn.linear_model import '
              'LogisticRegression\nfrom sklearn.metrics import f1_score\nfrom sklearn.model_selection import '
              'train_test_split\nimport prodkit\ndf = pd.read_csv("data/customers.csv")\nX, y = df[["a"]], df.y'),
         code("X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)\n"
              "clf = LogisticRegression().fit(X_train, y_train)\nbaseline = DummyClassifier().fit(X_train, y_train)"),
         code("test = X_test.assign(y=y_test, pred=clf.predict(X_test))\n"
              "per_region = test.groupby('a').apply(lambda g: f1_score(g.y, g.pred))")]


def test_mod02_a_prodkit_register_model_call_measures_latency_and_memory(deps_project):
    """The check's own fix says register_model benchmarks both: a notebook calling it is credited also
    under --static, where the registry is not read."""
    res = checked(deps_project, [PARAMS, *TRAIN, code('prodkit.register_model(clf, "churn", example=X_test[:8])')])
    assert flagged(res) == {} and res.check("MOD-02").cells == [5], res.check("MOD-02")


def test_mod02_register_model_without_its_benchmark_is_not_a_measurement(deps_project):
    res = checked(deps_project, [PARAMS, *TRAIN,
                            code('prodkit.register_model(clf, "churn", example=X_test[:8], benchmark=False)')])
    assert flagged(res) == {"MOD-02": "warn"}


def test_data04_a_data_hash_on_the_registered_model_versions_data_the_notebook_made(deps_project):
    """Data made in the notebook (no file read) is n/a for DATA-04 — unless a model registered from it
    records the data's hash (register_model(..., data=df)): then the data is versioned."""
    path = write_notebook(deps_project.nbs_path / "nb.ipynb", numbered(PARAMS, code("df = make_customers(100)")))
    run = lambda records: check_notebook(path, project=deps_project, only=["DATA-04"],  # noqa: E731
                                         hook_answers={"models": records}).check("DATA-04")
    assert run([model_record()]).status == "pass"  # complete: nothing missing, the data hash included
    assert run([model_record(missing=["data hash"], complete=False)]).status == "skip"
    assert run([]).message.startswith("n/a: ")
