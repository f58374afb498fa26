"""Each static check on a notebook where it fails and one where it passes."""

from __future__ import annotations

import pytest
from pktest import code, display, error, markdown, numbered, result, stream, write_notebook

from prodkit.readiness import check_notebook

HEAD = "import numpy as np\nimport pandas as pd\n"
PARAMS = code("%%promote --params\nthreshold = 0.5")
# A trained model that also has what MOD-01..03 and DATA-05 ask for (so a fixture fails only its own check)
SPLIT = code("from sklearn.model_selection import train_test_split\nfrom sklearn.linear_model import LogisticRegression\n"
             "X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)")
BASELINE = code("from sklearn.dummy import DummyClassifier\nbaseline = DummyClassifier().fit(X_train, y_train)")
LATENCY = code("import time, tracemalloc\ntracemalloc.start()\nt0 = time.perf_counter()\nclf.predict(X_test[:1])\n"
               "latency_ms = (time.perf_counter() - t0) * 1000\npeak = tracemalloc.get_traced_memory()[1]")
SLICES = code("from sklearn.metrics import f1_score\ntest['pred'] = clf.predict(X_test)\n"
              "per_region = test.groupby('region').apply(lambda g: f1_score(g.y, g.pred))")
FIT = code("clf = LogisticRegression().fit(X_train, y_train)")


def clean(*cells):
    """A notebook that holds every notebook check except what `cells` add: a parameters cell first,
    then a clean top-to-bottom run."""
    return numbered(PARAMS, *cells)


def status_of(project, check_id, cells, name="nb.ipynb"):
    path = write_notebook(project.nbs_path / name, cells)
    res = check_notebook(path, project=project, only=[check_id])
    (c,) = res.checks
    return c


def problems_of(project, cells, name="iso.ipynb") -> dict[str, str]:
    """id -> status of every notebook-scope check that does not pass (and is scored)."""
    res = check_notebook(write_notebook(project.nbs_path / name, cells), project=project, static=True)
    return {c.id: c.status for c in res.checks if c.status != "pass" and c.counted and c.scope == "notebook"}


