"""Reading the registry back: models, versions, what each version lacks, and loading one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prodkit.config import Project, load_project
from prodkit.errors import BadInput
from prodkit.models import tags as T
from prodkit.models.result import VersionInfo

# What MOD-04 ("registered model complete") requires, by the tag that proves it.
REQUIRED = {"signature": T.SIGNATURE, "example": T.EXAMPLE, "git sha": T.GIT_SHA, "data hash": T.DATA_HASH}


def as_project(project: Project | str | os.PathLike | None) -> Project:
    return project if isinstance(project, Project) else load_project(project)


def registry_client(project: Project):
    """A client on the project's existing store; a clear error when nothing was registered yet."""
    from prodkit.models.tracking import configured, open_store

    if not configured(project):
        raise BadInput(f"no models registered in {project.root} yet (no .prodkit/mlflow.db, no tracking_uri)",
                       path=str(project.root), fix="register one: prodkit.register_model(model, NAME, example=...)")
    return open_store(project, create=False).client


def missing_parts(tags: dict[str, str]) -> list[str]:
    """What of signature / example / git sha / data hash a version lacks."""
    return [what for what, key in REQUIRED.items() if not tags.get(key)]


def version_number(mv) -> str:
    return str(mv.version)  # int from sqlite, str from a server


def to_info(mv, aliases: list[str] | None = None) -> VersionInfo:
    from datetime import UTC, datetime

    tags = dict(mv.tags or {})
    created = datetime.fromtimestamp(mv.creation_timestamp / 1000, UTC).isoformat(timespec="seconds") \
        if mv.creation_timestamp else None
    parity = {"status": tags.get(T.PARITY, "unknown"), "max_abs_diff": _float(tags.get(T.PARITY_MAX_ABS_DIFF)),
              "reason": tags.get(T.PARITY_REASON)}
    return VersionInfo(
        name=mv.name, version=version_number(mv), aliases=sorted(aliases if aliases is not None else (mv.aliases or [])),
        status=tags.get(T.STATUS, "unknown"), run_id=mv.run_id, source=mv.source, created_at=created, tags=tags,
        metrics=T.load_json(tags, T.METRICS, {}), parity=parity, benchmark=T.load_json(tags, T.BENCHMARK, {}),
        missing=missing_parts(tags),
    )


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


LOCK_PREFIX = "_prodkit_lock."  # the gate's per-model lock (prodkit names start with a letter or digit)
MAX_NAME = 256  # the registered_models.name column


