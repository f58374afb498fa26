"""`prodkit check`: the readiness checklist in a terminal or CI."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from prodkit._cli_support import err, handle_errors, in_notebook, out, print_json


def fail_under_default(path: Path) -> float:
    """settings.ini `readiness_fail_under` of the project around `path`."""
    from prodkit.config import load_project
    from prodkit.errors import BadInput

    project = load_project(path if path.exists() else Path.cwd())
    raw = project.settings.get("readiness_fail_under") or "0.8"
    try:
        return parse_fail_under(raw)
    except BadInput:
        raise BadInput(f"readiness_fail_under = {raw!r} is not a number between 0 and 1",
                       path=str(project.root / "settings.ini"), fix="set it to e.g. 0.8") from None


def parse_fail_under(raw: str | float) -> float:
    from prodkit.errors import BadInput

    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise BadInput(f"--fail-under {raw!r} must be a number between 0 and 1", fix="e.g. --fail-under 0.8")
    return value


def parse_only(only: str | None) -> list[str] | None:
    """`--only SEC-01,sec-02` -> ["SEC-01", "SEC-02"], each a registered id."""
    from prodkit.errors import BadInput
    from prodkit.readiness.registry import all_checks

    if only is None:
        return None
    known = {spec.id for spec in all_checks()}
    ids = [part.strip().upper() for part in only.split(",") if part.strip()]
    unknown = [i for i in ids if i not in known]
    if unknown or not ids:
        raise BadInput(f"--only: unknown check id(s) {', '.join(unknown) or '(none given)'}",
                       fix=f"use ids such as {', '.join(sorted(known)[:4])} …")
    return ids


@handle_errors
def check_command(
    paths: list[Path] = typer.Argument(..., help="A notebook, or a folder of notebooks (several may be given).",
                                       metavar="NB_OR_DIR..."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON (a list for a folder)."),
    fail_under: str = typer.Option(None, "--fail-under", metavar="X",
                                   help="Exit 1 if a notebook score (0..1, the notebook's own findings) is below X. "
                                        "Default: settings.ini readiness_fail_under."),
    html: Path = typer.Option(None, "--html", metavar="FILE", help="Also write a standalone HTML report."),
    run: bool = typer.Option(False, "--run", help="Also run CODE-01: the notebook top to bottom in a fresh "
                                                    "kernel (papermill)."),
    timeout: int = typer.Option(600, "--timeout", min=1, help="With --run: seconds allowed per cell."),
    only: str = typer.Option(None, "--only", metavar="IDS",
                             help="Run only these checks, comma-separated (e.g. SEC-01,SEC-02)."),
    static: bool = typer.Option(False, "--static", help="Leave checks that read project state (registry, "
                                "jobs, monitoring) out of the score: for CI on a fresh checkout."),
):
    """Production-readiness checklist: secrets, paths, execution order, dependencies, tests, seeds,
    parameters, lint, registered model, job, monitoring, business case. Two scores 0..1 with a grade each:
    the notebook's own findings (weakest section; the --fail-under gate) and the project's set-up."""
    from prodkit._io import atomic_write_text
    from prodkit.errors import GateFailed
    from prodkit.readiness.render import print_results
    from prodkit.readiness.result import standalone_html

    if fail_under is not None:
        threshold = parse_fail_under(fail_under)
    else:  # the notebook shows the score, gated only when --fail-under is given
        threshold = 0.0 if in_notebook() else fail_under_default(paths[0])
    ids = parse_only(only)
    notebooks = notebooks_to_check(paths)
    results = []
    show_progress = not json_out and (run or len(notebooks) > 1) and err.is_terminal
    options = {"run": run, "timeout": timeout, "only": ids, "static": static}
    if not run and len(notebooks) >= PARALLEL_FROM and (os.cpu_count() or 1) > 1:
        results = _check_in_parallel(notebooks, options)
    for nb, project in notebooks.items() if not results else ():
        if show_progress:
            with err.status(f"checking {nb}{' (running it in a fresh kernel)' if run else ''} …"):
                results.append(_check_one(nb, project, options))
        else:
            results.append(_check_one(nb, project, options))
    if html is not None:
        atomic_write_text(html, standalone_html(results))
    single = len(paths) == 1 and not paths[0].is_dir()
    if in_notebook():
        pass  # returned below, displayed as the readiness widget
    elif json_out:
        print_json(results[0].to_dict() if single else [r.to_dict() for r in results])
    else:
        print_results(results, out)
        if html is not None:
            out.print(f"HTML report: {html}")
    unreadable = [r for r in results if r.error]
    if unreadable:
        from prodkit.errors import BadInput

        raise BadInput(f"{len(unreadable)} notebook(s) could not be read: "
                       f"{'; '.join(f'{r.notebook}: {r.error}' for r in unreadable[:3])}",
                       fix="fix or remove them; the others were checked (see above)")
    below = [r for r in results if r.score < threshold]
    if below:
        names = ", ".join(f"{r.notebook} ({r.score:.2f})" for r in below[:5])
        raise GateFailed(f"readiness below {threshold:g}: {names}",
                         fix="fix the failing checks listed above, or lower --fail-under")
    return results[0] if single else results


PARALLEL_FROM = 16  # notebooks; below this, starting worker processes costs more than it saves


def _check_in_parallel(notebooks: dict, options: dict) -> list:
    """Static checks of many notebooks on every core (forked workers: nothing is imported again)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from prodkit.errors import ProdkitError

    items = list(notebooks.items())
    workers = min(os.cpu_count() or 1, 8, len(items))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_check_safely, [(nb, project, options) for nb, project in items],
                                chunksize=max(1, len(items) // (workers * 4))))
    for result in results:
        if isinstance(result, ProdkitError):
            raise result
    return results


def _check_safely(item):
    from prodkit.errors import ProdkitError

    try:
        return _check_one(*item)
    except ProdkitError as e:  # sent back to the parent, which stops with it
        return e


def _check_one(nb: Path, project, options: dict):
    """A notebook given by itself: bad input stops the command; one found in a folder: its error entry."""
    from prodkit.readiness import check_notebook, check_or_error

    if project is None:
        return check_notebook(nb, **options)
    return check_or_error(nb, project=project, **options)


def notebooks_to_check(paths: list[Path]) -> dict:
    """Notebook -> the project of the folder it was found in (None for a notebook given by itself:
    its own project, and bad input stops the command)."""
    from prodkit.config import load_project
    from prodkit.notebook import notebook_paths

    found: dict = {}
    for path in paths:
        project = load_project(path) if path.is_dir() else None
        for nb in notebook_paths(path):
            found.setdefault(nb.resolve(), project)
    return found


@handle_errors
def business_command(
    kpi: str = typer.Option(None, "--kpi", help='The business KPI the model moves, e.g. "churn rate".'),
    target: str = typer.Option(None, "--target", help='The KPI target, e.g. "-2 pts".'),
    owner: str = typer.Option(None, "--owner", help="Who owns the KPI (a name or e-mail)."),
    latency_ms: str = typer.Option(None, "--latency-ms", metavar="MS", help="Latency budget per request, in ms."),
    project: Path = typer.Option(None, "--project", help="Project folder (default: the one around the cwd; "
                                 "in a notebook, the notebook's)."),
):
    """Declare the business case (BIZ-01) in settings.ini [prodkit.business]; other keys are kept."""
    from prodkit.config import load_project
    from prodkit.errors import BadInput
    from prodkit.readiness.business import set_business

    values = {k: v for k, v in {"kpi": kpi, "target": target, "owner": owner,
                                "latency_budget_ms": latency_ms}.items() if v is not None}
    if not values:
        raise BadInput("nothing to declare", fix="give --kpi K --target T --owner O --latency-ms MS (any of them)")
    path = set_business(load_project(project or Path.cwd()).root, values)
    out.print(f"business case updated in {path}: " + ", ".join(f"{k} = {v}" for k, v in values.items()),
              markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add `prodkit check` and `prodkit business` to the CLI."""
    app.command("check")(check_command)
    app.command("business")(business_command)
