"""`prodkit models ...`: the registry from a terminal (list, show, gate, rollback, card)."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import typer

from prodkit._cli_support import handle_errors, out, print_result
from prodkit.errors import ProdkitError

models_app = typer.Typer(help="Registered models: list, show, move an alias through the gate, roll back, write cards.",
                         no_args_is_help=True, rich_markup_mode=None)

PROJECT = typer.Option(None, "--project", "-C", help="Project folder (default: the current folder).")
JSON = typer.Option(False, "--json", help="Print the result as JSON.")


def register(app: typer.Typer) -> None:
    app.add_typer(models_app, name="models")


def store_errors(fn):
    """An MlflowException from the store (refused credentials, a server gone midway) becomes one line."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            exceptions = sys.modules.get("mlflow.exceptions")
            if exceptions is None or not isinstance(e, exceptions.MlflowException):
                raise
            from prodkit.models.tracking import first_line, redact

            raise ProdkitError(f"the MLflow store failed ({type(e).__name__}: {redact(first_line(e))})",
                               fix="check the tracking server and its credentials, then retry") from None

    return wrapper


@models_app.command("list")
@handle_errors
@store_errors
def list_cmd(project: Path = PROJECT, json_out: bool = JSON):
    """List registered models: newest version, aliases, parity and what they lack."""
    from prodkit.models.registry import list_models
    from prodkit.models.result import ModelList

    result = ModelList(list_models(project))
    print_result(result, json_out)


@models_app.command("show")
@handle_errors
@store_errors
def show_cmd(name: str = typer.Argument(..., help="Registered model name."),
             version: str = typer.Argument(None, help="Version number or alias (default: the newest)."),
             project: Path = PROJECT, json_out: bool = JSON):
    """Show one version: aliases, provenance tags, metrics, parity and benchmark."""
    from prodkit.models.registry import show

    info = show(name, version, project=project)
    print_result(info, json_out)


def _notify_alias_move(project, event: str, result) -> None:
    from prodkit.models.registry import as_project
    from prodkit.notify import notify

    notify(as_project(project), event, {"model": result.name, "alias": result.alias, "version": result.version,
                                        "previous": result.previous, "by": result.approved_by,
                                        "summary": result.summary()})


@models_app.command("gate")
@handle_errors
@store_errors
def gate_cmd(name: str = typer.Argument(..., help="Registered model name."),
             version: str = typer.Argument(..., help="Version number the alias should move to."),
             alias: str = typer.Option("champion", "--alias", "-a", help="Alias to move (e.g. champion)."),
             approved_by: str = typer.Option(None, "--approved-by", help="Who approves (recorded; default: your user)."),
             force: bool = typer.Option(False, "--force", help="Move it even if the gate fails (needs --reason)."),
             reason: str = typer.Option(None, "--reason", help="Why the gate is overridden (recorded as a tag)."),
             project: Path = PROJECT, json_out: bool = JSON):
    """Move ALIAS to VERSION if it passed parity, has a benchmark and is at least as good as the holder.

    Exits 1 when the gate fails. The previous holder stays available for `prodkit models rollback`.
    """
    from prodkit.models.gate import move_alias

    result = move_alias(name, version, alias, approved_by=approved_by, force=force, reason=reason, project=project)
    _notify_alias_move(project, "promoted", result)
    print_result(result, json_out)


@models_app.command("promote", hidden=True)
@functools.wraps(gate_cmd)
def promote_cmd(*args, **kwargs):
    """Deprecated spelling of `prodkit models gate`."""
    from prodkit._cli_support import err

    err.print("note: `prodkit models promote` is now `prodkit models gate` (same arguments)", highlight=False,
              markup=False)
    return gate_cmd(*args, **kwargs)


@models_app.command("rollback")
@handle_errors
@store_errors
def rollback_cmd(name: str = typer.Argument(..., help="Registered model name."),
                 alias: str = typer.Option("champion", "--alias", "-a", help="Alias to move back."),
                 approved_by: str = typer.Option(None, "--approved-by", help="Who approves (recorded; default: your user)."),
                 project: Path = PROJECT, json_out: bool = JSON):
    """Move ALIAS back to the version that held it before the current one."""
    from prodkit.models.gate import rollback

    result = rollback(name, alias, approved_by=approved_by, project=project)
    _notify_alias_move(project, "rolled_back", result)
    print_result(result, json_out)


