"""Reading other capabilities' state: their state functions, imported directly, return typed records
(`prodkit.records`). Each is asked once per notebook check (`ask`). Under --static the project-state
ones (jobs, models, monitoring) answer "nothing yet", so the checks that read them `skip`; none
passes on missing evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from prodkit.jobs.state import jobs_for_notebook
from prodkit.models.state import models_for_notebook
from prodkit.monitor.state import model_monitoring, monitoring_for_notebook
from prodkit.promote.status import promote_status
from prodkit.readiness.context import CheckContext
from prodkit.records import JobStatus, ModelStatus, MonitorStatus, PromoteStatus

# answer name -> the state function; `check_notebook(hook_answers={name: answer})` hands in answers
STATE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "promote": promote_status, "jobs": jobs_for_notebook, "models": models_for_notebook,
    "monitoring": monitoring_for_notebook,
}
PROJECT_STATE = ("jobs", "models", "monitoring")  # what --static does not read


def ask(ctx: CheckContext, name: str) -> Any | None:
    """The state function `name`'s answer for this notebook (asked once), or None under --static."""
    if ctx.static and name in PROJECT_STATE:
        return None
    cache = ctx.__dict__.setdefault("_hook_cache", {})
    if name not in cache:
        cache[name] = STATE_FUNCTIONS[name](ctx.project, ctx.notebook_path)
    return cache[name]


def promote(ctx: CheckContext) -> PromoteStatus:
    return ask(ctx, "promote")


def jobs(ctx: CheckContext) -> list[JobStatus]:
    return list(ask(ctx, "jobs") or [])


def models(ctx: CheckContext) -> list[ModelStatus]:
    return list(ask(ctx, "models") or [])


def latest_versions(ctx: CheckContext) -> dict[str, ModelStatus]:
    """Model name -> its record (one per model, of its newest version)."""
    return {record.name: record for record in models(ctx)}


def parity_failed(record: ModelStatus) -> bool:
    return record.parity.status == "failed"


def monitoring(ctx: CheckContext) -> MonitorStatus:
    """Monitoring of this notebook; when the notebook itself does not call `watch`, the monitoring of
    the models registered from it (watched from a scoring notebook)."""
    cache = ctx.__dict__.setdefault("_hook_cache", {})
    if "monitoring+models" in cache:
        return cache["monitoring+models"]
    info = ask(ctx, "monitoring")
    info = info.model_copy(deep=True) if info is not None and not info.error else MonitorStatus()
    if not info.watched and not ctx.static:
        for record in models(ctx):
            state = model_monitoring(ctx.project, record.name)
            if not state.contract and not state.batches:
                continue
            info.contracts[record.name] = state.contract
            info.watched = info.watched or bool(state.batches)
            for key in ("last_validation", "last_drift"):
                new, old = getattr(state, key), getattr(info, key)
                if new and (not old or (new.time or "") > (old.time or "")):
                    setattr(info, key, new)
    cache["monitoring+models"] = info
    return info


def contracts(info: MonitorStatus) -> list[str]:
    return [str(p) for p in info.contracts.values() if p]


def version_details(ctx: CheckContext, name: str, version: str):
    """The models capability's full record of one version (metrics, benchmark)."""
    from prodkit.models.registry import show

    return show(name, version, project=ctx.project)


def as_datetime(value: Any) -> datetime | None:
    """A registry timestamp (epoch ms or s, ISO text, datetime) as an aware UTC datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
