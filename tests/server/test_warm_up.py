"""The panel worker's warm-up leaves the first real refresh nothing slow to load."""

from __future__ import annotations


def test_warm_up_reads_the_installed_distributions_once():
    """CODE-03 maps imports to distributions with importlib.metadata.packages_distributions() (~0.3-0.6 s
    on a busy machine): the worker pays it at start, not on a user's first refresh."""
    from prodkit._dists import import_distributions
    from prodkit.server.compute import warm_up

    import_distributions.cache_clear()
    warm_up()
    assert import_distributions.cache_info().currsize == 1
