"""Reuse a panel refresh while nothing it depends on changed; compute each key once at a time.

Concurrent requests for the same notebook and the same fingerprint share one computation
(single flight); a finished result is reused for `ttl` seconds while the fingerprint holds.
`fresh=True` (the Re-check button) never reuses a result computed before the request was
sent (`since`); it joins a computation still running for the same fingerprint, or takes one that
started after it was sent (both read the files after the click, as its own would).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Entry:
    fingerprint: Hashable
    value: Any
    at: float


class RefreshCache:
    def __init__(self, ttl: float = 5.0, max_entries: int = 256):
        self.ttl = ttl
        self.max_entries = max_entries
        self._done: dict[Hashable, _Entry] = {}
        self._inflight: dict[Hashable, tuple[float, asyncio.Future]] = {}  # (started, future)

    async def get(self, key: Hashable, fingerprint: Hashable, compute: Callable[[], Awaitable[Any]],
                  *, fresh: bool = False, since: float | None = None) -> tuple[Any, bool]:
        """(value, cached): cached is True when no new computation was started for this call.

        `since`: when the request was sent (time.monotonic()); a fresh request reuses only a
        computation that started at or after it.
        """
        asked = time.monotonic()
        entry = self._done.get(key)
        if entry and entry.fingerprint == fingerprint and asked - entry.at < self.ttl:
            if not fresh or (since is not None and entry.at >= since):
                return entry.value, True
        running = self._inflight.get((key, fingerprint))
        if running:
            return await asyncio.shield(running[1]), True
        future = asyncio.ensure_future(compute())
        self._inflight[(key, fingerprint)] = (asked, future)
        try:
            value = await asyncio.shield(future)
        finally:
            if self._inflight.get((key, fingerprint), (None, None))[1] is future:
                del self._inflight[(key, fingerprint)]
        self._store(key, fingerprint, value, asked)
        return value, False

    def _store(self, key: Hashable, fingerprint: Hashable, value: Any, at: float) -> None:
        if len(self._done) >= self.max_entries:
            self._done.pop(next(iter(self._done)))
        self._done[key] = _Entry(fingerprint, value, at)

    def forget(self, key: Hashable) -> None:
        self._done.pop(key, None)
