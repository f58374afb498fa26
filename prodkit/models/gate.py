"""The promotion gate: an alias moves only to a version that passed parity, has a benchmark,
and is at least as good as the current holder on the primary metric. Rollback walks back.

Alias moves of one model are serialised by a lock in the registry, and every move is appended
to the alias history there (see prodkit.models.aliases).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import asdict
from datetime import UTC, datetime

from prodkit.errors import BadInput, GateFailed
from prodkit.models import tags as T
from prodkit.models.aliases import append_move, holders, model_lock, moves
from prodkit.models.registry import (
    as_project,
    get_registered,
    registry_client,
    resolve_version,
    validate_alias,
)
from prodkit.models.result import Check, PromotionResult


def _approver(approved_by: str | None) -> str:
    if approved_by:
        return approved_by
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")


def gate_checks(candidate: dict[str, str], holder: dict[str, str] | None, holder_version: str | None) -> list[Check]:
    """The gate's checks for a candidate version's tags against the current alias holder's."""
    checks: list[Check] = []
    status = candidate.get(T.STATUS, "unknown")
    checks.append(Check("registered", "pass" if status == "ready" else "fail", f"status {status}"))
    parity = candidate.get(T.PARITY, "unknown")
    detail = f"max abs diff {candidate.get(T.PARITY_MAX_ABS_DIFF)}" if parity == "passed" else \
        (candidate.get(T.PARITY_REASON) or f"parity {parity}")
    checks.append(Check("export parity", "pass" if parity == "passed" else "fail", detail))
    has_bench = bool(T.load_json(candidate, T.BENCHMARK, {}))
    checks.append(Check("benchmark", "pass" if has_bench else "fail",
                        "recorded" if has_bench else "no benchmark (registered with benchmark=False)"))
    metric = candidate.get(T.PRIMARY_METRIC)
    mine = T.load_json(candidate, T.METRICS, {})
    if not metric or metric not in mine:
        checks.append(Check("primary metric", "fail", "no primary metric recorded (pass metrics= when registering)"))
    elif holder is None:
        checks.append(Check("primary metric", "pass", f"{metric}={mine[metric]:.4g} (no current holder)"))
    else:
        theirs = T.load_json(holder, T.METRICS, {}).get(metric)
        greater = candidate.get(T.GREATER_IS_BETTER, "true") == "true"
        if theirs is None:
            checks.append(Check("primary metric", "warn", f"v{holder_version} has no {metric}; not compared"))
        else:
            ok = mine[metric] >= theirs if greater else mine[metric] <= theirs
            word = ">=" if greater else "<="
            checks.append(Check("primary metric", "pass" if ok else "fail",
                                f"{metric} {mine[metric]:.4g} {word if ok else 'not ' + word} {theirs:.4g} of v{holder_version}"))
    return checks


def _version_tags(client, name: str, number: str) -> dict:
    from mlflow.exceptions import MlflowException

    try:
        return dict(client.get_model_version(name, number).tags or {})
    except MlflowException:
        raise BadInput(f"{name} has no version {number}", fix=f"`prodkit models show {name}` lists versions") from None


def _record_move(client, name: str, alias: str, model, version: str, move: dict) -> dict:
    """Move the alias and append the move to its history (with the model lock held)."""
    client.set_registered_model_alias(name, alias, version)
    return append_move(client, name, alias, dict(model.tags or {}), move)


def move_alias(name: str, version: str | int, alias: str = "champion", *, approved_by: str | None = None,
               force: bool = False, reason: str | None = None, project=None) -> PromotionResult:
    """Move `alias` to `version` if the gate holds (or with force and a reason, recorded as a tag).

    The gate runs with the model's lock held, against the alias holder as it is at that moment,
    so concurrent moves are decided one after the other and every move enters the history.
    """
    validate_alias(alias)
    if force and not (reason and reason.strip()):
        raise BadInput("--force needs --reason", fix='add --reason "why this version must go out anyway"')
    client = registry_client(as_project(project))
    number = resolve_version(client, name, version)
    _version_tags(client, name, number)  # a missing version is one line before anything waits for the lock
    approver = _approver(approved_by)
    with model_lock(client, name, approver):
        model = get_registered(client, name)
        candidate = _version_tags(client, name, number)
        holder_version = str(model.aliases[alias]) if alias in (model.aliases or {}) else None
        if holder_version == number:
            raise BadInput(f"{name}@{alias} is already v{number}", fix="register a new version first")
        holder = _version_tags(client, name, holder_version) if holder_version else None
        checks = gate_checks(candidate, holder, holder_version)
        failed = [c for c in checks if c.status == "fail"]
        if failed and not force:
            raise GateFailed(f"{name} v{number} cannot become @{alias}: "
                             + "; ".join(f"{c.name}: {c.detail}" for c in failed),
                             fix="fix the version and register again, or gate it with --force --reason")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"at": now, "by": approver, "previous": holder_version, "forced": bool(failed and force),
                  "reason": reason if force else None, "failed": [c.name for c in failed]}
        _record_move(client, name, alias, model, number, {
            "action": "promote", "from": holder_version, "to": number, "at": now, "by": approver,
            "forced": record["forced"], "reason": record["reason"], "gate": [asdict(c) for c in checks]})
        client.set_model_version_tag(name, number, T.PROMOTED_PREFIX + alias, T.dump_json(record))
        if force:
            client.set_model_version_tag(name, number, T.OVERRIDE_PREFIX + alias, T.dump_json(record))
    return PromotionResult(name=name, alias=alias, version=number, previous=holder_version, action="promote",
                           approved_by=approver, forced=bool(force), reason=reason if force else None, checks=checks)


def _previous_holder(client, name: str, stack: list[str], current: str) -> str | None:
    """The version that held the alias before `current` and still exists."""
    from mlflow.exceptions import MlflowException

    stack = list(stack)
    while stack:
        candidate = stack.pop()
        if candidate == current:
            continue
        try:
            client.get_model_version(name, candidate)
            return candidate
        except MlflowException:
            continue  # that version was deleted since
    return None


def rollback(name: str, alias: str = "champion", *, approved_by: str | None = None, project=None) -> PromotionResult:
    """Move `alias` back one move: to the version that held it before the current one."""
    validate_alias(alias)
    client = registry_client(as_project(project))
    approver = _approver(approved_by)
    with model_lock(client, name, approver):
        model = get_registered(client, name)
        current = str(model.aliases[alias]) if alias in (model.aliases or {}) else None
        if current is None:
            raise BadInput(f"{name} has no @{alias}",
                           fix=f"move the alias to a version first: prodkit models gate {name} VERSION")
        target = _previous_holder(client, name, holders(dict(model.tags or {}), alias), current)
        if target is None:
            raise BadInput(f"no earlier version of {name} held @{alias}", fix="nothing to roll back to")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"at": now, "by": approver, "previous": current, "rollback": True}
        _record_move(client, name, alias, model, target,
                     {"action": "rollback", "from": current, "to": target, "at": now, "by": approver})
        client.set_model_version_tag(name, target, T.PROMOTED_PREFIX + alias, T.dump_json(record))
    return PromotionResult(name=name, alias=alias, version=target, previous=current, action="rollback",
                           approved_by=approver)


def history(name: str, alias: str = "champion", *, project=None) -> list[dict]:
    """Every recorded move of `name`@`alias`, oldest first (action, from, to, by, at, gate checks)."""
    validate_alias(alias)
    client = registry_client(as_project(project))
    return moves(dict(get_registered(client, name).tags or {}), alias)
