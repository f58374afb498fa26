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
                      f"score {result.score:.2f}, grade {result.grade:g}")
    report = ctx.project.root / "reports" / "readiness.html"
    atomic_write_text(report, standalone_html([result], title=f"prodkit readiness: {result.notebook}"))
    ctx.facts["readiness_score"] = result.score
    ctx.where.append(("readiness report", str(report)))
