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
        refuse_secret(key, value)
    return params


def refuse_secret(key: str, value: Any) -> None:
    """A parameter holding a secret is refused: papermill writes parameters into every output
    notebook and the store keeps them, so the value would be copied out of the notebook."""
    from prodkit.readiness.secrets import scan_text

    for name, text in _named_strings(key, value):
        found = scan_text(f"{name} = {json.dumps(text)}", output=True) or scan_text(text, output=True)
        if found:
            raise BadInput(f"parameter {key} looks like a secret ({found[0].kind}); job parameters are stored in "
                           "the job store and written into every output notebook",
                           fix=f"read it in the notebook from an environment variable "
                               f"(os.environ[{key.upper()!r}]) set where the runs execute; nothing was stored")


def _named_strings(name: str, value: Any) -> list[tuple[str, str]]:
    """Every string inside a JSON value with the name it is stored under (the nearest dict key), so
    `cfg={"password": "..."}` is scanned as `password = "..."` and dict keys are scanned too."""
    if isinstance(value, str):
        return [(name, value)]
    if isinstance(value, dict):
        return [pair for k, v in value.items()
                for pair in ((*_named_strings(name, k),) if isinstance(k, str) else ()) + (*_named_strings(
                    k if isinstance(k, str) else name, v),)]
    if isinstance(value, list):
        return [pair for v in value for pair in _named_strings(name, v)]
    return []


def parameters_cell(nb: Notebook) -> Cell | None:
    """The papermill parameters cell: the `%%parameters` (or `%%promote --params`) cell, else the cell tagged `parameters`."""
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


def declared_values(cell: Cell) -> dict[str, Any]:
    """`name: value` for each top-level assignment of a literal in the parameters cell.

    Assignments of anything but a literal (`start = date.today()`) have no known type and are left out.
    """
    try:
        tree = ast.parse(cell.body)
    except SyntaxError:
        return {}
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        try:
            values[target.id] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            values.pop(target.id, None)  # reassigned to a non-literal: its type is not known
    return values


_TYPE_NAMES = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}


def _expected_type(value: Any) -> type | None:
    """The JSON-able type a parameter declared as `value` takes; None: any (None or an unknown kind)."""
    if isinstance(value, tuple):
        return list  # JSON has no tuples: papermill injects a list
    return next((t for t in _TYPE_NAMES if type(value) is t), None)


def _fits(expected: type, given: Any) -> bool:
    if expected is float:
        return type(given) in (int, float)  # int -> float widening
    return type(given) is expected


def _a(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"


def check_types(nb: Notebook, params: dict[str, Any]) -> None:
    """Refuse a parameter whose value is not of the type the parameters cell gives it (`threshold = 0.5`: float)."""
    cell = parameters_cell(nb)
    if cell is None or not params:
        return
    declared = declared_values(cell)
    for key, given in params.items():
        if key not in declared:
            continue
        expected = _expected_type(declared[key])
        if expected is None or _fits(expected, given):
            continue
        shown = _short(json.dumps(given) if _is_json(given) else repr(given))
        if given is not None:
            shown += f" ({_a(_TYPE_NAMES.get(type(given), type(given).__name__))})"
        raise BadInput(f"parameter {key} expects {_a(_TYPE_NAMES[expected])} (the parameters cell has "
                       f"{key} = {_short(repr(declared[key]))}), got {shown}",
                       path=str(nb.path), cell=cell.number, fix=_type_fix(key, expected))


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _type_fix(key: str, expected: type) -> str:
    examples = {bool: "true", int: "3", float: "0.6", str: "'\"text\"'", list: "'[1, 2]'", dict: "'{\"a\": 1}'"}
    return (f"pass {_a(_TYPE_NAMES[expected])}, e.g. {key}={examples[expected]} (values are read as JSON), "
            "or change its value in the parameters cell")


def check_parameters(nb: Notebook, params: dict[str, Any], *, allow_undeclared: bool = False) -> list[str]:
    """Names and types of `params` against the notebook's parameters cell; warnings when `allow_undeclared`."""
    warnings = check_declared(nb, params, allow_undeclared=allow_undeclared)
    check_types(nb, params)
    return warnings


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
        fix = "add a `%%parameters` cell (or tag a cell `parameters`) that assigns them"
    else:
        message = (f"parameter(s) {', '.join(unknown)} not declared in the parameters cell "
                   f"(it declares: {', '.join(declared) or 'nothing'})")
        fix = "assign them in that cell, fix the spelling, or pass --allow-undeclared"
    if allow_undeclared:
        return [f"{message}; papermill will inject them anyway"]
    raise BadInput(message, path=str(nb.path), cell=cell.number if cell else None, fix=fix)
