"""Child process of a panel action: `python -m prodkit.server.run_action KIND JSON_ARGS`.

Prints one JSON line {"exit_code": int, "message": str, "result": dict | None} and exits 0,
also when the action itself failed (its exit_code says so). Expected errors become one line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from prodkit.errors import ProdkitError


def promote(args: dict) -> tuple[int, str, dict | None]:
    from prodkit.promote import promote as run_promote

    result = run_promote(Path(args["notebook"]), check=bool(args.get("check")), force=bool(args.get("force")))
    data = result.to_dict()
    counts = data.get("counts", {})
    summary = ", ".join(f"{n} {what}" for what, n in counts.items() if n) or "nothing to write"
    refused = [f for nb in data.get("notebooks", []) for f in nb.get("files", []) if f.get("action") == "refused"]
    if refused:
        summary += f"; first refused: {refused[0].get('path')}: {refused[0].get('reason')}"
    problems = [p for nb in data.get("notebooks", []) for p in nb.get("problems", [])]
    if problems:
        first = problems[0]
        summary += f"; {len(problems)} problem(s), first: {first.get('message', first)}"
    return result.exit_code, summary, data


def run_job(args: dict) -> tuple[int, str, dict | None]:
    """Runs the notebook's job once now through the jobs API and runner (the given job, else the
    notebook's first; a notebook without a job gets a manual-only one, never scheduled)."""
    from prodkit.config import load_project
    from prodkit.jobs import api

    notebook = Path(args["notebook"])
    project = load_project(notebook)
    name, created = (args["job"], False) if args.get("job") else api.job_for_run_now(notebook, project=project)
    note = f" (created manual-only job {name}: no cron, never scheduled)" if created else ""
    attempts = api.run_job(name, project=project, parameters=args.get("parameters") or {})
    data = attempts[-1].to_dict() if attempts else {"job": name, "status": "not started"}
    status = str(data.get("status", ""))
    message = f"job {name}: run {data.get('run_id', '')} {status}{note}"
    if attempts and attempts[-1].error:
        message += f": {attempts[-1].error.line()}"
    return (0 if status == "succeeded" else 1), message, data


ACTIONS = {"promote": promote, "run": run_job}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    kind, args = argv[0], json.loads(argv[1])
    try:
        exit_code, message, result = ACTIONS[kind](args)
    except ProdkitError as e:
        exit_code, message, result = e.exit_code, e.line(), None
    except ModuleNotFoundError as e:
        exit_code, message, result = 2, f"not set up yet: {e}", None
    except Exception as e:
        exit_code, message, result = 1, f"{kind} failed: {e.__class__.__name__}: {e}", None
    sys.stdout.write("\n" + json.dumps({"exit_code": exit_code, "message": message, "result": result},
                                       default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
