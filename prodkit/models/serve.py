"""`prodkit models serve`: a registered version on MLflow's scoring protocol, following its alias.

A Starlette app under uvicorn (both installed with mlflow, whose own scoring server uses them
through FastAPI). Chosen by measurement (benchmarks/bench_serve.py): the torch module is called
directly on a tensor built from the request, without pyfunc's pandas round trip, so p95 is a
fraction of `mlflow models serve`'s.

Routes, as MLflow's scoring server: GET /ping, GET /health, POST /invocations with one of
`inputs`, `instances`, `dataframe_split`, `dataframe_records`; plus GET /version (which version
answers). Every prediction carries the `X-Prodkit-Model-Version` header.

Serving follows the alias: `ModelFollower` polls the registry about once a second, loads a new
holder of the alias in the background and swaps one reference, so requests in flight finish on
the version they started with and none is dropped.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from prodkit.errors import BadInput
from prodkit.models.refs import ModelRef

VERSION_HEADER = "X-Prodkit-Model-Version"
MAX_ROWS = 10_000
POLL_SECONDS = 1.0
FORMATS = ("inputs", "instances", "dataframe_split", "dataframe_records")
CONFIG_ENV = "PRODKIT_SERVE_CONFIG"  # JSON ServeConfig for uvicorn worker processes

log = logging.getLogger("prodkit.serve")


class RequestError(ValueError):
    """A request the model cannot answer: 400 with this message."""


@dataclass(frozen=True)
class InputSpec:
    """What /invocations accepts: rows of `width` values of `dtype`, named `columns` when known."""

    width: int
    dtype: str = "float32"
    columns: tuple[str, ...] | None = None

    def describe(self) -> str:
        names = f" ({', '.join(self.columns)})" if self.columns else ""
        return f"rows of {self.width} {self.dtype} values{names}"


def spec_from_signature(signature, columns: list[str] | None = None) -> InputSpec:
    """The InputSpec of an MLflow signature: a (-1, N) tensor spec or N numeric columns."""
    schema = signature.inputs if signature is not None else None
    if schema is None:
        raise BadInput("the model has no input signature", fix="register it with prodkit.register_model(..., example=...)")
    if schema.is_tensor_spec():
        spec = schema.inputs[0]
        shape = tuple(spec.shape)
        if len(schema.inputs) != 1 or len(shape) != 2 or shape[1] < 1:
            raise BadInput(f"cannot serve input signature {schema}", fix="serve models with one (batch, features) input")
        width = int(shape[1])
        names = tuple(columns) if columns and len(columns) == width else None
        return InputSpec(width=width, dtype=str(spec.type), columns=names)
    names = tuple(schema.input_names())
    return InputSpec(width=len(names), dtype="float32", columns=names)


def _rows_from_payload(payload: Any, spec: InputSpec) -> tuple[list, list[str] | None]:
    """The request's rows (lists of values) and the column names it gave, for any of the four formats."""
    if not isinstance(payload, dict):
        raise RequestError(f"the body must be a JSON object with one of {', '.join(FORMATS)}")
    given = [key for key in FORMATS if key in payload]
    if len(given) != 1:
        raise RequestError(f"the body must have exactly one of {', '.join(FORMATS)}; it has "
                           f"{', '.join(given) or 'none'}")
    key = given[0]
    value = payload[key]
    if key in ("inputs", "instances"):
        if isinstance(value, dict):
            if len(value) != 1:
                raise RequestError(f"{key}: the model has one input, got {len(value)} named inputs")
            value = next(iter(value.values()))
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return _records(value, key)
        if not isinstance(value, list):
            raise RequestError(f"{key} must be a list of rows")
        return value, None
    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise RequestError('dataframe_split must be {"columns": [...], "data": [[...], ...]}')
        columns = value.get("columns")
        if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
            raise RequestError("dataframe_split.columns must be a list of column names")
        return value["data"], columns
    if not isinstance(value, list):
        raise RequestError("dataframe_records must be a list of {column: value} objects")
    return _records(value, key)


