"""Renderers of PromoteResult: a Rich table for the terminal, HTML for the notebook."""

from __future__ import annotations

import html

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from prodkit.promote.result import PromoteResult

_STYLE = {"written": "green", "unchanged": "dim", "out-of-date": "yellow", "refused": "red", "blocked": "red"}


def print_result(result: PromoteResult, console: Console) -> None:
    data = result.to_dict()
    for nb in data["notebooks"]:
        if nb["skipped"]:
            console.print(f"[dim]{escape(nb['notebook'])}: skipped ({nb['skipped']})[/]")
            continue
        table = Table(title=escape(nb["notebook"]), title_justify="left", show_edge=False, pad_edge=False)
        for column in ("file", "kind", "action", "cells", "note"):
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
    c = data["counts"]
    verdict = "[green]ok[/]" if result.ok else "[red]needs attention[/]"
    mode = "check: " if result.check else ""
    console.print(
        f"{mode}{verdict} — {c['written']} written, {c['unchanged']} unchanged, "
        f"{c['out-of-date']} out of date, {c['refused']} refused, {c['blocked']} blocked, "
        f"{len(result.problems)} problems ({result.seconds:.2f} s)"
    )


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
