"""Reading other capabilities' state through their read-only hooks.

Each hook is imported when a check runs. A missing module (the capability is not installed
or not built yet) or an empty answer makes the check `skip` with "not set up yet: run ...";
it never passes on missing evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prodkit.readiness.context import CheckContext

JOBS_HOOK = ("prodkit.jobs.state", "jobs_for_notebook")
MODELS_HOOK = ("prodkit.models.state", "models_for_notebook")
MONITOR_HOOK = ("prodkit.monitor.state", "monitoring_for_notebook")
PROMOTE_HOOK = ("prodkit.promote.status", "promote_status")


def call_hook(ctx: CheckContext, hook: tuple[str, str]) -> Any | None:
    """The hook's answer for this notebook, or None when the capability is not there."""
    fn = ctx.hook(*hook)
    if fn is None:
        return None
    cache = ctx.__dict__.setdefault("_hook_cache", {})
    if hook not in cache:
        cache[hook] = fn(ctx.project, ctx.notebook_path)
    return cache[hook]


def models(ctx: CheckContext) -> list[dict]:
    return list(call_hook(ctx, MODELS_HOOK) or [])


def version_of(record: dict) -> str:
    """The version a models-hook record describes (`latest_version`, or `version`)."""
    return str(record.get("latest_version") or record.get("version") or "?")


def latest_versions(ctx: CheckContext) -> dict[str, dict]:
    """Model name -> the record of its newest version (the hook gives one record per model)."""
    latest: dict[str, dict] = {}
    for record in models(ctx):
        name = str(record.get("name"))
        if name not in latest or _version_key(record) > _version_key(latest[name]):
            latest[name] = record
    return latest


def _version_key(record: dict) -> tuple:
    version = version_of(record)
    return (int(version) if version.isdigit() else 0, version)


def parity_failed(record: dict) -> bool:
    parity = record.get("parity") or {}
    return parity.get("status") == "failed" or (parity.get("status") is None and parity.get("passed") is False)


def monitoring(ctx: CheckContext) -> dict:
    """The monitor hook's view of this notebook; when the notebook itself does not call
    `watch`, the monitoring of the models registered from it (watched from a scoring notebook)."""
    cache = ctx.__dict__.setdefault("_hook_cache", {})
    if "monitoring" in cache:
        return cache["monitoring"]
    info = call_hook(ctx, MONITOR_HOOK)
    info = dict(info) if isinstance(info, dict) and not info.get("error") else {}
    per_model = ctx.hook("prodkit.monitor.state", "model_monitoring")
    if not info.get("watched") and per_model is not None:
        for record in models(ctx):
            name = str(record.get("name"))
            state = per_model(ctx.project, name)
            if not state.get("contract") and not state.get("batches"):
                continue
            info.setdefault("contracts", {})[name] = state.get("contract")
            info["watched"] = info.get("watched") or bool(state.get("batches"))
            for key in ("last_validation", "last_drift"):
                new = state.get(key)
                old = info.get(key)
                if new and (not old or (new.get("time") or "") > (old.get("time") or "")):
                    info[key] = new
    cache["monitoring"] = info
    return info


def contracts(info: dict) -> list[str]:
    found = [str(p) for p in (info.get("contracts") or {}).values() if p]
    if info.get("contract"):
        found.append(str(info["contract"]))
    return found


def version_details(ctx: CheckContext, name: str, version: str):
    """The models capability's full record of one version (metrics, benchmark), or None."""
    show = ctx.hook("prodkit.models.registry", "show")
    if show is None:
        return None
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