def _records(records: list, key: str) -> tuple[list, list[str]]:
    if not records:
        return [], []
    if not all(isinstance(r, dict) for r in records):
        raise RequestError(f"{key} must be a list of {{column: value}} objects")
    columns = list(records[0])
    if any(list(r) != columns for r in records[1:]):
        raise RequestError(f"{key}: every record must have the same columns as the first ({', '.join(columns)})")
    return [[r[c] for c in columns] for r in records], columns


def _order_columns(rows: list, given: list[str], spec: InputSpec) -> list:
    """Rows reordered to the signature's columns; 400 naming missing and unexpected columns."""
    if spec.columns is None:
        if len(given) != spec.width:
            raise RequestError(f"wrong columns: the model takes {spec.width} columns, got {len(given)}")
        return rows
    missing = [c for c in spec.columns if c not in given]
    extra = [c for c in given if c not in spec.columns]
    if missing or extra:
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + \
            ([f"unexpected {', '.join(extra)}"] if extra else [])
        raise RequestError(f"wrong columns: {'; '.join(parts)} (the model takes {', '.join(spec.columns)})")
    if list(given) == list(spec.columns):
        return rows
    index = [given.index(c) for c in spec.columns]
    return [[row[i] for i in index] for row in rows]


def parse_request(payload: Any, spec: InputSpec, max_rows: int = MAX_ROWS):
    """The request body (parsed JSON) as a (rows, width) numpy array of the signature's dtype."""
    import numpy as np

    rows, columns = _rows_from_payload(payload, spec)
    if not rows:
        raise RequestError("no rows to score")
    if len(rows) > max_rows:
        raise RequestError(f"too many rows: {len(rows)} > {max_rows} per request (split the batch)")
    if columns is not None:
        rows = _order_columns(rows, columns, spec)
    try:
        array = np.asarray(rows)
    except ValueError:
        raise RequestError(f"rows of different lengths: the model takes {spec.describe()}") from None
    if array.ndim != 2 or array.shape[1] != spec.width:
        got = f"rows of {array.shape[1]} values" if array.ndim == 2 else f"an array of shape {array.shape}"
        raise RequestError(f"wrong shape: the model takes {spec.describe()}, got {got}")
    if array.dtype.kind not in "iuf":
        raise RequestError(f"wrong dtype: the model takes {spec.dtype} numbers, got {_kind(array)}")
    with np.errstate(over="ignore", invalid="ignore"):  # out-of-range values become inf: refused below
        converted = array.astype(spec.dtype, copy=False)
    if converted.dtype.kind == "f" and not np.isfinite(converted).all():
        raise RequestError("wrong values: NaN or infinite numbers (or out of range for " + spec.dtype + ")")
    return converted


def _kind(array) -> str:
    return {"b": "booleans", "U": "strings", "S": "strings"}.get(array.dtype.kind, "null or mixed values")


@dataclass
class LoadedVersion:
    """One registered version, loaded and ready to answer."""

    name: str
    version: str
    module: Any
    device: str
    spec: InputSpec
    loaded_at: float = field(default_factory=time.time)

    def predict(self, array) -> list:
        import torch

        with torch.inference_mode():
            out = self.module(torch.from_numpy(array).to(self.device))
        return out.detach().to("cpu").numpy().tolist()


def _reference_columns(client, name: str, number: str) -> list[str] | None:
    """The training data's column names (the drift reference kept with the version), when stored."""
    from prodkit.models import tags as T

    mv = client.get_model_version(name, number)
    artifact = (mv.tags or {}).get(T.REFERENCE)
    if not artifact or not mv.run_id:
        return None
    import tempfile

    import pyarrow.parquet as pq

    try:
        with tempfile.TemporaryDirectory(prefix="prodkit-serve-") as tmp:
            return list(pq.read_schema(client.download_artifacts(mv.run_id, artifact, tmp)).names)
    except Exception:  # noqa: BLE001 - no names to check against; shapes are still enforced
        return None


