"""Issue 12: the checklist on real notebooks — false alarms removed, misses caught, folder checks, parse errors.

Each test names the finding; each fails on the code before issue 12 (noted per test).
"""

from __future__ import annotations

import json

import pytest
from pktest import code, numbered, write_notebook
from typer.testing import CliRunner

from prodkit.readiness import check, check_notebook

PARAMS = code("%%promote --params\nthreshold = 0.5")


def status(project, check_id, cells, name="nb.ipynb"):
    (c,) = check_notebook(write_notebook(project.nbs_path / name, numbered(PARAMS, *cells)), project=project,
                          only=[check_id]).checks
    return c


# ---- false alarms --------------------------------------------------------------------------------


@pytest.mark.parametrize("fit", [
    "from sklearn.preprocessing import PolynomialFeatures\nX_poly = PolynomialFeatures(2).fit_transform(X)",
    "from sklearn.decomposition import PCA\nX_2d = PCA(2).fit_transform(X)",
    "from sklearn.manifold import MDS\nX_2d = MDS(2, random_state=0).fit_transform(X)",
])
def test_data05_stateless_and_unsupervised_fits_are_not_leakage(deps_project, fit):
    """Old code: PolynomialFeatures / PCA (sklearn.decomposition) fitted before the split were 'leakage'."""
    split = code("from sklearn.model_selection import train_test_split\n"
                 "X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)")
    c = status(deps_project, "DATA-05", [code(fit), split])
    assert c.status not in ("fail", "warn"), c  # no model is trained either: n/a


def test_data05_a_name_reassigned_from_pca_to_a_model_is_a_model(deps_project):
    """Old code: `model = PCA()` made every later `model.fit` a preprocessor fit."""
    cells = [code("from sklearn.decomposition import PCA\nfrom sklearn.linear_model import LogisticRegression\n"
                  "from sklearn.model_selection import train_test_split\nmodel = PCA(2)\nmodel.fit_transform(X)"),
             code("model = LogisticRegression()\nmodel.fit(X, y)"),
             code("X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)")]
    assert status(deps_project, "DATA-05", cells).status == "pass"


def test_data05_scaler_fitted_before_the_split_still_fails(deps_project):
    cells = [code("from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import "
                  "train_test_split\nX_s = StandardScaler().fit_transform(X)"),
             code("X_tr, X_te, y_tr, y_te = train_test_split(X_s, y, random_state=0)")]
    assert status(deps_project, "DATA-05", cells).status == "fail"


@pytest.mark.parametrize("source", [
    "ds = load_from_disk('data/ds')\nds = ds.shuffle(seed=42)",
    "import torch\nact = torch.nn.ReLU()\nloss = torch.nn.CrossEntropyLoss()\nflat = torch.nn.Flatten()",
    "from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=8, shuffle=False)",
])
def test_code05_seeded_or_deterministic_calls_are_not_randomness(deps_project, source):
    """Old code: `shuffle(seed=42)`, every torch.nn.* call and DataLoader(shuffle=False) needed a seed."""
    c = status(deps_project, "CODE-05", [code(source)])
    assert c.status not in ("fail", "warn") and "no randomness used" in c.message, c


def test_code05_random_weights_and_shuffling_without_a_seed_still_fail(deps_project):
    c = status(deps_project, "CODE-05", [code("import torch\nlayer = torch.nn.Linear(3, 1)")])
    assert c.status == "fail" and "Linear" in c.message


def test_data01_pieces_of_an_fstring_are_not_paths(deps_project):
    """Old code: `f"gs://{b}/mnist/x.csv"` gave the piece "/mnist/x.csv" as an absolute path."""
    assert status(deps_project, "DATA-01", [code('b = "bucket"\nuri = f"gs://{b}/mnist/x.csv"')]).status == "pass"


def test_code04_never_written_is_not_out_of_date(deps_project):
    """Old code: promoted cells never written said 'generated files out of date'."""
    c = status(deps_project, "CODE-04", [code("%%promote churn.features\ndef f(x):\n    return x")])
    assert c.status == "fail" and "not written yet" in c.message and "out of date" not in c.message
    assert "prodkit promote" in c.fix


def test_code06_nbdev_library_notebook_needs_no_parameters(deps_project):
    """Old code: an nbdev library notebook (`#| default_exp`, `#| export`) failed 'no parameters cell'."""
    path = write_notebook(deps_project.nbs_path / "core.ipynb", numbered(
        code("#| default_exp core"), code("#| export\ndef add(a, b):\n    return a + b")))
    (c,) = check_notebook(path, project=deps_project, only=["CODE-06"]).checks
    assert c.status == "pass" and "library notebook" in c.message


def test_code03_importerror_fallback_is_not_undeclared(deps_project):
    """Old code: `try: import cPickle / except ImportError: import pickle` listed cPickle as undeclared."""
    c = status(deps_project, "CODE-03", [code("try:\n    import cPickle as pickle\nexcept ImportError:\n    import pickle")])
    assert c.status == "pass", c


# ---- misses --------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", ["!pip install lightgbm", "%pip install lightgbm", "!conda install -y lightgbm",
                                  "%conda install lightgbm", "!python -m pip install -q lightgbm"])
def test_code03_sees_every_install_form(deps_project, line):
    """Old code missed `!pip install` and `!conda install` (the `!` hid them) in a notebook with no imports."""
    c = status(deps_project, "CODE-03", [code(line)])
    assert c.status == "fail" and "package installs" in c.message and c.cells == [2]


