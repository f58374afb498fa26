"""Data contracts: inferred from a reference frame, kept as a small editable YAML/JSON file,
and checked against each batch.

A contract lists the columns with their dtype family, kind (what drift compares them as),
share of nulls, numeric range and known categories, plus the tolerances of the checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodkit._io import atomic_write_text
from prodkit.errors import BadInput
from prodkit.monitor.frames import CATEGORICAL, KINDS, NUMERICAL, check_frame, dtype_family, infer_kind
from prodkit.monitor.results import ValidationResult, Violation

if TYPE_CHECKING:
    import pandas as pd

CONTRACT_VERSION = 1
DEFAULT_TOLERANCE = {
    "null_share_margin": 0.05,  # allowed rise of a column's null share over the reference
    "out_of_range_share": 0.01,  # share of numeric values outside [min, max] that is still fine
    "unseen_category_share": 0.01,  # share of values in unseen categories that is still fine
}
_NUMERIC_FAMILIES = {"integer", "float"}
_TEXT_FAMILIES = {"string", "category"}

HEADER = """\
# prodkit data contract{for_name}. Edit freely: prodkit keeps your edits.
# Checked by prodkit.monitor.watch(df, model=...) and `prodkit validate DATA --contract FILE`.
# kind: numerical | categorical | datetime | text   (drift compares numerical and categorical)
# Per column you may add  drift: false  (never compared), method: psi / threshold: 0.2 (evidently).
"""


@dataclass
class ColumnRule:
    """What one column of a batch must look like."""

    dtype: str  # integer | float | bool | string | category | datetime
    kind: str
    null_share: float = 0.0
    min: float | None = None
    max: float | None = None
    categories: list[Any] | None = None
    drift: bool = True
    method: str | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"dtype": self.dtype, "kind": self.kind, "null_share": self.null_share}
        if self.min is not None:
            data["min"], data["max"] = self.min, self.max
        if self.categories is not None:
            data["categories"] = self.categories
        if not self.drift:
            data["drift"] = False
        if self.method:
            data["method"] = self.method
        if self.threshold is not None:
            data["threshold"] = self.threshold
        return data


@dataclass
class Contract:
    """The columns a batch must have and the tolerances of the checks."""

    columns: dict[str, ColumnRule]
    name: str | None = None
    reference_rows: int | None = None
    extra_columns: str = "warning"
    drift_share: float = 0.5
    tolerance: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TOLERANCE))

    def drift_columns(self) -> dict[str, str]:
        """column -> kind, for the columns drift compares."""
        return {n: r.kind for n, r in self.columns.items() if r.drift and r.kind in (NUMERICAL, CATEGORICAL)}

    def to_dict(self) -> dict[str, Any]:
        return {"version": CONTRACT_VERSION, "name": self.name, "reference_rows": self.reference_rows,
                "extra_columns": self.extra_columns, "drift_share": self.drift_share,
                "tolerance": dict(self.tolerance),
                "columns": {name: rule.to_dict() for name, rule in self.columns.items()}}


def _py(value: Any) -> Any:
    """numpy/pandas scalars to plain Python for YAML/JSON."""
    if hasattr(value, "item"):
        value = value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def infer_contract(reference: pd.DataFrame, *, name: str | None = None,
                   kinds: dict[str, str] | None = None) -> Contract:
    """A contract describing `reference`; `kinds` overrides inferred column kinds."""
    check_frame(reference, name or "reference")
    kinds = dict(kinds or {})
    unknown = sorted(set(kinds) - set(map(str, reference.columns)))
    if unknown:
        raise BadInput(f"kind given for unknown column(s): {', '.join(unknown)}", path=name or "reference",
                       fix="use column names of the reference")
    columns: dict[str, ColumnRule] = {}
    for col in reference.columns:
        series = reference[col]
        kind = kinds.get(str(col)) or infer_kind(series)
        _check_kind(kind, str(col), name)
        rule = ColumnRule(dtype=dtype_family(series.dtype), kind=kind,
                          null_share=round(float(series.isna().mean()), 6))
        values = series.dropna()
        if kind == NUMERICAL and rule.dtype in _NUMERIC_FAMILIES and len(values):
            rule.min, rule.max = _py(values.min()), _py(values.max())
        elif kind == CATEGORICAL:
            rule.categories = sorted((_py(v) for v in values.unique()), key=str)
        columns[str(col)] = rule
    return Contract(columns=columns, name=name, reference_rows=len(reference))


def _check_kind(kind: str, column: str, where: str | None) -> None:
    if kind not in KINDS:
        raise BadInput(f"column {column!r}: unknown kind {kind!r}", path=where,
                       fix=f"use one of {', '.join(KINDS)}")


# -- files ---------------------------------------------------------------------------------

def contract_text(contract: Contract, path: Path | str) -> str:
    """The file content for `contract`: YAML (with a how-to header) or JSON by suffix."""
    data = contract.to_dict()
    if Path(path).suffix.lower() == ".json":
        return json.dumps(data, indent=2) + "\n"
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block mappings, one column per block; lists (categories) inline."""

    Dumper.add_representer(list, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))
    header = HEADER.format(for_name=f" for {contract.name}" if contract.name else "")
    return header + yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


def save_contract(contract: Contract, path: Path | str) -> Path:
    """Write the contract atomically (YAML, or JSON for a .json path)."""
    path = Path(path)
    atomic_write_text(path, contract_text(contract, path))
    return path


