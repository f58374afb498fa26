"""HTTP errors of the REST API: which request part was wrong, and how prodkit's errors map to codes."""

from __future__ import annotations

import os

from tornado.web import HTTPError

from prodkit.errors import ProdkitError


class RequestError(HTTPError):
    """An HTTP error with a one-line message; `field` names the body key or query argument at fault."""

    def __init__(self, status_code: int, message: str, *, field: str | None = None):
        super().__init__(status_code, message.replace("\n", " "))  # no args: the message is used as is
        self.field = field


def as_http_error(error: BaseException | None, root_dir: str | None = None) -> HTTPError | None:
    """The HTTP error an exception from a handler stands for; None for a bug (500).

    Expected errors (bad notebook, bad value, failed gate) are one line: BadInput (exit 2) -> 400,
    another ProdkitError (a gate, exit 1) -> 422. Paths
    under `root_dir` are shown relative to it, as the client names them.
    """
    if isinstance(error, HTTPError):
        return error
    if isinstance(error, ProdkitError):
        line = error.line()
        if root_dir:
            line = line.replace(os.path.join(root_dir, ""), "")
        return RequestError(400 if error.exit_code == 2 else 422, line)
    return None
