"""Registry names from MLflow and tracking URIs with credentials (issue 11, findings 15 and 7)."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from prodkit.models import register_model


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _version_of_another_tool(registry, name: str, source: str) -> None:
    """A model version written by something other than prodkit (no prodkit tags)."""
    registry.create_registered_model(name)
    registry.create_model_version(name, source=source)


def test_finding_15_a_quote_in_a_registered_name_breaks_no_listing(model_project, registry, mlp, x_val):
    """`o'brien` (and a name with both quote kinds) in the store: list, show, promote errors and
    the notebook state still work for every model."""
    from prodkit.cli import app
    from prodkit.models.state import models_for_notebook

    result = register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9}, parity=False, benchmark=False)
    source = registry.get_model_version("churn-clf", result.version).source
    _version_of_another_tool(registry, "o'brien", source)
    _version_of_another_tool(registry, "say \"o'k\"", source)
    runner = CliRunner()

    listed = runner.invoke(app, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert set(rows) == {"churn-clf", "o'brien", "say \"o'k\""}
    assert rows["o'brien"]["versions"] == 1 and rows["say \"o'k\""]["latest"] == "1"
    assert runner.invoke(app, ["models", "list"]).exit_code == 0

    shown = runner.invoke(app, ["models", "show", "o'brien", "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["name"] == "o'brien"
    gated = runner.invoke(app, ["models", "gate", "o'brien", "1"])
    assert gated.exit_code == 1 and "Traceback" not in gated.output  # no prodkit tags: the gate refuses
    nb = model_project.nbs_path / "x.ipynb"
    assert models_for_notebook(model_project, nb) == []


@pytest.mark.parametrize("name", ["a/b", "a:b", "", "   ", "new\nline", "x" * 300])
def test_finding_15_names_mlflow_cannot_hold_are_one_line_exit_2(model_project, name):
    from prodkit.cli import app

    for command in (["show", name], ["gate", name, "1"], ["rollback", name], ["card", name]):
        result = CliRunner().invoke(app, ["models", *command])
        assert result.exit_code == 2, (command, result.output)
        assert "invalid model name" in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.output


def test_finding_15_prodkit_registers_no_name_with_a_quote(model_project, registry, mlp, x_val):
    from prodkit.errors import BadInput

    with pytest.raises(BadInput, match="invalid model name"):
        register_model(mlp, "o'brien", example=x_val[:8], parity=False, benchmark=False)
    assert registry.search_registered_models() == []


def test_finding_07_an_unreachable_tracking_uri_is_shown_without_its_password(model_project, monkeypatch, mlp, x_val):
    from prodkit.cli import app
    from prodkit.errors import BadInput

    secret = "s3cr3t-Pa55word"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://bob:{secret}@127.0.0.1:{_free_port()}")
    with pytest.raises(BadInput) as info:
        register_model(mlp, "churn-clf", example=x_val[:8], parity=False, benchmark=False)
    assert secret not in info.value.line() and "bob:***@127.0.0.1" in info.value.line()
    for command in (["list"], ["list", "--json"], ["show", "churn-clf"], ["gate", "churn-clf", "1", "--json"]):
        result = CliRunner().invoke(app, ["models", *command])
        assert result.exit_code == 2, result.output
        assert secret not in result.output and "bob:***@" in result.stderr, result.output


def test_finding_07_a_token_as_the_user_and_store_errors_are_redacted():
    from prodkit.models.tracking import redact

    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    assert redact(f"https://{token}@mlflow.example.com") == "https://***@mlflow.example.com"
    assert redact("postgresql://ml:hunter2@db:5432/mlflow") == "postgresql://ml:***@db:5432/mlflow"
    message = "API request to endpoint http://ann:pw-9f8e7d@10.0.0.5:5000/api/2.0/mlflow failed with 401"
    assert "pw-9f8e7d" not in redact(message) and "ann:***@10.0.0.5" in redact(message)
    assert redact("sqlite:////srv/p/.prodkit/mlflow.db") == "sqlite:////srv/p/.prodkit/mlflow.db"


@pytest.mark.parametrize(("uri", "shown"), [
    # a long name as the user: the tracking rule (any 16+ characters) hid it, redact_uri's kept it
    ("https://firstname.lastname@git.example.com/repo", "https://firstname.lastname@git.example.com/repo"),
    ("https://a8f9d7e6c5b4a3f2e1d0c9b8a7f6e5d4@git.example.com/repo", "https://***@git.example.com/repo"),
    ("ssh://git@github.com/x", "ssh://git@github.com/x"),
])
def test_a_token_as_the_user_is_one_rule_for_a_uri_and_for_a_message_quoting_it(uri, shown):
    """The tracking store's messages and redact_uri hide a token used as the user by the same rule."""
    from prodkit.models.tracking import redact
    from prodkit.readiness.secrets import redact_uri

    assert redact_uri(uri) == redact(uri) == shown
    assert redact(f"API request to {uri} failed with 401") == f"API request to {shown} failed with 401"


@pytest.mark.slow
def test_finding_07_a_server_uri_with_credentials_works_and_is_shown_redacted(mlflow_server, fresh_project,
                                                                           monkeypatch, mlp, x_val):
    """The real server takes the URI's user:password (requests sends them); nothing prodkit shows holds them."""
    import uuid

    secret = "tr4cking-Pa55"
    uri = mlflow_server.replace("http://", f"http://ana:{secret}@")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    result = register_model(mlp, f"churn-{uuid.uuid4().hex[:8]}", example=x_val[:8], parity=False, benchmark=False)
    assert result.version == "1"
    shown = json.dumps(result.to_dict()) + repr(result) + result._repr_html_()
    assert secret not in shown and result.tracking_uri == mlflow_server.replace("http://", "http://ana:***@")
