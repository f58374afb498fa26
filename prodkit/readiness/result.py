"""The readiness result: one object that the CLI, the notebook widget, the HTML report and the
JupyterLab side panel all render.

`ReadinessResult.to_dict()` is the stable wire format (also `prodkit check --json` and the
side panel's REST payload)::

    {
      "notebook": "nbs/churn.ipynb",          # relative to the project root when inside it
      "score": 0.62,                          # 0..1: the weakest section's fraction
      "grade": 2.5,                           # the weakest section's points (ML Test Score)
      "sections": {
        "Data": {"points": 3.5, "max": 5, "fraction": 0.7,
                 "pass": 3, "warn": 1, "fail": 1, "skip": 0, "checks": ["DATA-01", ...]},
        ...                                   # always the six sections, in this order
      },
      "checks": [
        {"id": "DATA-01", "section": "Data", "status": "pass" | "warn" | "fail" | "skip",
         "message": "one line", "cells": [3, 7], "fix": "one line: what to do"},
        ...
      ]
    }

Scoring follows the ML Test Score (Breck et al. 2017): a check that holds earns 1 point, a
warning 0.5, a failure or a skip 0 (a check that cannot run yet does not hold). Each section
sums its points; the weakest section (lowest fraction of its maximum) sets both the grade
(its points) and the score (its fraction). A check the user did not ask for (CODE-01 without
`--run`) is left out of the score; a section with no scored checks is left out too.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from prodkit.readiness.registry import SECTIONS

POINTS = {"pass": 1.0, "warn": 0.5, "fail": 0.0, "skip": 0.0}
SYMBOLS = {"pass": "✔", "warn": "!", "fail": "✘", "skip": "–"}
COLORS = {"pass": "#1a7f37", "warn": "#9a6700", "fail": "#cf222e", "skip": "#6e7781"}


@dataclass
class CheckResult:
    """The outcome of one check on one notebook."""

    id: str
    section: str
    status: str
    message: str
    cells: list[int]
    fix: str
    title: str = ""
    counted: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "status": self.status, "message": self.message,
                "cells": list(self.cells), "fix": self.fix}


@dataclass
class SectionScore:
    name: str
    points: float = 0.0
    max: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(POINTS, 0))
    checks: list[str] = field(default_factory=list)

    @property
    def fraction(self) -> float | None:
        return round(self.points / self.max, 3) if self.max else None

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max": self.max, "fraction": self.fraction, **self.counts,
                "checks": list(self.checks)}


@dataclass
class ReadinessResult:
    """All checks of one notebook, with the score they give."""

    notebook: str
    checks: list[CheckResult]

    @property
    def sections(self) -> dict[str, SectionScore]:
        scores = {name: SectionScore(name) for name in SECTIONS}
        for c in self.checks:
            s = scores[c.section]
            s.checks.append(c.id)
            s.counts[c.status] += 1
            if c.counted:
                s.points += POINTS[c.status]
                s.max += 1
        return scores

    @property
    def weakest(self) -> SectionScore | None:
        scored = [s for s in self.sections.values() if s.max]
        return min(scored, key=lambda s: (s.points / s.max, s.points)) if scored else None

    @property
    def score(self) -> float:
        weakest = self.weakest
        return weakest.fraction if weakest else 0.0

    @property
    def grade(self) -> float:
        weakest = self.weakest
        return weakest.points if weakest else 0.0

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notebook": self.notebook,
            "score": self.score,
            "grade": self.grade,
            "sections": {name: s.to_dict() for name, s in self.sections.items()},
            "checks": [c.to_dict() for c in self.checks],
        }

    def explanation(self) -> str:
        """One sentence on how the score was formed."""
        weakest = self.weakest
        if weakest is None:
            return "No scored checks."
        left_out = [c.id for c in self.checks if not c.counted]
        text = (f"Score {self.score:.2f} = the weakest section, {weakest.name}: {weakest.points:g} of "
                f"{weakest.max} points (pass 1, warn ½, fail or skip 0; ML Test Score style).")
        if left_out:
            text += f" Not scored: {', '.join(left_out)}."
        return text

    # ---- renderers: plain text, HTML, notebook --------------------------------------------

    def to_text(self) -> str:
        lines = [f"Readiness of {self.notebook}: score {self.score:.2f}, grade {self.grade:g}", self.explanation()]
        for name, s in self.sections.items():
            if not s.checks:
                continue
            lines.append(f"\n{name}  {s.points:g}/{s.max}")
            for c in (c for c in self.checks if c.section == name):
                cells = f" (cells {', '.join(map(str, c.cells))})" if c.cells else ""
                lines.append(f"  {SYMBOLS[c.status]} {c.id} {c.status:<4} {c.message}{cells}")
                if c.status != "pass" and c.fix:
                    lines.append(f"      fix: {c.fix}")
        return "\n".join(lines)

    def to_html(self) -> str:
        """A self-contained HTML fragment (inline styles only, no scripts)."""
        return render_html_fragment(self)

    def __repr__(self) -> str:
        return f"<ReadinessResult {self.notebook}: score {self.score:.2f}, grade {self.grade:g}>"

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        """text/plain and static HTML always; the ipywidgets view when a live kernel can show it."""
        bundle: dict[str, Any] = {"text/plain": self.to_text(), "text/html": self.to_html()}
        from prodkit.readiness.widget import widget_view_data

        view = widget_view_data(self)
        if view is not None:
            bundle["application/vnd.jupyter.widget-view+json"] = view
        return bundle


def _e(text: Any) -> str:
    return html.escape(str(text))


def render_html_fragment(result: ReadinessResult) -> str:
    score = result.score
    bar_color = COLORS["pass"] if score >= 0.8 else COLORS["warn"] if score >= 0.5 else COLORS["fail"]
    parts = [
        '<div class="prodkit-readiness" style="font-family:system-ui,sans-serif;font-size:13px;max-width:980px">',
        f'<div style="font-weight:600;font-size:15px">Readiness: {_e(result.notebook)} — score '
        f'{score:.2f}, grade {result.grade:g}</div>',
        f'<div style="background:#eaeef2;border-radius:4px;height:10px;margin:4px 0">'
        f'<div style="width:{score * 100:.0f}%;background:{bar_color};height:10px;border-radius:4px"></div></div>',
        f'<div style="color:#57606a;margin-bottom:6px">{_e(result.explanation())}</div>',
        '<table style="border-collapse:collapse;width:100%">',
    ]
    for name, s in result.sections.items():
        if not s.checks:
            continue
        parts.append(f'<tr><th colspan="5" style="text-align:left;padding:6px 4px 2px;border-bottom:1px solid #d0d7de">'
                     f'{_e(name)} <span style="font-weight:400;color:#57606a">{s.points:g}/{s.max}</span></th></tr>')
        for c in (c for c in result.checks if c.section == name):
            color = COLORS[c.status]
            cells = ", ".join(map(str, c.cells))
            fix = _e(c.fix) if c.status != "pass" else ""
            parts.append(
                f'<tr style="vertical-align:top"><td style="padding:2px 4px;white-space:nowrap"><code>{_e(c.id)}</code></td>'
                f'<td style="padding:2px 4px;color:{color};font-weight:600;white-space:nowrap">{SYMBOLS[c.status]} '
                f'{_e(c.status)}</td>'
                f'<td style="padding:2px 4px">{_e(c.message)}</td>'
                f'<td style="padding:2px 4px;color:#57606a">{"cells " + cells if cells else ""}</td>'
                f'<td style="padding:2px 4px;color:#57606a">{fix}</td></tr>')
    parts.append("</table></div>")
    return "".join(parts)


def standalone_html(results: list[ReadinessResult], title: str = "prodkit readiness") -> str:
    """A full HTML document holding one or more results (`prodkit check --html`)."""
    body = "<hr>".join(r.to_html() for r in results)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title></head>'
            f'<body style="margin:24px">{body}</body></html>\n')
