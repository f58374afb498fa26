"""One view per result (`prodkit._render`): the text, Rich and HTML forms show the same rows as
the result's JSON, and untrusted text is shown, never interpreted, in each of them."""

from __future__ import annotations

import html
import io

from pktest import code, write_notebook
from rich.console import Console

from prodkit._render import Cell, Line, Table, View, rows_text, to_html, to_rich, to_text

HOSTILE = ("<script>alert(1)</script>", "\x1b[2J", "[bold red]x[/]", "evil\u202etxt")


def _rich_output(renderable) -> str:
    console = Console(file=io.StringIO(), width=400, force_terminal=True, color_system="truecolor")
    console.print(renderable)
    return console.file.getvalue()


def test_untrusted_cells_are_visible_text_in_every_form():
    view = View([Table("t", ("value",), [(v,) for v in HOSTILE]), Line(HOSTILE[2])])
    text, rich, page = to_text(view), _rich_output(to_rich(view)), to_html(view)
    for form in (text, page):
        assert "\x1b" not in form and "\u202e" not in form
        assert "\\x1b[2J" in form and "evil\\u202etxt" in form
    assert "\x1b[2J" not in rich and "\u202e" not in rich  # Rich's own colour codes are fine; these are not
    assert "\\x1b[2J" in rich and "evil\\u202etxt" in rich
    assert text.count("[bold red]x[/]") == 2 and rich.count("[bold red]x[/]") == 2  # markup shown, not applied
    assert "<script>" not in page and html.escape("<script>alert(1)</script>") in page
    assert "<script>" in text  # plain text has nothing to escape it from


def test_styles_become_css_and_ansi_but_never_change_the_text():
    view = View([Table("", ("status",), [(Cell.of("failed", "bold red"),)], header=False)])
    assert rows_text(view.tables()[0]) == [["failed"]]
    assert to_text(view).strip() == "failed"
    assert 'style="font-weight:bold;color:#cf222e"' in to_html(view)
    assert "\x1b[" in _rich_output(to_rich(view)) and "failed" in _rich_output(to_rich(view))


def _text_rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()]


def test_promote_result_text_html_and_json_list_the_same_files(empty_project):
    from prodkit.promote import promote

    nb = write_notebook(empty_project.nbs_path / "shop.ipynb", [
        code("%%promote shop.core\ndef price(q):\n    return q * 2"),
        code("%%promote --test shop.core\nassert price(2) == 4"),
    ])
    result = promote(nb, import_check=False)
    files = result.to_dict()["notebooks"][0]["files"]
    rows = rows_text(result.view().tables()[0])
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (f["path"], f["kind"], f["action"], ",".join(map(str, f["cells"]))) for f in files]
    text, page, rich = str(result), result._repr_html_(), _rich_output(result)
    text_rows = _text_rows(text)
    for row in rows:
        assert row[:4] in [r[:4] for r in text_rows]
        assert "".join(f"<td>{html.escape(v)}</td>" for v in row[:2]) in page
        assert row[0] in rich
    assert {f["action"] for f in files} == {"written"}


def test_a_hostile_notebook_name_is_shown_not_interpreted_by_promote(empty_project):
    from prodkit.promote import promote

    name = "<b>[bold red]x[/]"  # (a control character in a notebook's path is refused before this)
    nb = write_notebook(empty_project.nbs_path / f"{name}.ipynb", [code("%%promote shop.core\ndef f():\n    return 1")])
    result = promote(nb, import_check=False)
    text, page, rich = str(result), result._repr_html_(), _rich_output(result)
    assert f"{name}.ipynb" in text and f"{name}.ipynb" in rich  # the markup is shown, not applied
    assert "<b>" not in page and "&lt;b&gt;[bold red]x[/].ipynb" in page


def test_jobs_view_text_html_and_json_list_the_same_jobs(empty_project):
    from prodkit.jobs.api import add_job, list_jobs
    from prodkit.jobs.magic import JobsView

    nb = write_notebook(empty_project.nbs_path / "report.ipynb", [code("x = 1")])
    add_job("nightly", nb, "0 3 * * *")
    add_job("manual-one", nb, None)
    view = JobsView(list_jobs(empty_project), None)
    jobs = view.to_dict()["jobs"]
    rows = rows_text(view.view().tables()[0])
    assert [r[0] for r in rows] == [j["name"] for j in jobs] and len(rows) == 2
    assert [r[1] for r in rows] == [j["notebook"] for j in jobs]
    text, page = str(view), view._repr_html_()
    for row in rows:
        assert any(line.split()[:2] == row[:2] for line in text.splitlines() if line.strip())
        assert f"<td>{html.escape(row[0])}</td><td>{html.escape(row[1])}</td>" in page
    assert "0 3 * * *" in text and "0 3 * * *" in page


def _drift_with_columns(names: list[str]):
    from prodkit.monitor.results import ColumnDrift, DriftResult

    columns = {n: ColumnDrift(n, "numerical", "K-S p_value", 0.001 if i == 0 else 0.5, 0.05, i == 0)
               for i, n in enumerate(names)}
    return DriftResult(drift=True, share=1 / len(names), drift_share=0.5, columns=columns, reference_rows=10,
                       current_rows=10, sample={"reference": 10, "current": 10, "seed": 0})


