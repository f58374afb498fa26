"""Ops checks: scheduled job, drift monitoring, promotion gate and rollback, model freshness.

All four read other capabilities' state (see `_state.py`); none can pass before that state exists.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prodkit.readiness.checks._state import as_datetime, jobs, latest_versions, monitoring, parity_failed
from prodkit.readiness.context import CheckContext
from prodkit.readiness.registry import Outcome, register_check

DEFAULT_MAX_MODEL_AGE_DAYS = 90


@register_check("OPS-01", reads_state=True, section="Ops", title="Scheduled job healthy",
                fix="open `prodkit jobs history NAME`, fix the failing run, then `prodkit jobs run NAME`")
def job_healthy(ctx: CheckContext) -> Outcome:
    every = jobs(ctx)
    scheduled = [j for j in every if j.cron or j.on_drift or j.on_degraded]
    if not scheduled:  # a manual-only job (no cron, no trigger: the panel's Run now) is not a schedule
        manual = "".join(f"; {j.name} runs only when asked (no cron)" for j in every[:1])
        return Outcome.not_set_up("no scheduled job runs this notebook" + manual,
                                  '`%prodkit schedule --cron "0 6 * * *"` in the notebook (or `prodkit jobs add`)')
    unhealthy = [j for j in scheduled if not j.healthy]
    never_ran = [j for j in unhealthy if not j.last_run]
    failing = [j for j in unhealthy if j.last_run]
    if failing:
        return Outcome.problem("; ".join(f"{j.name}: {j.message or j.last_run.status}" for j in failing[:3]))
    if never_ran:
        return Outcome.warn(f"{', '.join(j.name for j in never_ran)} has not run yet",
                            fix=f"run it once now: `prodkit jobs run {never_ran[0].name}`")
    if all(j.paused for j in scheduled):
        return Outcome.warn(f"every job for this notebook is paused ({', '.join(j.name for j in scheduled)})",
                            fix=f"`prodkit jobs resume {scheduled[0].name}`")
    names = ", ".join(f"{j.name} ({j.cron})" for j in scheduled)
    return Outcome.ok(f"healthy: {names}")


@register_check("OPS-02", reads_state=True, section="Ops", title="Drift monitoring",
                fix="look at the drift report of the last run (`prodkit jobs show RUN_ID`) and retrain or "
                    "update the reference")
def drift_monitoring(ctx: CheckContext) -> Outcome:
    info = monitoring(ctx)
    if not info.watched:
        return Outcome.not_set_up("no drift monitoring for this notebook",
                                  "`prodkit.monitor.watch(df, model=...)` in the notebook and schedule it")
    cells = list(info.cells)
    last = info.last_drift
    if last is None:
        return Outcome.not_set_up("watched, but no drift verdict from a scheduled run yet",
                                  "the notebook as a scheduled job (`prodkit jobs run NAME`)")
    if last.drift:
        extra = f" ({last.share:.0%} of columns)" if last.share is not None else ""
        return Outcome.warn(f"drift detected in the last run{extra}", cells)
    return Outcome.ok("scored data is watched; no drift in the last run", cells)


@register_check("OPS-03", reads_state=True, section="Ops", title="Promotion gate and rollback",
                fix="move the alias through the gate: `prodkit models gate NAME VERSION --alias champion`")
def promotion_gate(ctx: CheckContext) -> Outcome:
    latest = latest_versions(ctx)
    if not latest:
        return Outcome.not_set_up("no registered model to promote",
                                  "`prodkit.register_model(...)`, then `prodkit models gate NAME VERSION --alias champion`")
    unaliased = [n for n, r in sorted(latest.items()) if not r.aliases]
    if unaliased:
        return Outcome.problem(f"no version carries an alias (e.g. @champion): {', '.join(unaliased)}")
    ungated = [n for n, r in sorted(latest.items()) if not r.promoted]
    if ungated:
        return Outcome.problem(f"alias set outside the promotion gate: {', '.join(ungated)}")
    failed = [n for n, r in sorted(latest.items()) if parity_failed(r) and r.latest_version in r.aliases.values()]
    if failed:
        return Outcome.problem(f"an alias points at a version that failed export parity: {', '.join(failed)}")
    single = [n for n, r in sorted(latest.items()) if not r.rollback_versions]
    if single:
        return Outcome.warn(f"{', '.join(single)}: no earlier version to roll back to",
                            fix="keep an earlier ready version; `prodkit models rollback NAME --alias champion` "
                                "then has a target")
    aliases = ", ".join(f"{n}@{a} (v{v})" for n, r in sorted(latest.items()) for a, v in r.aliases.items())
    return Outcome.ok(f"gated aliases: {aliases}; earlier versions kept for rollback")


@register_check("OPS-04", reads_state=True, section="Ops", title="Model freshness", severity="warn",
                fix="retrain on recent data and register a new version (schedule the notebook to do it)")
def model_freshness(ctx: CheckContext) -> Outcome:
    latest = latest_versions(ctx)
    if not latest:
        return Outcome.not_set_up("no registered model", "`prodkit.register_model(...)` in the notebook")
    try:
        max_days = float(ctx.project.settings.get("model_max_age_days") or DEFAULT_MAX_MODEL_AGE_DAYS)
    except ValueError:
        max_days = DEFAULT_MAX_MODEL_AGE_DAYS
    now = datetime.now(UTC)
    stale, ages = [], []
    for name, record in sorted(latest.items()):
        when = as_datetime(record.registered_at)
        if when is None:
            continue
        age = (now - when).total_seconds() / 86400
        ages.append(f"{name} v{record.latest_version} {age:.0f} d")
        if age > max_days:
            stale.append(f"{name} v{record.latest_version} is {age:.0f} days old")
    if stale:
        return Outcome.problem(f"{'; '.join(stale)} (limit {max_days:g} days, settings.ini model_max_age_days)")
    if not ages:
        return Outcome.warn("registration time not recorded", fix="re-register the model with prodkit.register_model")
    return Outcome.ok(f"registered within {max_days:g} days: {', '.join(ages)}")
