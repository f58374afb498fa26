"""`%prodkit schedule` and `%prodkit jobs` in a notebook."""

from __future__ import annotations

import argparse


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        from IPython.core.error import UsageError

        raise UsageError(f"{message}\nusage: {self.format_usage().strip()}")


def _schedule_parser() -> _Parser:
    p = _Parser(prog="%prodkit schedule", add_help=False)
    p.add_argument("notebook", nargs="?", help="default: this notebook")
    p.add_argument("--cron", required=True)
    p.add_argument("--name")
    p.add_argument("-p", "--param", action="append", default=[])
    p.add_argument("--timeout", type=float)
    p.add_argument("--retries", type=int, default=0)
    p.add_argument("--retry-backoff", type=float, default=60.0)
    p.add_argument("--tz", default="UTC")
    p.add_argument("--catch-up", default="once")
    p.add_argument("--kernel")
    p.add_argument("--fail-on-drift", action="store_true")
    p.add_argument("--allow-undeclared", action="store_true")
    p.add_argument("--replace", action="store_true")
    return p


def magic_schedule(shell, args: list[str]):
    """%prodkit schedule --cron "0 6 * * *" [--name NAME] [-p k=v] [--timeout S] [--retries N] [--tz TZ] [--fail-on-drift] — schedule this notebook"""
    from IPython.core.error import UsageError

    from prodkit.config import load_project
    from prodkit.errors import ProdkitError
    from prodkit.jobs.api import add_job, list_jobs
    from prodkit.jobs.names import default_job_name
    from prodkit.jobs.params import parse_param_args
    from prodkit.magics import current_notebook_path

    ns = _schedule_parser().parse_args(args)
    if not ns.cron.strip():
        raise UsageError('%prodkit schedule needs a cron expression, e.g. --cron "0 6 * * *" '
                         "(a job without one: `prodkit jobs add NAME NOTEBOOK`)")
    nb_path = current_notebook_path(shell, ns.notebook)
    try:
        name = ns.name or default_job_name(load_project(nb_path), nb_path)
        added = add_job(name, nb_path, ns.cron, parameters=parse_param_args(ns.param), tz=ns.tz, kernel=ns.kernel,
                        timeout_s=ns.timeout, retries=ns.retries, retry_backoff_s=ns.retry_backoff,
                        catch_up=ns.catch_up, fail_on_drift=ns.fail_on_drift, allow_undeclared=ns.allow_undeclared, replace=ns.replace)
    except ProdkitError as e:
        raise UsageError(e.line()) from None
    for warning in added.warnings:
        print(f"warning: {warning}")
    job = added.to_dict()
    print(f"scheduled {nb_path.name} as job '{name}' at '{job['cron']}' ({job['tz']}); next run {job['next_due']}.\n"
          f"Run `prodkit scheduler` to execute on schedule, or `prodkit jobs run {name}` now.")
    return JobsView(list_jobs(load_project(nb_path)), [])


def magic_jobs(shell, args: list[str]):
    """%prodkit jobs [NAME] — jobs of this project and recent runs (of NAME)"""
    from pathlib import Path

    from IPython.core.error import UsageError

    from prodkit.config import load_project
    from prodkit.errors import ProdkitError
    from prodkit.jobs.api import history, list_jobs

    name = args[0] if args else None
    try:
        project = load_project(shell.user_ns.get("__session__") or Path.cwd())
        return JobsView(list_jobs(project), history(name, project=project, limit=20))
    except ProdkitError as e:
        raise UsageError(e.line()) from None


class JobsView:
    """Jobs and runs, shown as HTML tables in a notebook and as text elsewhere."""

    def __init__(self, jobs: list[dict], runs: list):
        self.jobs, self.runs = jobs, runs

    def _repr_html_(self) -> str:
        from html import escape

        from prodkit.jobs.render import cron_text, history_html

        rows = "".join(
            f"<tr><td>{escape(j['name'])}</td><td>{escape(j['notebook'])}</td><td>{escape(cron_text(j))}</td>"
            f"<td>{escape(j['tz'])}</td><td>{j['next_due'] or ''}</td>"
            f"<td>{'fail' if j.get('fail_on_drift') else 'flag'}</td>"
            f"<td>{'paused' if j['paused'] else 'active'}</td></tr>" for j in self.jobs)
        jobs = ("<table><thead><tr><th>job</th><th>notebook</th><th>cron</th><th>tz</th><th>next due (UTC)</th>"
                f"<th>on drift</th><th>state</th></tr></thead><tbody>{rows}</tbody></table>")
        return jobs + (history_html(self.runs) if self.runs else "")

    def __repr__(self) -> str:
        from prodkit.jobs.render import cron_text, drift_text

        lines = [f"{j['name']}: {j['notebook']} '{cron_text(j)}' ({j['tz']}) next {j['next_due']}" for j in self.jobs]
        lines += [f"run {r.run_id} {r.job} {r.status} {drift_text(r.drift)}" + (f" — {r.error.line()}" if r.error else "")
                  for r in self.runs]
        return "\n".join(lines) or "no jobs"


MAGICS = {"schedule": magic_schedule, "jobs": magic_jobs}

__all__ = ["MAGICS"]
