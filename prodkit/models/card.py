"""Model cards (Mitchell et al. 2019, "Model Cards for Model Reporting").

The card is Markdown at `model_cards/<name>.md`. prodkit owns only the blocks between
`<!-- prodkit:begin KEY -->` and `<!-- prodkit:end KEY -->` and refreshes them on every run;
everything else in the file (text above the first section, the user's own sections, edited
headings) is the user's and is kept byte for byte. A file that exists without prodkit's
markers is not overwritten unless forced. Sections that need the user's words and still have
none are listed as still to write.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from prodkit._io import atomic_write_text
from prodkit._render import Line, Rendered, View
from prodkit.errors import BadInput, GateFailed
from prodkit.models import tags as T
from prodkit.models.result import VersionInfo

LEGACY_START, LEGACY_END = "<!-- prodkit:auto -->", "<!-- /prodkit:auto -->"  # cards before markers had keys
MARKER = re.compile(r"<!-- prodkit:(begin|end) ([a-z0-9-]+) -->")
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
class CardResult(Rendered):
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

    def view(self) -> View:
        return View([Line(self.summary())])

    def __repr__(self) -> str:
        return str(self)


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


def block_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def begin(key: str) -> str:
    return f"<!-- prodkit:begin {key} -->"


def end(key: str) -> str:
    return f"<!-- prodkit:end {key} -->"


def _block(key: str, body: str) -> str:
    body = body.replace("<!--", "&lt;!--").replace("-->", "--&gt;")  # registry text cannot end a block early
    return f"{begin(key)}\n{body.strip(chr(10))}\n{end(key)}" if body else f"{begin(key)}\n{end(key)}"


def new_card(name: str, auto: dict[str, str]) -> str:
    """A fresh card: every section's heading, prodkit's block where it fills one, a hint for the user."""
    lines = [f"# Model card: {name}", "",
             "_Sections follow Mitchell et al. 2019. prodkit refreshes only the blocks between its "
             "`prodkit:begin`/`prodkit:end` markers; everything else here is yours and is kept as written._", ""]
    for title, _needs_user, hint in SECTIONS:
        lines += [f"## {title}", ""]
        if title in auto:
            lines += [_block(block_key(title), auto[title]), ""]
        lines += [f"<!-- TODO: {hint} -->", ""]
    return "\n".join(lines).rstrip() + "\n"


def _from_legacy(text: str) -> str:
    """Cards written before keyed markers: each `prodkit:auto` block takes the key of its section."""
    out, title, pos = [], "", 0
    for match in re.finditer(r"^## ([^\n]+)$|" + re.escape(LEGACY_START) + r"(.*?)" + re.escape(LEGACY_END), text,
                             flags=re.M | re.S):
        if match.group(1) is not None:
            title = match.group(1).strip()
            continue
        key = block_key(title) or "block"
        out += [text[pos:match.start()], begin(key), match.group(2), end(key)]
        pos = match.end()
    return "".join(out) + text[pos:]


def _check_markers(text: str, path: Path) -> None:
    """Every begin has its end, in order, none nested: else one line naming the block."""
    open_key = None
    for match in MARKER.finditer(text):
        kind, key = match.groups()
        line = text.count("\n", 0, match.start()) + 1
        if kind == "begin" and open_key is None:
            open_key = key
        elif kind == "end" and open_key == key:
            open_key = None
        else:
            raise BadInput(f"line {line}: prodkit marker {kind} {key} does not pair with "
                           f"{'begin ' + open_key if open_key else 'a begin'}", path=str(path),
                           fix="restore the marker pair, or rewrite the card with --force")
    if open_key is not None:
        raise BadInput(f"prodkit block {open_key} has no end marker", path=str(path),
                       fix=f"add {end(open_key)}, or rewrite the card with --force")


def refresh(text: str, auto: dict[str, str]) -> tuple[str, list[str]]:
    """`text` with each prodkit block's body replaced by the fresh one; the keys refreshed.

    Only block bodies change; a block prodkit no longer fills, or one the user removed, stays as is.
    """
    fresh = {block_key(title): body for title, body in auto.items()}
    refreshed: list[str] = []

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key not in fresh:
            return match.group(0)
        refreshed.append(key)
        return _block(key, fresh[key])

    pattern = r"<!-- prodkit:begin ([a-z0-9-]+) -->.*?<!-- prodkit:end \1 -->"
    return re.sub(pattern, replace, text, flags=re.S), refreshed


def user_sections(text: str) -> dict[str, str]:
    """The user's own text per `## ` section: everything but prodkit's blocks and HTML comments."""
    text = re.sub(r"<!-- prodkit:begin ([a-z0-9-]+) -->.*?<!-- prodkit:end \1 -->", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    chunks = re.split(r"^## (.+)$", text, flags=re.M)
    return {title.strip(): body.strip() for title, body in zip(chunks[1::2], chunks[2::2], strict=False)}


def render(info: VersionInfo, business: dict[str, str], previous: str | None = None) -> tuple[str, list[str], list[str]]:
    """The card's Markdown (a fresh one, or `previous` with prodkit's blocks refreshed), the
    sections still to write, and the sections with the user's own text."""
    auto = auto_text(info, business)
    text = new_card(info.name, auto) if previous is None else refresh(_from_legacy(previous), auto)[0]
    own = user_sections(text)
    kept = [title for title, _needs, _hint in SECTIONS if own.get(title)]
    return text, unwritten_sections(text), kept


def unwritten_sections(text: str) -> list[str]:
    """The sections of a card's Markdown that need the user's words and still have none."""
    own = user_sections(text)
    return [title for title, needs_user, _hint in SECTIONS if needs_user and not own.get(title)]


def card_todo(path: Path) -> list[str] | None:
    """The unwritten sections of the card file at `path` as it is now; None when it cannot be read."""
    try:
        return unwritten_sections(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def _previous(path: Path, force: bool) -> str | None:
    """The existing card's text to refresh; None to write a fresh card. Refuses a file prodkit did not write."""
    if force or not path.exists():
        return None
    if not path.is_file():
        raise BadInput("is not a file", path=str(path), fix="pass -o with a path to a Markdown file")
    try:
        text = _from_legacy(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise BadInput("is not UTF-8 text", path=str(path), fix="pass another -o, or overwrite it with --force") from None
    if not MARKER.search(text):
        raise GateFailed("exists and has no prodkit markers; not overwritten", path=str(path),
                         fix="pass another -o, or overwrite it with --force")
    _check_markers(text, path)
    return text


def write_card(name: str, version: str | int | None = None, *, project=None, output: str | Path | None = None,
               force: bool = False) -> CardResult:
    """Write (or refresh) the model card of `name` (default: newest version) and tag the version.

    An existing card keeps everything outside prodkit's blocks; a file without prodkit's markers
    is refused (GateFailed, exit 1) unless `force`.
    """
    from prodkit.models.registry import as_project, registry_client, show

    project = as_project(project)
    info = show(name, version, project=project)
    path = Path(output) if output else project.root / CARDS_DIR / f"{name}.md"
    text, todo, kept = render(info, project.section("prodkit.business"), _previous(path, force))
    atomic_write_text(path, text)
    client = registry_client(project)
    client.set_model_version_tag(name, info.version, T.CARD, project.relpath(path))
    client.set_model_version_tag(name, info.version, T.CARD_TODO, ",".join(todo))
    return CardResult(name=name, version=info.version, path=project.relpath(path), todo=todo, kept_user_text=kept)
