"""Registered PyTorch models: MLflow registry, export parity, device benchmark, promotion gate.

`import prodkit.models` stays light: mlflow and torch are imported inside the functions.
"""

from __future__ import annotations

from typing import Any


def register_model(model, name: str, **kwargs: Any):
    """Register a trained PyTorch model as a new, checked version of `name`.

    prodkit.register_model(model, "churn-clf", example=X_val[:8], metrics={"auc": 0.91}, data=train_df)

    Options: primary_metric=, greater_is_better=, parity=True, benchmark=True, notebook=, description=,
    project=. Returns a RegisteredModel (.name, .version, .uri, .checks) that renders in the notebook.
    """
    from prodkit.models.register import register_model as _register

    return _register(model, name, **kwargs)


def load_model(name: str, ref: str = "champion", *, device: str | None = None, project=None):
    """Load `name`@alias (or a version number) as a torch module, on CUDA when available."""
    from prodkit.models.registry import load_model as _load

    return _load(name, ref, device=device, project=project)


def promote(name: str, version: str | int, alias: str = "champion", **kwargs: Any):
    """Move `alias` to `version` through the promotion gate (see prodkit.models.gate)."""
    from prodkit.models.gate import promote as _promote

    return _promote(name, version, alias, **kwargs)


def rollback(name: str, alias: str = "champion", **kwargs: Any):
    """Move `alias` back to the version that held it before."""
    from prodkit.models.gate import rollback as _rollback

    return _rollback(name, alias, **kwargs)


__all__ = ["register_model", "load_model", "promote", "rollback"]
