"""The readiness checks against public notebooks labelled by reading them (tests/readiness/realnb/).

The per-check table (positives, TP, FP, FN, precision, recall) and every misclassified notebook are
printed (`pytest -s`, or in the failure message); `python tests/readiness/realnb/score.py` prints
the same without pytest. A check with at least 5 labelled positives must reach precision 0.9 and
recall 0.9.
"""

from __future__ import annotations

import json

from readiness.realnb import score

VERDICTS = {"flag", "ok", "n/a"}


def test_corpus_labels_are_complete_and_sourced():
    labels = score.load_labels()
    notebooks = labels["notebooks"]
    assert len(notebooks) >= 40
    on_disk = {p.name for p in score.NOTEBOOKS.glob("*.ipynb")}
    assert on_disk == set(notebooks), on_disk ^ set(notebooks)
    for name, entry in notebooks.items():
        source = entry["source"]
        assert source["repo"].count("/") == 1 and len(source["commit"]) == 40 and source["path"], name
        assert set(entry["labels"]) == set(labels["checks"]), name
        for check, label in entry["labels"].items():
            assert label["verdict"] in VERDICTS, (name, check)
            assert label["verdict"] != "flag" or label.get("why"), (name, check, "a flag needs a why")
        json.loads((score.NOTEBOOKS / name).read_text(encoding="utf-8"))


def test_each_check_reaches_precision_and_recall_on_the_labelled_notebooks():
    scores, crashed, seconds = score.evaluate()
    text = score.report(scores, crashed, seconds)
    print(text)
    failing = [s.check for s in scores if not s.passes]
    assert not crashed and not failing, f"below precision/recall {score.MIN_PRECISION}/{score.MIN_RECALL}: " \
                                        f"{', '.join(failing)}\n{text}"
