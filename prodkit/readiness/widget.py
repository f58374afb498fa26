"""The ipywidgets view of a readiness result (live kernels only; the HTML fallback covers the rest)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prodkit.readiness.result import ReadinessResult


def in_live_kernel() -> bool:
    """True inside a Jupyter kernel that can show widgets (not plain Python, not a terminal IPython)."""
    if "ipykernel" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


BAR_STYLES = {"pass": "success", "warn": "warning", "fail": "danger"}  # ipywidgets' names for the colours


def build_widget(result: ReadinessResult):
    """Score bar, explanation, and one collapsible section per category with its checks."""
    import ipywidgets as w

    from prodkit._render import Line, Table, View, html_table, to_html
    from prodkit.readiness.result import CHECK_COLUMNS, SYMBOLS, check_row, score_status

    def bar(label: str, score: float, grade: str, meaning: str):
        return w.HBox([w.FloatProgress(value=score, min=0, max=1, description=f"{label} {score:.2f}",
                                       bar_style=BAR_STYLES[score_status(score)], layout=w.Layout(width="420px"),
                                       style={"description_width": "initial"}),
                       w.HTML(to_html(View([Line(f"grade {grade}: {meaning}")])))])

    bars = [bar("notebook score", result.score, result.grade, result.meaning)]
    project = result.project_score_dict()
    if project["score"] is not None:
        bars.append(bar("project set-up", project["score"], project["grade"], project["meaning"]))
    header = w.HTML(to_html(View([Line(f"Readiness of {result.notebook}", "bold"), Line(result.explanation(), "dim")])))
    children, titles = [], []
    for title, name, s, checks in result.grouped():
        rows = [check_row(c) for c in checks]
        children.append(w.HTML(html_table(Table("", CHECK_COLUMNS, rows, header=False))))
        worst = "fail" if s.counts["fail"] else "warn" if s.counts["warn"] else "skip" if s.counts["skip"] else "pass"
        titles.append(f"{SYMBOLS[worst]} {title} · {name}  {s.points:g}/{s.max}")
    accordion = w.Accordion(children=children, titles=tuple(titles))
    return w.VBox([header, *bars, accordion])


def widget_view_data(result: ReadinessResult) -> dict[str, Any] | None:
    """The `application/vnd.jupyter.widget-view+json` payload, or None outside a live kernel."""
    if not in_live_kernel():
        return None
    try:
        widget = build_widget(result)
    except Exception:  # widgets unavailable: the HTML fallback is shown instead
        return None
    result.__dict__["_widget"] = widget  # keep the model alive as long as the result
    bundle = widget._repr_mimebundle_()
    return (bundle or {}).get("application/vnd.jupyter.widget-view+json")
