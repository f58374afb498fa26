"""Data frames in and out: reading CSV/Parquet with bounded memory, seeded sampling, column kinds.

Sampling is bottom-k on seeded uniform keys: row i is kept when its key is among the
`max_rows` smallest. One pass, exact size, the same rows whether the frame is in memory or
streamed from a file in chunks (keys are drawn in row order from one generator).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prodkit.errors import BadInput

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

DEFAULT_MAX_ROWS = 100_000
DEFAULT_SEED = 0
CHUNK_ROWS = 200_000
MAX_CATEGORIES = 50  # object columns with more distinct values are text/ids, not categories

NUMERICAL, CATEGORICAL, DATETIME, TEXT = "numerical", "categorical", "datetime", "text"
KINDS = (NUMERICAL, CATEGORICAL, DATETIME, TEXT)


@dataclass
class Sampled:
    """A frame, possibly a seeded sample of a larger one."""

    frame: pd.DataFrame
    total_rows: int
    seed: int
    max_rows: int

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.total_rows

    def info(self) -> dict:
        return {"rows": self.total_rows, "used": len(self.frame), "sampled": self.sampled,
                "seed": self.seed, "max_rows": self.max_rows}


def _bottom_k(keys: np.ndarray, k: int) -> np.ndarray:
    import numpy as np

    if len(keys) <= k:
        return np.arange(len(keys))
    return np.sort(np.argpartition(keys, k - 1)[:k])


def sample_frame(df: pd.DataFrame, max_rows: int = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED) -> Sampled:
    """At most `max_rows` rows of `df`, chosen with `seed` (row order kept)."""
    import numpy as np

    n = len(df)
    if n <= max_rows:
        return Sampled(df, n, seed, max_rows)
    keys = np.random.default_rng(seed).random(n)
    return Sampled(df.iloc[_bottom_k(keys, max_rows)], n, seed, max_rows)


def _parquet_pieces(path: Path, columns: list[str] | None):
    """(rows, take) per row group; `take(positions)` reads only those rows, one column at a time,
    so memory stays near one column chunk whatever the row-group size."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path, pre_buffer=False)
    schema = parquet.schema_arrow
    names = list(columns) if columns else [n for n in schema.names if not n.startswith("__index_level_")]
    metadata = None
    if schema.pandas_metadata:  # keep pandas dtypes (e.g. Int64, category), drop the stored index
        meta = dict(schema.pandas_metadata)
        meta["index_columns"] = []
        meta["columns"] = [c for c in meta.get("columns", []) if c.get("name") in names]
        metadata = {b"pandas": json.dumps(meta).encode("utf-8")}
    fields = pa.schema([schema.field(n) for n in names], metadata=metadata)

    def take_from(group: int | None):
        def take(positions):
            if group is None or not len(positions):
                return fields.empty_table().to_pandas()
            index = pa.array(positions)
            arrays = [parquet.read_row_group(group, columns=[n]).column(0).take(index) for n in names]
            return pa.Table.from_arrays(arrays, schema=fields).to_pandas()
        return take

    if parquet.num_row_groups == 0:
        yield 0, take_from(None)
    for group in range(parquet.num_row_groups):
        yield parquet.metadata.row_group(group).num_rows, take_from(group)


def _csv_pieces(path: Path, columns: list[str] | None):
    import pandas as pd

    sep = "\t" if path.suffix.lower() == ".tsv" or path.name.endswith(".tsv.gz") else ","
    for chunk in pd.read_csv(path, chunksize=CHUNK_ROWS, usecols=columns, sep=sep, low_memory=False):
        yield len(chunk), (lambda positions, chunk=chunk: chunk.iloc[positions])


def _pieces(path: Path, columns: list[str] | None):
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        return _parquet_pieces(path, columns)
    if suffix in (".csv", ".gz", ".txt", ".tsv"):
        return _csv_pieces(path, columns)
    raise BadInput(f"unsupported file type {path.suffix or '(none)'}", path=str(path),
                   fix="pass a .csv or .parquet file")