def load_contract(path: Path | str) -> Contract:
    """Read a contract file; any problem is one BadInput line naming the file and the key."""
    path = Path(path)
    if not path.is_file():
        raise BadInput("no such contract file", path=str(path),
                       fix="create one with `prodkit validate REFERENCE --infer FILE` or prodkit.monitor.infer_contract")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:  # yaml.YAMLError / json.JSONDecodeError: one line either way
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise BadInput(f"cannot parse the contract ({first})", path=str(path), fix="fix the YAML/JSON syntax") from None
    return contract_from_dict(data, str(path))


def contract_from_dict(data: Any, where: str) -> Contract:
    """A Contract from a parsed file; the first problem is one BadInput line naming `where` and the field."""
    if not isinstance(data, dict) or not isinstance(data.get("columns"), dict) or not data["columns"]:
        raise BadInput("not a data contract (no 'columns' mapping)", path=where,
                       fix="start from an inferred contract and edit it")
    from prodkit.monitor._contract_schema import parse

    try:
        spec = parse({**data, "columns": {str(name): raw for name, raw in data["columns"].items()}})
    except ValueError as e:
        message, fix = e.args
        raise BadInput(message, path=where, fix=fix) from None
    columns = {name: ColumnRule(**rule.model_dump()) for name, rule in spec.columns.items()}
    return Contract(columns=columns, name=spec.name, reference_rows=spec.reference_rows,
                    extra_columns=spec.extra_columns, drift_share=spec.drift_share,
                    tolerance=spec.tolerance.model_dump())


# -- validation ----------------------------------------------------------------------------

def validate(df: pd.DataFrame, contract: Contract, *, contract_path: str | None = None) -> ValidationResult:
    """Check a batch against `contract`; every violation is recorded with its count and share.

    Missing columns, dtype changes, null spikes, out-of-range values and unseen categories
    beyond the tolerances are errors; extra columns and small excursions are warnings.
    """
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise BadInput(f"expected a pandas DataFrame, got {type(df).__name__}", fix="pass the batch as a DataFrame")
    rows = len(df)
    violations: list[Violation] = []
    if rows == 0:
        violations.append(Violation("empty", None, "error", 0, 1.0, "the batch is empty (0 rows)"))
    present = {str(c) for c in df.columns}
    for name in contract.columns:
        if name not in present:
            violations.append(Violation("missing_column", name, "error", rows, 1.0, "column is missing"))
    if contract.extra_columns != "ignore":
        for name in sorted(present - set(contract.columns)):
            violations.append(Violation("extra_column", name, contract.extra_columns, rows, 1.0,
                                        "column is not in the contract"))
    if rows:
        for col in df.columns:
            rule = contract.columns.get(str(col))
            if rule is not None:
                violations += _check_column(str(col), df[col], rule, contract.tolerance)
    return ValidationResult(rows=rows, columns=df.shape[1], violations=violations, contract=contract_path)


def _check_column(name: str, series: pd.Series, rule: ColumnRule, tolerance: dict[str, float]) -> list[Violation]:
    found: list[Violation] = []
    rows = len(series)
    family = dtype_family(series.dtype)
    nulls = int(series.isna().sum())
    null_share = nulls / rows
    if nulls == rows and rule.null_share < 1:
        return [Violation("null_spike", name, "error", nulls, 1.0, "all values are missing")]
    if family != rule.dtype:
        both_numeric = {family, rule.dtype} <= _NUMERIC_FAMILIES
        both_text = {family, rule.dtype} <= _TEXT_FAMILIES
        if not both_text:
            severity = "warning" if both_numeric else "error"
            found.append(Violation("dtype_changed", name, severity, rows, 1.0,
                                   f"dtype is {family}, the contract says {rule.dtype}"))
            if not both_numeric:
                return found
    if null_share > rule.null_share + tolerance["null_share_margin"]:
        found.append(Violation("null_spike", name, "error", nulls, null_share,
                               f"{null_share:.1%} missing, the contract allows {rule.null_share:.1%} "
                               f"+ {tolerance['null_share_margin']:.0%}"))
    values = series.dropna()
    if not len(values):
        return found
    if rule.kind == NUMERICAL and rule.min is not None and family in _NUMERIC_FAMILIES:
        outside = (values < rule.min) | (values > rule.max)
        found += _share_violation("out_of_range", name, int(outside.sum()), len(values),
                                  tolerance["out_of_range_share"], f"outside [{rule.min:.6g}, {rule.max:.6g}]",
                                  values[outside].head(5).tolist())
    if rule.kind == CATEGORICAL and rule.categories is not None:
        known = {str(c) for c in rule.categories}
        counts = values.astype(str).value_counts()
        unseen = counts[~counts.index.isin(known)]
        found += _share_violation("unseen_categories", name, int(unseen.sum()), len(values),
                                  tolerance["unseen_category_share"], f"in {len(unseen)} unseen categor"
                                  f"{'y' if len(unseen) == 1 else 'ies'}", unseen.index[:5].tolist())
    return found


def _share_violation(rule: str, column: str, count: int, total: int, limit: float, what: str,
                     examples: list) -> list[Violation]:
    if not count:
        return []
    share = count / total
    severity = "error" if share > limit else "warning"
    return [Violation(rule, column, severity, count, share,
                      f"{count} values ({share:.1%}) {what}; tolerance {limit:.0%}", [_py(e) for e in examples])]
