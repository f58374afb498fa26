"""`%prodkit drift REF CURRENT`: the CLI's drift command, where REF and CURRENT may also name
DataFrames of the notebook."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NotebookFrame:
    """A DataFrame of the notebook given to `drift` by its variable name (str() is the name)."""

    name: str
    frame: object

    def __str__(self) -> str:
        return self.name


def adapt(group) -> None:
    """REF and CURRENT name a notebook DataFrame when one of that name exists, else a file."""
    from prodkit._cli_support import NOTEBOOK_SHELL
    from prodkit._magic_cli import param_of, wrap_callback

    def from_notebook(ctx, param, value):
        user_ns = NOTEBOOK_SHELL.get().user_ns
        name = str(value)
        return NotebookFrame(name, user_ns[name]) if user_ns.get(name) is not None else value

    drift = group.commands["drift"]
    for name in ("reference", "current"):
        wrap_callback(param_of(drift, name), from_notebook)


__all__ = ["NotebookFrame", "adapt"]
