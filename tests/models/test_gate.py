"""The promotion gate and rollback, on the embedded store."""

from __future__ import annotations

import pytest

from prodkit.errors import BadInput, GateFailed
from prodkit.models import register_model
from prodkit.models import tags as T
from prodkit.models.gate import move_alias, rollback


def _register(mlp, x_val, auc, **kwargs):
    return register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": auc}, **kwargs)


def test_gate_promotes_better_versions_refuses_worse_and_rolls_back(model_project, registry, mlp, x_val):
    _register(mlp, x_val, 0.80)
    _register(mlp, x_val, 0.85)
    _register(mlp, x_val, 0.70)

    first = move_alias("churn-clf", 1, approved_by="ana")
    assert (first.version, first.previous, first.approved_by) == ("1", None, "ana")
    second = move_alias("churn-clf", "2", approved_by="bo")
    assert (second.version, second.previous) == ("2", "1")
    assert registry.get_model_version_by_alias("churn-clf", "champion").version in (2, "2")

    with pytest.raises(GateFailed, match=r"primary metric: auc 0.7 not >= 0.85 of v2") as info:
        move_alias("churn-clf", 3)
    assert info.value.exit_code == 1
    record = T.load_json(registry.get_model_version("churn-clf", "2").tags, T.PROMOTED_PREFIX + "champion")
    assert record["by"] == "bo" and record["previous"] == "1" and not record["forced"]

    back = rollback("churn-clf", approved_by="ana")
    assert (back.version, back.previous, back.action) == ("1", "2", "rollback")
    assert str(registry.get_registered_model("churn-clf").aliases["champion"]) == "1"
    with pytest.raises(BadInput, match="no earlier version"):
        rollback("churn-clf")


def test_force_needs_a_reason_and_records_the_override(model_project, registry, mlp, x_val):
    _register(mlp, x_val, 0.9, benchmark=False)
    with pytest.raises(GateFailed, match="benchmark"):
        move_alias("churn-clf", 1)
    with pytest.raises(BadInput, match="--force needs --reason"):
        move_alias("churn-clf", 1, force=True)
    result = move_alias("churn-clf", 1, force=True, reason="hotfix for INC-42", approved_by="lead")
    assert result.forced and result.reason == "hotfix for INC-42"
    override = T.load_json(registry.get_model_version("churn-clf", "1").tags, T.OVERRIDE_PREFIX + "champion")
    assert override["reason"] == "hotfix for INC-42" and override["by"] == "lead" and "benchmark" in override["failed"]


def test_lower_is_better_metrics_and_skipped_parity(model_project, mlp, x_val):
    register_model(mlp, "reg", example=x_val[:8], metrics={"rmse": 1.0}, benchmark=True)
    register_model(mlp, "reg", example=x_val[:8], metrics={"rmse": 2.0})
    register_model(mlp, "reg", example=x_val[:8], metrics={"rmse": 0.5}, parity=False)
    move_alias("reg", 1)
    with pytest.raises(GateFailed, match=r"rmse 2 not <= 1"):
        move_alias("reg", 2)
    with pytest.raises(GateFailed, match="export parity"):
        move_alias("reg", 3)


def test_gate_input_errors(model_project, mlp, x_val):
    _register(mlp, x_val, 0.9, parity=False, benchmark=False)
    with pytest.raises(BadInput, match="no registered model named 'nope'"):
        move_alias("nope", 1)
    with pytest.raises(BadInput, match="no version or alias"):
        move_alias("churn-clf", "challenger")
    with pytest.raises(BadInput, match="invalid alias"):
        move_alias("churn-clf", 1, alias="v2")
    with pytest.raises(BadInput, match="has no @champion"):
        rollback("churn-clf")


def test_promoting_a_missing_version_is_one_line_exit_2(model_project, registry, mlp, x_val):
    from typer.testing import CliRunner

    from prodkit.cli import app

    _register(mlp, x_val, 0.9, parity=False, benchmark=False)
    with pytest.raises(BadInput, match="churn-clf has no version 7") as info:
        move_alias("churn-clf", 7)
    assert info.value.exit_code == 2
    refused = CliRunner().invoke(app, ["models", "gate", "churn-clf", "7"])
    assert refused.exit_code == 2, refused.output
    assert "churn-clf has no version 7" in refused.stderr and "Traceback" not in refused.output
    assert "MlflowException" not in refused.output and len(refused.stderr.strip().splitlines()) == 1


