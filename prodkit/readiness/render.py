"""Rich rendering of readiness results for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from prodkit.readiness.result import ReadinessResult

STYLES = {"pass": "green", "warn": "yellow", "fail": "red", "skip": "bright_black"}
LOG_WIDTH = 100  # a table printed to a pipe or CI log without COLUMNS wraps here, not at its widest line
SYMBOLS = {"pass": "✔", "warn": "!", "fail": "✘", "skip": "–"}


def result_table(result: ReadinessResult) -> Table:
    """One row per check: id, status, then the message, its cells and (unless it passed) the fix."""
    table = Table(title=f"Readiness: {escape(result.notebook)}", title_justify="left", header_style="bold",
                  show_edge=False, pad_edge=False)
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Message · cells · fix", ratio=1, overflow="fold")  # a long path folds, never cut to "…"
    for title, name, s, checks in result.grouped():
        table.add_row(Text(f"{title} · {name} {s.points:g}/{s.max}", style="bold"), "", "")
        for c in checks:
            detail = Text(c.message)
            if c.cells:
                detail.append(f"  (cells {', '.join(map(str, c.cells))})", style="cyan")
            if c.status != "pass" and c.fix:
                detail.append(f"\n→ {c.fix}", style="bright_black")
            table.add_row(f"  {c.id}", Text(f"{SYMBOLS[c.status]} {c.status}", style=STYLES[c.status]), detail)
    return table


def _bar(text: Text, label: str, score: float, grade: str, meaning: str) -> None:
    style = "green" if score >= 0.8 else "yellow" if score >= 0.5 else "red"
    filled = round(score * 20)
    text.append(f"{label:<15}")
    text.append(f"{score:.2f} ", style=f"bold {style}")
    text.append("█" * filled + "░" * (20 - filled), style=style)
    text.append(f"  grade {grade}: {meaning}\n")


def score_line(result: ReadinessResult) -> Text:
    """Both scores as bars with their grade and its meaning, then how they were formed."""
    text = Text()
    _bar(text, "notebook score", result.score, result.grade, result.meaning)
    project = result.project_score_dict()
    if project["score"] is not None:
        _bar(text, "project set-up", project["score"], project["grade"], project["meaning"])
    for note in result.notes:
        text.append(f"note: {note}\n", style="bright_black")
    text.append(result.explanation(), style="bright_black")
    return text


def print_results(results: list[ReadinessResult], console: Console) -> None:
    for result in results:
        if result.error:
            console.print(Text(f"Readiness: {result.notebook}: not checked — {result.error}", style="red"))
            console.print()
            continue
        console.print(result_table(result), width=min(console.width, LOG_WIDTH) if not console.is_terminal else None)
        console.print(score_line(result))
        console.print()
