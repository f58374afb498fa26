"""The data-contract file as pydantic models (imported on the first load, not with prodkit.monitor),
and the first validation error as one line naming the field."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Number = int | float  # ints stay ints, so a round trip writes `min: 1`, not `min: 1.0`


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class ColumnSpec(_Strict):
    dtype: Literal["integer", "float", "bool", "string", "category", "datetime"]
    kind: Literal["numerical", "categorical", "datetime", "text"]
    null_share: float = Field(0.0, ge=0, le=1)
    min: Number | None = None
    max: Number | None = None
    categories: list[Any] | None = None
    drift: bool = True
    method: str | None = None
    threshold: Number | None = None


class Tolerance(_Strict):
    null_share_margin: float = Field(0.05, ge=0, le=1)
    out_of_range_share: float = Field(0.01, ge=0, le=1)
    unseen_category_share: float = Field(0.01, ge=0, le=1)


class ContractFile(_Strict):
    version: int = 1
    name: str | None = None
    reference_rows: int | None = Field(None, ge=0)
    extra_columns: Literal["ignore", "warning", "error"] = "warning"
    drift_share: float = Field(0.5, ge=0, le=1)
    tolerance: Tolerance = Field(default_factory=Tolerance)
    columns: dict[str, ColumnSpec]


_UNION_TAGS = {"int", "float", "none"}
_KINDS_OF_VALUE = {"float": "a number", "int": "a whole number", "bool": "true or false", "list": "a list, e.g. [a, b]",
                   "string": "text", "dict": "a mapping", "model": "a mapping"}


def parse(data: dict) -> ContractFile:
    """`data` as a ContractFile; ValueError(message, fix) with the first problem otherwise."""
    try:
        return ContractFile.model_validate(data)
    except ValidationError as e:
        errors = e.errors(include_url=False)
        message, fix = describe(errors[0])
        more = len({_field(err["loc"]) for err in errors}) - 1
        raise ValueError(message + (f" (and {more} more problem{'s' * (more > 1)})" if more > 0 else ""),
                         fix) from None


def _field(loc: tuple) -> tuple:
    """The field's path without pydantic's union-member tags (`min.int`, `min.float` -> `min`)."""
    path = list(loc)
    while path and isinstance(path[-1], str) and path[-1] in _UNION_TAGS and len(path) > 1:
        path.pop()
    return tuple(path)


def _dotted(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def describe(error: dict) -> tuple[str, str]:
    """One pydantic error as (message naming the field, what to do)."""
    path, kind, value = _field(error["loc"]), error["type"], error.get("input")
    field, last = _dotted(path), path[-1] if path else ""
    in_column = len(path) >= 2 and path[0] == "columns"
    if kind == "extra_forbidden":
        model = _model_at(path[:-1])
        where = f"{_dotted(path[:-1])}: unknown key" if len(path) > 1 else "unknown top-level key"
        return f"{where} {last!r}", f"use {', '.join(model.model_fields)}"
    if in_column and (len(path) == 2 or kind == "missing") and last in ("dtype", "kind", path[1]):
        missing = f" ({last} is missing)" if kind == "missing" else f" (got {_shown(value)})"
        return f"column {path[1]!r} needs at least dtype and kind{missing}", "e.g.  dtype: float, kind: numerical"
    if kind == "missing":
        return f"{field} is missing", "start from an inferred contract and edit it"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        what = f"unknown kind {_shown(value)}" if last == "kind" else f"{field} is {_shown(value)}"
        return f"{_dotted(path[:-1])}: {what}" if last == "kind" else what, f"use one of {expected}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return f"{field} is {_shown(value)}", ("use a whole number >= 0" if last == "reference_rows"
                                               else "use a number between 0 and 1")
    family = "float" if error["loc"][-1] in _UNION_TAGS else kind.split("_")[0]  # `int | float`: a number
    return f"{field} is {_shown(value)}", f"use {_KINDS_OF_VALUE.get(family, 'a valid value')}"


def _model_at(path: tuple) -> type[BaseModel]:
    if not path:
        return ContractFile
    if path[0] == "tolerance":
        return Tolerance
    return ColumnSpec


def _shown(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