def load_version(project, name: str, number: str, device: str | None = None) -> LoadedVersion:
    """Load version `number` of `name` on `device` (default: CUDA when available) with its input spec."""
    import mlflow.models

    from prodkit.models.registry import default_device, load_model, registry_client

    client = registry_client(project)
    device = device or default_device()
    module = load_model(name, number, device=device, project=project)
    signature = mlflow.models.get_model_info(f"models:/{name}/{number}").signature
    spec = spec_from_signature(signature, _reference_columns(client, name, number))
    return LoadedVersion(name=name, version=number, module=module, device=device, spec=spec)


class ModelFollower:
    """The version that answers now; for an alias, a background thread that follows it.

    `current` is one reference, replaced in a single assignment: a request reads it once and
    finishes on that version even if the alias moves meanwhile.
    """

    def __init__(self, project, ref: ModelRef, device: str | None = None, poll_seconds: float = POLL_SECONDS):
        from prodkit.models.registry import registry_client, resolve_version

        self.project, self.ref, self.device, self.poll_seconds = project, ref, device, poll_seconds
        self._client = registry_client(project)
        self._resolve = lambda: resolve_version(self._client, ref.name, ref.ref)
        self.current: LoadedVersion = load_version(project, ref.name, self._resolve(), device)
        self.swaps: list[dict[str, Any]] = []
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def follows_alias(self) -> bool:
        return self.ref.is_alias or self.ref.ref in (None, "latest")

    def start(self) -> None:
        if self.follows_alias and self._thread is None:
            self._thread = threading.Thread(target=self._follow, name="prodkit-alias-follower", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def check_once(self) -> bool:
        """Load and switch to the alias's holder if it moved; True when it switched."""
        number = self._resolve()
        if number == self.current.version:
            return False
        new = load_version(self.project, self.ref.name, number, self.device)
        previous, self.current = self.current, new
        self.swaps.append({"from": previous.version, "to": number, "at": time.time()})
        log.warning("%s moved: now serving v%s (was v%s)", self.ref, number, previous.version)
        return True

    def _follow(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.check_once()
                self.last_error = None
            except Exception as e:  # noqa: BLE001 - keep serving the loaded version; say why on /version
                from prodkit.models.tracking import first_line

                self.last_error = f"{type(e).__name__}: {first_line(e)}"
                log.warning("cannot follow %s: %s", self.ref, self.last_error)

    def describe(self) -> dict[str, Any]:
        import mlflow

        current = self.current
        return {"model": current.name, "ref": str(self.ref), "version": current.version, "device": current.device,
                "input": current.spec.describe(), "follows_alias": self.follows_alias, "swaps": self.swaps[-20:],
                "last_error": self.last_error, "mlflow_version": mlflow.__version__}


def create_app(follower: ModelFollower, max_rows: int = MAX_ROWS):
    """The Starlette app for `follower`: /ping, /health, /version, /invocations."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def error(status: int, message: str, code: str = "BAD_REQUEST") -> Response:
        return JSONResponse({"error_code": code, "message": message}, status_code=status)

    async def ping(request: Request) -> Response:
        return Response("\n", media_type="application/json")

    async def version(request: Request) -> Response:
        return JSONResponse(follower.describe(), headers={VERSION_HEADER: follower.current.version})

    async def invocations(request: Request) -> Response:
        model = follower.current  # this request's version, whatever the alias does meanwhile
        content_type = request.headers.get("content-type", "application/json").split(";")[0].strip()
        if content_type != "application/json":
            return error(415, f"content type {content_type!r} is not supported; send application/json")
        try:
            payload = json.loads(await request.body())
        except ValueError as e:
            return error(400, f"invalid JSON: {e}")
        try:
            array = parse_request(payload, model.spec, max_rows)
        except RequestError as e:
            return error(400, str(e))
        body = json.dumps({"predictions": model.predict(array)})
        return Response(body, media_type="application/json", headers={VERSION_HEADER: model.version})

    routes = [Route("/ping", ping, methods=["GET"]), Route("/health", ping, methods=["GET"]),
              Route("/version", version, methods=["GET"]), Route("/invocations", invocations, methods=["POST"])]

    async def lifespan(app):
        follower.start()
        yield
        follower.stop()

    from contextlib import asynccontextmanager

    app = Starlette(routes=routes, lifespan=asynccontextmanager(lifespan))
    app.state.follower = follower
    return app


@dataclass(frozen=True)
class ServeConfig:
    """Everything a server process needs; travels to uvicorn workers as JSON in the environment."""

    root: str
    name: str
    ref: str | None
    device: str | None = None
    max_rows: int = MAX_ROWS
    poll_seconds: float = POLL_SECONDS
    threads: int = 1  # torch intra-op threads per worker: 1 keeps small models' latency low on shared CPUs

    def check(self) -> str:
        """The version the reference names now (BadInput when there is none)."""
        from prodkit.config import load_project
        from prodkit.models.registry import registry_client, resolve_version

        return resolve_version(registry_client(load_project(self.root)), self.name, self.ref)

    def build_app(self):
        from prodkit.config import load_project
        from prodkit.models.tracking import quiet_mlflow

        quiet_mlflow()
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        project = load_project(self.root)
        follower = ModelFollower(project, ModelRef(self.name, self.ref), self.device, self.poll_seconds)
        return create_app(follower, self.max_rows)


def app_from_env():
    """uvicorn factory for `--workers K`: each worker process loads the model and follows the alias."""
    return ServeConfig(**json.loads(os.environ[CONFIG_ENV])).build_app()


def validate_host(host: str) -> str:
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise BadInput(f"invalid --host {host!r}", fix="give an IP address such as 127.0.0.1") from None
    return host


def validate_device(device: str | None) -> str | None:
    """None (CUDA when available), cpu, cuda or cuda:N; cuda only where a GPU is."""
    import re

    if device is None:
        return None
    if not re.fullmatch(r"cpu|cuda(:\d+)?", device):
        raise BadInput(f"invalid --device {device!r}", fix="give cpu, cuda or cuda:N (default: CUDA when available)")
    if device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise BadInput(f"--device {device}: no CUDA device here", fix="serve with --device cpu, or on a GPU machine")
    return device


def serve(config: ServeConfig, host: str = "127.0.0.1", port: int = 5000, workers: int = 1,
          on_ready=None) -> None:
    """Run the server until interrupted (blocking). With workers > 1, uvicorn starts K processes."""
    import uvicorn

    validate_host(host)
    validate_device(config.device)
    if not 1 <= config.max_rows <= 10_000_000:
        raise BadInput(f"invalid --max-rows {config.max_rows}", fix="give a positive number of rows")
    if not 0 <= config.threads <= 256:
        raise BadInput(f"invalid --threads {config.threads}", fix="give 0 (torch's default) to 256")
    if not 1 <= port <= 65535:
        raise BadInput(f"invalid --port {port}", fix="give a port between 1 and 65535")
    if not 1 <= workers <= 64:
        raise BadInput(f"invalid --workers {workers}", fix="give 1 to 64 worker processes")
    options = {"host": host, "port": port, "log_level": "warning", "access_log": False, "timeout_graceful_shutdown": 10}
    if workers == 1:
        app = config.build_app()  # load errors surface here, as one line, before the port opens
        if on_ready is not None:
            on_ready(app)
        uvicorn.run(app, **options)
        return
    config.check()  # fail fast in the parent on a bad reference, before K workers start
    os.environ[CONFIG_ENV] = json.dumps(config.__dict__)
    if on_ready is not None:
        on_ready(None)
    uvicorn.run("prodkit.models.serve:app_from_env", factory=True, workers=workers, **options)
