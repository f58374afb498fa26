"""Where models are tracked: the project's MLflow store, made ready once per process.

The embedded default is `sqlite:///<root>/.prodkit/mlflow.db` with artifacts under
`.prodkit/mlartifacts` (never the cwd's ./mlruns). MLFLOW_TRACKING_URI or settings.ini
`tracking_uri` point at a real tracking server instead; everything else stays the same.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from prodkit.config import Project
from prodkit.errors import BadInput

EXPERIMENT = "prodkit-models"
QUIET_LOGGERS = ("alembic", "mlflow.store.db.utils", "mlflow.tracking.fluent", "mlflow.store",
                 "mlflow.models.model", "mlflow.pytorch", "mlflow.tracking._tracking_service.client")

_ready: dict[str, str] = {}  # tracking uri -> experiment id, once per process


@dataclass(frozen=True)
class Store:
    """A ready MLflow store: its uri, the client, and prodkit's experiment in it."""

    uri: str
    client: object  # mlflow.MlflowClient
    experiment_id: str

    @property
    def is_server(self) -> bool:
        return is_server_uri(self.uri)

    @property
    def shown_uri(self) -> str:
        return redact(self.uri)

    def __repr__(self) -> str:
        return f"Store(uri={self.shown_uri!r}, experiment_id={self.experiment_id!r})"


def redact(text: str) -> str:
    """`text` (a tracking URI, or a message that holds one) with credentials replaced by `***`.

    Each URI in it is redacted as `prodkit.readiness.secrets.redact_uri` does (passwords in
    `scheme://user:password@host`, a token used as the user, credential query values), the rest by
    the secrets detector.
    """
    from prodkit.readiness.secrets import redact_text, redact_uris_in

    if not text or not isinstance(text, str):
        return text
    return redact_text(redact_uris_in(text))


def is_server_uri(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def configured(project: Project) -> bool:
    """True when the project has a model store to read (cheap: no mlflow import)."""
    explicit = os.environ.get("MLFLOW_TRACKING_URI") or project.settings.get("tracking_uri")
    return bool(explicit) or (project.state_dir / "mlflow.db").is_file()


def quiet_mlflow() -> None:
    """MLflow and alembic log INFO lines on first use; a notebook user needs none of them."""
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def check_reachable(uri: str, timeout: float = 3.0) -> None:
    """Fail in seconds, with one line, when a tracking server does not answer."""
    try:
        with urllib.request.urlopen(_health_url(uri), timeout=timeout) as response:
            response.read(64)
    except urllib.error.HTTPError:
        return  # it answered; authentication or routing is MLflow's business
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = redact(str(getattr(e, "reason", e)))
        raise BadInput(f"cannot reach the MLflow tracking server ({reason})", path=redact(uri),
                       fix="start the server, or fix MLFLOW_TRACKING_URI / settings.ini tracking_uri") from None


_DATABASE_SCHEMES = ("postgresql", "postgres", "mysql", "mariadb")


def is_database_uri(uri: str) -> bool:
    """A network database MLflow opens with SQLAlchemy (sqlite is a local file: never unreachable)."""
    return uri.partition(":")[0].split("+")[0].lower() in _DATABASE_SCHEMES


def check_database_reachable(uri: str, timeout: float = 3.0) -> None:
    """One connection attempt with a timeout: MLflow itself retries an unreachable database ten times
    with backoff (about 100 s) before it gives up."""
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(uri, connect_args={"connect_timeout": max(1, round(timeout))},
                                          poolclass=sqlalchemy.pool.NullPool)
        with engine.connect():
            pass
    except Exception as e:  # noqa: BLE001 - any failure to connect is one line for the user
        reason = re.sub(r"^\([\w.]+\) ", "", first_line(e))  # SQLAlchemy's "(psycopg.OperationalError) " prefix
        raise BadInput(f"cannot reach the MLflow tracking database ({redact(reason)})",
                       path=redact(uri),
                       fix="start the database, or fix MLFLOW_TRACKING_URI / settings.ini tracking_uri") from None


def _health_url(uri: str) -> str:
    """The server's /health, without user:password (urllib would take them for the host)."""
    parts = urllib.parse.urlsplit(uri.rstrip("/"))
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path + "/health", "", ""))


def _init_lock(project: Project):
    """Serialise the first use of a fresh sqlite db across processes (alembic races otherwise)."""
    from filelock import FileLock

    project.state_dir.mkdir(parents=True, exist_ok=True)
    return FileLock(project.state_dir / "mlflow.db.lock")


def _experiment_id(client, project: Project, uri: str) -> str:
    experiment = client.get_experiment_by_name(EXPERIMENT)
    if experiment is not None:
        return experiment.experiment_id
    location = None if is_server_uri(uri) else project.artifacts_dir.resolve().as_uri()
    from mlflow.exceptions import MlflowException

    try:
        return client.create_experiment(EXPERIMENT, artifact_location=location)
    except MlflowException:  # created meanwhile by another process
        return client.get_experiment_by_name(EXPERIMENT).experiment_id


def _point_fluent_api(mlflow, uri: str) -> None:
    """mlflow's fluent API at `uri`, without the MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI that mlflow also
    exports: left set, they would be the tracking URI of every later project in this process (a Jupyter
    server's panel would show one project's models for all)."""
    saved = {name: os.environ.get(name) for name in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def open_store(project: Project, *, create: bool = True, timeout: float = 3.0) -> Store:
    """The project's store, initialised once, with mlflow's fluent API pointed at it."""
    uri = project.tracking_uri
    if is_server_uri(uri):
        check_reachable(uri, timeout=timeout)
    elif uri not in _ready and is_database_uri(uri):
        check_database_reachable(uri, timeout=timeout)
    quiet_mlflow()
    import mlflow
    from mlflow import MlflowClient

    _point_fluent_api(mlflow, uri)
    fresh = uri not in _ready
    lock = _init_lock(project) if fresh and uri.startswith("sqlite:") else contextlib.nullcontext()
    try:
        with lock:  # the client's first use of a new sqlite db runs alembic migrations
            client = MlflowClient(tracking_uri=uri, registry_uri=uri)
            if fresh:
                client.search_registered_models(max_results=1)
                _ready[uri] = _experiment_id(client, project, uri) if create else ""
            if create and not _ready[uri]:
                _ready[uri] = _experiment_id(client, project, uri)
    except BadInput:
        raise
    except Exception as e:  # noqa: BLE001 - any store failure is one line for the user
        raise BadInput(f"cannot open the MLflow store {redact(uri)} ({type(e).__name__}: {redact(first_line(e))})",
                       path=redact(uri), fix="check tracking_uri in settings.ini or MLFLOW_TRACKING_URI") from None
    return Store(uri=uri, client=client, experiment_id=_ready[uri])


def first_line(error: BaseException, limit: int = 200) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"
