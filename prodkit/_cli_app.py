"""The `prodkit` command's Typer app (run by `prodkit.cli.main`). Capabilities add their own
sub-commands through `register(app)`."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import typer

from prodkit._cli_support import err, handle_errors, out, print_json, shown

app = typer.Typer(
    name="prodkit",
    help="Take a Jupyter proof of concept to production: promote cells to tested modules, "
    "check readiness, schedule the notebook, register the model, watch for drift.",
    no_args_is_help=True,
    rich_markup_mode=None,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Each capability's `register(app)` adds its sub-commands (imported only when a command needs them).
CAPABILITY_CLIS = (
    "prodkit.readiness.cli",
    "prodkit.jobs.cli",
    "prodkit.models.cli",
    "prodkit.monitor.cli",
)


@app.command()
@handle_errors
def init(
    folder: Path = typer.Argument(Path("."), help="Project folder (created if missing)."),
    lib_path: str = typer.Option("src", help="Where promoted modules go (nbdev lib_path)."),
    nbs_path: str = typer.Option("nbs", help="Where notebooks live (nbdev nbs_path)."),
    ci: str = typer.Option(
        None,
        "--ci",
        help="Also write a CI pipeline: github or gitlab "
        "(promote --check, the generated tests, check --fail-under).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print what changed as JSON."),
):
    """Add prodkit to a project: [tool.nbdev] in pyproject.toml, [prodkit] in settings.ini.

    Existing content is kept; only missing sections and folders are added.
    """
    from prodkit.config import init_project

    changed = init_project(folder, lib_path=lib_path, nbs_path=nbs_path)
    if ci:
        from prodkit.readiness.ci import write_ci

        changed += write_ci(folder, ci)
    if json_out:
        print_json({"folder": str(folder.resolve()), "changed": changed})
        return
    for line in changed or ["already set up: nothing to change"]:
        out.print(f"  {line}", markup=False, highlight=False)


@app.command()
@handle_errors
def promote(
    path: Path = typer.Argument(..., help="A notebook, or a folder of notebooks."),
    check: bool = typer.Option(
        False, "--check", help="Write nothing; exit 1 if generated files are out of date (CI gate)."
    ),
    force: bool = typer.Option(
        False, "--force", help="Overwrite generated files even if they were edited by hand."
    ),
    allow_missing: bool = typer.Option(
        False, "--allow-missing", help="Write modules even when cells use notebook-only names."
    ),
    import_check: bool = typer.Option(
        True, "--import-check/--no-import-check", help="Import each written module in a subprocess."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
):
    """Write %%promote cells as modules and --test cells as pytest files.

    Idempotent: unchanged files are not rewritten. Files edited by hand since prodkit wrote
    them are never overwritten without --force (sync them back with `nbdev-update`).
    """
    from prodkit.cli import print_promote_result
    from prodkit.promote import promote as run_promote

    result = run_promote(path, check=check, force=force, allow_missing=allow_missing, import_check=import_check)
    return shown(result, lambda r: print_promote_result(r, json_out), result.exit_code)


@app.command()
@handle_errors
def demo(
    folder: Path = typer.Argument(Path("prodkit-demo"), help="Where to create the demo project."),
):
    """Take the bundled churn PoC to production in FOLDER, step by step (the README's main job)."""
    from prodkit.demo import run_demo

    run_demo(folder, out)


CORE_COMMANDS = {"init", "promote", "demo"}


def _register_capabilities() -> None:
    """Add every capability's commands (skipped when a core command runs: keeps it fast)."""
    argv = sys.argv[1:]
    if argv and argv[0] in CORE_COMMANDS and Path(sys.argv[0]).name == "prodkit":
        return
    for name in CAPABILITY_CLIS:
        importlib.import_module(name).register(app)


_register_capabilities()

__all__ = ["app", "err"]