def test_lists_say_how_many_more(deps_project):
    """Old code cut lists at 6 with no '+N more' (hiding e.g. sklearn, torch)."""
    imports = "\n".join(f"import pkg{i}" for i in range(8))
    c = status(deps_project, "CODE-03", [code(imports)])
    assert "(+2 more)" in c.message


def test_cell_that_does_not_parse_is_its_own_finding_and_is_not_vouched_for(deps_project):
    """Old code dropped the cell and answered 'pass — no model trained' for a notebook it never read."""
    cells = [code("import os\nprint 'training'; clf.fit(X, y)")]
    parse = status(deps_project, "CODE-08", cells)
    assert parse.status == "fail" and parse.cells == [2] and "Missing parentheses" in parse.message
    mod = status(deps_project, "MOD-01", cells)
    assert mod.status == "skip" and mod.message.startswith("n/a: cell 2 does not parse (CODE-08)") and not mod.counted


def test_statements_around_a_python2_line_are_still_checked(deps_project):
    """A Python 2 `print x` spoils its own statement only: a write outside the project next to it is found."""
    cells = [code('import pandas as pd\nprint "saving"\nfor i in range(3):\n    print i\ndf.to_csv("../../out.csv")')]
    c = status(deps_project, "DATA-07", cells)
    assert c.status == "fail" and "../../out.csv" in c.message


# ---- folders -------------------------------------------------------------------------------------


def test_folder_check_goes_on_past_a_bad_notebook_with_project_relative_names(deps_project):
    """Old code: one nbformat-3 / broken notebook aborted the folder; names were bare file names."""
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "language": "python", "input": "x = 1", "outputs": [], "metadata": {}}]}]}
    (deps_project.nbs_path / "a").mkdir(parents=True)
    (deps_project.nbs_path / "a" / "old.ipynb").write_text(json.dumps(v3))
    (deps_project.nbs_path / "a" / "broken.ipynb").write_text("{not json")
    write_notebook(deps_project.nbs_path / "b" / "old.ipynb", [code("y = 2")])
    results = check(deps_project.nbs_path, static=True)
    assert [r.notebook for r in results] == ["nbs/a/broken.ipynb", "nbs/a/old.ipynb", "nbs/b/old.ipynb"]
    broken, old, other = results
    assert broken.error and "not valid JSON" in broken.error and broken.to_dict()["error"] == broken.error
    assert old.error is None and "nbformat 3" in old.notes[0] and other.checks

    from prodkit.cli import app

    res = CliRunner().invoke(app, ["check", str(deps_project.nbs_path), "--static", "--json", "--fail-under", "0"])
    assert res.exit_code == 2 and len(json.loads(res.stdout)) == 3  # every notebook reported, then the bad input


def test_many_notebooks_are_checked_in_worker_processes_with_the_same_results(deps_project):
    from prodkit.cli import app
    from prodkit.readiness.cli import PARALLEL_FROM

    for i in range(PARALLEL_FROM):
        write_notebook(deps_project.nbs_path / f"n{i:02}.ipynb", [code(f"x = {i}\nimport pdb\npdb.set_trace()")])
    res = CliRunner().invoke(app, ["check", str(deps_project.nbs_path), "--static", "--json", "--fail-under", "0"])
    data = json.loads(res.stdout)
    assert res.exit_code == 0 and [d["notebook"] for d in data] == [f"nbs/n{i:02}.ipynb" for i in range(PARALLEL_FROM)]
    assert all(next(c for c in d["checks"] if c["id"] == "CODE-10")["status"] == "fail" for d in data)


def test_sec02_printed_number_arrays_are_not_card_numbers(deps_project):
    """Issue 12 corpus: a printed integer array ([21 57 2 2 19 ...]) passed Luhn as a 'payment card number'."""
    from pktest import stream

    arr = "[[21 57  2  2 19 21 12 19 77 21]\n [23 19 14 21 12 47 80 21 59 47]\n [44 23 23  0 81  2 21 19  2 77]]\n"
    assert status(deps_project, "SEC-02", [code("print(batch)", stream(arr))]).status == "pass"
    assert status(deps_project, "SEC-02", [code("print(card)", stream("4012 8888 8888 1881\n"))]).status == "fail"


def test_methods_of_expressions_are_calls_too(deps_project):
    """Issue 12 corpus: `df[cols].to_csv("../x.csv")` was no call at all (its base is not a name)."""
    c = status(deps_project, "DATA-07", [code("import pandas as pd\ndf[['id', 'y']] \\\n    .to_csv('../../data/out.csv')")])
    assert c.status == "fail" and "../../data/out.csv" in c.message


def test_data07_a_relative_path_into_the_projects_own_folders_is_not_outside(deps_project):
    """Review of issue 12: `../data/x.csv` from nbs/ is the project's data/ folder (as DATA-01 reads it)."""
    assert status(deps_project, "DATA-07", [code("import pandas as pd\ndf.to_csv('../data/out.csv')")]).status == "pass"
    assert status(deps_project, "DATA-07", [code("import pandas as pd\ndf.to_csv('../../out.csv')")]).status == "fail"


def test_code12_a_loop_over_cpu_and_cuda_needs_a_gpu_despite_a_fallback_elsewhere(deps_project):
    cells = [code("import torch\ndevice = 'cuda' if torch.cuda.is_available() else 'cpu'"),
             code("for device in ['cpu', 'cuda']:\n    model.to(device)")]
    c = status(deps_project, "CODE-12", cells)
    assert c.status == "warn" and c.cells == [3]
