"""Demo step 4: the notebook's model, registered and checked, @champion moved to it through the gate, served back."""

from __future__ import annotations

from prodkit.errors import BadInput

MODEL_NAME = "churn-clf"


def _train_tiny_model():
    """A small churn MLP trained in about a second (used when the notebook did not register one)."""
    import numpy as np
    import pandas as pd
    import torch

    rng = np.random.default_rng(0)
    n = 2000
    frame = pd.DataFrame({"tenure": rng.integers(0, 72, n), "monthly_charges": rng.normal(70, 20, n),
                          "support_calls": rng.poisson(1.5, n), "contract_monthly": rng.integers(0, 2, n)})
    logit = -0.04 * frame.tenure + 0.02 * frame.monthly_charges + 0.5 * frame.support_calls + frame.contract_monthly - 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
    x = torch.tensor(((frame - frame.mean()) / frame.std()).to_numpy(np.float32))
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    target = torch.tensor(y)[:, None]
    for _ in range(60):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[:1500]), target[:1500])
        loss.backward()
        opt.step()
    with torch.no_grad():
        scores = model(x[1500:]).squeeze(1)
    pos, neg = scores[target[1500:, 0] == 1], scores[target[1500:, 0] == 0]
    auc = float((pos[:, None] > neg[None, :]).float().mean())
    return model, x[1500:], frame.iloc[:1500], auc


def _registered_by_notebook(ctx) -> str | None:
    """The version the demo notebook just registered (it ran top to bottom before this step), if any."""
    from prodkit.models.registry import show
    from prodkit.models.state import models_for_notebook
    from prodkit.notebook import read_notebook

    mine = [m for m in models_for_notebook(ctx.project, ctx.notebook) if m.name == MODEL_NAME]
    if mine:
        return mine[0].latest_version
    registers = any("register_model(" in c.source or "%prodkit register" in c.source
                    for c in read_notebook(ctx.notebook).cells if c.cell_type == "code")
    if not registers:
        return None
    try:  # a kernel started without PRODKIT_NOTEBOOK records no notebook tag: take the newest version
        return show(MODEL_NAME, None, project=ctx.project).version
    except BadInput:
        return None


def demo_step(ctx) -> None:
    import mlflow.pyfunc
    from rich.table import Table

    from prodkit.errors import GateFailed
    from prodkit.models.card import write_card
    from prodkit.models.gate import move_alias
    from prodkit.models.registry import show
    from prodkit.models.tracking import redact

    ctx.console.rule("4. models: register, check parity and latency, gate @champion")
    project = ctx.project
    version = _registered_by_notebook(ctx)
    if version:
        ctx.console.print(f"the notebook registered {MODEL_NAME} v{version}", highlight=False)
    else:
        from prodkit.models.register import register_model

        model, x_val, train_df, auc = _train_tiny_model()
        result = register_model(model, MODEL_NAME, example=x_val[:8], metrics={"auc": auc}, data=train_df,
                                notebook=ctx.notebook, project=project)
        version = result.version
        ctx.console.print(f"the notebook registered no model: trained a small one here — {result.summary()}",
                          highlight=False)
    try:
        promotion = move_alias(MODEL_NAME, version, "champion", approved_by="prodkit demo", project=project)
        ctx.console.print(f"gate passed: {promotion.summary()}", highlight=False)
    except (GateFailed, BadInput) as e:  # a worse re-run, or already the champion: keep the current one
        ctx.console.print(f"[yellow]gate kept the current champion:[/] {e.line()}", highlight=False)
    info = show(MODEL_NAME, "champion", project=project)
    served = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}@champion", model_config={"device": "cpu"})
    example = served.input_example
    predictions = served.predict(example)
    card = write_card(MODEL_NAME, info.version, project=project)
    table = Table(show_edge=False, pad_edge=False)
    for column in ("model", "version", "parity (max abs diff)", "CPU p50 b1", "CPU p50 b64", "served rows"):
        table.add_column(column)
    cpu = info.benchmark.get("cpu", {}).get("batches", {})
    p = info.parity
    table.add_row(f"{MODEL_NAME}@champion", info.version,
                  f"{p['status']} ({p['max_abs_diff']:.2g})" if p["max_abs_diff"] is not None else p["status"],
                  f"{cpu['1']['p50_ms']:.3f} ms" if cpu else "-", f"{cpu['64']['p50_ms']:.3f} ms" if cpu else "-",
                  str(len(predictions)))
    ctx.console.print(table)
    ctx.console.print(f"model card: {card.path} (still to write: {', '.join(card.todo) or 'nothing'})", highlight=False)
    ctx.facts.update(model_name=MODEL_NAME, model_version=info.version, model_uri=f"models:/{MODEL_NAME}@champion")
    ctx.where.append(("model registry", redact(project.tracking_uri)))
    ctx.where.append(("model card", card.path))
