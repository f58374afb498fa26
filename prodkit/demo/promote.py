"""Demo step: promote the PoC notebook and run the tests it generated."""

from __future__ import annotations

import subprocess
import sys

from prodkit.errors import GateFailed
from prodkit.promote import promote
from prodkit.promote.render import print_result


def demo_step(ctx) -> None:
    ctx.console.rule("1. promote: notebook cells -> modules and tests")
    result = promote(ctx.notebook)
    print_result(result, ctx.console)
    if not result.ok:
        raise GateFailed("the demo notebook did not promote cleanly", path=str(ctx.notebook))
    tests = sorted({str(f.path) for f in result.files if f.kind == "test"})
    ctx.console.print(
        f"running the generated tests: pytest {' '.join(ctx.project.relpath(t) for t in tests)}", markup=False
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
        cwd=ctx.project.root,
        capture_output=True,
        text=True,
    )
    summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
    ctx.console.print(f"  {summary}", markup=False)
    if proc.returncode != 0:
        ctx.console.print(proc.stdout[-3000:], markup=False)
        raise GateFailed("the generated tests failed", path=str(ctx.notebook))
    ctx.where.append(("modules", ctx.project.relpath(ctx.project.lib_path) + "/"))
    ctx.where.append(("generated tests", ctx.project.relpath(ctx.project.tests_path) + "/"))
