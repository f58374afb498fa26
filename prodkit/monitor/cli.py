"""`prodkit drift` and `prodkit validate`: drift and data contracts for CSV/Parquet files."""

from __future__ import annotations

from pathlib import Path

import typer

from prodkit._cli_support import err, handle_errors, out, print_json, print_result, shown
from prodkit.errors import BadInput


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def _kinds(numerical: str | None, categorical: str | None) -> dict[str, str]:
    kinds = {c: "numerical" for c in _names(numerical)}
    both = sorted(set(kinds) & set(_names(categorical)))
    if both:
        raise BadInput(f"column(s) given as both numerical and categorical: {', '.join(both)}",
                       fix="name each column in one of --numerical / --categorical")
    kinds.update({c: "categorical" for c in _names(categorical)})
    return kinds


def _check_positive(max_rows: int) -> None:
    if max_rows < 1:
        raise BadInput(f"--max-rows is {max_rows}", fix="use a positive number of rows")


def drift(
    reference: str = typer.Argument(..., help="Reference data (.csv or .parquet), e.g. the training set."),
    current: str = typer.Argument(..., help="Current data (.csv or .parquet), e.g. today's scored batch."),
    html: Path | None = typer.Option(None, "--html", help="Write evidently's HTML report to this file."),
    json_out: bool = typer.Option(False, "--json", help="Print {drift, share, columns: {name: {drift, score, method}}} as JSON."),
    columns: str | None = typer.Option(None, "--columns", help="Compare only these columns (comma-separated)."),
    numerical: str | None = typer.Option(None, "--numerical", help="Treat these columns as numerical (comma-separated)."),
    categorical: str | None = typer.Option(None, "--categorical", help="Treat these columns as categorical (comma-separated)."),
    contract: Path | None = typer.Option(None, "--contract", help="Take column kinds, methods and drift share from this contract."),
    drift_share: float | None = typer.Option(None, "--drift-share", min=0.0, max=1.0, help="Dataset drift when at least this share of columns drifted (default 0.5)."),
    max_rows: int = typer.Option(100_000, "--max-rows", help="Sample each side to at most this many rows (fixed seed)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the row sample."),
    fail_on_drift: bool = typer.Option(False, "--fail-on-drift", help="Exit 1 when the data drifted (CI / cron gate)."),
):
    """Compare CURRENT with REFERENCE: one drift verdict and a score per column (evidently).

    Large files are read in chunks and sampled with a fixed seed, so memory stays bounded.
    """
    from prodkit.monitor.drift import compare

    _check_positive(max_rows)
    kinds = _kinds(numerical, categorical)
    methods = thresholds = None
    share = 0.5
    if contract is not None:
        from prodkit.monitor.contract import load_contract

        rules = load_contract(contract)
        share = rules.drift_share
        kinds = {**{c: (r.kind if r.drift else "excluded") for c, r in rules.columns.items()}, **kinds}
        methods = {c: r.method for c, r in rules.columns.items() if r.method} or None
        thresholds = {c: r.threshold for c, r in rules.columns.items() if r.threshold is not None} or None
        columns = columns or ",".join(rules.columns)
    share = drift_share if drift_share is not None else share
    with err.status("reading the data …"):
        ref = _read(reference, max_rows, seed)
        cur = _read(current, max_rows, seed)
    with err.status("computing drift with evidently …"):
        result = compare(ref, cur, kinds=kinds, columns=_names(columns) or None, drift_share=share,
                         methods=methods, thresholds=thresholds, max_rows=max_rows, seed=seed, html=html,
                         names=(str(reference), str(current)))
    return shown(result, lambda r: print_result(r, json_out),
                 1 if fail_on_drift and result.drift else 0)


def _read(data, max_rows: int, seed: int):
    """A file's seeded sample; a DataFrame `%prodkit drift` took from the notebook (`.frame`) as it is."""
    from prodkit.monitor.frames import read_table

    return read_table(data, max_rows=max_rows, seed=seed) if isinstance(data, str | Path) else data.frame


def validate(
    data: Path = typer.Argument(..., help="Data to check (.csv or .parquet)."),
    contract: Path | None = typer.Option(None, "--contract", help="The contract file (.yaml or .json)."),
    infer: Path | None = typer.Option(None, "--infer", help="Instead of checking, infer a contract from DATA and write it here."),
    force: bool = typer.Option(False, "--force", help="With --infer: overwrite an existing contract file."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as JSON."),
):
    """Check DATA against a data contract (columns, dtypes, nulls, ranges, categories).

    Exits 1 when the data breaks the contract. `--infer FILE` writes a contract from DATA
    (e.g. the training set) that you can edit.
    """
    from prodkit.monitor.contract import infer_contract, load_contract, save_contract
    from prodkit.monitor.contract import validate as check
    from prodkit.monitor.frames import read_table

    if (contract is None) == (infer is None):
        raise BadInput("give either --contract FILE (to check) or --infer FILE (to write one)",
                       fix="e.g. prodkit validate batch.csv --contract contract.yaml")
    if infer is not None and infer.exists() and not force:
        raise BadInput("the contract file exists", path=str(infer), fix="pass --force to overwrite it")
    rules = load_contract(contract) if contract is not None else None
    with err.status("reading the data …"):
        frame = read_table(data, max_rows=2**62).frame
    if infer is not None:
        written = save_contract(infer_contract(frame, name=data.stem), infer)
        if json_out:
            print_json({"contract": str(written), "columns": frame.shape[1], "rows": len(frame)})
        else:
            out.print(f"wrote a contract for {frame.shape[1]} columns of {len(frame)} rows to {written} — edit it freely")
        return
    result = check(frame, rules, contract_path=str(contract))
    print_result(result, json_out)
    if not result.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add `prodkit drift` and `prodkit validate`."""
    app.command("drift")(handle_errors(drift))
    app.command("validate")(handle_errors(validate))