CASES = {
    "DATA-01": (
        clean(code(HEAD + 'df = pd.read_csv("/home/alice/churn/customers.csv")'),
              code('out = "C:\\\\Users\\\\bob\\\\out.parquet"\nmodel_dir = "~/models"')),
        [code(HEAD + 'df = pd.read_csv("data/customers.csv")\nurl = "https://example.org/a.csv"\n'
                     'route = "/api/v1/predict"\nfmt = "%Y-%m-%d"\nb = "bkt"\nuri = f"gs://{b}/mnist/x.csv"')],
    ),
    "DATA-04": (
        clean(code(HEAD + 'df = pd.read_csv("data/customers.csv")')),
        [code(HEAD + 'import hashlib\ndf = pd.read_csv("data/customers.csv")\n'
                     'digest = hashlib.sha256(open("data/customers.csv", "rb").read()).hexdigest()')],
    ),
    "DATA-05": (
        clean(code("from sklearn.preprocessing import StandardScaler\n"
                   "from sklearn.model_selection import train_test_split"),
              code("scaler = StandardScaler()\nX_scaled = scaler.fit_transform(X)"),
              code("X_tr, X_te, y_tr, y_te = train_test_split(X_scaled, y, random_state=0)")),
        [code("from sklearn.preprocessing import StandardScaler\nfrom sklearn.model_selection import train_test_split\n"
              "from sklearn.linear_model import LogisticRegression"),
         code("X_tr, X_te, y_tr, y_te = train_test_split(X, y, random_state=0)"),
         code("scaler = StandardScaler().fit(X_tr)\nclf = LogisticRegression().fit(scaler.transform(X_tr), y_tr)")],
    ),
    "DATA-06": (
        clean(code("from sklearn.datasets import fetch_openml\nX, y = fetch_openml('mnist_784', return_X_y=True)"),
              code(HEAD + "url = 'https://example.org/churn.csv'\ndf = pd.read_csv(url)")),
        [code(HEAD + "from sklearn.datasets import load_iris\nX, y = load_iris(return_X_y=True)\n"
                     "df = pd.read_csv('data/churn.csv')")],
    ),
    "DATA-07": (
        clean(code(HEAD + "df = pd.DataFrame({'a': [1]})\ndf.to_csv('../../shared/out.csv')"),
              code("import numpy as np\nnp.save('../../arrays/a.npy', np.ones(3))\nwith open('../../log.txt', 'w') as f:\n"
                   "    f.write('done')")),
        [code(HEAD + "from pathlib import Path\ndf = pd.DataFrame({'a': [1]})\ndf.to_csv('outputs/out.csv')\n"
                     "text = open('/etc/hostname').read()\nPath('outputs/x.txt').write_text('ok')")],
    ),
    "MOD-01": (
        clean(SPLIT, FIT, LATENCY, SLICES),
        [code("from sklearn.linear_model import LogisticRegression\nfrom sklearn.dummy import DummyClassifier\n"
              "clf = LogisticRegression().fit(X_train, y_train)\n"
              "dummy = DummyClassifier().fit(X_train, y_train)")],
    ),
    "MOD-02": (
        clean(SPLIT, FIT, BASELINE, SLICES, code("from sklearn.metrics import roc_auc_score\n"
                                                  "auc = roc_auc_score(y_test, clf.predict_proba(X_test)[:, 1])")),
        [code("import time, tracemalloc\nclf.fit(X_train, y_train)\ntracemalloc.start()\n"
              "t0 = time.perf_counter()\nclf.predict(X_test[:1])\nlatency_ms = (time.perf_counter() - t0) * 1000\n"
              "peak = tracemalloc.get_traced_memory()[1]")],
    ),
    "MOD-03": (
        clean(SPLIT, FIT, BASELINE, LATENCY,
              code("from sklearn.metrics import f1_score\nf1 = f1_score(y_test, clf.predict(X_test))")),
        [code("from sklearn.metrics import f1_score\nclf.fit(X_train, y_train)\ntest['pred'] = clf.predict(X_test)\n"
              "per_region = test.groupby('region').apply(lambda g: f1_score(g.y, g.pred))")],
    ),
    "CODE-02": (
        [code("%%promote --params\nthreshold = 0.5", count=1), code("a = 1", count=3), code("b = a + 1", count=2),
         code("c = b", error(), count=4), code("d = 4")],
        numbered(code("a = 1"), markdown("text"), code("b = a + 1"), code("print(b)", stream("2\n"))),
    ),
    "CODE-03": (
        clean(code("!pip install lightgbm==4.3\n%pip install requests"),
              code("!conda install -y xgboost\n%conda install polars"), code("import os")),
        [code("import os, json\nimport numpy as np\nimport sklearn.linear_model\nimport yaml\n"
              "from torch import nn\nimport prodkit\ntry:\n    import cPickle as pickle\nexcept ImportError:\n"
              "    import pickle")],
    ),
    "CODE-05": (
        clean(code("import random\nimport numpy as np\nfrom sklearn.model_selection import train_test_split"),
              code("noise = np.random.normal(size=10)\nrandom.shuffle(items)"),
              code("X_tr, X_te = train_test_split(X)"),
              code("rng = np.random.default_rng()")),
        [code("import random\nimport numpy as np\nimport torch\nfrom sklearn.model_selection import train_test_split\n"
              "SEED = 7\nrandom.seed(SEED)\nnp.random.seed(SEED)\ntorch.manual_seed(SEED)"),
         code("noise = np.random.normal(size=10)\nrandom.shuffle(items)\nw = torch.randn(3)\n"
              "rng = np.random.default_rng(SEED)\nx = rng.normal(size=3)\n"
              "X_tr, X_te = train_test_split(X, random_state=SEED)")],
    ),
    "CODE-06": (
        numbered(code("run_date = '2026-01-01'\nthreshold = 0.5")),
        [code("%%promote --params\nrun_date = '2026-01-01'\nthreshold = 0.5")],
    ),
    "CODE-08": (
        clean(code("import os\nprint 'hello'"), code("x = model.cuda(async=True)")),
        [code("import os\nprint('hello')\n!ls\n%time x = 1\nos?")],
    ),
    "CODE-09": (
        clean(code("!ls data\nfiles = !ls"), code("%%bash\necho hi"), code("%cd ..\n%reset -f\n%run helpers.py"),
              code("%store df")),
        [code("!pip install requests\n%matplotlib inline\n%load_ext autoreload\n%autoreload 2\n%time x = 1")],
    ),
    "CODE-10": (
        clean(code("import pdb\npdb.set_trace()"), code("breakpoint()"), code("%debug"), code("%pdb on")),
        [code("import logging\nlogging.debug('x')\n%pdb off")],
    ),
    "CODE-11": (
        clean(code("print(big)", stream("x" * 150_000))),
        [code("print(small)", stream("x" * 5_000))],
    ),
    "CODE-12": (
        clean(code("import torch\nx = torch.zeros(3, device='cuda')\ndev = torch.device('cuda')"),
              code("y = x.cuda()")),
        [code("import torch\ndevice = 'cuda' if torch.cuda.is_available() else 'cpu'\nx = torch.zeros(3).to(device)\n"
              "y = x.cuda()")],
    ),
    "SEC-01": (
        clean(code('AWS_ACCESS_KEY_ID = "AKIAZ3MHLQ4RTXJ7KQ2W"'),
              code("print(token)", stream("ghp_8aK3nPq2ZxY7wLm4Rt6Vb9Cd1Ef5Gh0IjKlM\n"))),
        [code('import os\nkey = os.environ["AWS_ACCESS_KEY_ID"]\nrun_id = "3f2b9c1e-8d4a-4e7b-9a61-2c5d8f0e1b37"')],
    ),
    "SEC-02": (
        clean(code("df.head()", result({"text/plain": "   name  email\n0  Ann  ann.lee@gmail.com\n1  Bo  +44 20 7946 0958"})),
              code("cards", display({"text/html": "<td>4111 1111 1111 1111</td>"}))),
        [code("df.head()", result({"text/plain": "   id  score\n0  1  0.93\n1  2  0.12\nsee docs@example.com",
                                    "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg=="}))],
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_fails_on_a_bad_notebook(deps_project, check_id):
    bad, _ = CASES[check_id]
    c = status_of(deps_project, check_id, bad)
    assert c.status in ("fail", "warn"), c
    assert c.message and c.fix


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_check_passes_on_a_good_notebook(deps_project, check_id):
    _, good = CASES[check_id]
    c = status_of(deps_project, check_id, good)
    assert c.status == "pass", c


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_bad_fixture_fails_its_check_and_no_other(deps_project, check_id):
    """Each check's unit test isolates it: the bad notebook fails that check and no other notebook check
    (for CODE-08, the checks that read code are n/a instead of passing: left out of the score)."""
    bad, _ = CASES[check_id]
    found = problems_of(deps_project, bad)
    found.pop(check_id, None)  # a project-scope check under test (DATA-04) is not among the notebook checks
    assert found == {}, found
    assert status_of(deps_project, check_id, bad).status in ("fail", "warn")


def test_problems_name_their_cells(deps_project):
    bad, _ = CASES["DATA-01"]
    c = status_of(deps_project, "DATA-01", bad)
    assert c.cells == [2, 3] and c.status == "fail"
    c = status_of(deps_project, "CODE-02", CASES["CODE-02"][0])
    assert 3 in c.cells and 4 in c.cells and 5 in c.cells  # out of order, error output, never ran
    assert "out of order" in c.message and "error output" in c.message and "never ran" in c.message


def test_leakage_is_a_fail_and_missing_split_a_warning(deps_project):
    assert status_of(deps_project, "DATA-05", CASES["DATA-05"][0]).status == "fail"
    c = status_of(deps_project, "DATA-05", [code("clf.fit(X, y)")])
    assert c.status == "warn" and "held-out" in c.message


def test_undeclared_import_names_the_distribution(deps_project):
    c = status_of(deps_project, "CODE-03", [code("import cv2\nimport sklearn")])
    assert c.status == "fail" and "cv2 (opencv-python)" in c.message and "sklearn" not in c.message


def test_unpinned_dependency_is_a_warning(deps_project):
    text = (deps_project.root / "pyproject.toml").read_text().replace('"pyyaml>=6"', '"pyyaml"')
    (deps_project.root / "pyproject.toml").write_text(text)
    c = status_of(deps_project, "CODE-03", [code("import yaml")])
    assert c.status == "warn" and "pyyaml" in c.message


def test_requirements_txt_lines_are_read_as_pip_reads_them(deps_project):
    """Kept behaviour (now packaging.requirements): extras, markers, comments, hashes, options and
    `name @ url` declare a distribution; any version range or URL pins it; names are PEP 503."""
    (deps_project.root / "requirements.txt").write_text(
        "-r base.txt\n--index-url https://example.org/simple\n# a comment\n"
        "Requests[socks]>=2.31 ; python_version >= '3.8'  # http\n"
        "python_dateutil==2.9 --hash=sha256:0123abcd\n"
        "mylib @ https://example.org/mylib-1.0-py3-none-any.whl\nmarkdown_it_py\n")
    c = status_of(deps_project, "CODE-03", [code("import requests\nimport dateutil\nimport mylib\nimport markdown_it")])
    assert c.status == "warn" and c.message == "declared without a version range: markdown-it-py", c


def test_finding_issue15_a_vcs_url_line_does_not_declare_a_distribution_named_git(deps_project):
    """`git+https://…` is not a requirement of a distribution called "git": the hand-written parser took
    its first word as a name, so `import git` (GitPython) passed as declared."""
    (deps_project.root / "requirements.txt").write_text("git+https://github.com/org/tool.git\n")
    c = status_of(deps_project, "CODE-03", [code("import git")])
    assert c.status == "fail" and "git (GitPython)" in c.message, c


def test_finding_issue15_a_malformed_requirement_is_not_a_pinned_declaration(deps_project):
    """`pandas==` has no version: pip rejects the line, so it neither declares nor pins pandas."""
    (deps_project.root / "requirements.txt").write_text("pandas==\n")
    text = (deps_project.root / "pyproject.toml").read_text().replace('"pandas>=2.1,<3", ', "")
    (deps_project.root / "pyproject.toml").write_text(text)
    c = status_of(deps_project, "CODE-03", [code("import pandas")])
    assert c.status == "fail" and "pandas" in c.message, c


def test_finding_issue15_a_non_string_dependency_entry_is_skipped_not_a_crash(deps_project):
    text = (deps_project.root / "pyproject.toml").read_text().replace('"pyyaml>=6"]', '"pyyaml>=6", {name = "x"}]')
    (deps_project.root / "pyproject.toml").write_text(text)
    c = status_of(deps_project, "CODE-03", [code("import yaml")])
    assert c.status == "pass", c


def test_undeclared_installed_import_names_its_distribution_from_the_metadata(deps_project):
    """Not in the hand-kept table: the distribution comes from importlib.metadata.packages_distributions()."""
    c = status_of(deps_project, "CODE-03", [code("import websocket")])
    assert c.status == "fail" and "websocket (websocket-client)" in c.message, c


def test_no_declared_dependencies_fails(tmp_path):
    from prodkit.config import init_project, load_project

    init_project(tmp_path)  # pyproject without [project] dependencies
    c = status_of(load_project(tmp_path), "CODE-03", [code("import numpy")])
    assert c.status == "fail" and "no dependencies declared" in c.message


def test_cleared_outputs_leave_execution_order_unscored(deps_project):
    c = status_of(deps_project, "CODE-02", [code("a = 1"), code("b = 2")])
    assert c.status == "skip"
    res = check_notebook(write_notebook(deps_project.nbs_path / "c.ipynb", [code("a = 1")]), project=deps_project,
                         only=["CODE-02"])
    assert res.sections["Code"].max == 0


def test_code01_without_run_is_not_scored(deps_project):
    c = status_of(deps_project, "CODE-01", [code("a = 1")])
    assert c.status == "skip" and "--run" in c.fix
    res = check_notebook(deps_project.nbs_path / "nb.ipynb", project=deps_project, only=["CODE-01", "CODE-06"])
    assert res.sections["Code"].max == 1


def test_magics_and_shell_lines_do_not_break_parsing(deps_project):
    cells = [code("%matplotlib inline\nfiles = !ls data\n%%time\nx = 1"), code("%%bash\npip install foo\necho hi"),
             code("df?\nimport numpy as np\nnp.random.seed(0)\nv = np.random.rand(3)")]
    res = check_notebook(write_notebook(deps_project.nbs_path / "m.ipynb", cells), project=deps_project,
                         only=["CODE-03", "CODE-05"])
    assert res.check("CODE-03").status == "fail" and res.check("CODE-03").cells == [2]
    assert res.check("CODE-05").status == "pass"


def test_business_case(deps_project):
    from prodkit.readiness.business import set_business

    assert status_of(deps_project, "BIZ-01", [code("x = 1")]).status == "fail"
    set_business(deps_project.root, {"kpi": "churn rate", "target": "-2 pts", "owner": "jane", "latency_budget_ms": "50"})
    from prodkit.config import load_project

    c = status_of(load_project(deps_project.root), "BIZ-01", [code("x = 1")])
    assert c.status == "pass" and "churn rate" in c.message and "no latency benchmark recorded yet" in c.message


def test_pii_look_alikes_in_outputs_are_not_flagged(deps_project):
    table = ("     id  amount  code   ts\n0   100  200  3000  2026-01-01 06:00:00\n"
             "1   4111111111111112  0.1234  10.0.0.12  v2.13.0\n2   123 456 7890  1e-05  -0.25\n")
    c = status_of(deps_project, "SEC-02", [code("df", result({"text/plain": table}))])
    assert c.status == "pass", c


def test_pii_kinds_are_named(deps_project):
    text = "ann@corp.io, (415) 555-0134, +44 20 7946 0958, 078-05-1120, GB82 WEST 1234 5698 7654 32, 4012888888881881"
    c = status_of(deps_project, "SEC-02", [code("df", result({"text/plain": text}))])
    assert c.status == "fail"
    for kind in ("email address", "phone number", "social security number", "IBAN", "payment card number"):
        assert kind in c.message
