"""`prodkit models loadtest`: p50/p95/p99 and throughput against a running scoring server.

Bounded closed loops (aiohttp, installed with mlflow): at each concurrency level, that many
clients send requests back to back for `seconds` (and at most `max_requests`), to 127.0.0.1
only. The result is stored on the model version that answered (tag `prodkit.loadtest`, and
metrics on its run), where BIZ-01 holds the served p95 against the declared latency budget.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from prodkit._render import Cell, Line, Rendered, Table, View
from prodkit.errors import BadInput

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_REQUESTS = 200_000  # per level: the loop is bounded even if the server answers instantly
VERSION_HEADER = "X-Prodkit-Model-Version"


@dataclass
class LevelResult:
    """One concurrency level: latency percentiles (ms) over the successful requests, and throughput."""

    concurrency: int
    requests: int
    failed: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    throughput_rps: float
    seconds: float
    versions: dict[str, int] = field(default_factory=dict)  # which version answered how often
    errors: list[str] = field(default_factory=list)  # first few distinct failures


@dataclass
class LoadTestResult(Rendered):
    url: str
    model: str
    version: str  # the version serving when the test ended (the result is stored on it)
    rows_per_request: int
    levels: list[LevelResult]
    at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    stored: bool = False

    @property
    def failed(self) -> int:
        return sum(level.failed for level in self.levels)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = [f"c={lv.concurrency}: p95 {lv.p95_ms:.2f} ms, {lv.throughput_rps:,.0f} req/s"
                 + (f", {lv.failed} failed" if lv.failed else "") for lv in self.levels if lv.p95_ms is not None]
        where = f"stored on {self.model} v{self.version}" if self.stored else "not stored"
        return f"load test of {self.url}: " + "; ".join(parts or ["no successful request"]) + f" ({where})"

    def view(self) -> View:
        def ms(v: float | None) -> str:
            return f"{v:.2f}" if v is not None else "-"

        rows = [(str(lv.concurrency), str(lv.requests), Cell.of(lv.failed, "red" if lv.failed else ""), ms(lv.p50_ms),
                 ms(lv.p95_ms), ms(lv.p99_ms), f"{lv.throughput_rps:,.0f}", ", ".join(f"v{k}: {n}" for k, n in lv.versions.items()))
                for lv in self.levels]
        return View([Table("", ("concurrency", "requests", "failed", "p50 ms", "p95 ms", "p99 ms", "req/s", "versions"), rows),
                     Line(self.summary())])


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return None
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def check_url(url: str) -> str:
    """The server's base URL; only 127.0.0.1 / localhost (a load test is not aimed at other hosts)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "http" or parsed.hostname not in LOOPBACK or not parsed.port:
        raise BadInput(f"invalid --url {url!r}", fix="give the local server, e.g. http://127.0.0.1:5000")
    return f"http://{parsed.netloc}"


def parse_levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        levels = []
    if not levels or any(not 1 <= c <= 256 for c in levels):
        raise BadInput(f"invalid --concurrency {text!r}", fix="give numbers 1-256 separated by commas, e.g. 1,8,32")
    return levels


