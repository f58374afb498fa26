"""Model cards (Mitchell et al. 2019, "Model Cards for Model Reporting").

The card is Markdown at `model_cards/<name>.md`. Each section has a block prodkit fills from
what it recorded (between `<!-- prodkit:auto -->` markers, refreshed on every run) and room
below it for the user's own text, which is kept as written. Sections that need the user's
words and still have none are listed as still to write.
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prodkit._io import atomic_write_text
from prodkit.models import tags as T
from prodkit.models.result import VersionInfo

AUTO_START, AUTO_END = "<!-- prodkit:auto -->", "<!-- /prodkit:auto -->"
CARDS_DIR = "model_cards"

# (title, needs the user's words, what to write there)
SECTIONS = (
    ("Model Details", False, "who built it, license, where to send questions"),
    ("Intended Use", True, "primary uses and users, and uses that are out of scope"),
    ("Factors", True, "groups, environments or instruments where performance may differ"),
    ("Metrics", False, "why these metrics, thresholds and their uncertainty"),
    ("Evaluation Data", True, "the datasets used for evaluation, why, and how they were preprocessed"),
    ("Training Data", False, "where the training data came from and how it was preprocessed"),
    ("Quantitative Analyses", True, "results per factor (slices), not only overall"),
    ("Ethical Considerations", True, "sensitive data, risks, harms and their mitigations"),
    ("Caveats and Recommendations", True, "known limitations and what users should check"),
)


@dataclass
class CardResult:
    """A written model card and the sections the user still has to write."""

    name: str
    version: str
    path: str
    todo: list[str] = field(default_factory=list)
    kept_user_text: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        todo = "; still to write: " + ", ".join(self.todo) if self.todo else "; every section is written"
        return f"wrote {self.path} for {self.name} v{self.version}{todo}"

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<div>{html.escape(self.summary())}</div>"


def _table(rows: list[tuple[str, Any]]) -> str:
    lines = ["| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows if v not in (None, "")]
    return "\n".join(lines)


def auto_text(info: VersionInfo, business: dict[str, str]) -> dict[str, str]:
    """The filled-in part of each section, from the version's tags and settings.ini's business case."""
    t = info.tags
    sha = t.get(T.GIT_SHA)
    cell = f" (cell {t[T.CELL]})" if t.get(T.CELL) else ""
    details = _table([
        ("Name", f"`{info.name}`"), ("Version", info.version), ("Registered", info.created_at),
        ("Aliases", ", ".join(f"@{a}" for a in info.aliases) or "none"), ("Framework", f"PyTorch {t.get(T.TORCH, '?')}"),
        ("Serialization", t.get(T.SERIALIZATION)), ("Trained on", t.get(T.TRAINED_ON)),
        ("CUDA", t.get(T.CUDA)), ("Git commit", f"`{sha}`" if sha else "not recorded"),
        ("Notebook", f"`{t[T.NOTEBOOK]}`{cell}" if t.get(T.NOTEBOOK) else "not recorded"),
        ("MLflow run", f"`{info.run_id}`"), ("Owner", business.get("owner")),
    ])
    intended = ""
    if any(business.get(k) for k in ("kpi", "target", "owner", "latency_budget_ms")):
        intended = _table([("Business KPI", business.get("kpi")), ("Target", business.get("target")),
                           ("Owner", business.get("owner")), ("Latency budget (ms)", business.get("latency_budget_ms"))])
    primary = t.get(T.PRIMARY_METRIC)
    metric_rows = [(f"{k}{' (primary)' if k == primary else ''}", f"{v:.4g}") for k, v in info.metrics.items()]
    metrics = _table(metric_rows) if metric_rows else "No metrics were recorded."
    if primary:
        better = "higher" if t.get(T.GREATER_IS_BETTER, "true") == "true" else "lower"
        metrics += f"\n\nPromotion compares `{primary}` ({better} is better) with the current alias holder."
    training = _table([("Data hash", f"`{t[T.DATA_HASH]}`" if t.get(T.DATA_HASH) else "not recorded"),
                       ("Reference sample", f"`{t[T.REFERENCE]}` in the MLflow run" if t.get(T.REFERENCE) else None)])
    quantitative = [f"Export parity: **{info.parity.get('status')}**"
                    + (f", max abs diff {info.parity['max_abs_diff']:.3g}" if info.parity.get("max_abs_diff") is not None else "")
                    + (f" — {info.parity['reason']}" if info.parity.get("reason") else "")]
    for device, res in info.benchmark.items():
        quantitative.append(f"\n{device} latency ({res.get('gpu') or str(res.get('threads', '?')) + ' threads'}):\n")
        quantitative.append("| batch | p50 ms | p95 ms | rows/s |\n|---|---|---|---|")
        for size, row in res.get("batches", {}).items():
            quantitative.append(f"| {size} | {row['p50_ms']:.3g} | {row['p95_ms']:.3g} | {row['throughput_per_s']:,.0f} |")
        quantitative.append(f"\nPeak memory: {res.get('peak_mem_mb')} MB ({res.get('peak_mem_kind')})")
    caveats = []
    if info.parity.get("status") != "passed":
        caveats.append(f"- The exported program was not verified against eager mode ({info.parity.get('status')}).")
    if t.get(T.SERIALIZATION) == "pickle":
        caveats.append("- Saved with pickle: loading needs MLFLOW_ALLOW_PICKLE_DESERIALIZATION=true; load only from a trusted registry.")
    if info.missing:
        caveats.append(f"- Provenance missing: {', '.join(info.missing)}.")
    return {"Model Details": details, "Intended Use": intended, "Metrics": metrics, "Training Data": training,
            "Quantitative Analyses": "\n".join(quantitative), "Caveats and Recommendations": "\n".join(caveats)}


def _user_parts(text: str) -> dict[str, str]:
    """The user's text per section of an existing card (everything outside the auto block)."""
    parts: dict[str, str] = {}
    chunks = re.split(r"^## (.+)$", text, flags=re.M)
    for title, body in zip(chunks[1::2], chunks[2::2], strict=False):
        body = re.sub(re.escape(AUTO_START) + r".*?" + re.escape(AUTO_END), "", body, flags=re.S)
        body = re.sub(r"<!-- TODO:.*?-->", "", body, flags=re.S)
        parts[title.strip()] = body.strip()
    return parts


