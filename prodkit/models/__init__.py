"""Registered PyTorch models: MLflow registry, export parity, device benchmark, promotion gate.

`import prodkit.models` stays light: mlflow and torch are imported inside the functions.

  register.py    register_model: checks the input, runs parity and benchmark, logs and registers
  parity.py      torch.export with a dynamic batch dimension vs eager mode
  bench.py       p50/p95 latency at batch 1/8/64, throughput, peak memory, per device
  provenance.py  git sha, notebook and cell, data hash, drift reference sample, environment
  tracking.py    the project's MLflow store (embedded sqlite or a server), initialised once
  registry.py    reading versions back, load_model (CUDA when available)
  refs.py        NAME@ALIAS, NAME/VERSION, models:/... references
  serve.py       `prodkit models serve`: MLflow's scoring protocol, following an alias
  loadtest.py    `prodkit models loadtest`: p50/p95/p99 against a running server, stored on the version
  gate.py        move_alias (the gate), rollback and the alias history;  card.py  model cards
  aliases.py     the per-model alias-move lock and the append-only alias history, both in MLflow
  state.py       read-only hooks for readiness, the side panel and drift monitoring
  tags.py        the model-version tag keys everything above shares
  cli.py, magic.py, demo.py   `prodkit models ...`, `%prodkit register`, the demo step
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


def load_model(name: str, ref: str | int | None = None, *, device: str | None = None, project=None):
    """Load a registered version as a torch module, on CUDA when available.

    load_model("churn-clf@champion"), load_model("churn-clf/3"), load_model("models:/churn-clf@champion"),
    load_model("churn-clf", 3); a bare name means @champion.
    """
    from prodkit.models.refs import parse_model_ref
    from prodkit.models.registry import load_model as _load

    parsed = parse_model_ref(name, ref)
    return _load(parsed.name, parsed.ref, device=device, project=project)


def register_candidate(model, name: str, **kwargs: Any):
    """In a retrain notebook: register a new version; with auto_gate=True the gate decides the alias now."""
    from prodkit.models.retrain import register_candidate as _register_candidate

    return _register_candidate(model, name, **kwargs)


def move_alias(name: str, version: str | int, alias: str = "champion", **kwargs: Any):
    """Move `alias` to `version` through the gate (see prodkit.models.gate)."""
    from prodkit.models.gate import move_alias as _move_alias

    return _move_alias(name, version, alias, **kwargs)


def rollback(name: str, alias: str = "champion", **kwargs: Any):
    """Move `alias` back to the version that held it before."""
    from prodkit.models.gate import rollback as _rollback

    return _rollback(name, alias, **kwargs)


__all__ = ["register_model", "register_candidate", "load_model", "move_alias", "rollback"]
