"""Seeded sampling with bounded memory, and reading CSV/Parquet files with one-line errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from prodkit.errors import BadInput
from prodkit.monitor import frames
from prodkit.monitor.frames import read_table, sample_frame


@pytest.fixture
def big() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"x": np.arange(5000), "y": rng.normal(size=5000), "c": rng.choice(["a", "b"], 5000)})


def test_sample_is_exact_seeded_and_keeps_row_order(big):
    one, two, other = sample_frame(big, 700, seed=7), sample_frame(big, 700, seed=7), sample_frame(big, 700, seed=8)
    assert len(one.frame) == 700 and one.total_rows == 5000 and one.sampled
    assert one.frame.x.tolist() == two.frame.x.tolist() != other.frame.x.tolist()
    assert one.frame.x.is_monotonic_increasing and one.frame.x.is_unique
    assert sample_frame(big, 5000).frame is big and not sample_frame(big, 5000).sampled


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_files_read_in_chunks_give_the_same_sample_as_in_memory(tmp_path, big, monkeypatch, suffix):
    path = tmp_path / f"data{suffix}"
    # several row groups / CSV chunks, so the streaming path is what runs
    big.to_parquet(path, row_group_size=900) if suffix == ".parquet" else big.to_csv(path, index=False)
    monkeypatch.setattr(frames, "CHUNK_ROWS", 900)
    got = read_table(path, max_rows=700, seed=7)
    assert (got.total_rows, len(got.frame)) == (5000, 700)
    assert got.frame.x.tolist() == sample_frame(big, 700, seed=7).frame.x.tolist()
    assert got.info() == {"rows": 5000, "used": 700, "sampled": True, "seed": 7, "max_rows": 700}


def test_small_files_are_read_whole(tmp_path, big):
    path = tmp_path / "d.csv"
    big.to_csv(path, index=False)
    got = read_table(path)
    pd.testing.assert_frame_equal(got.frame, big)


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("missing.csv", None, "no such file"),
    ("data.xlsx", b"x", "unsupported file type .xlsx"),
    ("broken.parquet", b"not parquet at all", "cannot read it"),
    ("binary.csv", b"\xff\xfe\x00\x00\x81", "cannot read it"),
])
def test_unreadable_files_are_one_clear_line(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadInput) as info:
        read_table(path)
    assert expected in info.value.line() and name in info.value.line() and "\n" not in info.value.line()


def test_parquet_sampling_keeps_pandas_dtypes_and_drops_a_stored_index(tmp_path, big):
    frame = big.assign(n=pd.array(np.arange(5000) % 7, dtype="Int64"), k=pd.Categorical(big.c))
    frame.index = frame.index.astype(str)  # stored as __index_level_0__
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=1000)
    got = read_table(tmp_path / "d.parquet", max_rows=300, seed=2).frame
    assert list(got.columns) == ["x", "y", "c", "n", "k"]
    assert str(got.n.dtype) == "Int64" and str(got.k.dtype) == "category"
    assert got.x.tolist() == sample_frame(big, 300, seed=2).frame.x.tolist()
