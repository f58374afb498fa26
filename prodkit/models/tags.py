"""Model-version tag keys prodkit writes, read back by the gate, the card and readiness checks."""

from __future__ import annotations

import json
from typing import Any

STATUS = "prodkit.status"  # "ready" | "failed"
GIT_SHA = "prodkit.git_sha"
NOTEBOOK = "prodkit.notebook"  # path relative to the project root
CELL = "prodkit.cell"  # 1-based cell number in the saved notebook
EXECUTION_COUNT = "prodkit.execution_count"
DATA_HASH = "prodkit.data_hash"
REFERENCE = "prodkit.reference"  # artifact path of the reference data in the run
TORCH = "prodkit.torch"
CUDA = "prodkit.cuda"
TRAINED_ON = "prodkit.trained_on"
GPU = "prodkit.gpu"
SERIALIZATION = "prodkit.serialization"
SIGNATURE = "prodkit.signature"
EXAMPLE = "prodkit.example"
PARITY = "prodkit.parity"  # "passed" | "failed" | "skipped"
PARITY_MAX_ABS_DIFF = "prodkit.parity_max_abs_diff"
PARITY_REASON = "prodkit.parity_reason"
BENCHMARK = "prodkit.benchmark"  # JSON summary
METRICS = "prodkit.metrics"  # JSON {name: value}
PRIMARY_METRIC = "prodkit.primary_metric"
GREATER_IS_BETTER = "prodkit.greater_is_better"
REGISTERED_AT = "prodkit.registered_at"
CARD = "prodkit.card"  # path of the model card relative to the project root
CARD_TODO = "prodkit.card_todo"  # sections the user still has to write
PROMOTED_PREFIX = "prodkit.promoted."  # + alias: JSON record of the promotion
OVERRIDE_PREFIX = "prodkit.override."  # + alias: JSON record of a forced promotion
ALIAS_HISTORY_PREFIX = "prodkit.alias_history."  # registered-model tag + alias: JSON list (before the log)
ALIAS_LOG_PREFIX = "prodkit.alias_log."  # registered-model tag + alias.SEQ-ID: one JSON record per alias move
RETRAIN = "prodkit.retrain"  # JSON: the scheduled run that registered this version and the run that triggered it
GATE_DECISION = "prodkit.gate_decision"  # JSON: register_candidate's auto-promotion: promoted or why not
LOADTEST = "prodkit.loadtest"  # JSON: the last `prodkit models loadtest` against this version when served


def load_json(tags: dict[str, str], key: str, default: Any = None) -> Any:
    raw = tags.get(key)
    if not raw:
        return default
    try:
        return json.loads(raw)
    except ValueError:
        return default


def dump_json(value: Any) -> str:
    """Compact JSON for a tag (MLflow caps tag values at 8000 characters)."""
    text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 7900 else json.dumps({"truncated": True})
