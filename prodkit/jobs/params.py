"""Job parameters: `-p key=value` parsing, JSON checks, and the names a notebook declares."""

from __future__ import annotations

import ast
import json
import math
from typing import Any

from prodkit.errors import BadInput
from prodkit.notebook import PARAMETERS_TAG, Cell, Notebook

__all__ = ["PARAMETERS_TAG", "check_declared", "check_json_values", "declared_names", "parameters_cell",
           "parse_param_args"]


def parse_param_args(items: list[str] | None) -> dict[str, Any]:
    """`["threshold=0.6", "run_date=2026-01-01"]` -> dict; values are JSON when they parse, else text."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise BadInput(f"parameter {item!r} is not KEY=VALUE", fix="write e.g. -p threshold=0.6 -p run_date=2026-01-01")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return check_json_values(params)


def check_json_values(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters are stored as JSON and injected as Python literals: refuse anything else."""
    for key, value in params.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise BadInput(f"parameter name {key!r} is not a Python identifier", fix="use letters, digits and _")
        if isinstance(value, float) and not math.isfinite(value):
            raise BadInput(f"parameter {key}={value!r} is not JSON-able (NaN/inf)", fix="pass a finite number or a string")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise BadInput(f"parameter {key} is a {type(value).__name__}, which is not JSON-able",
                           fix="pass numbers, strings, booleans, None, or lists/dicts of them "
                               "(e.g. a file path instead of a DataFrame)") from None
    return params


def parameters_cell(nb: Notebook) -> Cell | None:
    """The papermill parameters cell: the `%%promote --params` cell, else the cell tagged `parameters`."""
    return nb.parameters_cell()


def declared_names(cell: Cell) -> list[str]:
    """Names assigned at the top level of the parameters cell, in order (from its parsed facts;
    magics and shell lines in it are read the way IPython runs them)."""
    tree = cell.facts.tree
    names: list[str] = []
    for node in tree.body if tree is not None else []:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for target in targets:
            for sub in ast.walk(target):
                if isinstance(sub, ast.Name) and sub.id not in names:
                    names.append(sub.id)
    return names


def check_declared(nb: Notebook, params: dict[str, Any], *, allow_undeclared: bool = False) -> list[str]:
    """Refuse parameters the notebook does not declare; returns warnings when `allow_undeclared`."""
    if not params:
        return []
    cell = parameters_cell(nb)
    declared = declared_names(cell) if cell else []
    unknown = [k for k in params if k not in declared]
    if not unknown:
        return []
    if cell is None:
        message = f"the notebook declares no parameters, but got {', '.join(unknown)}"
        fix = "add a `%%promote --params` cell (or tag a cell `parameters`) that assigns them"
    else:
        message = (f"parameter(s) {', '.join(unknown)} not declared in the parameters cell "
                   f"(it declares: {', '.join(declared) or 'nothing'})")
        fix = "assign them in that cell, fix the spelling, or pass --allow-undeclared"
    if allow_undeclared:
        return [f"{message}; papermill will inject them anyway"]
    raise BadInput(message, path=str(nb.path), cell=cell.number if cell else None, fix=fix)
