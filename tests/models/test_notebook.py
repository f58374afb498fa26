"""In the notebook: `%prodkit register` in an IPython shell, and register_model in a real kernel."""

from __future__ import annotations

import pytest

pytest.importorskip("IPython")  # the GPU machine's python has no IPython; these tests run everywhere else

from IPython.core.error import UsageError  # noqa: E402
from pktest import code, ipython_shell, write_notebook  # noqa: E402

from prodkit.models import tags as T  # noqa: E402


@pytest.fixture
def ip(model_project, mlp, x_val):
    shell = ipython_shell()
    shell.run_line_magic("load_ext", "prodkit")
    shell.user_ns.update(model=mlp, X_val=x_val)
    yield shell
    for name in ("model", "X_val"):
        shell.user_ns.pop(name, None)
    shell.run_line_magic("unload_ext", "prodkit")


def test_register_magic_registers_the_variable(ip, registry):
    result = ip.run_line_magic("prodkit", "register model churn-clf --example X_val[:8] --metric auc=0.9 --no-benchmark")
    assert result.version == "1" and result.metrics == {"auc": 0.9}
    assert registry.get_model_version("churn-clf", "1").tags[T.PARITY] == "passed"
    guessed = ip.run_line_magic("prodkit", "register model churn-clf --no-parity --no-benchmark")
    assert guessed.version == "2"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("register", "Missing argument 'model'"),
        ("register missing churn-clf", "no variable 'missing'"),
        ("register model churn-clf --metric auc", "expected NAME=NUMBER"),
        ("register model 'bad name' --example X_val[:8]", "invalid model name"),
        ("register model churn-clf --example nope[:8]", "--example 'nope[:8]' failed"),
    ],
)
def test_register_magic_usage_errors(ip, line, message):
    with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
        ip.run_line_magic("prodkit", line)


@pytest.mark.slow
def test_register_from_a_real_kernel_records_notebook_and_cell(model_project, registry, monkeypatch):
    import papermill

    nb = write_notebook(model_project.nbs_path / "churn.ipynb", [
        code("%load_ext prodkit\nimport prodkit, torch\ntorch.manual_seed(0)"),
        code("model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))\n"
             "X_val = torch.randn(16, 4)"),
        code('result = prodkit.register_model(model, "nb-model", example=X_val[:8], metrics={"auc": 0.7},\n'
             '                                 benchmark=False)\nresult'),
        code("%prodkit register model nb-magic --metric auc=0.8 --no-parity --no-benchmark"),
    ])
    monkeypatch.setenv("PRODKIT_NOTEBOOK", str(nb))
    executed = papermill.execute_notebook(str(nb), str(nb.with_name("out.ipynb")), cwd=str(model_project.root),
                                          progress_bar=False, kernel_name="python3")
    html = executed.cells[2].outputs[0]["data"]["text/html"]
    assert "nb-model" in html and "export parity" in html
    tags = registry.get_model_version("nb-model", "1").tags
    assert tags[T.NOTEBOOK] == "nbs/churn.ipynb" and tags[T.CELL] == "3" and tags[T.EXECUTION_COUNT] == "3"
    magic_tags = registry.get_model_version("nb-magic", "1").tags
    assert magic_tags[T.NOTEBOOK] == "nbs/churn.ipynb" and magic_tags[T.EXECUTION_COUNT] == "4"
