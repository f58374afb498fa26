"""The shared records (prodkit/records.py): the panel's generated TypeScript types follow them, and
a field a capability does not declare is refused rather than guessed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from prodkit.records import JobStatus, ModelStatus

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_panel_types", ROOT / "scripts" / "gen_panel_types.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_panel_types_match_the_records():
    """extensions/jupyterlab/src/records.ts is what scripts/gen_panel_types.py writes today."""
    gen = _generator()
    assert gen.OUT.read_text(encoding="utf-8") == gen.render(), "run `python scripts/gen_panel_types.py`"


def test_a_renamed_record_field_makes_the_types_check_fail(monkeypatch, capsys):
    """Renaming ModelStatus.latest_version (here: to `version`) puts records.ts out of date: --check exits 1."""
    gen = _generator()
    fields = dict(ModelStatus.model_fields)
    fields["version"] = fields.pop("latest_version")
    from pydantic import create_model

    renamed = create_model("ModelStatus", __base__=ModelStatus.__base__,
                           **{name: (f.annotation, f) for name, f in fields.items()})
    monkeypatch.setattr(gen, "PANEL_RECORDS", tuple(renamed if r is ModelStatus else r for r in gen.PANEL_RECORDS))
    assert "  version: string;" in gen.render()
    assert gen.main(["--check"]) == 1
    assert "out of date" in capsys.readouterr().out


def test_a_record_refuses_a_key_it_does_not_declare():
    """No second name for a field: a models row with `version` instead of `latest_version` is an error."""
    with pytest.raises(ValidationError, match="latest_version"):
        ModelStatus.model_validate({"name": "clf", "version": "1", "complete": True})


def test_a_job_record_has_one_next_slot_field():
    """The panel reads `next_due` only (the `next_run ?? next_due` guess is gone)."""
    assert "next_due" in JobStatus.model_fields and "next_run" not in JobStatus.model_fields


def test_importing_the_records_is_light():
    """prodkit.records imports pydantic only: no capability, no papermill/mlflow/evidently."""
    import subprocess

    probe = ("import sys, prodkit.records; heavy = [m for m in ('papermill', 'mlflow', 'evidently', 'pandas', "
             "'prodkit.jobs', 'prodkit.models') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_shown_run_status_is_the_stored_runs_statuses():
    """One definition of the run statuses (prodkit.statuses): the pydantic RunRecord's Literal and the
    job store's STATUSES are the same values, and the active and finished groups cover all of them."""
    from typing import get_args

    from prodkit.jobs.records import ACTIVE, FINISHED, STATUSES
    from prodkit.records import RunRecord

    assert get_args(RunRecord.model_fields["status"].annotation) == STATUSES
    assert sorted(ACTIVE + FINISHED) == sorted(STATUSES) and not set(ACTIVE) & set(FINISHED)
    with pytest.raises(ValidationError, match="status"):
        RunRecord(run_id=1, job="j", status="paused", trigger="manual")


def test_a_stored_run_becomes_the_shown_record_with_iso_times_and_derived_verdicts():
    """StoredRun.to_record: epoch seconds -> ISO UTC, duration, drift (the worst watched batch), degraded."""
    from prodkit.jobs.records import RunError, StoredRun
    from prodkit.records import RunRecord

    stored = StoredRun(run_id=3, job="score", status="failed", scheduled_for=1767247200.0, trigger="schedule",
                       started_at=1767247201.0, ended_at=1767247203.5, error=RunError(2, "ValueError", "bad"),
                       artifacts=[{"kind": "drift", "summary": {"drift": True, "share": 0.5, "report": "r.html"}},
                                  {"kind": "outcomes", "summary": {"degraded": True}}])
    shown = stored.to_record()
    assert isinstance(shown, RunRecord)
    assert (shown.scheduled_for, shown.started_at, shown.duration_s) == \
        ("2026-01-01T06:00:00Z", "2026-01-01T06:00:01Z", 2.5)
    assert shown.error.cell == 2 and shown.drift.drift is True and shown.drift.share == 0.5 and shown.degraded
    assert stored.to_dict() == shown.model_dump(mode="json")


def test_importing_the_stored_run_records_imports_no_pydantic():
    """prodkit.jobs.records (imported in the kernel by scheduled runs) loads pydantic only when a stored run
    is turned into its shown record."""
    import subprocess

    probe = "import sys, prodkit.jobs.records; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
