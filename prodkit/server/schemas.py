"""The JSON bodies the REST API accepts: strict types, bounded sizes, no unknown fields.

Imported by the handlers on the first POST (pydantic is not loaded with the server extension).
A body that does not fit raises RequestError(400) naming the first field at fault, in one line.
"""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    ValidationError,
    field_validator,
)

from prodkit.server.errors import RequestError
from prodkit.server.paths import MAX_PATH

MAX_BODY = 256 * 1024  # bytes of a request body
MAX_CRON = 200
MAX_JOB_NAME = 100  # the jobs API's own name rule allows 100 too
MAX_PARAMETERS = 100
MAX_PARAMETER_NAME = 100
MAX_PARAMETER_VALUE = 10_000  # characters of a value's JSON

NotebookPath = Annotated[str, Field(min_length=1, max_length=MAX_PATH,
                                    description="the notebook, relative to the server root, e.g. nbs/churn.ipynb")]
JobName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_JOB_NAME)]
ParameterName = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PARAMETER_NAME)]
Parameters = Annotated[dict[ParameterName, JsonValue] | None,
                       Field(max_length=MAX_PARAMETERS,
                             description="a JSON object of name: value, the names assigned in the parameters cell")]


class Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class _WithParameters(Body):
    parameters: Parameters = None

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Any] | None) -> dict[str, Any]:
        for name, item in (value or {}).items():
            if not name.isidentifier():
                raise ValueError(f"parameter name {_short(name)} is not a Python identifier")
            if _has_nan(item):
                raise ValueError(f"parameter {name} is NaN or infinite, which JSON cannot store")
            if len(json.dumps(item)) > MAX_PARAMETER_VALUE:
                raise ValueError(f"parameter {name} is longer than {MAX_PARAMETER_VALUE} characters of JSON")
        return dict(value or {})


class PromoteBody(Body):
    """POST /prodkit/api/promote."""

    path: NotebookPath
    check: bool = Field(False, description="true: only check, write nothing (JSON true/false)")
    force: bool = Field(False, description="true: overwrite hand-edited modules (JSON true/false)")


class RunBody(_WithParameters):
    """POST /prodkit/api/jobs/run."""

    path: NotebookPath
    job: JobName | None = Field(None, description="the job to run (default: the notebook's first job)")


class ScheduleBody(_WithParameters):
    """POST /prodkit/api/jobs/schedule."""

    path: NotebookPath
    cron: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_CRON)] = Field(
        description="a five-field cron expression, e.g. '0 6 * * *'")
    name: JobName | None = Field(None, description="the job name (default: from the notebook's path)")


BODIES: dict[str, type[Body]] = {"promote": PromoteBody, "run": RunBody, "schedule": ScheduleBody}


def parse_body(kind: str, raw: bytes) -> Body:
    """The validated body of a `kind` request, or RequestError (413 too large, 400 anything else)."""
    if len(raw) > MAX_BODY:
        raise RequestError(413, f"the request body is larger than {MAX_BODY // 1024} KiB")
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise RequestError(400, "the request body is not JSON (UTF-8)") from None
    if not isinstance(data, dict):
        raise RequestError(400, "the request body must be a JSON object")
    model = BODIES[kind]
    if where := _unencodable(data):
        raise RequestError(400, f"{_short(where, 80)}: contains a lone UTF-16 surrogate (not valid Unicode text)",
                           field=where.split(".")[0])
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise _request_error(model, e) from None


def _request_error(model: type[Body], error: ValidationError) -> RequestError:
    """The first problem of a ValidationError as one line naming its field, with the field's hint."""
    first = error.errors(include_url=False)[0]
    loc = [str(part) for part in first["loc"] if part != "[key]"]
    top = loc[0] if loc else "body"
    where = _short(".".join(loc) or "body", 80)
    kind = first["type"]
    if kind == "extra_forbidden":
        message = f"unknown field {where!r}; this endpoint takes: {', '.join(model.model_fields)}"
    elif kind == "missing":
        message = f"{where}: missing"
    else:
        text = first["msg"].removeprefix("Value error, ")
        message = f"{where}: {text}"
        if kind not in ("value_error", "too_long", "string_too_long"):
            message += f", got {_short(_json_or_repr(first.get('input')))}"
    hint = model.model_fields[top].description if top in model.model_fields else None
    if hint and kind != "extra_forbidden":
        message += f" — {hint}"
    more = error.error_count() - 1
    return RequestError(400, message + (f" (+{more} more)" if more else ""), field=top)


def _unencodable(value: Any, where: str = "") -> str | None:
    """The dotted place of the first string (key or value) that is not valid UTF-8 text, or None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where or "body"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        shown = str(key).encode("utf-8", "backslashreplace").decode("utf-8")
        place = f"{where}.{shown}" if where else shown
        if isinstance(key, str) and _unencodable(key, place):
            return place
        if found := _unencodable(item, place):
            return found
    return None


def _has_nan(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_has_nan(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


def _json_or_repr(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


def _short(text: str, limit: int = 60) -> str:
    text = text if isinstance(text, str) else str(text)
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text)} characters)"
