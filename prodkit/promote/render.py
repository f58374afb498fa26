"""Renderers of PromoteResult: a Rich table for the terminal, plain text for logs and pipes,
HTML for the notebook."""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from prodkit.promote.result import PromoteResult

if TYPE_CHECKING:
    from rich.console import Console

_STYLE = {"written": "green", "unchanged": "dim", "out-of-date": "yellow", "refused": "red", "blocked": "red"}
_COLUMNS = ("file", "kind", "action", "cells", "note")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def print_result(result: PromoteResult, console: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    data = result.to_dict()
    for nb in data["notebooks"]:
        if nb["skipped"]:
            console.print(f"[dim]{escape(nb['notebook'])}: skipped ({nb['skipped']})[/]")
            continue
        table = Table(title=escape(nb["notebook"]), title_justify="left", show_edge=False, pad_edge=False)
        for column in _COLUMNS:
            table.add_column(column)
        for f in nb["files"]:
            style = _STYLE.get(f["action"], "")
            table.add_row(
                escape(f["path"]),
                f["kind"],
                f"[{style}]{f['action']}[/]",
                ",".join(map(str, f["cells"])),
                escape(f["reason"]),
            )
        console.print(table)
        for p in nb["problems"]:
            where = f"cell {p['cell']}" if p["cell"] else p["module"]
            console.print(
                f"  [red]✗[/] {escape(nb['notebook'])}: {where}: {escape(p['message'])}", highlight=False
            )
    verdict = "[green]ok[/]" if result.ok else "[red]needs attention[/]"
    console.print(_summary(result, data["counts"], verdict))


def _summary(result: PromoteResult, c: dict, verdict: str) -> str:
    mode = "check: " if result.check else ""
    return (
        f"{mode}{verdict} — {c['written']} written, {c['unchanged']} unchanged, "
        f"{c['out-of-date']} out of date, {c['refused']} refused, {c['blocked']} blocked, "
        f"{len(result.problems)} problems ({result.seconds:.2f} s)"
    )


def _plain(text: str) -> str:
    """One line without control characters (messages quote notebook code and import errors)."""
    return _CONTROL.sub(" ", text)


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def result_text(result: PromoteResult) -> str:
    """The same report as `print_result` in plain text (aligned columns, no colour), for output
    that is not a terminal: logs, pipes, CI."""
    data = result.to_dict()
    lines = []
    for nb in data["notebooks"]:
        if nb["skipped"]:
            lines.append(_plain(f"{nb['notebook']}: skipped ({nb['skipped']})"))
            continue
        files = [
            (_plain(f["path"]), f["kind"], f["action"], ",".join(map(str, f["cells"])), _plain(f["reason"]))
            for f in nb["files"]
        ]
        lines += [_plain(nb["notebook"]), *_aligned([_COLUMNS, *files])]
        for p in nb["problems"]:
            where = f"cell {p['cell']}" if p["cell"] else p["module"]
            lines.append(_plain(f"  ✗ {nb['notebook']}: {where}: {p['message']}"))
    lines.append(_summary(result, data["counts"], "ok" if result.ok else "needs attention"))
    return "\n".join(lines) + "\n"


def result_html(result: PromoteResult) -> str:
    data = result.to_dict()
    rows = []
    for nb in data["notebooks"]:
        for f in nb["files"]:
            rows.append(
                f"<tr><td><code>{html.escape(f['path'])}</code></td><td>{f['kind']}</td>"
                f"<td>{f['action']}</td><td>{','.join(map(str, f['cells']))}</td>"
                f"<td>{html.escape(f['reason'])}</td></tr>"
            )
        for p in nb["problems"]:
            rows.append(
                f"<tr><td colspan=5 style='color:var(--jp-error-color1,#c00)'>cell {p['cell']}: "
                f"{html.escape(p['message'])}</td></tr>"
            )
    head = "<tr><th>file</th><th>kind</th><th>action</th><th>cells</th><th>note</th></tr>"
    c = data["counts"]
    summary = (
        f"<b>prodkit promote</b>: {'ok' if result.ok else 'needs attention'} — {c['written']} written, "
        f"{c['unchanged']} unchanged, {c['refused']} refused, {c['blocked']} blocked"
    )
    return f"<div>{summary}<table>{head}{''.join(rows)}</table></div>"
