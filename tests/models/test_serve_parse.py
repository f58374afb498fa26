"""The scoring protocol's request parsing and the load test's pure parts (no server, no registry)."""

from __future__ import annotations

import pytest

from prodkit.errors import BadInput
from prodkit.models.loadtest import check_url, parse_levels, percentile, served_p95
from prodkit.models.serve import InputSpec, RequestError, parse_request

SPEC = InputSpec(width=3, dtype="float32", columns=("a", "b", "c"))


@pytest.mark.parametrize("payload", [
    {"inputs": [[1, 2, 3]]},
    {"instances": [[1, 2, 3]]},
    {"inputs": {"x": [[1, 2, 3]]}},
    {"dataframe_split": {"columns": ["a", "b", "c"], "data": [[1, 2, 3]]}},
    {"dataframe_split": {"columns": ["c", "a", "b"], "data": [[3, 1, 2]]}},
    {"dataframe_records": [{"b": 2, "a": 1, "c": 3}]},
    {"instances": [{"a": 1, "b": 2, "c": 3}]},
])
def test_every_format_gives_the_same_rows(payload):
    array = parse_request(payload, SPEC)
    assert array.dtype.name == "float32" and array.tolist() == [[1.0, 2.0, 3.0]]


@pytest.mark.parametrize("payload, reason", [
    ({"dataframe_split": {"columns": ["a", "b", "d"], "data": [[1, 2, 3]]}}, "wrong columns: missing c; unexpected d"),
    ({"dataframe_records": [{"a": 1, "b": 2}]}, "missing c"),
    ({"dataframe_records": [{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "d": 3}]}, "same columns as the first"),
    ({"inputs": [[1, 2, "x"]]}, "got strings"),
    ({"inputs": [[1, 2, None]]}, "null or mixed values"),
    ({"inputs": [[1, 2]]}, "wrong shape"),
    ({"inputs": [[1, 2, 3], [1, 2]]}, "rows of different lengths"),
    ({"inputs": [[1e39, 2, 3]]}, "out of range for float32"),
    ({"inputs": []}, "no rows"),
    ({"inputs": [[1, 2, 3]], "instances": [[1, 2, 3]]}, "exactly one of"),
    ([[1, 2, 3]], "JSON object"),
])
def test_bad_requests_say_why(payload, reason):
    with pytest.raises(RequestError) as info:
        parse_request(payload, SPEC)
    assert reason in str(info.value)


def test_too_many_rows():
    with pytest.raises(RequestError, match="too many rows: 3 > 2"):
        parse_request({"inputs": [[1, 2, 3]] * 3}, SPEC, max_rows=2)


def test_without_column_names_only_the_count_is_checked():
    spec = InputSpec(width=2)
    assert parse_request({"dataframe_split": {"columns": ["x", "y"], "data": [[1, 2]]}}, spec).shape == (1, 2)
    with pytest.raises(RequestError, match="takes 2 columns, got 3"):
        parse_request({"dataframe_split": {"columns": ["x", "y", "z"], "data": [[1, 2, 3]]}}, spec)


def test_load_test_helpers():
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0 and percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert percentile([], 95) is None
    assert parse_levels("1,8,32") == [1, 8, 32]
    assert check_url("http://localhost:5000/") == "http://localhost:5000"
    for url in ("http://10.0.0.1:5000", "https://127.0.0.1:5000", "http://127.0.0.1", "file:///etc/passwd"):
        with pytest.raises(BadInput):
            check_url(url)
    for text in ("0", "1,x", "", "300"):
        with pytest.raises(BadInput):
            parse_levels(text)
    tag = '{"levels": [{"concurrency": 8, "p95_ms": 9.0}, {"concurrency": 1, "p95_ms": 2.5}]}'
    assert served_p95({"prodkit.loadtest": tag}) == (1, 2.5)
    assert served_p95({}) is None
