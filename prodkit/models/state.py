"""Read-only hooks for readiness checks (MOD-04, MOD-05, OPS-03, OPS-04), the side panel and drift.

Both return quickly when a project has no model store: no .prodkit/mlflow.db and no tracking
URI configured means no mlflow import at all.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from prodkit.models import tags as T
from prodkit.records import ModelStatus


def _store(project):
    from prodkit.errors import BadInput
    from prodkit.models.registry import as_project
    from prodkit.models.tracking import configured, open_store

    project = as_project(project)
    if not configured(project):
        return project, None
    try:
        return project, open_store(project, create=False, timeout=1.0)
    except BadInput:
        return project, None  # unreachable server: nothing can be said about models


def _search_by_notebook(client, notebook: str) -> list:
    from prodkit.models.registry import search_versions

    try:
        return search_versions(client, f"tags.`{T.NOTEBOOK}`", notebook)
    except Exception:  # noqa: BLE001 - older stores cannot filter on tags: filter here
        return [mv for mv in client.search_model_versions() if (mv.tags or {}).get(T.NOTEBOOK) == notebook]


def models_for_notebook(project, notebook_path) -> list[ModelStatus]:
    """The models registered from `notebook_path`, one record per model name, of its newest version.

    `missing`: of signature, example, git sha, data hash; `promoted`: an alias was set through
    the gate; `rollback_versions`: earlier ready versions; `versions`: count from this notebook.
    """
    project, store = _store(project)
    if store is None:
        return []
    from mlflow.exceptions import MlflowException

    try:
        return _model_rows(project, store.client, notebook_path)
    except MlflowException as e:  # e.g. a server that refuses the credentials: one line, no password
        from prodkit.errors import BadInput
        from prodkit.models.tracking import first_line, redact

        raise BadInput(f"cannot read models from {store.shown_uri} ({redact(first_line(e))})", path=store.shown_uri,
                       fix="check the tracking server and its credentials") from None


def _model_rows(project, client, notebook_path) -> list[ModelStatus]:
    from prodkit.models.card import card_todo
    from prodkit.models.registry import missing_parts, to_info

    path = Path(notebook_path)
    if not path.is_absolute() and not path.exists():
        path = project.root / path  # relative to the project root, as readiness checks pass it
    notebook = project.relpath(path)
    by_name: dict[str, list] = {}
    for mv in _search_by_notebook(client, notebook):
        by_name.setdefault(mv.name, []).append(mv)
    rows = []
    for name, versions in sorted(by_name.items()):
        versions.sort(key=lambda mv: int(mv.version), reverse=True)
        latest = to_info(versions[0])
        model = client.get_registered_model(name)
        aliases = {a: str(v) for a, v in (model.aliases or {}).items()}
        card = latest.tags.get(T.CARD)
        todo = card_todo(project.root / card) if card else None  # the file as the user left it, not as written
        promoted = any(T.PROMOTED_PREFIX + a in (mv.tags or {}) for mv in versions for a in aliases)
        held = set(aliases.values())
        rows.append(ModelStatus(**{
            "name": name, "latest_version": latest.version, "aliases": aliases,
            "complete": not missing_parts(latest.tags), "missing": missing_parts(latest.tags),
            "status": latest.status,
            "parity": {"status": latest.parity["status"], "passed": latest.parity["status"] == "passed",
                       "max_abs_diff": latest.parity["max_abs_diff"]},
            "benchmark": bool(latest.benchmark), "has_card": bool(card and (project.root / card).is_file()),
            "card_todo": todo if todo is not None else [s for s in latest.tags.get(T.CARD_TODO, "").split(",") if s],
            "registered_at": latest.tags.get(T.REGISTERED_AT) or latest.created_at,
            "promoted": promoted,
            "rollback_versions": [str(mv.version) for mv in versions
                                  if str(mv.version) not in held and (mv.tags or {}).get(T.STATUS) == "ready"],
            "versions": len(versions),
        }))
    return rows


def reference_data(project, name: str, version: str | int | None = None):
    """The training-data reference (DataFrame) stored with a version, or None.

    version None: the @champion version if there is one, else the newest version with a reference.
    """
    project, store = _store(project)
    if store is None:
        return None
    from mlflow.exceptions import MlflowException

    from prodkit.models.registry import versions_of

    client = store.client
    try:
        model = client.get_registered_model(name)
    except MlflowException:
        return None
    if version is None and "champion" in (model.aliases or {}):
        version = model.aliases["champion"]
    if version is not None:
        try:
            candidates = [client.get_model_version(name, str(version))]
        except MlflowException:
            return None
    else:
        candidates = versions_of(client, name)
    for mv in candidates:
        artifact = (mv.tags or {}).get(T.REFERENCE)
        if artifact and mv.run_id:
            import pandas as pd

            with tempfile.TemporaryDirectory() as tmp:
                local = client.download_artifacts(mv.run_id, artifact, tmp)
                return pd.read_parquet(local)
    return None
