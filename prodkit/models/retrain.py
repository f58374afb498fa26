"""`prodkit.models.register_candidate`: what a retrain notebook calls instead of register_model.

It registers the new version, records on it which scheduled run registered it and which run's
verdict triggered that one (tag `prodkit.retrain`), and with auto_gate=True (the job's
`--auto-gate`) runs the promotion gate against the alias holder as it is at that moment:
the alias moves only if every check passes; otherwise the version stays a candidate and the
reason is recorded (tag `prodkit.gate_decision`, run artifact `candidate`). A promotion is
POSTed to notify_url.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class CandidateResult:
    registered: Any  # prodkit.models.result.RegisteredModel
    alias: str
    promoted: bool
    reason: str | None = None
    previous: str | None = None
    chain: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        name, version = self.registered.name, self.registered.version
        if self.promoted:
            return f"{name}: moved @{self.alias} to v{version} (was v{self.previous or '-'})"
        return f"{name} v{version} kept as a candidate: {self.reason or 'auto_gate is off'}"

    def __repr__(self) -> str:
        return self.summary()


def _chain() -> dict[str, Any]:
    """This kernel's scheduled run and the run that triggered it (empty outside runs)."""
    from prodkit.jobs.context import current_run

    run = current_run()
    if run is None:
        return {}
    chain: dict[str, Any] = {"run": run.run_id, "job": run.job}
    if run.jobs_db:
        from prodkit.jobs.store import JobStore

        with JobStore(run.jobs_db) as store:
            record = store.get_run(run.run_id)
        chain.update(triggered_by=record.triggered_by, trigger=record.trigger)
    return chain


def register_candidate(model, name: str, *, auto_gate: bool = False, alias: str = "champion",
                       project=None, **kwargs: Any) -> CandidateResult:
    """Register `model` as a new version of `name`; with auto_gate, let the gate move `alias` now.

    `auto_promote=` is the deprecated spelling of `auto_gate=`.
    """
    from prodkit.errors import BadInput, GateFailed
    from prodkit.jobs.context import record_run_artifact
    from prodkit.models import tags as T
    from prodkit.models.gate import move_alias
    from prodkit.models.register import register_model
    from prodkit.models.registry import as_project, registry_client

    if "auto_promote" in kwargs:
        import warnings

        warnings.warn("register_candidate(auto_promote=...) is now auto_gate=...", FutureWarning, stacklevel=3)
        auto_gate = auto_gate or bool(kwargs.pop("auto_promote"))
    project = as_project(project)
    registered = register_model(model, name, project=project, **kwargs)
    chain = _chain()
    client = registry_client(project)
    if chain:
        client.set_model_version_tag(name, registered.version, T.RETRAIN, T.dump_json(chain))
    result = CandidateResult(registered=registered, alias=alias, promoted=False, chain=chain)
    if auto_gate:
        who = f"prodkit auto-gate (run {chain['run']})" if chain else "prodkit auto-gate"
        try:
            promotion = move_alias(name, registered.version, alias, approved_by=who, project=project)
            result.promoted, result.previous = True, promotion.previous
        except (GateFailed, BadInput) as e:
            result.reason = e.message
    decision = {"at": datetime.now(UTC).isoformat(timespec="seconds"), "alias": alias, "auto_gate": auto_gate,
                "promoted": result.promoted, "previous": result.previous, "reason": result.reason}
    client.set_model_version_tag(name, registered.version, T.GATE_DECISION, T.dump_json(decision))
    record_run_artifact("candidate", registered.uri, {"model": name, "version": registered.version, **decision})
    if result.promoted:
        from prodkit.notify import notify

        notify(project, "promoted", {"model": name, "version": registered.version, "alias": alias,
                                     "previous": result.previous, "run": chain.get("run"),
                                     "triggered_by": chain.get("triggered_by"), "summary": result.summary()})
    return result