def test_drift_columns_from_the_data_are_shown_not_interpreted_in_the_cli_and_notebook(capsys):
    from prodkit._cli_support import print_result

    result = _drift_with_columns([*HOSTILE, "plain"])
    rows = rows_text(result.view().tables()[0])
    assert rows[0][0] == HOSTILE[0] and rows[0][-1] == "drift"  # the drifted column first
    assert sorted(r[0] for r in rows) == sorted(["\\x1b[2J", "[bold red]x[/]", HOSTILE[0], "evil\\u202etxt", "plain"])
    print_result(result, json_out=False)
    printed = capsys.readouterr().out
    assert "[bold red]x[/]" in printed and "\x1b" not in printed and "\u202e" not in printed
    page = result._repr_html_()
    assert "<script>" not in page and html.escape("<script>alert(1)</script>") in page
    assert result.summary() in printed and result.summary() in page


def test_validation_messages_from_the_data_are_shown_not_interpreted(capsys):
    from prodkit._cli_support import print_result
    from prodkit.monitor.results import ValidationResult, Violation

    result = ValidationResult(rows=3, columns=1, violations=[
        Violation("unseen_categories", HOSTILE[2], "error", 1, 1 / 3, f"1 value in 1 unseen category: {HOSTILE[0]}")])
    print_result(result, json_out=False)
    printed = capsys.readouterr().out
    assert HOSTILE[2] in printed and HOSTILE[0] in printed and "breaks the contract" in printed
    page = result._repr_html_()
    assert "<script>" not in page and html.escape(HOSTILE[2]) in page


def test_a_model_versions_tags_are_shown_as_text_in_models_show(capsys):
    from prodkit._cli_support import out
    from prodkit.models import tags as T
    from prodkit.models.result import VersionInfo

    info = VersionInfo(name="churn", version="3", aliases=["champion"], status="READY", run_id="r", source="s",
                       created_at="2026-12-03", tags={T.NOTEBOOK: HOSTILE[2], T.GIT_SHA: HOSTILE[0]},
                       metrics={"auc": 0.91234}, parity={"status": "pass", "max_abs_diff": 1e-7})
    rows = dict(rows_text(info.view().tables()[0]))
    assert rows["notebook"] == HOSTILE[2] and rows["git sha"] == HOSTILE[0] and rows["torch"] == "-"
    assert rows["metrics"] == "auc=0.9123" and rows["parity"] == "pass (max abs diff 1e-07)"
    out.print(info)
    printed = capsys.readouterr().out
    assert HOSTILE[2] in printed and "churn v3 @champion" in printed
    assert html.escape(HOSTILE[0]) in info._repr_html_() and "<script>" not in info._repr_html_()


def test_jobs_show_lists_a_runs_fields_and_shows_its_names_and_error_as_text(capsys):
    from prodkit._cli_support import out
    from prodkit.jobs.records import RunError, StoredRun
    from prodkit.jobs.render import RunDetail

    run = StoredRun(run_id=7, job=HOSTILE[2], status="failed", scheduled_for=0.0, trigger="manual",
                    parameters={"name": HOSTILE[0]}, error=RunError(3, "ValueError", HOSTILE[1]),
                    artifacts=[{"kind": "drift", "path": "reports/d.html", "summary": {"drift": True, "share": 0.5}}])
    detail = RunDetail(run)
    [table] = detail.view().tables()
    rows = dict(rows_text(table))
    assert rows["trigger"] == "manual" and rows["parameters"] == '{"name": "<script>alert(1)</script>"}'
    assert rows["drift"] == "drift 0.50  (share of drifted columns)" and rows["artifact"] == "drift: reports/d.html"
    assert rows["error"].startswith("cell 3: ValueError") and "\\x1b[2J" in rows["error"]
    assert detail.to_dict() == run.to_dict()
    plain = StoredRun(run_id=8, job="j", status="succeeded", scheduled_for=0.0, trigger="schedule")
    assert "parameters" not in dict(rows_text(RunDetail(plain).view().tables()[0]))  # none given: no empty {} row
    out.print(detail)
    printed = capsys.readouterr().out
    assert f"run 7 of {HOSTILE[2]}: failed" in printed and "\x1b" not in printed
    page = detail._repr_html_()
    assert "<script>" not in page and html.escape(HOSTILE[0]) in page


def test_a_multi_line_error_is_one_line_in_tables_and_whole_in_jobs_show():
    """An exception message spanning lines (numpy's deprecation errors) showed as `\\x0a`-joined text."""
    from prodkit.jobs.records import RunError, StoredRun
    from prodkit.jobs.render import RunDetail, history_view_table

    error = RunError(113, "AttributeError", "module 'numpy' has no attribute 'object'.\n`np.object` was an alias.\n\n  see the notes")
    assert error.line() == "cell 113: AttributeError: module 'numpy' has no attribute 'object'. …"
    run = StoredRun(run_id=2, job="pandas", status="failed", scheduled_for=0.0, trigger="manual", error=error)
    [row] = rows_text(history_view_table([run]))
    assert row[-1] == error.line()
    shown = RunDetail(run)
    assert dict(rows_text(shown.view().tables()[0]))["error"] == (
        "cell 113: AttributeError: module 'numpy' has no attribute 'object'.; `np.object` was an alias.;   see the notes")
    assert "\\x0a" not in _rich_output(shown) and "  see the notes" in _rich_output(shown)
    assert "<br>`np.object` was an alias." in shown._repr_html_()
    assert RunError(None, "Cancelled", "stopped on request").line() == "Cancelled: stopped on request"
