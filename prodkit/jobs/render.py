"""Rich tables and live progress for jobs and runs (the CLI and the notebook show the same records)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from prodkit._render import Cell, Rendered, View, html_table, rich_table
from prodkit._render import Table as ViewTable
from prodkit._text import printable
from prodkit.jobs.records import RunError, StoredRun, iso

STATUS_STYLE = {"succeeded": "green", "failed": "red", "timed_out": "red", "lost": "magenta",
                "cancelled": "yellow", "running": "cyan", "queued": "blue"}


NO_DRIFT_VERDICT = "–"  # the run watched no batch


def drift_text(drift: dict[str, Any] | None) -> str:
    """A run's drift verdict (StoredRun.drift) as `drift 0.40`, `ok 0.20`, or `–` when it watched nothing."""
    if not drift:
        return NO_DRIFT_VERDICT
    share = drift.get("share")
    verdict = "drift" if drift.get("drift") else "ok"
    return f"{verdict} {share:.2f}" if isinstance(share, int | float) else verdict


def _drift_color(drift: dict[str, Any] | None) -> str | None:
    if not drift:
        return None
    return "red" if drift.get("drift") else "green"


def _short(ts: str | None) -> str:
    return (ts or "").replace("T", " ").removesuffix("Z")[:19]


def jobs_view_table(rows: list[dict[str, Any]]) -> ViewTable:
    """The jobs as view rows (the CLI's table, the notebook's HTML and the text form all show these)."""
    table = ViewTable("jobs", ("name", "notebook", "cron", "tz", "next due (UTC)", "last run", "on drift", "state"),
                      box="boxed")
    for job in rows:
        last = job["last_run"]
        last_cell = Cell.of("-")
        if last:
            last_cell = Cell.of(f"#{last['run_id']} ").plus(last["status"], STATUS_STYLE.get(last["status"], "white"))
            if last.get("drift"):
                last_cell = last_cell.plus(" ").plus(drift_text(last["drift"]), _drift_color(last["drift"]) or "")
        table.rows.append((job["name"], job["notebook"], cron_text(job), job["tz"], _short(job["next_due"]), last_cell,
                           "fail" if job.get("fail_on_drift") else "flag",
                           Cell.of("paused", "yellow") if job["paused"] else "active"))
    return table


def jobs_table(rows: list[dict[str, Any]]) -> Table:
    return rich_table(jobs_view_table(rows))


def cron_text(job: dict[str, Any]) -> str:
    """The job's cron, else what starts it: `drift of churn-daily`, or `manual` (only `jobs run` / Run now)."""
    return job["cron"] or _triggers(job)


def _triggers(job: dict[str, Any]) -> str:
    """`drift of churn-daily` for a job other jobs' verdicts start; `manual` for a job without cron or trigger."""
    parts = [f"drift of {job['on_drift']}"] * bool(job.get("on_drift")) + \
        [f"degraded of {job['on_degraded']}"] * bool(job.get("on_degraded"))
    return " / ".join(parts) or "manual"


def chain_text(run: StoredRun) -> str:
    """What a run decided: `degraded`, `registered churn-clf v3 -> moved @champion` (or why not)."""
    parts = ["outcomes degraded"] if run.degraded else []
    for artifact in run.artifacts:
        summary = artifact.get("summary") or {}
        if artifact.get("kind") == "candidate":
            decision = (f"moved @{summary.get('alias')}" if summary.get("promoted")
                        else f"kept as candidate: {summary.get('reason')}" if summary.get("reason") else "candidate")
            parts.append(f"registered {summary.get('model')} v{summary.get('version')} -> {decision}")
    return "; ".join(parts)


def trigger_text(run: StoredRun) -> str:
    """`schedule`, `manual`, or `drift <- run 12` for a run another run's verdict started."""
    return f"{run.trigger} <- run {run.triggered_by}" if run.triggered_by else run.trigger


