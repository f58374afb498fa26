"""`%prodkit check`, `%prodkit business` in a real IPython shell, and the demo step."""

from __future__ import annotations

import pytest
from pktest import code, ipython_shell, write_notebook
from rich.console import Console

from prodkit.config import load_project


@pytest.fixture
def shell():
    sh = ipython_shell()
    sh.run_line_magic("load_ext", "prodkit")
    yield sh
    sh.run_line_magic("unload_ext", "prodkit")


def test_magic_check_returns_the_result(shell, deps_project):
    nb = write_notebook(deps_project.nbs_path / "a.ipynb", [code("x = 1")])
    result = shell.run_line_magic("prodkit", f"check {nb}")
    assert result.notebook == "nbs/a.ipynb" and len(result.checks) == 31


def test_magic_check_explicit_path_from_a_kernel_in_nbs_is_never_swapped(shell, deps_project, monkeypatch):
    """Issue 12: `%prodkit check nbs/churn_poc.ipynb` from a kernel whose working folder is nbs/ checked the
    current notebook instead. Now: resolved against the working folder, then the project root, else refused."""
    from IPython.core.error import UsageError

    target = write_notebook(deps_project.nbs_path / "churn_poc.ipynb", [code("x = 1")])
    current = write_notebook(deps_project.nbs_path / "current.ipynb", [code("y = 2")])
    monkeypatch.chdir(deps_project.nbs_path)
    monkeypatch.setitem(shell.user_ns, "__session__", str(current))
    assert shell.run_line_magic("prodkit", "check nbs/churn_poc.ipynb").notebook == "nbs/churn_poc.ipynb"
    assert shell.run_line_magic("prodkit", "check churn_poc.ipynb").notebook == "nbs/churn_poc.ipynb"
    with pytest.raises(UsageError, match="no such notebook 'nbs/nope.ipynb'"):
        shell.run_line_magic("prodkit", "check nbs/nope.ipynb")
    assert shell.run_line_magic("prodkit", "check").notebook == "nbs/current.ipynb"
    assert target.is_file()


def test_magic_check_bad_input_is_a_usage_error(shell, deps_project):
    from IPython.core.error import UsageError

    bad = deps_project.nbs_path / "bad.ipynb"
    bad.write_text("{")
    with pytest.raises(UsageError, match="not valid JSON"):
        shell.run_line_magic("prodkit", f"check {bad}")
    with pytest.raises(UsageError, match="No such option: --bogus"):
        shell.run_line_magic("prodkit", f"check {bad} --bogus")


def test_magic_business_writes_settings_and_keeps_the_rest(shell, deps_project, capsys):
    ini = deps_project.root / "settings.ini"
    ini.write_text(ini.read_text() + "\n[tool.other]\n# keep me\nx = 1\n")
    before = ini.read_text()
    shell.run_line_magic("prodkit", f'business --kpi "churn rate" --target "-2 pts" --owner jane@corp '
                                    f"--latency-ms 50 --project {deps_project.root}")
    after = ini.read_text()
    assert "kpi = churn rate" in after and "latency_budget_ms = 50" in after and "owner = jane@corp" in after
    assert "# keep me\nx = 1" in after and "# The business case (checked by BIZ-01)" in after
    assert len(after.splitlines()) == len(before.splitlines())  # keys replaced in place, nothing else moved
    assert load_project(deps_project.root).section("prodkit.business")["target"] == "-2 pts"
    assert "business case updated" in capsys.readouterr().out


def test_magic_business_rejects_a_bad_budget(shell, deps_project):
    from IPython.core.error import UsageError

    ini = deps_project.root / "settings.ini"
    before = ini.read_text()
    with pytest.raises(UsageError, match="positive number"):
        shell.run_line_magic("prodkit", f"business --latency-ms fast --project {deps_project.root}")
    assert ini.read_text() == before


def test_set_section_values_adds_a_missing_section_and_keys():
    from prodkit.readiness.business import set_section_values

    text = "[prodkit]\ntracking_uri =\n"
    out = set_section_values(text, "prodkit.business", {"kpi": "k"})
    assert out == "[prodkit]\ntracking_uri =\n\n[prodkit.business]\nkpi = k\n"
    out = set_section_values(out, "prodkit.business", {"owner": "o", "kpi": "k2"})
    assert out.endswith("[prodkit.business]\nkpi = k2\nowner = o\n")


def test_demo_step_prints_the_checklist_and_writes_a_report(deps_project):
    from prodkit.demo import DemoContext
    from prodkit.demo.readiness import demo_step

    nb = write_notebook(deps_project.nbs_path / "churn_poc.ipynb", [code("%%promote --params\nthreshold = 0.5")])
    console = Console(record=True, width=120)
    ctx = DemoContext(project=deps_project, notebook=nb, console=console)
    demo_step(ctx)
    text = console.export_text()
    assert "readiness checklist" in text and "CODE-06" in text and "31 checks" in text and "score" in text
    (what, where), = ctx.where
    assert what == "readiness report" and where.endswith("reports/readiness.html")
    assert "CODE-06" in (deps_project.root / "reports" / "readiness.html").read_text()
    assert 0 <= ctx.facts["readiness_score"] <= 1


def test_demo_final_step_reports_the_change(deps_project):
    from prodkit.demo import DemoContext
    from prodkit.demo.readiness import demo_step, final_step

    nb = write_notebook(deps_project.nbs_path / "churn_poc.ipynb", [code("x = 1")])
    console = Console(record=True, width=120)
    ctx = DemoContext(project=deps_project, notebook=nb, console=console)
    demo_step(ctx)
    final_step(ctx)
    text = console.export_text()
    assert "readiness after all steps" in text and "still to do:" in text and "→" in text
    assert ctx.facts["readiness_score_final"] == ctx.facts["readiness_score"]
