"""`prodkit promote`: modules and tests from %%promote cells, on a real nbdev export."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys

import pytest
from pktest import code, markdown, write_notebook
from typer.testing import CliRunner

from prodkit.cli import app
from prodkit.promote import promote

runner = CliRunner()

FEATURES = """%%promote churn.features
import pandas as pd

def add_bucket(df):
    out = df.copy()
    out["bucket"] = pd.cut(out.tenure, [-1, 12, 1000], labels=False)
    return out"""
TEST = """%%promote --test churn.features
# buckets are never null
sample = pd.DataFrame({"tenure": [1, 13, 30]})
assert add_bucket(sample).bucket.notna().all()"""


def churn_notebook(project, *extra):
    return write_notebook(
        project.nbs_path / "churn.ipynb",
        [
            code("%load_ext prodkit\nimport pandas as pd"),
            code(FEATURES),
            code(TEST),
            code("%%promote --params\nthreshold = 0.5"),
            *extra,
        ],
    )


def edit_features_cell(nb):
    """The user edits the promoted cell (cell 2) in the notebook and saves it."""
    data = json.loads(nb.read_text())
    data["cells"][1]["source"] += "\n\nVERSION = 2"
    nb.write_text(json.dumps(data))


def cli(*args, cwd=None):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def test_writes_module_with_all_and_cell_headers_and_a_test_file(empty_project):
    nb = churn_notebook(empty_project)
    result = promote(nb)
    assert result.ok, result.to_dict()
    module = (empty_project.lib_path / "churn" / "features.py").read_text()
    assert "__all__ = ['add_bucket']" in module
    assert "# %% ../../nbs/churn.ipynb #cell2" in module
    assert "%%promote" not in module
    ast.parse(module)
    test_file = empty_project.tests_path / "test_churn_features.py"
    text = test_file.read_text()
    assert "def test_buckets_are_never_null():" in text
    assert "from churn.features import add_bucket" in text and "import pandas as pd" in text
    assert (empty_project.lib_path / "churn" / "__init__.py").exists()
    assert (empty_project.lib_path / "_modidx.py").exists()
    assert result.notebooks[0].params_cell == 4


def test_generated_tests_pass_under_pytest(empty_project):
    promote(churn_notebook(empty_project))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=empty_project.root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout
    assert "1 passed" in proc.stdout


def test_second_run_is_idempotent(empty_project):
    nb = churn_notebook(empty_project)
    promote(nb)
    module = empty_project.lib_path / "churn" / "features.py"
    before = module.stat().st_mtime_ns
    again = promote(nb)
    assert again.count("unchanged") == 2 and again.count("written") == 0
    assert module.stat().st_mtime_ns == before


def test_check_names_out_of_date_files_and_writes_nothing(empty_project):
    nb = churn_notebook(empty_project)
    res = cli("promote", nb, "--check")
    assert res.exit_code == 1
    assert "src/churn/features.py" in res.output and "out-of-date" in res.output
    assert not (empty_project.lib_path / "churn").exists()
    assert cli("promote", nb).exit_code == 0
    assert cli("promote", nb, "--check").exit_code == 0
    edit_features_cell(nb)
    res = cli("promote", nb, "--check", "--json")
    assert res.exit_code == 1
    actions = {f["path"]: f["action"] for f in json.loads(res.output)["notebooks"][0]["files"]}
    assert actions["src/churn/features.py"] == "out-of-date"
    assert actions["tests/test_churn_features.py"] == "unchanged"


def test_hand_edit_is_refused_then_forced(empty_project):
    nb = churn_notebook(empty_project)
    promote(nb)
    module = empty_project.lib_path / "churn" / "features.py"
    edited = module.read_text() + "\n# my hand edit\n"
    module.write_text(edited)
    edit_features_cell(nb)
    res = cli("promote", nb)
    assert res.exit_code == 1
    assert "edited by hand" in res.output and "nbdev-update" in res.output
    assert module.read_text() == edited
    # nothing at all was written while a file was refused
    assert "VERSION" not in module.read_text()
    res = cli("promote", nb, "--force")
    assert res.exit_code == 0
    assert "my hand edit" not in module.read_text() and "VERSION = 2" in module.read_text()


def test_foreign_file_is_not_overwritten(empty_project):
    nb = churn_notebook(empty_project)
    module = empty_project.lib_path / "churn" / "features.py"
    module.parent.mkdir(parents=True)
    module.write_text("# my own module\n")
    res = cli("promote", nb)
    assert res.exit_code == 1 and "not written by prodkit" in res.output
    assert module.read_text() == "# my own module\n"


def test_nbdev_update_round_trip(empty_project):
    nb = churn_notebook(empty_project)
    assert promote(nb).ok
    module = empty_project.lib_path / "churn" / "features.py"
    module.write_text(module.read_text().replace("labels=False)", 'labels=False)\n    out["flag"] = 1'))
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "nbdev-update")],
        cwd=empty_project.root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    cell = json.loads(nb.read_text())["cells"][1]
    source = "".join(cell["source"])
    assert source.startswith("%%promote churn.features") and 'out["flag"] = 1' in source
    result = promote(nb)
    assert result.ok, result.to_dict()
    assert 'out["flag"] = 1' in module.read_text()
    assert promote(nb, check=True).ok


def test_hidden_dependency_blocks_module_with_cell_and_name(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "hidden.ipynb",
        [
            code("import pandas as pd\nRATE = 0.3"),
            code("%%promote pricing\ndef price(x):\n    return x * RATE"),
            code("%%promote other\ndef ok():\n    return 1"),
        ],
    )
    res = cli("promote", nb)
    assert res.exit_code == 1
    assert "cell 2" in res.output and "RATE" in res.output and "cell 1" in res.output
    assert not (empty_project.lib_path / "pricing.py").exists()
    assert (empty_project.lib_path / "other.py").exists()
    res = cli("promote", nb, "--allow-missing", "--no-import-check")
    assert res.exit_code == 0
    assert (empty_project.lib_path / "pricing.py").exists()


def test_name_from_another_module_needs_an_import(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "two.ipynb",
        [
            code("%%promote a.core\ndef base():\n    return 1"),
            code("%%promote a.more\ndef more():\n    return base() + 1"),
        ],
    )
    result = promote(nb)
    problem = result.problems[0]
    assert problem.cell == 2 and problem.name == "base" and "from a.core import base" in problem.message


def test_import_errors_point_to_the_cell(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "broken.ipynb",
        [
            markdown("# Broken"),
            code("%%promote broken\nVALUE = 1"),
            code("%%promote broken\nimport not_a_real_package_xyz"),
        ],
    )
    result = promote(nb)
    assert result.exit_code == 1
    [problem] = result.problems
    assert problem.kind == "import-error" and problem.cell == 3
    assert "ModuleNotFoundError" in problem.message


def test_default_module_sources(empty_project):
    by_magic = write_notebook(
        empty_project.nbs_path / "m1.ipynb",
        [code("%prodkit module shop.magic"), code("%%promote\ndef f():\n    return 1")],
    )
    by_nbdev = write_notebook(
        empty_project.nbs_path / "m2.ipynb",
        [code("#| default_exp shop.nbdev"), code("%%promote\ndef g():\n    return 1")],
    )
    by_name = write_notebook(
        empty_project.nbs_path / "03_from-name.ipynb", [code("%%promote\ndef h():\n    return 1")]
    )
    for nb in (by_magic, by_nbdev, by_name):
        assert promote(nb).ok
    assert (empty_project.lib_path / "shop" / "magic.py").exists()
    assert (empty_project.lib_path / "shop" / "nbdev.py").exists()
    assert (empty_project.lib_path / "from_name.py").exists()


def test_nbdev_directives_keep_working_beside_promote(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "mixed.ipynb",
        [
            code("#| default_exp legacy"),
            code("#| export\ndef old_style():\n    return 'nbdev'"),
            code("%%promote modern\ndef new_style():\n    return 'prodkit'"),
        ],
    )
    assert promote(nb).ok
    assert "def old_style" in (empty_project.lib_path / "legacy.py").read_text()
    assert "def new_style" in (empty_project.lib_path / "modern.py").read_text()


def test_a_magic_in_an_nbdev_export_cell_is_one_line_naming_the_cell_and_nothing_is_written(empty_project):
    """nbdev copies `#| export` cells as they are: a `%time` line there would be a module that does not parse."""
    nb = write_notebook(empty_project.nbs_path / "magic.ipynb",
                        [code("#| default_exp legacy"), code("x = 0"), code("#| export\n%time y = 1\ndef f():\n    return 2")])
    res = cli("promote", nb)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert "cell 3" in lines[0] and "legacy is not Python" in lines[0] and "(line 2 of the cell)" in lines[0]
    assert not any(empty_project.lib_path.iterdir())


def test_a_promote_test_cell_with_an_nbdev_export_directive_goes_to_the_tests_only(empty_project):
    nb = write_notebook(empty_project.nbs_path / "mixed.ipynb", [
        code("#| default_exp legacy"),
        code("#| export\ndef old_style():\n    return 'nbdev'"),
        code("%%promote modern\ndef new_style():\n    return 'prodkit'"),
        code("%%promote --test modern\n#| export\nassert new_style() == 'prodkit'")])
    assert promote(nb).ok
    legacy = (empty_project.lib_path / "legacy.py").read_text()
    assert "def old_style" in legacy and "%%promote" not in legacy and "new_style" not in legacy
    assert "assert new_style() == 'prodkit'" in (empty_project.tests_path / "test_modern.py").read_text()


def test_a_blocked_modules_cell_with_an_nbdev_export_directive_is_not_exported_elsewhere(empty_project):
    """A `%%promote` module blocked by a problem writes nothing, and nbdev does not take its cell instead."""
    nb = write_notebook(empty_project.nbs_path / "mixed.ipynb", [
        code("#| default_exp legacy"),
        code("#| export\ndef old_style():\n    return 'nbdev'"),
        code("threshold = 0.5"),
        code("%%promote modern\n#| export\ndef new_style():\n    return threshold")])
    result = promote(nb)
    assert not result.ok and not (empty_project.lib_path / "modern.py").exists()
    legacy = (empty_project.lib_path / "legacy.py").read_text()
    assert "def old_style" in legacy and "new_style" not in legacy and "%%promote" not in legacy


def test_a_cell_naming_two_modules_by_promote_and_nbdev_is_refused(empty_project):
    nb = write_notebook(empty_project.nbs_path / "two.ipynb",
                        [code("%%promote modern\n#| export legacy\ndef f():\n    return 1")])
    res = cli("promote", nb)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and "cell 1" in lines[0]
    assert "both %%promote modern and #| export legacy" in lines[0]
    assert not any(empty_project.lib_path.iterdir())
    same = write_notebook(empty_project.nbs_path / "same.ipynb",
                          [code("%%promote modern\n#| export modern\ndef f():\n    return 1")])
    assert promote(same).ok and "def f" in (empty_project.lib_path / "modern.py").read_text()


def test_folder_promotes_every_notebook_and_skips_plain_ones(empty_project):
    churn_notebook(empty_project)
    write_notebook(empty_project.nbs_path / "scratch.ipynb", [code("x = 1")])
    res = cli("promote", empty_project.nbs_path, "--json")
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    skipped = {nb["notebook"]: nb["skipped"] for nb in data["notebooks"]}
    assert skipped["nbs/scratch.ipynb"] == "no promote cells"


def test_test_cell_default_module_is_the_module_above(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "above.ipynb",
        [
            code("%%promote calc.ops\ndef add(a, b):\n    return a + b"),
            code("%%promote --test\nassert add(1, 2) == 3"),
        ],
    )
    assert promote(nb).ok
    text = (empty_project.tests_path / "test_calc_ops.py").read_text()
    assert "from calc.ops import add" in text and "def test_ops_1():" in text


@pytest.mark.parametrize("name", ["../x", "/abs/mod", "1bad", "a..b", "class.x"])
def test_invalid_module_names_are_bad_input(empty_project, name):
    nb = write_notebook(empty_project.nbs_path / "bad.ipynb", [code("x = 1"), code(f"%%promote {name}\ny = 2")])
    res = cli("promote", nb)
    assert res.exit_code == 2
    assert "bad.ipynb: cell 2:" in res.output and len(res.output.strip().splitlines()) == 1
    assert not any(empty_project.lib_path.iterdir())


def test_duplicate_test_names_are_bad_input(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "dup.ipynb",
        [
            code("%%promote m\ndef f():\n    return 1"),
            code("%%promote --test m --name same\nassert f() == 1"),
            code("%%promote --test m --name same\nassert f() != 2"),
        ],
    )
    res = cli("promote", nb)
    assert res.exit_code == 2
    assert "dup.ipynb: cell 3:" in res.output and "cell 2" in res.output
    assert not any(empty_project.lib_path.iterdir()) and not any(empty_project.tests_path.iterdir())


@pytest.mark.parametrize(
    "content, expected",
    [
        ("{not json", "not valid JSON"),
        ('{"hello": 1}', "not a Jupyter notebook"),
        ('{"cells": [], "nbformat": 3, "metadata": {}}', "nbformat 3 without a 'worksheets' list"),
        (
            '{"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []}], "nbformat": 4, '
            '"nbformat_minor": 5, "metadata": {}}',
            "no %%promote cells",
        ),
    ],
)
def test_bad_files_are_one_line_exit_2(empty_project, content, expected):
    nb = empty_project.nbs_path / "bad.ipynb"
    nb.write_text(content)
    res = cli("promote", nb)
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "bad.ipynb" in lines[0] and expected in lines[0]
    assert not any(empty_project.lib_path.iterdir())


def test_ipython_syntax_in_promoted_cell_is_bad_input(empty_project):
    nb = write_notebook(empty_project.nbs_path / "magic.ipynb", [code("%%promote m\n%matplotlib inline\nx = 1")])
    res = cli("promote", nb)
    assert res.exit_code == 2 and "cell 1" in res.output and "IPython syntax" in res.output


def test_an_indented_promoted_cell_is_bad_input_that_says_so(empty_project):
    """IPython runs an indented cell dedented; a module cannot hold it (not 'IPython syntax')."""
    nb = write_notebook(empty_project.nbs_path / "indented.ipynb", [code("%%promote m\n  def f(x):\n      return x")])
    res = cli("promote", nb)
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1 and "cell 1" in lines[0] and "indented" in lines[0]
    assert not any(empty_project.lib_path.iterdir())


def test_project_without_nbdev_config_says_run_init(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    nb = write_notebook(tmp_path / "nbs" / "a.ipynb", [code("%%promote m\nx = 1")])
    res = cli("promote", nb)
    assert res.exit_code == 2 and "prodkit init" in res.output


def test_interrupted_write_leaves_old_file_intact(empty_project, monkeypatch):
    nb = churn_notebook(empty_project)
    promote(nb)
    module = empty_project.lib_path / "churn" / "features.py"
    old = module.read_text()
    edit_features_cell(nb)

    def die(*_):  # the process dies between writing the temp file and renaming it
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", die)
    with pytest.raises(KeyboardInterrupt):
        promote(nb)
    assert module.read_text() == old
    assert not [p for p in module.parent.iterdir() if p.name.endswith(".tmp")]


def test_exit_codes_through_the_real_command(empty_project):
    nb = empty_project.nbs_path / "bad.ipynb"
    nb.write_text("{oops")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "prodkit"), "promote", str(nb)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("error:") and "Traceback" not in proc.stderr


def test_windows_line_endings_stay_unchanged_on_the_next_run(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "win.ipynb",
        [
            code("%%promote win.core\r\ndef f(x):\r\n    return x\r\n"),
            code("%%promote --test win.core\r\nassert f(3) == 3\r\n"),
        ],
    )
    assert promote(nb).ok
    assert "\r" not in (empty_project.lib_path / "win" / "core.py").read_bytes().decode()
    again = promote(nb, check=True)
    assert again.ok and again.count("unchanged") == 2


def test_a_module_cannot_also_be_a_package(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "clash.ipynb",
        [
            code("%%promote churn\nRATE = 0.5"),
            code("%%promote churn.features\ndef f(x):\n    return x"),
        ],
    )
    res = cli("promote", nb)
    assert res.exit_code == 2 and "module churn is also a package" in res.output
    assert not any(empty_project.lib_path.iterdir())


def test_a_module_that_fails_to_import_is_not_left_behind(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "bad_import.ipynb",
        [
            code("%%promote new.core\nX = 1"),
            code("%%promote new.core\nY = 1 / 0"),
        ],
    )
    first = promote(nb)
    assert first.exit_code == 1 and first.problems[0].cell == 2
    assert not (empty_project.lib_path / "new" / "core.py").exists()
    again = promote(nb)
    assert again.exit_code == 1 and again.problems[0].kind == "import-error"
    assert promote(nb, check=True).exit_code == 1


def test_star_imports_in_test_cells_move_to_module_level(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "star.ipynb",
        [
            code("%%promote fx.core\ndef double(x):\n    return 2 * x"),
            code("%%promote --test fx.core\nfrom fx.core import *\nassert double(3) == 6"),
        ],
    )
    assert promote(nb).ok
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=empty_project.root,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


def test_walrus_and_global_assignments_define_module_names(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "names.ipynb",
        [
            code(
                "%%promote names\ndef sq(x):\n    return x * x\nsquares = [y := sq(i) for i in range(3)]\nlast = y"
            ),
            code(
                "%%promote names\ndef setup():\n    global CACHE\n    CACHE = {}\ndef get(k):\n    return CACHE.get(k)"
            ),
        ],
    )
    result = promote(nb)
    assert result.ok, result.to_dict()["notebooks"][0]["problems"]


def test_test_files_of_notebooks_with_parentheses_in_their_names_are_not_swapped(empty_project):
    first = write_notebook(
        empty_project.nbs_path / "e (1).ipynb",
        [code("%%promote pkg.e\nV = 1"), code("%%promote --test pkg.e\nassert V == 1")],
    )
    second = write_notebook(
        empty_project.nbs_path / "e (2).ipynb",
        [code("%%promote other.e\nW = 2"), code("%%promote --test pkg.e\nassert 1 == 1")],
    )
    assert promote(first).ok
    result = promote(second)
    refused = [f for f in result.files if f.action == "refused"]
    assert [f.path.name for f in refused] == ["test_pkg_e.py"] and "generated from" in refused[0].reason


def test_blank_lines_above_the_promote_line_are_ignored(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "blank.ipynb", [code("  \n\n%%promote ws.core\ndef f(x):\n    return x + 1")]
    )
    assert promote(nb).ok
    assert "def f(x)" in (empty_project.lib_path / "ws" / "core.py").read_text()


def test_a_name_from_another_test_cell_is_explained(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "tests_share.ipynb",
        [
            code("%%promote m\ndef f(x):\n    return x"),
            code("%%promote --test m\nsample = [1, 2]\nassert f(sample) == sample"),
            code("%%promote --test m\nassert f(sample)"),
        ],
    )
    [problem] = promote(nb).problems
    assert problem.cell == 3 and "each test runs on its own" in problem.message


def test_import_errors_in_notebooks_without_cell_ids_still_name_the_cell(empty_project):
    path = write_notebook(empty_project.nbs_path / "old.ipynb",
                          [code("import os"), code("%%promote old.core\nY = 1 / 0")], nbformat_minor=4)
    [problem] = promote(path).problems
    assert problem.kind == "import-error" and problem.cell == 2


def test_error_lines_keep_brackets(tmp_path, empty_project):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    nb = write_notebook(tmp_path / "nbs" / "a.ipynb", [code("%%promote m\nx = 1")])
    res = cli("promote", nb)
    assert res.exit_code == 2 and "no [tool.nbdev] in pyproject.toml" in res.output
    draft = empty_project.nbs_path / "[draft].ipynb"
    draft.write_text("{oops")
    res = cli("promote", draft)
    assert res.exit_code == 2 and "[draft].ipynb: not valid JSON" in res.output


def test_folder_import_check_reports_each_failure_in_its_own_notebook(empty_project):
    """One import-check interpreter imports the modules of every notebook of a folder."""
    write_notebook(empty_project.nbs_path / "good.ipynb", [code("%%promote good.core\nVALUE = 1")])
    write_notebook(
        empty_project.nbs_path / "bad.ipynb",
        [code("x = 1"), code("%%promote bad.core\nimport not_a_real_package_xyz")],
    )
    result = promote(empty_project.nbs_path)
    assert result.exit_code == 1
    by_notebook = {nb.notebook.name: nb for nb in result.notebooks}
    assert by_notebook["good.ipynb"].problems == []
    [problem] = by_notebook["bad.ipynb"].problems
    assert problem.kind == "import-error" and problem.module == "bad.core" and problem.cell == 2
    assert (empty_project.lib_path / "good" / "core.py").exists()
    assert not (empty_project.lib_path / "bad" / "core.py").exists()


def test_import_check_warm_up_never_loads_the_old_version_of_a_project_module(empty_project):
    """The check starts before the files are written; the project's own modules (here the old
    churn/helpers.py, without NEW) must be imported only once the new versions are written."""
    (empty_project.lib_path / "churn").mkdir(parents=True)
    (empty_project.lib_path / "churn" / "__init__.py").write_text("")
    (empty_project.lib_path / "churn" / "helpers.py").write_text("OLD = 1\n")
    nb = write_notebook(
        empty_project.nbs_path / "churn.ipynb",
        [
            code("%%promote churn.helpers\nNEW = 2"),
            code("%%promote churn.features\nimport json\nfrom churn.helpers import NEW\n\nTWICE = NEW * 2"),
        ],
    )
    result = promote(nb, force=True)
    assert result.ok, result.to_dict()
    assert "NEW = 2" in (empty_project.lib_path / "churn" / "helpers.py").read_text()


def test_leading_imports_are_the_warm_up_candidates():
    from prodkit.notebook import Cell
    from prodkit.promote.importcheck import leading_imports

    cells = [
        Cell(number=1, cell_type="code", source='%%promote a.b\n"""Doc."""\nimport os, json\nfrom x.y import z\n'
             "from . import rel\nVALUE = 1\nimport late"),
        Cell(number=2, cell_type="code", source="%%promote a.b\nfrom __future__ import annotations\nimport os"),
        Cell(number=3, cell_type="code", source="%%promote a.b\ndef broken(:"),
    ]
    assert leading_imports(cells) == ["os", "json", "x.y"]


def test_promote_command_flags_match_the_typer_command():
    """`prodkit promote` is parsed by argparse (no Typer start-up); its flags stay the Typer command's."""
    import typer.main

    from prodkit.cli import PROMOTE_FLAGS

    command = typer.main.get_command(app).commands["promote"]
    typer_flags = {
        (flag, p.name, value)
        for p in command.params
        if p.opts[0].startswith("--") and p.name != "help"
        for flag, value in [(o, True) for o in p.opts] + [(o, False) for o in p.secondary_opts]
    }
    assert typer_flags == set(PROMOTE_FLAGS)


