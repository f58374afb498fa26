"""The readiness checks, one module per section; importing this package registers them all."""

from prodkit.readiness.checks import business, cells, code, data, data_io, model, ops, security  # noqa: F401
