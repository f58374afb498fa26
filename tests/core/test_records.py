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
