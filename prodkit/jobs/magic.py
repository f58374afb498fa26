"""`%prodkit` in a notebook, for jobs: `%prodkit schedule` (the CLI's `jobs add`, for this notebook)
and the HTML view `jobs add`, `jobs list` and `jobs history` return there."""

from __future__ import annotations

import copy


def adapt(group) -> None:
    """Add `%prodkit schedule [NOTEBOOK] --cron CRON [--name NAME] ...`: `jobs add`'s own options,
    the job named from the notebook's path unless --name, and a cron expression required."""
    from typer.core import TyperOption

    add = group.commands["jobs"].commands["add"]
    schedule = copy.deepcopy(add)
    schedule.name = "schedule"
    schedule.help = ("Schedule this notebook (or NOTEBOOK) as a papermill job: `jobs add`, the job named from "
                     "the notebook's path in the project unless --name.")
    name = TyperOption(param_decls=["--name"], help="Job name (default: from the notebook's path in the project).")
    params = []
    for param in schedule.params:
        if param.name == "name":
            param = name
        elif param.name == "cron":
            param.required = True
        params.append(param)
    schedule.params = params
    group.add_command(schedule, "schedule")


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



__all__ = ["JobsView", "adapt"]
