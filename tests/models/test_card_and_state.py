"""Model cards, the read-only state hooks (readiness, side panel, drift) and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from prodkit.models import register_model


def test_card_fills_sections_lists_todo_and_keeps_user_text(model_project, mlp, x_val, train_df):
    from prodkit.models.card import SECTIONS, write_card

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, data=train_df)
    card = write_card("churn-clf")
    text = (model_project.root / card.path).read_text()
    assert card.path == "model_cards/churn-clf.md"
    for title, _needs_user, _hint in SECTIONS:
        assert f"## {title}" in text
    assert "auc (primary) | 0.9" in text and "sha256:" in text and "Export parity: **passed**" in text
    assert "Intended Use" in card.todo and "Model Details" not in card.todo

    edited = text.replace("## Intended Use\n", "## Intended Use\n\nScores monthly churn risk for retention calls.\n")
    (model_project.root / card.path).write_text(edited)
    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.95}, data=train_df)
    again = write_card("churn-clf")
    text = (model_project.root / card.path).read_text()
    assert "Scores monthly churn risk for retention calls." in text
    assert "| Version | 2 |" in text and "Intended Use" not in again.todo
    assert again.kept_user_text == ["Intended Use"]


def test_models_for_notebook_reports_completeness_parity_card_and_rollback(model_project, mlp, x_val, train_df):
    from prodkit.models.card import write_card
    from prodkit.models.gate import move_alias
    from prodkit.models.state import models_for_notebook

    nb = model_project.nbs_path / "churn.ipynb"
    nb.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.8}, data=train_df, notebook=nb)
    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, notebook=nb, benchmark=False)
    register_model(mlp, "other", example=x_val[:8], parity=False, benchmark=False)  # not from this notebook
    move_alias("churn-clf", 1)
    (row,) = models_for_notebook(model_project, nb)
    assert row.name == "churn-clf" and row.latest_version == "2" and row.versions == 2
    assert row.aliases == {"champion": "1"} and row.promoted
    assert row.complete is False and row.missing == ["data hash"]
    assert row.parity.passed and row.parity.max_abs_diff is not None
    assert row.benchmark is False and row.has_card is False
    assert row.rollback_versions == ["2"] and row.registered_at
    write_card("churn-clf")
    (row,) = models_for_notebook(model_project, nb)
    assert row.has_card and "Intended Use" in row.card_todo
    assert models_for_notebook(model_project, model_project.nbs_path / "other.ipynb") == []


def test_state_hooks_return_quickly_without_a_store_and_import_no_mlflow(fresh_project):
    code = ("import sys, time; from prodkit.models.state import models_for_notebook, reference_data; "
            "t = time.perf_counter(); "
            f"assert models_for_notebook({str(fresh_project.root)!r}, 'nbs/x.ipynb') == []; "
            f"assert reference_data({str(fresh_project.root)!r}, 'churn-clf') is None; "
            "assert 'mlflow' not in sys.modules and 'torch' not in sys.modules; print(time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=fresh_project.root, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert not (fresh_project.state_dir / "mlflow.db").exists()


def test_registry_commands_on_a_project_without_models_create_nothing(fresh_project):
    from prodkit.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []
    shown = runner.invoke(app, ["models", "show", "churn-clf"])
    assert shown.exit_code == 2 and "no models registered" in shown.stderr
    assert not (fresh_project.state_dir / "mlflow.db").exists()


def test_import_prodkit_models_is_light():
    code = ("import sys; import prodkit.models, prodkit.models.cli, prodkit.models.magic, prodkit.demo.models; "
            "heavy = {'mlflow', 'torch', 'pandas', 'papermill', 'nbformat'} & set(sys.modules); "
            "assert not heavy, heavy")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_cli_list_show_gate_rollback_card(model_project, mlp, x_val):
    from prodkit.cli import app

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9})
    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.95}, benchmark=False)
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)[0]["latest"] == "2"
    shown = runner.invoke(app, ["models", "show", "churn-clf", "1", "--json"])
    assert json.loads(shown.stdout)["parity"]["status"] == "passed"
    human = runner.invoke(app, ["models", "show", "churn-clf"])
    assert human.exit_code == 0 and "churn-clf v2" in human.stdout
    gated = runner.invoke(app, ["models", "gate", "churn-clf", "1", "--alias", "champion", "--approved-by", "ana",
                                "--json"])
    assert gated.exit_code == 0, gated.output
    assert json.loads(gated.stdout)["approved_by"] == "ana"
    refused = runner.invoke(app, ["models", "gate", "churn-clf", "2"])
    assert refused.exit_code == 1 and "benchmark" in refused.stderr
    forced = runner.invoke(app, ["models", "gate", "churn-clf", "2", "--force", "--reason", "demo"])
    assert forced.exit_code == 0, forced.output
    assert "moved @champion to v2 (was v1)" in forced.stdout
    back = runner.invoke(app, ["models", "rollback", "churn-clf", "--json"])
    assert json.loads(back.stdout)["version"] == "1"
    card = runner.invoke(app, ["models", "card", "churn-clf", "--json"])
    assert json.loads(card.stdout)["path"] == "model_cards/churn-clf.md"
    missing = runner.invoke(app, ["models", "show", "nope"])
    assert missing.exit_code == 2 and "no registered model named 'nope'" in missing.stderr
    listed_help = runner.invoke(app, ["models", "--help"])
    assert listed_help.exit_code == 0 and " gate " in listed_help.stdout and " promote " not in listed_help.stdout


def test_the_deprecated_models_promote_still_moves_the_alias_and_says_so(model_project, mlp, x_val):
    from prodkit.cli import app
    from prodkit.models.registry import show

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9})
    done = CliRunner().invoke(app, ["models", "promote", "churn-clf", "1", "--alias", "champion"])
    assert done.exit_code == 0, done.output
    assert "note: `prodkit models promote` is now `prodkit models gate` (same arguments)\n" in done.stderr
    assert "moved @champion to v1" in done.stdout
    assert show("churn-clf", "champion").version == "1"


def _outside_blocks(text: str) -> str:
    import re

    return re.sub(r"(<!-- prodkit:begin ([a-z0-9-]+) -->).*?(<!-- prodkit:end \2 -->)", r"\1…\3", text, flags=re.S)


def test_finding_11_rerunning_the_card_keeps_every_byte_the_user_wrote(model_project, mlp, x_val):
    """Text above the first section, a custom section, an edited heading hint and CRLF lines survive a
    re-run byte for byte; only prodkit's blocks change (to the new version)."""
    from prodkit.models.card import write_card

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, parity=False, benchmark=False)
    path = model_project.root / write_card("churn-clf").path
    text = path.read_text()
    edited = ("Reviewed by the risk team on 2026-11-30.\r\n\r\n" + text
              .replace("## Intended Use\n", "## Intended Use\n\nScores monthly churn risk.\n")
              .replace("## Factors\n", "## Deployment notes\n\nServed behind the retention API.\n\n## Factors\n"))
    edited += "\n## Appendix\n\nKeep me, too.\n"
    path.write_bytes(edited.encode())

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.95}, parity=False, benchmark=False)
    again = write_card("churn-clf")
    after = path.read_bytes().decode()
    assert _outside_blocks(after) == _outside_blocks(edited)
    assert "| Version | 2 |" in after and "| Version | 1 |" not in after
    assert "Intended Use" in again.kept_user_text and "Intended Use" not in again.todo
    assert "Factors" in again.todo