def read_table(path: Path | str, *, max_rows: int = DEFAULT_MAX_ROWS, seed: int = DEFAULT_SEED,
               columns: list[str] | None = None) -> Sampled:
    """Read a CSV or Parquet file, keeping a seeded sample of at most `max_rows` rows.

    One pass in pieces (CSV chunks, Parquet row groups read column by column, only the
    sampled rows kept), so memory stays near `max_rows` rows whatever the file size. The
    sample equals `sample_frame(whole_file, max_rows, seed)`. Unreadable files raise
    BadInput with one line naming the file.
    """
    import numpy as np
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise BadInput("no such file", path=str(path), fix="check the path")
    rng = np.random.default_rng(seed)
    parts: list[pd.DataFrame] = []  # the kept rows, in row order, in pieces (joined once at the end)
    kept_keys = np.empty(0)
    total = 0
    try:
        for rows, take in _pieces(path, columns):
            all_keys = np.concatenate([kept_keys, rng.random(rows)])
            pick = _bottom_k(all_keys, max_rows)
            old, new = pick[pick < len(kept_keys)], pick[pick >= len(kept_keys)] - len(kept_keys)
            if len(old) < len(kept_keys):  # some kept rows lost their place: prune them
                parts = [pd.concat(parts, copy=False).iloc[old]]
            if len(new) or not parts:
                part = take(new)
                part.index = pd.Index(new + total)
                parts.append(part)
            kept_keys = all_keys[pick]
            total += rows
    except BadInput:
        raise
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError, ImportError) as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise BadInput(f"cannot read it ({first})", path=str(path),
                       fix="pass a readable .csv or .parquet file") from None
    except Exception as e:  # pyarrow's own errors (ArrowInvalid, ...) do not share a base we can import lazily
        if e.__class__.__module__.startswith("pyarrow"):
            raise BadInput(f"cannot read it as Parquet ({str(e).splitlines()[0]})", path=str(path),
                           fix="pass a readable .csv or .parquet file") from None
        raise
    kept = pd.concat(parts, copy=False) if len(parts) > 1 else (parts[0] if parts else pd.DataFrame())
    return Sampled(kept.reset_index(drop=True), total, seed, max_rows)


def dtype_family(dtype) -> str:
    """A coarse dtype name that survives CSV round trips: integer, float, bool, string, category, datetime."""
    import pandas.api.types as t

    if t.is_bool_dtype(dtype):
        return "bool"
    if t.is_integer_dtype(dtype):
        return "integer"
    if t.is_float_dtype(dtype):
        return "float"
    if t.is_datetime64_any_dtype(dtype):
        return "datetime"
    if isinstance(dtype, __import__("pandas").CategoricalDtype):
        return "category"
    if t.is_numeric_dtype(dtype):
        return "float"
    return "string"


def infer_kind(series: pd.Series) -> str:
    """numerical, categorical, datetime or text (many distinct strings: ids, free text)."""
    family = dtype_family(series.dtype)
    if family in ("integer", "float"):
        return NUMERICAL
    if family == "datetime":
        return DATETIME
    if family in ("bool", "category"):
        return CATEGORICAL
    return CATEGORICAL if series.nunique(dropna=True) <= MAX_CATEGORIES else TEXT


def check_frame(df, name: str) -> None:
    """A pandas DataFrame with rows and columns, else BadInput naming `name`."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise BadInput(f"expected a pandas DataFrame, got {type(df).__name__}", path=name,
                       fix="pass a DataFrame (e.g. pd.read_parquet(...))")
    if df.shape[1] == 0:
        raise BadInput("the frame has no columns", path=name, fix="pass the scored batch with its feature columns")
    if len(df) == 0:
        raise BadInput("the frame is empty (0 rows)", path=name, fix="pass a batch with at least one row")
    if not df.columns.is_unique:
        dupes = sorted({str(c) for c in df.columns[df.columns.duplicated()]})
        raise BadInput(f"duplicate column names: {', '.join(dupes)}", path=name, fix="rename the columns")
