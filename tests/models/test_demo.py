"""The demo step: registers (or takes the notebook's model), promotes through the gate, serves it back."""

from __future__ import annotations

import io

from pktest import code, write_notebook
from rich.console import Console


def _ctx(project, cells):
    from prodkit.demo import DemoContext

    nb = write_notebook(project.nbs_path / "churn_poc.ipynb", cells)
    return DemoContext(project=project, notebook=nb, console=Console(file=io.StringIO(), width=120))


def test_demo_step_trains_registers_promotes_and_serves_when_the_notebook_registers_nothing(model_project):
    from prodkit.demo.models import demo_step

    ctx = _ctx(model_project, [code("x = 1")])
    demo_step(ctx)
    text = ctx.console.file.getvalue()
    assert "trained a small one here" in text and "gate passed" in text and "churn-clf@champion" in text
    assert ctx.facts == {"model_name": "churn-clf", "model_version": "1", "model_uri": "models:/churn-clf@champion"}
    assert (model_project.root / "model_cards" / "churn-clf.md").is_file()


def test_demo_step_uses_the_version_the_notebook_registered(model_project, mlp, x_val):
    from prodkit.demo.models import demo_step
    from prodkit.models import register_model

    ctx = _ctx(model_project, [code('prodkit.register_model(model, "churn-clf", example=X_val[:8])')])
    register_model(mlp, "churn-clf", example=x_val[:8], metrics={"auc": 0.9})  # as the kernel did, no notebook tag
    demo_step(ctx)
    text = ctx.console.file.getvalue()
    assert "the notebook registered churn-clf v1" in text and "gate passed" in text
    demo_step(ctx)  # a re-run without a new version keeps the champion instead of failing
    assert "gate kept the current champion" in ctx.console.file.getvalue()
