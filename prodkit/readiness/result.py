"""The readiness result: one object that the CLI, the notebook widget, the HTML report and the
JupyterLab side panel all render.

Two scores, because a notebook and the project around it are different work:

- the **notebook score** (`score`, `grade`): the notebook's own findings — paths, leakage, seeds,
  dependencies, shell cells, debugger calls, secrets ... Scored ML Test Score style (Breck et al.
  2017): a check that holds earns 1 point, a warning ½, a failure or a skip 0; each section sums
  its points and the weakest section (lowest fraction) sets the score. The `--fail-under` gate
  applies to it.
- the **project score** (`project_score`): set-up around the notebook that a fresh project has
  not done yet — business case, promoted and tested modules, versioned data, registered model,
  model card, scheduled job, monitoring, promotion gate. The fraction of those steps done (same
  points), so it rises step by step.

Each score has a letter grade with a one-line meaning (`NOTEBOOK_GRADES`, `PROJECT_GRADES`).
A check the user did not ask for (CODE-01 without `--run`, state checks under `--static`) or one that
does not apply (`n/a`: no model trained, a cell it cannot read) is left out of both; a section with no
scored checks is left out of the notebook score. A notebook with nothing to judge (it reads no data
and trains no model) scores 0: it is not ready to promote, whatever else holds.

`ReadinessResult.to_dict()` is the stable wire format (also `prodkit check --json` and the
side panel's REST payload)::

    {
      "notebook": "nbs/churn.ipynb",          # relative to the project root when inside it
      "score": 0.62,                          # notebook score, 0..1 (the gate's number)
      "grade": "C",                           # its letter; "meaning": what the letter says
      "meaning": "needs work: ...",
      "notebook_score": {"score": 0.62, "grade": "C", "meaning": "...", "weakest": "Model",
                         "points": 1.5, "max": 3},
      "project_score": {"score": 0.1, "grade": "D", "meaning": "...", "points": 1.0, "max": 10},
      "notes": ["nbformat 3 notebook, read converted ..."],
      "sections": {
        "Data": {"points": 3.5, "max": 5, "fraction": 0.7,
                 "pass": 3, "warn": 1, "fail": 1, "skip": 0, "checks": ["DATA-01", ...]},
        ...                                   # always the six sections, in this order (both scopes)
      },
      "checks": [
        {"id": "DATA-01", "section": "Data", "status": "pass" | "warn" | "fail" | "skip",
         "message": "one line", "cells": [3, 7], "fix": "one line: what to do",
         "scope": "notebook" | "project"},
        ...
      ]
    }
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from prodkit._render import Cell, Line, Table, View, to_html, to_rich, to_text
from prodkit.readiness.registry import SECTIONS

POINTS = {"pass": 1.0, "warn": 0.5, "fail": 0.0, "skip": 0.0}
SYMBOLS = {"pass": "✔", "warn": "!", "fail": "✘", "skip": "–"}
STYLES = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "bright_black"}
DETAIL_COLUMN = "Message · cells · fix"
CHECK_COLUMNS = ("Check", "Status", DETAIL_COLUMN)


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
    scope: str = "notebook"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "status": self.status, "message": self.message,
                "cells": list(self.cells), "fix": self.fix, "scope": self.scope}


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


# (lowest score for the letter, letter, meaning); the first row whose bound the score reaches
NOTEBOOK_GRADES = (
    (0.9, "A", "ready to promote: the notebook's own checks hold"),
    (0.75, "B", "nearly ready: a few findings to fix"),
    (0.5, "C", "needs work: fix the failing checks of its weakest section before promoting"),
    (0.001, "D", "exploratory: its weakest section mostly fails"),
    (0.0, "E", "not ready: every check of its weakest section fails or could not be evaluated"),
)
PROJECT_GRADES = (
    (0.9, "A", "in production: business case, tested modules, registered model, job, monitoring and gate"),
    (0.75, "B", "mostly set up: a few production steps left"),
    (0.5, "C", "half set up: run the fixes listed under project set-up"),
    (0.001, "D", "started: most production steps are not set up yet"),
    (0.0, "E", "not set up yet: no business case, promoted modules, registered model, job or monitoring"),
)


def grade_of(score: float, grades=NOTEBOOK_GRADES) -> tuple[str, str]:
    """(letter, meaning) for a 0..1 score."""
    for bound, letter, meaning in grades:
        if score >= bound:
            return letter, meaning
    return grades[-1][1], grades[-1][2]


def section_scores(checks: list[CheckResult]) -> dict[str, SectionScore]:
    scores = {name: SectionScore(name) for name in SECTIONS}
    for c in checks:
        s = scores[c.section]
        s.checks.append(c.id)
        s.counts[c.status] += 1
        if c.counted:
            s.points += POINTS[c.status]
            s.max += 1
    return scores


@dataclass
class ReadinessResult:
    """All checks of one notebook, with the two scores they give."""

    notebook: str
    checks: list[CheckResult]
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # the notebook could not be read (a folder check's entry for it)
    nothing_to_judge: str | None = None  # why the notebook has nothing to judge (scores 0: not ready to promote)

    @property
    def sections(self) -> dict[str, SectionScore]:
        """Per section, both scopes (what the table shows)."""
        return section_scores(self.checks)

    def scope_checks(self, scope: str) -> list[CheckResult]:
        return [c for c in self.checks if c.scope == scope]

    @property
    def weakest(self) -> SectionScore | None:
        """The notebook-scope section with the lowest fraction of its points."""
        scored = [s for s in section_scores(self.scope_checks("notebook")).values() if s.max]
        return min(scored, key=lambda s: (s.points / s.max, s.points)) if scored else None

    @property
    def score(self) -> float:
        """The notebook score (the gate's number); 0 for a notebook with nothing to judge."""
        weakest = self.weakest
        return weakest.fraction if weakest and not self.nothing_to_judge else 0.0

    @property
    def grade(self) -> str:
        return grade_of(self.score)[0]

    @property
    def meaning(self) -> str:
        if self.nothing_to_judge:
            return f"nothing to judge: {self.nothing_to_judge}, so it is not ready to promote"
        return grade_of(self.score)[1]

    @property
    def project_points(self) -> tuple[float, int]:
        counted = [c for c in self.scope_checks("project") if c.counted]
        return sum(POINTS[c.status] for c in counted), len(counted)

    @property
    def project_score(self) -> float | None:
        """Fraction of the project set-up steps done; None when none is scored (e.g. --static --only)."""
        points, top = self.project_points
        return round(points / top, 3) if top else None

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def notebook_score_dict(self) -> dict[str, Any]:
        weakest = self.weakest
        return {"score": self.score, "grade": self.grade, "meaning": self.meaning,
                "weakest": weakest.name if weakest else None,
                "points": weakest.points if weakest else 0.0, "max": weakest.max if weakest else 0}

    def project_score_dict(self) -> dict[str, Any]:
        points, top = self.project_points
        score = self.project_score
        letter, meaning = grade_of(score, PROJECT_GRADES) if score is not None else (None, "no project checks scored")
        steps = len(self.scope_checks("project"))
        if score is not None and top < steps:  # e.g. --static: registry, jobs and monitoring were not read
            meaning += f" (judged on {top} of its {steps} steps; the others were not evaluated or are n/a)"
        return {"score": score, "grade": letter, "meaning": meaning, "points": points, "max": top}

    def to_dict(self) -> dict[str, Any]:
        if self.error:
            return {"notebook": self.notebook, "error": self.error, "score": 0.0, "grade": None, "checks": []}
        return {
            "notebook": self.notebook,
            "score": self.score,
            "grade": self.grade,
            "meaning": self.meaning,
            "notebook_score": self.notebook_score_dict(),
            "project_score": self.project_score_dict(),
            "notes": list(self.notes),
            "sections": {name: s.to_dict() for name, s in self.sections.items()},
            "checks": [c.to_dict() for c in self.checks],
        }

    def explanation(self) -> str:
        """How the two scores were formed, in two sentences."""
        weakest = self.weakest
        if self.nothing_to_judge:
            text = f"Notebook score 0.00 ({self.grade}: {self.meaning})."
        elif weakest is None:
            text = "Notebook: no scored checks."
        else:
            text = (f"Notebook score {self.score:.2f} ({self.grade}: {self.meaning}) = its weakest section, "
                    f"{weakest.name}: {weakest.points:g} of {weakest.max} points (pass 1, warn ½, fail or skip 0; "
                    f"ML Test Score style).")
        project = self.project_score_dict()
        if project["score"] is not None:
            text += (f" Project set-up {project['score']:.2f} ({project['grade']}: {project['meaning']}) = "
                     f"{project['points']:g} of {project['max']} points.")
        left_out = [c.id for c in self.checks if not c.counted]
        if left_out:
            text += f" Not scored: {', '.join(left_out)}."
        return text

    # ---- renderers: plain text, HTML, notebook --------------------------------------------

    def score_headline(self) -> str:
        project = self.project_score
        text = f"notebook score {self.score:.2f} (grade {self.grade})"
        if project is not None:
            text += f", project set-up {project:.2f} (grade {self.project_score_dict()['grade']})"
        return text

    def grouped(self):
        """(scope title, section name, section score, its checks) in display order."""
        for scope, title in (("notebook", "Notebook"), ("project", "Project set-up")):
            checks = self.scope_checks(scope)
            for name, s in section_scores(checks).items():
                if s.checks:
                    yield title, name, s, [c for c in checks if c.section == name]

    def view(self) -> View:
        """The headline, one row per check under its section (message, cells, fix), the score bars,
        notes and how the scores were formed: what the CLI prints and the notebook shows."""
        if self.error:
            return View([Line(f"Readiness of {self.notebook}: not checked — {self.error}", "red")])
        rows: list[tuple] = []
        for title, name, s, checks in self.grouped():
            rows.append((Cell.of(f"{title} · {name} {s.points:g}/{s.max}", "bold"), "", ""))
            rows += [check_row(c) for c in checks]
        return View([Line(f"Readiness of {self.notebook}: {self.score_headline()}", "bold"),
                     Table("", CHECK_COLUMNS, rows, fold=(DETAIL_COLUMN,), no_wrap=CHECK_COLUMNS[:2]),
                     *self.score_view().blocks])

    def score_view(self) -> View:
        """Both scores as bars with their grade and its meaning, the notes, and how the scores were formed."""
        bars = [_bar("notebook score", self.score, self.grade, self.meaning)]
        project = self.project_score_dict()
        if project["score"] is not None:
            bars.append(_bar("project set-up", project["score"], project["grade"], project["meaning"]))
        return View([*bars, *(Line(f"note: {n}", "bright_black") for n in self.notes),
                     Line(self.explanation(), "bright_black")])

    def to_text(self) -> str:
        return to_text(self.view())

    def to_html(self) -> str:
        """A self-contained HTML fragment (inline styles only, no scripts)."""
        return to_html(self.view())

    def __repr__(self) -> str:
        return f"<ReadinessResult {self.notebook}: {self.score_headline()}>"

    def __rich__(self):
        return to_rich(self.view())

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


def check_row(c: CheckResult) -> tuple:
    """A check as a table row: `  ID`, its status, then its message, cells and (unless it passed) fix."""
    detail = Cell.of(c.message)
    if c.cells:
        detail = detail.plus(f"  ({'cell' if len(c.cells) == 1 else 'cells'} {', '.join(map(str, c.cells))})", "cyan")
    if c.status != "pass" and c.fix:
        detail = detail.plus(f"→ {c.fix}", "bright_black", newline=True)
    return f"  {c.id}", Cell.of(f"{SYMBOLS[c.status]} {c.status}", STYLES[c.status]), detail


def score_status(score: float) -> str:
    """How a score is coloured, as a check status: pass from 0.8, warn from 0.5, else fail."""
    return "pass" if score >= 0.8 else "warn" if score >= 0.5 else "fail"


def _bar(label: str, score: float, grade: str, meaning: str) -> Cell:
    style = STYLES[score_status(score)]
    filled = round(score * 20)
    return (Cell.of(f"{label:<15}").plus(f"{score:.2f} ", f"bold {style}")
            .plus("█" * filled + "░" * (20 - filled), style).plus(f"  grade {grade}: {meaning}"))


def standalone_html(results: list[ReadinessResult], title: str = "prodkit readiness") -> str:
    """A full HTML document holding one or more results (`prodkit check --html`)."""
    body = "<hr>".join(r.to_html() for r in results)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head><body style="margin:24px;font-family:system-ui,sans-serif;font-size:13px">{body}</body></html>\n')