def history_view_table(runs: list[StoredRun], title: str = "runs") -> ViewTable:
    """Runs as view rows: status and drift styled, the error or what the run decided or its output."""
    columns = ("run", "job", "status", "drift", "trigger", "try", "scheduled (UTC)", "started (UTC)", "took",
               "error / output")
    table = ViewTable(title, columns, box="boxed", fold=columns)
    for run in runs:
        took = f"{run.duration_s:.1f} s" if run.duration_s is not None else ""
        detail = run.error.line() if run.error else (chain_text(run) or run.output_path or "")
        table.rows.append((str(run.run_id), run.job, Cell.of(run.status, STATUS_STYLE.get(run.status, "white")),
                           Cell.of(drift_text(run.drift), _drift_color(run.drift) or "",
                                   title=str((run.drift or {}).get("report") or "")), trigger_text(run),
                           str(run.attempt), _short(iso(run.scheduled_for)), _short(iso(run.started_at)), took, detail))
    return table


def history_table(runs: list[StoredRun], title: str = "runs") -> Table:
    return rich_table(history_view_table(runs, title))


def history_html(runs: list[StoredRun]) -> str:
    """The same history as an HTML table, for notebooks (every cell escaped)."""
    return html_table(history_view_table(runs))


RUN_FIELDS = ("trigger", "triggered_by", "attempt", "retry_of", "scheduled_for", "started_at", "ended_at",
              "duration_s", "parameters", "notebook", "notebook_sha256", "output_path")


def _field(value: Any) -> str:
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def run_view(run: StoredRun) -> View:
    """One run in full (`jobs show`): a headline, then one row per stored field, its drift, artifacts,
    what it decided and its error."""
    headline = Cell.of("run ").plus(run.run_id, "bold").plus(" of ").plus(run.job, "bold").plus(": ") \
        .plus(run.status, STATUS_STYLE.get(run.status, "white"))
    fields = ViewTable("", ("field", "value"), header=False, box="plain", fold=("value",))
    d = run.to_dict()
    fields.rows += [(key, _field(d[key])) for key in RUN_FIELDS if d[key] not in (None, {})]  # {}: no parameters
    if run.drift:
        fields.rows.append(("drift", Cell.of(drift_text(run.drift), _drift_color(run.drift) or "")
                            .plus("  (share of drifted columns)")))
        if run.drift.get("report"):
            fields.rows.append(("drift report", str(run.drift["report"])))
    for artifact in run.artifacts:
        summary = artifact.get("summary") or {}
        model = f" ({summary['model']})" if artifact.get("kind") == "drift" and summary.get("model") else ""
        fields.rows.append(("artifact", f"{artifact.get('kind')}{model}: {artifact.get('path')}"))
    if chain_text(run):
        fields.rows.append(("decided", chain_text(run)))
    if run.error:
        fields.rows.append((Cell.of("error", "red"), _error_cell(run.error)))
    return View([headline, fields])


def _error_cell(error: RunError) -> Cell:
    """The whole error: its first line, then each further line of the message on a line of its own."""
    first, *rest = error.lines()
    out = Cell.of(first)
    for line in rest:
        out = out.plus(line, newline=True)
    return out


class RunDetail(Rendered):
    """One run as `jobs show` prints it (text, Rich, HTML from `run_view`); `to_dict()` for --json."""

    def __init__(self, run: StoredRun):
        self.run = run

    def view(self) -> View:
        return run_view(self.run)

    def to_dict(self) -> dict[str, Any]:
        return self.run.to_dict()


class CellProgress:
    """Live per-cell progress of one run: a Rich bar on a terminal, one line per cell in logs."""

    def __init__(self, console: Console, label: str):
        self.console = console
        self.label = printable(label)  # a job name: shown through Rich markup
        self.progress = None
        self.task = None

    def __enter__(self) -> CellProgress:
        if self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                     TimeElapsedColumn(), console=self.console)
            self.progress.start()
            self.task = self.progress.add_task(f"{self.label}: starting kernel", total=None)
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is None:
            return
        task = self.progress.tasks[0]
        if exc[0] is None and task.total:
            self.progress.update(self.task, completed=task.total, description=f"{self.label}: done")
        self.progress.stop()

    def __call__(self, index: int, total: int, cell: int | None, first_line: str) -> None:
        where = f"cell {cell}" if cell else "injected parameters"
        if self.progress is None:
            self.console.print(f"{self.label}: [{index + 1}/{total}] {where}: {printable(first_line[:60])}", highlight=False)
            return
        self.progress.update(self.task, total=total, completed=index,
                             description=f"{self.label}: {where} [dim]{printable(first_line[:40])}[/]")
