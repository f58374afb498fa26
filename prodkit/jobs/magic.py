"""`%prodkit` in a notebook, for jobs: `%prodkit schedule` (the CLI's `jobs add`, for this notebook)
and the HTML view `jobs add`, `jobs list` and `jobs history` return there."""

from __future__ import annotations

import copy

from prodkit._render import Line, Rendered, View


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


class JobsView(Rendered):
    """Jobs and runs: one view that the CLI prints (Rich or plain text), the notebook shows as HTML
    and `--json` gives as `to_dict()`. `jobs` or `runs` None: that table is not part of the view."""

    def __init__(self, jobs: list[dict] | None, runs: list | None, runs_title: str = "runs"):
        self.jobs, self.runs, self.runs_title = jobs, runs, runs_title

    def view(self) -> View:
        from prodkit.jobs.render import history_view_table, jobs_view_table

        blocks = []
        if self.jobs is not None:
            blocks.append(jobs_view_table(self.jobs) if self.jobs
                          else Line("no jobs yet: `prodkit jobs add NAME NOTEBOOK --cron ...`"))
        if self.runs:
            blocks.append(history_view_table(self.runs, self.runs_title))
        elif self.runs is not None and self.jobs is None:
            blocks.append(Line("no runs yet"))
        return View(blocks)

    def to_dict(self) -> dict:
        return {"jobs": self.jobs, "runs": [r.to_dict() for r in self.runs or []]}

    def __repr__(self) -> str:
        return str(self)


__all__ = ["JobsView", "adapt"]
