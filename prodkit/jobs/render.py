"""Rich tables and live progress for jobs and runs (the CLI and the notebook show the same records)."""

from __future__ import annotations

import html
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from prodkit.jobs.records import RunRecord, iso

STATUS_STYLE = {"succeeded": "green", "failed": "red", "timed_out": "red", "lost": "magenta",
                "cancelled": "yellow", "running": "cyan", "queued": "blue"}


def _status(status: str) -> str:
    return f"[{STATUS_STYLE.get(status, 'white')}]{status}[/]"


NO_DRIFT_VERDICT = "–"  # the run watched no batch


def drift_text(drift: dict[str, Any] | None) -> str:
    """A run's drift verdict (RunRecord.drift) as `drift 0.40`, `ok 0.20`, or `–` when it watched nothing."""
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


def jobs_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="jobs", title_justify="left")
    for col in ("name", "notebook", "cron", "tz", "next due (UTC)", "last run", "on drift", "state"):
        table.add_column(col)
    for job in rows:
        last = job["last_run"]
        last_text = f"#{last['run_id']} {_status(last['status'])}" if last else "-"
        if last and last.get("drift"):
            last_text += f" {_drift_cell(last['drift'])}"
        table.add_row(job["name"], job["notebook"], cron_text(job), job["tz"], _short(job["next_due"]), last_text,
                      "fail" if job.get("fail_on_drift") else "flag",
                      "[yellow]paused[/]" if job["paused"] else "active")
    return table


def cron_text(job: dict[str, Any]) -> str:
    """The job's cron, else what starts it: `drift of churn-daily`, or `manual` (only `jobs run` / Run now)."""
    return job["cron"] or _triggers(job)


def _triggers(job: dict[str, Any]) -> str:
    """`drift of churn-daily` for a job other jobs' verdicts start; `manual` for a job without cron or trigger."""
    parts = [f"drift of {job['on_drift']}"] * bool(job.get("on_drift")) + \
        [f"degraded of {job['on_degraded']}"] * bool(job.get("on_degraded"))
    return " / ".join(parts) or "manual"


def chain_text(run: RunRecord) -> str:
    """What a run decided: `degraded`, `registered churn-clf v3 -> moved @champion` (or why not)."""
    parts = ["outcomes degraded"] if run.degraded else []
    for artifact in run.artifacts:
        summary = artifact.get("summary") or {}
        if artifact.get("kind") == "candidate":
            decision = (f"moved @{summary.get('alias')}" if summary.get("promoted")
                        else f"kept as candidate: {summary.get('reason')}" if summary.get("reason") else "candidate")
            parts.append(f"registered {summary.get('model')} v{summary.get('version')} -> {decision}")
    return "; ".join(parts)


def trigger_text(run: RunRecord) -> str:
    """`schedule`, `manual`, or `drift <- run 12` for a run another run's verdict started."""
    return f"{run.trigger} <- run {run.triggered_by}" if run.triggered_by else run.trigger


def history_table(runs: list[RunRecord], title: str = "runs") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("run", "job", "status", "drift", "trigger", "try", "scheduled (UTC)", "started (UTC)", "took",
                "error / output"):
        table.add_column(col, overflow="fold")
    for run in runs:
        took = f"{run.duration_s:.1f} s" if run.duration_s is not None else ""
        detail = run.error.line() if run.error else (chain_text(run) or run.output_path or "")
        table.add_row(str(run.run_id), run.job, _status(run.status), _drift_cell(run.drift), trigger_text(run),
                      str(run.attempt),
                      _short(iso(run.scheduled_for)), _short(iso(run.started_at)), took, detail)
    return table


def print_run(run: RunRecord, console: Console) -> None:
    d = run.to_dict()
    console.print(f"[bold]run {run.run_id}[/] of [bold]{run.job}[/]: {_status(run.status)}")
    for key in ("trigger", "triggered_by", "attempt", "retry_of", "scheduled_for", "started_at", "ended_at", "duration_s",
                "parameters", "notebook", "notebook_sha256", "output_path"):
        if d[key] is not None:
            console.print(f"  {key:<16} {d[key]}", highlight=False)
    drift = run.drift
    if drift:
        console.print(f"  drift            {_drift_cell(drift)}  (share of drifted columns)", highlight=False)
        if drift.get("report"):
            console.print(f"  drift report     {escape(str(drift['report']))}", highlight=False)
    for artifact in run.artifacts:
        summary = artifact.get("summary") or {}
        model = f" ({summary['model']})" if artifact.get("kind") == "drift" and summary.get("model") else ""
        console.print(f"  artifact         {artifact.get('kind')}{model}: {escape(str(artifact.get('path')))}",
                      highlight=False)
    if chain_text(run):
        console.print(f"  decided          {escape(chain_text(run))}", highlight=False)
    if run.error:
        console.print(f"  [red]error[/]            {run.error.line()}", highlight=False)


def history_html(runs: list[RunRecord]) -> str:
    """The same history as an HTML table, for notebooks."""
    head = "".join(f"<th>{h}</th>" for h in ("run", "job", "status", "drift", "trigger", "try", "scheduled (UTC)", "took",
                                             "error / output"))
    body = []
    for run in runs:
        took = f"{run.duration_s:.1f} s" if run.duration_s is not None else ""
        detail = run.error.line() if run.error else (chain_text(run) or run.output_path or "")
        color = STATUS_STYLE.get(run.status, "black")
        cells = (run.run_id, run.job, f'<span style="color:{color}">{run.status}</span>', _drift_html(run.drift),
                 html.escape(trigger_text(run)), run.attempt, _short(iso(run.scheduled_for)), took, html.escape(detail))
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _drift_html(drift: dict[str, Any] | None) -> str:
    """The verdict, colored, with a title giving the report's path."""
    color = _drift_color(drift)
    if not color:
        return drift_text(drift)
    title = f' title="{html.escape(str(drift["report"]), quote=True)}"' if drift.get("report") else ""
    return f'<span style="color:{color}"{title}>{html.escape(drift_text(drift))}</span>'


class CellProgress:
    """Live per-cell progress of one run: a Rich bar on a terminal, one line per cell in logs."""

    def __init__(self, console: Console, label: str):
        self.console = console
        self.label = label
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
            self.console.print(f"{self.label}: [{index + 1}/{total}] {where}: {escape(first_line[:60])}", highlight=False)
            return
        self.progress.update(self.task, total=total, completed=index,
                             description=f"{self.label}: {where} [dim]{escape(first_line[:40])}[/]")
