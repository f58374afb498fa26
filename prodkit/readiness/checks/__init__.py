"""The readiness checks, one module per section; importing this package registers them all."""

from prodkit.readiness.checks import business, code, data, model, ops, security  # noqa: F401
