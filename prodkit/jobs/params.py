"""Job parameters: `-p key=value` parsing, JSON checks, and the names a notebook declares."""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

from prodkit.errors import BadInput
from prodkit.notebook import Cell, Notebook

PARAMETERS_TAG = "parameters"
_ASSIGNED = re.compile(r"^([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)", re.M)


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
        refuse_secret(key, value)
    return params


def refuse_secret(key: str, value: Any) -> None:
    """A parameter holding a secret is refused: papermill writes parameters into every output
    notebook and the store keeps them, so the value would be copied out of the notebook."""
    from prodkit.readiness.secrets import scan_text

    strings = [value] if isinstance(value, str) else _strings(value)
    for text in strings:
        found = scan_text(f"{key} = {json.dumps(text)}", output=True) or scan_text(text, output=True)
        if found:
            raise BadInput(f"parameter {key} looks like a secret ({found[0].kind}); job parameters are stored in "
                           "the job store and written into every output notebook",
                           fix=f"read it in the notebook from an environment variable "
                               f"(os.environ[{key.upper()!r}]) set where the runs execute; nothing was stored")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [t for v in value for t in _strings(v)]
    return []


def parameters_cell(nb: Notebook) -> Cell | None:
    """The papermill parameters cell: the `%%promote --params` cell, else the cell tagged `parameters`."""
    for cell in nb.code_cells:
        directive = cell.promote
        if directive is not None and directive.kind == "params":
            return cell
    for cell in nb.code_cells:
        if PARAMETERS_TAG in cell.tags:
            return cell
    return None


def declared_names(cell: Cell) -> list[str]:
    """Names assigned at the top level of the parameters cell, in order."""
    try:
        tree = ast.parse(cell.body)
    except SyntaxError:  # magics or shell lines: fall back to `name = ...` lines
        return list(dict.fromkeys(_ASSIGNED.findall(cell.body)))
    names: list[str] = []
    for node in tree.body:
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
