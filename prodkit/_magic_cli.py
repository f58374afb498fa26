"""`%prodkit ...`: the `prodkit` command's own click commands, run in the kernel.

The line is split with shlex and given to the click group the CLI runs, so options, defaults,
help and validation are the CLI's. What differs in a notebook is listed here and nowhere else:
a NOTEBOOK argument defaults to this kernel's notebook, `--project` to its project, a command
returns its result for the notebook to display instead of printing it (`_cli_support.shown`),
errors are one-line UsageErrors, and a few notebook-only commands are added (`module`, and
each capability's `notebook_commands` / `adapt`). Built on the first `%prodkit` call:
`%load_ext prodkit` imports none of this.
"""

from __future__ import annotations

import functools
import importlib
import shlex
from pathlib import Path

import typer
from IPython.core.error import UsageError

from prodkit._cli_support import NOTEBOOK_SHELL
from prodkit.errors import ProdkitError

# Capabilities' notebook adapters: optional `notebook_commands(app)` (commands only a notebook
# has) and `adapt(group)` (changes to the CLI's commands for a notebook).
CAPABILITY_MAGICS = ("prodkit.jobs.magic", "prodkit.models.magic", "prodkit.monitor.magic")

SAVED_NOTE = "{verb} the saved file {name} (save the notebook first to include recent edits)"

# (command path, parameter naming a notebook, what to say): defaults to this kernel's notebook.
NOTEBOOK_PARAMS = (
    (("promote",), "path", "promoting"),
    (("check",), "paths", None),
    (("jobs", "add"), "notebook", None),
    (("schedule",), "notebook", None),
)


def run_line(shell, line: str):
    """Run `%prodkit LINE` in `shell`: the command's result (displayed by the notebook), or None."""
    try:
        args = shlex.split(line)
    except ValueError as e:
        raise UsageError(f"%prodkit {line}: {e}") from None
    if not args or args[0] == "help":
        args = [*args[1:], "--help"]
    token = NOTEBOOK_SHELL.set(shell)
    try:
        result = magic_group().main(args, prog_name="%prodkit", standalone_mode=False)
    except typer.TyperException as e:  # click's (Typer's vendored click) usage errors
        raise UsageError(usage_line(e)) from None
    except typer.Abort:
        raise UsageError("interrupted") from None
    except ProdkitError as e:
        raise UsageError(e.line()) from None
    finally:
        NOTEBOOK_SHELL.reset(token)
    if isinstance(result, int) and not isinstance(result, bool):  # an exit code (help, typer.Exit)
        if result:
            raise UsageError(f"`%prodkit {line}` failed (exit code {result}): see the output above")
        return None
    return result


def usage_line(e: typer.TyperException) -> str:
    """Click's own message (the CLI prints the same after `Error:`), with the usage on one line."""
    ctx = getattr(e, "ctx", None)
    if ctx is None or not hasattr(e, "format_message"):
        return e.format_message() if hasattr(e, "format_message") else str(e)
    usage = " ".join([ctx.command_path, *ctx.command.collect_usage_pieces(ctx)])
    return f"{e.format_message()}  (usage: {usage}; `{ctx.command_path} --help` for more)"


@functools.cache
def magic_group() -> typer.core.TyperGroup:
    """The CLI's click group, adapted for a notebook (built once per kernel)."""
    from prodkit._cli_app import app

    group = typer.main.get_group(app)
    extra = typer.Typer()
    extra.command("module")(module_command)
    adapters = [importlib.import_module(name) for name in CAPABILITY_MAGICS]
    for adapter in adapters:
        if hasattr(adapter, "notebook_commands"):
            adapter.notebook_commands(extra)
    for name, command in typer.main.get_group(extra).commands.items():
        group.add_command(command, name)
    for adapter in adapters:
        if hasattr(adapter, "adapt"):
            adapter.adapt(group)
    for path, param, verb in NOTEBOOK_PARAMS:
        default_to_notebook(find_command(group, path), param, verb)
    for command in all_commands(group):
        default_project_to_notebook(command)
    return group


def find_command(group: typer.core.TyperGroup, path: tuple[str, ...]) -> typer.core.TyperCommand:
    command: typer.core.TyperCommand = group
    for name in path:
        command = command.commands[name]
    return command


def all_commands(command: typer.core.TyperCommand):
    yield command
    for sub in getattr(command, "commands", {}).values():
        yield from all_commands(sub)


def param_of(command: typer.core.TyperCommand, name: str) -> typer.core.TyperOption | typer.core.TyperArgument:
    return next(p for p in command.params if p.name == name)


def wrap_callback(param: typer.core.TyperOption | typer.core.TyperArgument, fn) -> None:
    """Run `fn(ctx, param, value)` on the parsed value, before the parameter's own callback."""
    original = param.callback

    def callback(ctx, p, value):
        value = fn(ctx, p, value)
        return original(ctx, p, value) if original else value

    param.callback = callback


def default_to_notebook(command: typer.core.TyperCommand, name: str, verb: str | None) -> None:
    """The NOTEBOOK argument becomes optional: this kernel's notebook; a given path is resolved
    as the kernel sees it (its working folder, then the project root) or refused."""
    from prodkit.magics import current_notebook_path

    param = param_of(command, name)
    param.required = False

    def resolve(ctx, p, value):
        shell = NOTEBOOK_SHELL.get()
        if p.nargs == -1:
            return tuple(current_notebook_path(shell, str(v)) for v in value) or (current_notebook_path(shell),)
        path = current_notebook_path(shell, None if value is None else str(value))
        if verb:
            print(SAVED_NOTE.format(verb=verb, name=path.name))
        return path

    wrap_callback(param, resolve)


def default_project_to_notebook(command: typer.core.TyperCommand) -> None:
    """`--project` left out: the project of this kernel's notebook (else the working folder's)."""
    param = next((p for p in command.params if p.name == "project"), None)
    if param is None:
        return

    def resolve(ctx, p, value):
        if ctx.get_parameter_source(p.name).name != "DEFAULT":
            return value
        return notebook_folder(NOTEBOOK_SHELL.get())

    wrap_callback(param, resolve)


def notebook_folder(shell) -> Path:
    """The folder of this kernel's notebook, else the working folder."""
    from prodkit.magics import current_notebook_path

    try:
        return current_notebook_path(shell).parent
    except UsageError:
        return Path.cwd()


def module_command(name: str = typer.Argument(..., help="A dotted module name inside lib_path, e.g. churn.features.")):
    """Send `%%promote` cells that name no module to NAME (this kernel, and `prodkit promote`)."""
    from prodkit.magics import check_module

    check_module(name)
    NOTEBOOK_SHELL.get().user_ns["__prodkit_default_module__"] = name
    print(f"%%promote cells without a module now go to {name}")