def test_prodkit_promote_to_a_pipe_imports_neither_typer_nor_rich_nor_pydantic(empty_project):
    nb = write_notebook(empty_project.nbs_path / "calc.ipynb", [code("%%promote calc.ops\nVALUE = 1")])
    script = (
        "import atexit, sys; atexit.register(lambda: print([m for m in ('typer', 'rich', 'pydantic') "
        "if m in sys.modules], file=sys.stderr)); "
        f"sys.argv = ['prodkit', 'promote', {str(nb)!r}]; from prodkit.cli import main; main()"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=empty_project.root)
    assert run.returncode == 0, run.stderr
    assert "1 written" in run.stdout
    assert run.stderr.strip().splitlines()[-1] == "[]"


def test_prodkit_promote_to_a_pipe_prints_plain_rows_and_problems_by_cell(empty_project):
    nb = write_notebook(
        empty_project.nbs_path / "calc.ipynb",
        [code("rate = 2"), code("%%promote calc.ops\ndef scaled(x):\n    return x * rate")],
    )
    run = subprocess.run(
        [sys.executable, "-m", "prodkit.cli", "promote", str(nb)], capture_output=True, text=True, cwd=empty_project.root
    )
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "nbs/calc.ipynb"
    assert lines[1].split() == ["file", "kind", "action", "cells", "note"]
    assert lines[2].split()[:4] == ["src/calc/ops.py", "module", "blocked", "2"]
    assert "  ✗ nbs/calc.ipynb: cell 2: uses rate, defined only in cell 1" in run.stdout
    assert lines[-1].startswith("needs attention — 0 written") and "1 problems" in lines[-1]
    assert not any(ch in run.stdout for ch in "┃━│\x1b")


def test_prodkit_promote_bad_input_is_one_line_and_exit_2_on_the_fast_path(empty_project):
    script = "import sys; sys.argv = ['prodkit', 'promote', 'nbs/nope.ipynb']; from prodkit.cli import main; main()"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=empty_project.root)
    assert run.returncode == 2
    assert run.stderr.startswith("error: ") and len(run.stderr.strip().splitlines()) == 1


def test_a_package_that_reads_stdin_cannot_take_the_import_checks_module_names(
    empty_project, tmp_path_factory, monkeypatch
):
    """The module names reach the check on its stdin; an installed package that the warm-up
    imports (here one reading a line at import) sees an empty stdin instead."""
    site = tmp_path_factory.mktemp("site")
    (site / "reads_stdin.py").write_text("import sys\nFIRST = sys.stdin.readline()\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(site)])))
    nb = write_notebook(
        empty_project.nbs_path / "reader.ipynb",
        [code("%%promote reader.core\nimport reads_stdin\n\nassert reads_stdin.FIRST == ''")],
    )
    result = promote(nb)
    assert result.ok, result.to_dict()
