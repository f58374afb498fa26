"""Data contracts and drift monitoring for scheduled runs (evidently).

    prodkit.monitor.watch(scored, model="churn-clf")   # contract check; + drift in scheduled runs
    prodkit.monitor.set_reference("churn-clf", train)  # the reference (else the model's data=)
    prodkit.monitor.outcomes(labels, model="churn-clf", run=12)  # ground truth vs run 12's predictions
    prodkit.monitor.compare(reference, current)        # ad hoc drift: one verdict, per-column scores
    prodkit.monitor.infer_contract(df) / load_contract(path) / validate(df, contract)

Importing this package is instant: pandas and evidently load on first use.
"""

from __future__ import annotations

from prodkit._lazy import lazy_exports

_EXPORTS = {
    "watch": "prodkit.monitor.watcher",
    "outcomes": "prodkit.monitor.performance",
    "OutcomeResult": "prodkit.monitor.performance",
    "set_reference": "prodkit.monitor.watcher",
    "DriftDetected": "prodkit.monitor.watcher",
    "ContractBroken": "prodkit.monitor.watcher",
    "compare": "prodkit.monitor.drift",
    "infer_contract": "prodkit.monitor.contract",
    "load_contract": "prodkit.monitor.contract",
    "save_contract": "prodkit.monitor.contract",
    "validate": "prodkit.monitor.contract",
    "Contract": "prodkit.monitor.contract",
    "ColumnRule": "prodkit.monitor.contract",
    "read_table": "prodkit.monitor.frames",
    "DriftResult": "prodkit.monitor.results",
    "ColumnDrift": "prodkit.monitor.results",
    "ValidationResult": "prodkit.monitor.results",
    "Violation": "prodkit.monitor.results",
    "WatchResult": "prodkit.monitor.results",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