def test_finding_11_a_card_path_without_prodkit_markers_is_refused_unless_forced(model_project, mlp, x_val):
    from prodkit.cli import app

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, parity=False, benchmark=False)
    existing = model_project.root / "README-model.md"
    existing.write_text("# Our model\n\nHand-written notes.\n")
    runner = CliRunner()
    refused = runner.invoke(app, ["models", "card", "churn-clf", "-o", str(existing)])
    assert refused.exit_code == 1, refused.output
    assert "no prodkit markers" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert existing.read_text() == "# Our model\n\nHand-written notes.\n"
    forced = runner.invoke(app, ["models", "card", "churn-clf", "-o", str(existing), "--force"])
    assert forced.exit_code == 0, forced.output
    assert "<!-- prodkit:begin model-details -->" in existing.read_text()


def test_finding_11_broken_markers_and_old_cards(model_project, mlp, x_val):
    from prodkit.cli import app

    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, parity=False, benchmark=False)
    card = model_project.root / "model_cards" / "churn-clf.md"
    card.parent.mkdir()
    broken = "# Card\n\n## Metrics\n\n<!-- prodkit:begin metrics -->\nold\n\nmy notes\n"
    card.write_text(broken)
    result = CliRunner().invoke(app, ["models", "card", "churn-clf"])
    assert result.exit_code == 2 and "block metrics has no end marker" in result.stderr
    assert card.read_text() == broken

    legacy = ("Notes above.\n\n## Metrics\n\n<!-- prodkit:auto -->\nstale\n<!-- /prodkit:auto -->\n\n"
              "Why AUC: the classes are balanced.\n\n## Extra\n\nmine\n")
    card.write_text(legacy)
    result = CliRunner().invoke(app, ["models", "card", "churn-clf"])
    assert result.exit_code == 0, result.output
    text = card.read_text()
    assert text.startswith("Notes above.\n\n## Metrics\n\n<!-- prodkit:begin metrics -->\n| | |")
    assert "stale" not in text and text.endswith("Why AUC: the classes are balanced.\n\n## Extra\n\nmine\n")