def test_an_alias_holder_that_is_gone_is_one_line(model_project, registry, mlp, x_val, monkeypatch):
    """The alias points at a version the store no longer has. The sqlite store drops aliases with
    their version, so this race (deleted between reading the alias and the version) is simulated."""
    from mlflow.exceptions import MlflowException

    _register(mlp, x_val, 0.8)
    _register(mlp, x_val, 0.9)
    move_alias("churn-clf", 1)
    real_get = type(registry).get_model_version

    def get_model_version(self, name, version):  # mimics the store after v1 was deleted
        if str(version) == "1":
            raise MlflowException(f"Model Version (name={name}, version={version}) not found")
        return real_get(self, name, version)

    monkeypatch.setattr(type(registry), "get_model_version", get_model_version)
    with pytest.raises(BadInput, match="churn-clf has no version 1"):
        move_alias("churn-clf", 2)


def test_round_trip_through_pyfunc_and_load_model(model_project, mlp, x_val):
    import mlflow.pyfunc
    import numpy as np
    import torch

    from prodkit.models import load_model

    _register(mlp, x_val, 0.9)
    move_alias("churn-clf", 1)
    served = mlflow.pyfunc.load_model("models:/churn-clf@champion", model_config={"device": "cpu"})
    predictions = served.predict(x_val[:8].numpy())
    with torch.no_grad():
        expected = mlp.eval()(x_val[:8]).numpy()
    np.testing.assert_allclose(np.asarray(predictions), expected, rtol=1e-5, atol=1e-6)
    loaded = load_model("churn-clf", "champion", device="cpu")
    with torch.no_grad():
        torch.testing.assert_close(loaded(x_val), mlp(x_val))


def test_finding_08_a_lock_left_by_a_crashed_promotion_is_taken_over(model_project, registry, mlp, x_val, monkeypatch):
    """A process killed while holding the model's lock leaves it in the registry: the next promotion
    waits until the same holder has held it STALE_AFTER seconds, takes it over and releases it after."""
    import prodkit.models.aliases as aliases
    from prodkit.errors import ProdkitError

    _register(mlp, x_val, 0.8)
    lock = aliases.lock_name("churn-clf")
    registry.create_registered_model(lock, tags={aliases.OWNER_TAG: "ana@laptop pid 1 dead"})
    monkeypatch.setattr(aliases, "STALE_AFTER", 60.0)
    monkeypatch.setattr(aliases, "WAIT", 0.5)
    with pytest.raises(ProdkitError, match=r"another alias move of churn-clf is still in progress \(ana@laptop"):
        move_alias("churn-clf", 1)
    assert "champion" not in registry.get_registered_model("churn-clf").aliases
    monkeypatch.setattr(aliases, "STALE_AFTER", 0.3)
    monkeypatch.setattr(aliases, "WAIT", 10.0)
    assert move_alias("churn-clf", 1).version == "1"
    assert [m.name for m in registry.search_registered_models()] == ["churn-clf"]  # lock released


def test_finding_08_history_records_forced_moves_and_alias_moves_made_outside_prodkit(model_project, registry, mlp,
                                                                                      x_val):
    from prodkit.models.gate import history

    _register(mlp, x_val, 0.8)
    _register(mlp, x_val, 0.9)
    _register(mlp, x_val, 0.7)
    move_alias("churn-clf", 1, approved_by="ana")
    registry.set_registered_model_alias("churn-clf", "champion", "2")  # someone used the MLflow UI
    move_alias("churn-clf", 3, force=True, reason="INC-7", approved_by="lead")
    moves = history("churn-clf")
    assert [(m["action"], m["from"], m["to"], m["by"]) for m in moves] == [
        ("promote", None, "1", "ana"), ("promote", "2", "3", "lead")]
    assert moves[1]["forced"] and moves[1]["reason"] == "INC-7"
    assert any(c["name"] == "primary metric" and c["status"] == "fail" for c in moves[1]["gate"])
    assert [rollback("churn-clf").version, rollback("churn-clf").version] == ["2", "1"]

    from typer.testing import CliRunner

    from prodkit.cli import app

    shown = CliRunner().invoke(app, ["models", "history", "churn-clf"])
    assert shown.exit_code == 0, shown.output
    lines = [[word for word in line.split() if not ("\u2500" <= word <= "\u257f")] for line in shown.stdout.splitlines()]
    assert ["promote", "v3", "v2", "lead", "forced:", "INC-7"] in [line[2:] for line in lines]
    assert any(line[2:4] == ["rollback", "v1"] for line in lines)