def validate_lookup_name(name: object) -> str:
    """A name to look up in the registry: anything MLflow can hold (quotes included), one line otherwise.

    MLflow refuses empty names, '/' and ':'; control characters would break filters and output.
    Names prodkit registers itself follow the stricter `register.validate_name`.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME or any(c in name for c in "/:") \
            or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise BadInput(f"invalid model name {name!r}: MLflow cannot hold it",
                       fix=f"a registered-model name is 1-{MAX_NAME} characters without '/', ':' or control characters")
    return name


def quote_filter_value(value: str) -> str | None:
    """`value` as a string literal in an MLflow filter, or None when none can hold it.

    MLflow's filter parser takes '...' or "..." and has no escape character, so a value
    with a single quote goes in double quotes; one with both quotes cannot be filtered on.
    """
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def search_versions(client, field: str, value: str) -> list:
    """Model versions whose `field` (`name`, or a tag as tags.`KEY`) equals `value`, quotes and all."""
    literal = quote_filter_value(value)
    if literal is None:  # both quote kinds: filter here instead
        return [mv for mv in client.search_model_versions() if _field_of(mv, field) == value]
    return list(client.search_model_versions(f"{field} = {literal}"))


def _field_of(mv, field: str) -> str | None:
    if field == "name":
        return mv.name
    return (mv.tags or {}).get(field.removeprefix("tags.").strip("`"))


def get_registered(client, name: str):
    from mlflow.exceptions import MlflowException

    validate_lookup_name(name)
    try:
        return client.get_registered_model(name)
    except MlflowException:
        raise BadInput(f"no registered model named {name!r}", fix="`prodkit models list` shows the registered models") from None


def versions_of(client, name: str) -> list:
    """All versions of `name`, newest first."""
    found = search_versions(client, "name", name)
    return sorted(found, key=lambda mv: int(mv.version), reverse=True)


def resolve_version(client, name: str, ref: str | int | None) -> str:
    """A version number from a number, an alias, or None (the newest version)."""
    model = get_registered(client, name)
    if ref is None or str(ref).lower() == "latest":
        versions = versions_of(client, name)
        if not versions:
            raise BadInput(f"{name} has no versions", fix="register one with prodkit.register_model(...)")
        return version_number(versions[0])
    ref = str(ref)
    if ref.startswith("@"):
        ref = ref[1:]
    elif ref[:1] in "vV" and ref[1:].isdigit():
        ref = ref[1:]
    if ref.isdigit():
        return ref
    aliases = dict(model.aliases or {})
    if ref in aliases:
        return str(aliases[ref])
    raise BadInput(f"{name} has no version or alias {ref!r}", fix=f"aliases: {sorted(aliases) or 'none'}; "
                   f"`prodkit models show {name}` lists versions")


def list_models(project=None) -> list[dict[str, Any]]:
    """Every registered model with its newest version, aliases and completeness."""
    from prodkit.models.tracking import configured

    project = as_project(project)
    if not configured(project):
        return []
    client = registry_client(project)
    rows = []
    for model in client.search_registered_models():
        if model.name.startswith(LOCK_PREFIX):
            continue
        versions = versions_of(client, model.name)
        latest = to_info(versions[0]) if versions else None
        rows.append({
            "name": model.name, "versions": len(versions), "latest": latest.version if latest else None,
            "aliases": {k: str(v) for k, v in (model.aliases or {}).items()},
            "parity": latest.parity["status"] if latest else None,
            "complete": latest.complete if latest else False,
            "missing": latest.missing if latest else [],
            "registered_at": latest.created_at if latest else None,
        })
    return sorted(rows, key=lambda r: r["name"])


def show(name: str, version: str | int | None = None, project=None) -> VersionInfo:
    """One version (default the newest) with its tags, metrics, parity and benchmark."""
    project = as_project(project)
    client = registry_client(project)
    number = resolve_version(client, name, version)
    from mlflow.exceptions import MlflowException

    try:
        mv = client.get_model_version(name, number)
    except MlflowException:
        raise BadInput(f"{name} has no version {number}", fix=f"`prodkit models show {name}` lists versions") from None
    aliases = [a for a, v in (get_registered(client, name).aliases or {}).items() if str(v) == number]
    return to_info(mv, aliases)


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_model(name: str, ref: str | int | None = "champion", *, device: str | None = None, project=None):
    """`name`@alias or version as a torch module on `device` (default: CUDA when available).

    Weights are saved from CPU; an exported (pt2) program is moved with torch.export's
    move_to_device_pass, which mlflow.pytorch's loader does not do.
    """
    import mlflow
    import torch

    project = as_project(project)
    client = registry_client(project)
    number = resolve_version(client, name, ref)
    device = device or default_device()
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{name}/{number}"))
    pt2 = local / "data" / "model.pt2"
    if pt2.is_file():
        program = torch.export.load(str(pt2))
        if torch.device(device).type != "cpu":
            from torch.export.passes import move_to_device_pass

            program = move_to_device_pass(program, device)
        return program.module()
    import mlflow.pytorch

    return mlflow.pytorch.load_model(f"models:/{name}/{number}", map_location=device).to(device).eval()


def validate_alias(alias: str) -> str:
    import re

    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]{0,199}", alias or "") or alias.lower() == "latest" or \
            re.fullmatch(r"[vV]\d+", alias):
        raise BadInput(f"invalid alias {alias!r}", fix="use a word such as champion or challenger")
    return alias
