"""Renderers of PromoteResult, all from its one view (`promote_view`): a Rich table for the
terminal, plain text for logs and pipes (without importing Rich), HTML for the notebook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prodkit._render import Cell, Line, Table, View, to_html, to_rich, to_text

if TYPE_CHECKING:
    from rich.console import Console

    from prodkit.promote.result import PromoteResult

_STYLE = {"written": "green", "unchanged": "dim", "out-of-date": "yellow", "refused": "red", "blocked": "red"}
_COLUMNS = ("file", "kind", "action", "cells", "note")


def promote_view(result: PromoteResult) -> View:
    """Per notebook its files (or why it was skipped) and its problems by cell, then the verdict."""
    data = result.to_dict()
    blocks: list = []
    for nb in data["notebooks"]:
        if nb["skipped"]:
            blocks.append(Line(f"{nb['notebook']}: skipped ({nb['skipped']})", "dim"))
            continue
        table = Table(nb["notebook"], _COLUMNS)
        for f in nb["files"]:
            table.rows.append((f["path"], f["kind"], Cell.of(f["action"], _STYLE.get(f["action"], "")),
                               ",".join(map(str, f["cells"])), f["reason"]))
        for p in nb["problems"]:
            where = f"cell {p['cell']}" if p["cell"] else p["module"]
            table.notes.append(Cell.of("  ").plus("✗", "red").plus(f" {nb['notebook']}: {where}: {p['message']}"))
        blocks.append(table)
    c = data["counts"]
    summary = Cell.of("check: " if result.check else "").plus(*(("ok", "green") if result.ok
                                                                 else ("needs attention", "red")))
    blocks.append(summary.plus(
        f" — {c['written']} written, {c['unchanged']} unchanged, {c['out-of-date']} out of date, "
        f"{c['refused']} refused, {c['blocked']} blocked, {len(result.problems)} problems ({result.seconds:.2f} s)"))
    return View(blocks)


def print_result(result: PromoteResult, console: Console) -> None:
    console.print(to_rich(promote_view(result)))


def result_text(result: PromoteResult) -> str:
    """The same report as `print_result` in plain text (aligned columns, no colour), for output
    that is not a terminal: logs, pipes, CI."""
    return to_text(promote_view(result)) + "\n"


def result_html(result: PromoteResult) -> str:
    return to_html(promote_view(result))