def render(info: VersionInfo, business: dict[str, str], previous: str = "") -> tuple[str, list[str], list[str]]:
    """The card's Markdown, the sections still to write, and the sections whose user text was kept."""
    auto = auto_text(info, business)
    user = _user_parts(previous)
    lines = [f"# Model card: {info.name}", "",
             "_Sections follow Mitchell et al. 2019. prodkit refreshes the blocks between its markers; "
             "write your own text below them — it is kept._", ""]
    todo, kept = [], []
    for title, needs_user, hint in SECTIONS:
        lines += [f"## {title}", ""]
        if auto.get(title):
            lines += [AUTO_START, auto[title], AUTO_END, ""]
        own = user.get(title, "")
        if own:
            lines += [own, ""]
            kept.append(title)
        else:
            lines += [f"<!-- TODO: {hint} -->", ""]
            if needs_user:
                todo.append(title)
    return "\n".join(lines).rstrip() + "\n", todo, kept


def write_card(name: str, version: str | int | None = None, *, project=None, output: str | Path | None = None) -> CardResult:
    """Write (or refresh) the model card of `name` (default: newest version) and tag the version."""
    from prodkit.models.registry import as_project, registry_client, show

    project = as_project(project)
    info = show(name, version, project=project)
    path = Path(output) if output else project.root / CARDS_DIR / f"{name}.md"
    previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    text, todo, kept = render(info, project.section("prodkit.business"), previous)
    atomic_write_text(path, text)
    client = registry_client(project)
    client.set_model_version_tag(name, info.version, T.CARD, project.relpath(path))
    client.set_model_version_tag(name, info.version, T.CARD_TODO, ",".join(todo))
    return CardResult(name=name, version=info.version, path=project.relpath(path), todo=todo, kept_user_text=kept)