async def _level(url: str, body: bytes, concurrency: int, seconds: float, max_requests: int,
                 samples: list[float] | None = None) -> LevelResult:
    import aiohttp

    latencies: list[float] = []
    versions: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    sent = 0
    headers = {"Content-Type": "application/json"}
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    started = time.perf_counter()
    deadline = started + seconds

    async def client(session) -> None:
        nonlocal sent
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            t0 = time.perf_counter()
            try:
                async with session.post(url + "/invocations", data=body, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        latencies.append((time.perf_counter() - t0) * 1000)
                        versions[response.headers.get(VERSION_HEADER, "?")] += 1
                    else:
                        errors[f"HTTP {response.status}"] += 1
            except (TimeoutError, aiohttp.ClientError, OSError) as e:
                errors[type(e).__name__] += 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    if samples is not None:
        samples.extend(latencies)
    latencies.sort()
    return LevelResult(concurrency=concurrency, requests=len(latencies) + sum(errors.values()),
                       failed=sum(errors.values()), p50_ms=_round(percentile(latencies, 50)),
                       p95_ms=_round(percentile(latencies, 95)), p99_ms=_round(percentile(latencies, 99)),
                       throughput_rps=round(len(latencies) / elapsed, 1), seconds=round(elapsed, 2),
                       versions=dict(versions), errors=[f"{k} x{v}" for k, v in errors.most_common(5)])


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def run_levels(url: str, body: bytes, levels: list[int], seconds: float, warmup: float = 0.5,
               max_requests: int = MAX_REQUESTS, samples: dict[int, list[float]] | None = None) -> list[LevelResult]:
    """Measure each concurrency level in turn (after a short warm-up at the first level).

    samples: {concurrency: list} to extend with every successful request's latency (ms)."""
    async def main() -> list[LevelResult]:
        if warmup > 0:
            await _level(url, body, levels[0], warmup, max_requests)
        return [await _level(url, body, c, seconds, max_requests,
                             None if samples is None else samples.setdefault(c, [])) for c in levels]

    try:  # the same client for any server; uvloop (installed with uvicorn) when present: less client overhead
        import uvloop

        return uvloop.run(main())
    except ImportError:
        return asyncio.run(main())


def server_info(url: str) -> dict[str, Any]:
    """The server's GET /version answer; one line when nothing answers."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url + "/version", timeout=5) as response:  # noqa: S310 - loopback only
            info = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise BadInput(f"no prodkit model server answers at {url} ({getattr(e, 'reason', e)})",
                       fix="start one: prodkit models serve NAME@champion --port PORT") from None
    if not isinstance(info, dict) or "version" not in info:
        raise BadInput(f"the server at {url} is not a prodkit model server (GET /version has no version)",
                       fix="start one: prodkit models serve NAME@champion")
    return info


def example_payload(project, name: str, version: str, rows: int) -> bytes:
    """`rows` rows of the version's saved serving example, as an `inputs` request body."""
    import mlflow.artifacts

    from prodkit.models.registry import registry_client

    registry_client(project)  # points mlflow at the project's store
    try:
        text = mlflow.artifacts.load_text(f"models:/{name}/{version}/serving_input_example.json")
        example = json.loads(text)["inputs"]
    except Exception as e:  # noqa: BLE001 - any missing/odd example is one line
        raise BadInput(f"{name} v{version} has no serving input example ({type(e).__name__})",
                       fix="register it with prodkit.register_model(..., example=X_val[:8])") from None
    if isinstance(example, dict):
        example = next(iter(example.values()))
    batch = (example * (rows // len(example) + 1))[:rows]
    return json.dumps({"inputs": batch}).encode()


def store_result(project, result: LoadTestResult) -> None:
    """The result as tag `prodkit.loadtest` on the version and `serve_*` metrics on its run."""
    from prodkit.models import tags as T
    from prodkit.models.registry import registry_client

    client = registry_client(project)
    client.set_model_version_tag(result.model, result.version, T.LOADTEST, T.dump_json(
        {"at": result.at, "url": result.url, "rows_per_request": result.rows_per_request,
         "levels": [{k: v for k, v in asdict(lv).items() if k not in ("versions", "errors")} for lv in result.levels]}))
    run_id = client.get_model_version(result.model, result.version).run_id
    if run_id:
        for lv in result.levels:
            for key in ("p50_ms", "p95_ms", "p99_ms", "throughput_rps"):
                if lv.__dict__[key] is not None:
                    client.log_metric(run_id, f"serve_{key}_c{lv.concurrency}", lv.__dict__[key])
    result.stored = True


def loadtest(model: str, url: str = "http://127.0.0.1:5000", concurrency: str | list[int] = "1,8,32",
             seconds: float = 5.0, rows: int = 1, store: bool = True, project=None) -> LoadTestResult:
    """Load-test the server at `url` serving `model` (NAME@ALIAS) and store the result on the version."""
    from prodkit.models.refs import parse_model_ref
    from prodkit.models.registry import as_project

    ref = parse_model_ref(model)
    base = check_url(url)
    levels = parse_levels(concurrency) if isinstance(concurrency, str) else parse_levels(",".join(map(str, concurrency)))
    if not 0.1 <= seconds <= 600:
        raise BadInput(f"invalid --seconds {seconds}", fix="give 0.1 to 600 seconds per level")
    if not 1 <= rows <= 10_000:
        raise BadInput(f"invalid --rows {rows}", fix="give 1 to 10000 rows per request")
    project = as_project(project)
    info = server_info(base)
    if info.get("model") != ref.name:
        raise BadInput(f"the server at {base} serves {info.get('model')!r}, not {ref.name!r}",
                       fix="give the URL of the server for this model")
    body = example_payload(project, ref.name, str(info["version"]), rows)
    results = run_levels(base, body, levels, seconds)
    final = str(server_info(base)["version"])
    result = LoadTestResult(url=base, model=ref.name, version=final, rows_per_request=rows, levels=results)
    if store:
        store_result(project, result)
    return result


def served_p95(tags: dict[str, str]) -> tuple[int, float] | None:
    """(concurrency, p95 ms) of the stored load test at its lowest concurrency, for BIZ-01."""
    from prodkit.models import tags as T

    record = T.load_json(tags, T.LOADTEST, {}) or {}
    levels = [lv for lv in record.get("levels", []) if isinstance(lv, dict) and isinstance(lv.get("p95_ms"), int | float)]
    if not levels:
        return None
    lowest = min(levels, key=lambda lv: lv.get("concurrency", 0))
    return int(lowest.get("concurrency", 1)), float(lowest["p95_ms"])
