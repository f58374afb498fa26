"""Demo step: the churn PoC's readiness checklist, printed and saved as an HTML report."""

from __future__ import annotations


def demo_step(ctx) -> None:
    from prodkit._io import atomic_write_text
    from prodkit.readiness import check_notebook
    from prodkit.readiness.render import print_results
    from prodkit.readiness.result import standalone_html

    ctx.console.rule("[bold]readiness checklist")
    result = check_notebook(ctx.notebook, project=ctx.project)
    print_results([result], ctx.console)
    counts = {s: sum(c.status == s for c in result.checks) for s in ("pass", "warn", "fail", "skip")}
    ctx.console.print(f"  {len(result.checks)} checks: {counts['pass']} pass, {counts['warn']} warn, "
                      f"{counts['fail']} fail, {counts['skip']} skip (not set up yet); "
                      f"{result.score_headline()}")
    report = ctx.project.root / "reports" / "readiness.html"
    atomic_write_text(report, standalone_html([result], title=f"prodkit readiness: {result.notebook}"))
    ctx.facts["readiness_score"] = result.score
    ctx.where.append(("readiness report", str(report)))


def final_step(ctx) -> None:
    """Re-check after the later steps (job, model, monitoring) and show what changed.

    For the demo runner to call after the last capability step.
    """
    from prodkit._render import to_rich
    from prodkit.readiness import check_notebook

    before = ctx.facts.get("readiness_score")
    ctx.console.rule("[bold]readiness after all steps")
    result = check_notebook(ctx.notebook, project=ctx.project)
    still = [f"{c.id} ({c.status}): {c.message}" for c in result.checks
             if c.status in ("fail", "warn", "skip") and c.counted]  # e.g. the card's unwritten sections (MOD-05)
    ctx.console.print(to_rich(result.score_view()))
    if before is not None:
        ctx.console.print(f"  score {before:.2f} → {result.score:.2f}")
    ctx.console.print("  still to do:" + ("".join(f"\n    {item}" for item in still) if still else " nothing"),
                      highlight=False, markup=False)
    ctx.facts["readiness_score_final"] = result.score