@models_app.command("history")
@handle_errors
@store_errors
def history_cmd(name: str = typer.Argument(..., help="Registered model name."),
                alias: str = typer.Option("champion", "--alias", "-a", help="Alias whose moves to list."),
                project: Path = PROJECT, json_out: bool = JSON):
    """List every move of ALIAS, oldest first: gated moves and rollbacks, who, when, and the gate's checks."""
    from prodkit.models.gate import history
    from prodkit.models.result import AliasMoves

    result = AliasMoves(name, alias, history(name, alias, project=project))
    print_result(result, json_out)


@models_app.command("card")
@handle_errors
@store_errors
def card_cmd(name: str = typer.Argument(..., help="Registered model name."),
             version: str = typer.Argument(None, help="Version number or alias (default: the newest)."),
             output: Path = typer.Option(None, "--output", "-o", help="Card path (default: model_cards/NAME.md)."),
             force: bool = typer.Option(False, "--force", help="Overwrite a file that has no prodkit markers."),
             project: Path = PROJECT, json_out: bool = JSON):
    """Write the model card (the Model Cards paper's sections) and list what is still to write.

    Sections follow Mitchell et al. 2019: details, intended use, factors, metrics, evaluation and
    training data, quantitative analyses, ethical considerations, caveats.

    Re-running refreshes only prodkit's blocks (between its begin/end markers) and keeps everything
    else byte for byte. An existing file without those markers is refused (exit 1) unless --force.
    """
    from prodkit.models.card import write_card

    result = write_card(name, version, project=project, output=output, force=force)
    print_result(result, json_out)


@models_app.command("serve")
@handle_errors
def serve_cmd(model: str = typer.Argument(..., help="NAME@ALIAS, NAME/VERSION or NAME (= NAME@champion)."),
              host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
              port: int = typer.Option(5000, "--port", "-p", help="Port to listen on."),
              workers: int = typer.Option(1, "--workers", "-w", help="Server processes (each loads the model)."),
              device: str = typer.Option(None, "--device", help="cpu or cuda (default: CUDA when available)."),
              max_rows: int = typer.Option(10_000, "--max-rows", help="Most rows one request may score."),
              threads: int = typer.Option(1, "--threads", help="torch CPU threads per worker (0: torch's default); "
                                          "raise it for large models served on CPU."),
              project: Path = PROJECT):
    """Serve a registered model on MLflow's scoring protocol (POST /invocations), following its alias.

    GET /ping, /health and /version; every answer names its version in X-Prodkit-Model-Version.
    When the alias moves (gate, rollback) the server loads the new version and switches to it
    without dropping requests in flight.
    """
    from prodkit.models.refs import parse_model_ref
    from prodkit.models.registry import as_project
    from prodkit.models.serve import ServeConfig, serve

    ref = parse_model_ref(model)
    config = ServeConfig(root=str(as_project(project).root), name=ref.name, ref=ref.ref, device=device,
                         max_rows=max_rows, threads=threads)

    def ready(app) -> None:
        if app is not None:
            follower = app.state.follower
            what = f"{ref} v{follower.current.version} on {follower.current.device}"
        else:
            what = f"{ref} ({workers} workers)"
        out.print(f"serving {what} at http://{host}:{port}/invocations — Ctrl-C stops", highlight=False)

    serve(config, host=host, port=port, workers=workers, on_ready=ready)


@models_app.command("loadtest")
@handle_errors
def loadtest_cmd(model: str = typer.Argument(..., help="NAME@ALIAS the server serves."),
                 url: str = typer.Option("http://127.0.0.1:5000", "--url", help="The running server (127.0.0.1 only)."),
                 concurrency: str = typer.Option("1,8,32", "--concurrency", "-c", help="Clients per level, e.g. 1,8,32."),
                 seconds: float = typer.Option(5.0, "--seconds", "-s", help="Seconds per level."),
                 rows: int = typer.Option(1, "--rows", help="Rows per request."),
                 no_store: bool = typer.Option(False, "--no-store", help="Do not record the result on the version."),
                 project: Path = PROJECT, json_out: bool = JSON):
    """Measure p50/p95/p99 and throughput of a running server; stored on the version for BIZ-01.

    Exits 1 when any request failed.
    """
    from prodkit.errors import GateFailed
    from prodkit.models.loadtest import loadtest

    result = loadtest(model, url=url, concurrency=concurrency, seconds=seconds, rows=rows, store=not no_store,
                      project=project)
    print_result(result, json_out)
    if result.failed:
        raise GateFailed(f"{result.failed} requests failed", fix="see the errors above (--json lists them)")
