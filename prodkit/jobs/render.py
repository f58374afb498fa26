"""Rich tables and live progress for jobs and runs (the CLI and the notebook show the same records)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from prodkit._render import Cell, html_table, rich_table
from prodkit._render import Table as ViewTable
from prodkit._text import printable
from prodkit.jobs.records import StoredRun, iso

STATUS_STYLE = {"succeeded": "green", "failed": "red", "timed_out": "red", "lost": "magenta",
                "cancelled": "yellow", "running": "cyan", "queued": "blue"}


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


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


def _drift_cell(drift: dict[str, Any] | None) -> str:
    color = _drift_color(drift)
    return f"[{color}]{drift_text(drift)}[/]" if color else drift_text(drift)


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


def print_run(run: StoredRun, console: Console) -> None:
    d = run.to_dict()
    console.print(f"[bold]run {run.run_id}[/] of [bold]{printable(run.job)}[/]: {_status(run.status)}")
    for key in ("trigger", "triggered_by", "attempt", "retry_of", "scheduled_for", "started_at", "ended_at", "duration_s",
                "parameters", "notebook", "notebook_sha256", "output_path"):
        if d[key] is not None:
            console.print(f"  {key:<16} {printable(d[key])}", highlight=False)
    drift = run.drift
    if drift:
        console.print(f"  drift            {_drift_cell(drift)}  (share of drifted columns)", highlight=False)
        if drift.get("report"):
            console.print(f"  drift report     {printable(drift['report'])}", highlight=False)
    for artifact in run.artifacts:
        summary = artifact.get("summary") or {}
        model = f" ({summary['model']})" if artifact.get("kind") == "drift" and summary.get("model") else ""
        console.print(f"  artifact         {printable(artifact.get('kind'))}{printable(model)}: {printable(artifact.get('path'))}",
                      highlight=False)
    if chain_text(run):
        console.print(f"  decided          {printable(chain_text(run))}", highlight=False)
    if run.error:
        console.print(f"  [red]error[/]            {printable(run.error.line())}", highlight=False)


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
