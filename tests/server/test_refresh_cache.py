"""RefreshCache: what a Re-check (fresh) may reuse, on real asyncio futures."""

from __future__ import annotations

import asyncio
import time

from prodkit.server.cache import RefreshCache


def _run(scenario):
    return asyncio.run(scenario())


def _counter():
    computed: list[int] = []

    async def compute():
        computed.append(1)
        await asyncio.sleep(0)
        return len(computed)

    return compute


def test_finding_rechecks_sent_together_recomputed_once_the_first_finished():
    """20 Re-checks sent at once: one whose fingerprint came late started its own computation again."""

    async def scenario():
        cache, compute = RefreshCache(), _counter()
        sent = time.monotonic()
        first = await cache.get("nb", "fp", compute, fresh=True, since=sent)
        straggler = await cache.get("nb", "fp", compute, fresh=True, since=sent)
        return first, straggler

    assert _run(scenario) == ((1, False), (1, True))


def test_a_recheck_never_takes_a_result_computed_before_it_was_sent():
    async def scenario():
        cache, compute = RefreshCache(), _counter()
        await cache.get("nb", "fp", compute)
        plain = await cache.get("nb", "fp", compute)
        recheck = await cache.get("nb", "fp", compute, fresh=True, since=time.monotonic())
        no_since = await cache.get("nb", "fp", compute, fresh=True)
        changed = await cache.get("nb", "fp2", compute, fresh=True, since=0.0)
        return plain, recheck, no_since, changed

    assert _run(scenario) == ((1, True), (2, False), (3, False), (4, False))
