"""Per-check precision and recall of the readiness checks on the labelled public notebooks.

    python tests/readiness/realnb/score.py [--json OUT] [--check ID ...] [NOTEBOOK ...]

Each notebook in `notebooks/` is copied into its own fresh `prodkit init` project (no dependencies
declared) and checked with `--static`; the verdict of each check is compared with the one written
by reading the notebook (`labels.json`, see README.md):

- prodkit `fail`/`warn` -> "flag", `pass` -> "ok"; `skip` (or any other status) and a check the
  result does not contain are "no verdict";
- a labelled "flag" with no prodkit flag is a miss (FN), also when prodkit gave no verdict;
- a labelled "ok" that prodkit flags is a false alarm (FP); "n/a" labels are left out.

Only per-check statuses are read, so the score or grade the result carries does not matter.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE / "notebooks"
LABELS = HERE / "labels.json"
FLAG_STATUSES = {"fail", "warn"}
MIN_POSITIVES = 5
MIN_PRECISION = 0.9
MIN_RECALL = 0.9


@dataclass
class CheckScore:
    """Confusion counts of one check over the corpus, with the notebooks it got wrong."""

    check: str
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    false_alarms: list[tuple[str, str]] = field(default_factory=list)  # (notebook, prodkit's message)
    misses: list[tuple[str, str]] = field(default_factory=list)  # (notebook, why it should flag)

    @property
    def positives(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def gated(self) -> bool:
        return self.positives >= MIN_POSITIVES

    @property
    def passes(self) -> bool:
        return not self.gated or (self.precision >= MIN_PRECISION and self.recall >= MIN_RECALL)


def load_labels(path: Path = LABELS) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _check_list(result) -> list:
    """The per-check entries of one notebook's result, whatever shape the result has."""
    if isinstance(result, list):
        (result,) = result
    if hasattr(result, "checks"):
        return list(result.checks)
    if hasattr(result, "to_dict"):
        return list(result.to_dict()["checks"])
    return list(result["checks"])


def _field(entry, name: str):
    return entry[name] if isinstance(entry, dict) else getattr(entry, name)


def run_prodkit(notebook: Path, workdir: Path) -> dict[str, tuple[str, str]]:
    """check id -> (status, message) for one notebook checked --static in a fresh prodkit project."""
    from prodkit.config import init_project, load_project
    from prodkit.readiness import check_notebook

    root = workdir / notebook.stem
    root.mkdir()
    init_project(root)
    project = load_project(root)
    target = project.nbs_path / notebook.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    try:
        result = check_notebook(target, project=project, static=True)
    except TypeError:  # a changed signature: the public entry point still takes (path, static=)
        import prodkit

        result = prodkit.check(target, static=True)
    return {_field(c, "id"): (_field(c, "status"), _field(c, "message") or "") for c in _check_list(result)}


def evaluate(names: list[str] | None = None, checks: list[str] | None = None,
             labels: dict | None = None) -> tuple[list[CheckScore], dict[str, str], float]:
    """Scores per check, the notebooks prodkit could not check (name -> error), and the seconds it took."""
    labels = labels or load_labels()
    wanted = checks or labels["checks"]
    scores = {c: CheckScore(c) for c in wanted}
    crashed: dict[str, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="prodkit-realnb-") as tmp:
        for name, entry in sorted(labels["notebooks"].items()):
            if names and name not in names:
                continue
            try:
                got = run_prodkit(NOTEBOOKS / name, Path(tmp))
            except Exception as e:  # a crash is no verdict for any check: every labelled flag is a miss
                crashed[name] = f"{e.__class__.__name__}: {str(e)[:200]}"
                got = {}
            for check, score in scores.items():
                label = entry["labels"].get(check, {"verdict": "n/a"})
                status, message = got.get(check, ("missing", "check not in the result"))
                _count(score, name, label, status, message)
    return list(scores.values()), crashed, time.perf_counter() - started


def _count(score: CheckScore, name: str, label: dict, status: str, message: str) -> None:
    flagged = status in FLAG_STATUSES
    if label["verdict"] == "flag":
        if flagged:
            score.tp += 1
        else:
            score.fn += 1
            score.misses.append((name, f"[prodkit: {status}] should flag: {label.get('why', '')}"))
    elif label["verdict"] == "ok":
        if flagged:
            score.fp += 1
            score.false_alarms.append((name, f"[prodkit: {status}] {message}"))
        elif status == "pass":
            score.tn += 1


def table(scores: list[CheckScore]) -> str:
    lines = [f"{'check':<8} {'pos':>4} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>7}  verdict"]
    for s in scores:
        verdict = ("PASS" if s.passes else "FAIL") if s.gated else f"(< {MIN_POSITIVES} positives, not gated)"
        lines.append(f"{s.check:<8} {s.positives:>4} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.precision:>9.2f} "
                     f"{s.recall:>7.2f}  {verdict}")
    return "\n".join(lines)


def mistakes(scores: list[CheckScore], limit: int = 12) -> str:
    lines = []
    for s in scores:
        for kind, rows in (("false alarm", s.false_alarms), ("miss", s.misses)):
            for name, why in rows[:limit]:
                lines.append(f"{s.check} {kind}: {name}: {why[:200]}")
            if len(rows) > limit:
                lines.append(f"{s.check} {kind}: (+{len(rows) - limit} more)")
    return "\n".join(lines)


def report(scores: list[CheckScore], crashed: dict[str, str], seconds: float) -> str:
    parts = [table(scores), "", mistakes(scores)]
    if crashed:
        parts += ["", "prodkit could not check:"] + [f"  {n}: {e}" for n, e in crashed.items()]
    parts.append(f"\n{sum(1 for _ in load_labels()['notebooks'])} labelled notebooks, checked in {seconds:.1f} s")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="only these notebook file names")
    parser.add_argument("--check", action="append", help="only this check id (repeatable)")
    parser.add_argument("--json", type=Path, help="also write the scores and mistakes as JSON here")
    args = parser.parse_args(argv)
    scores, crashed, seconds = evaluate(args.notebooks or None, args.check)
    print(report(scores, crashed, seconds))
    if args.json:
        args.json.write_text(json.dumps({"seconds": round(seconds, 2), "crashed": crashed, "checks": [
            {"check": s.check, "positives": s.positives, "tp": s.tp, "fp": s.fp, "fn": s.fn,
             "precision": round(s.precision, 3), "recall": round(s.recall, 3), "gated": s.gated,
             "passes": s.passes, "false_alarms": s.false_alarms, "misses": s.misses} for s in scores]}, indent=1))
    return 0 if all(s.passes for s in scores) and not crashed else 1


if __name__ == "__main__":
    sys.exit(main())
