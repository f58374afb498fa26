"""REST handlers under /prodkit/api/... — thin: validate the request, confine the path, call a section or action.

All handlers are APIHandlers with `@tornado.web.authenticated` (403 without a token or a
login cookie) and Jupyter's XSRF check for cookie-authenticated POSTs. POST bodies are
validated by the pydantic models in `schemas.py` (strict types, bounded sizes, unknown fields
refused). Errors are JSON `{"message": "one line", "reason": ..., "field": ...}`: the base
handler maps prodkit's expected errors centrally (BadInput -> 400, a failed gate -> 422);
`field` names the body key or query argument at fault.
Reads run in a small thread pool, panel refreshes in a few worker processes (`compute.py`) and
long actions in a child process, so no request blocks the event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from http.client import responses
from pathlib import Path, PurePosixPath
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from prodkit.server import sections
from prodkit.server.actions import ActionRunner
from prodkit.server.cache import RefreshCache
from prodkit.server.compute import ComputePool
from prodkit.server.errors import as_http_error
from prodkit.server.paths import resolve_notebook

READ_THREADS = 4


class ProdkitHandler(APIHandler):
    """Shared helpers: the notebook from `?path=` or the JSON body, pools, JSON replies, error mapping."""

    @property
    def prodkit(self) -> dict[str, Any]:
        return self.settings["prodkit"]

    def notebook(self, rel: object) -> tuple[str, Path]:
        """(API path, resolved file) of a notebook inside the server root, or an HTTP error."""
        allow_hidden = bool(getattr(self.settings.get("contents_manager"), "allow_hidden", False))
        target = resolve_notebook(self.prodkit["root_dir"], rel, allow_hidden=allow_hidden)
        return PurePosixPath(str(rel).replace("\\", "/")).as_posix(), target

    def query_notebook(self) -> tuple[str, Path]:
        """The notebook of `?path=`."""
        return self.notebook(self.get_query_argument("path", None))

    def body(self, kind: str):
        """The request body validated by the `kind` model of `schemas.py` (pydantic is imported here, lazily)."""
        from prodkit.server.schemas import parse_body

        return parse_body(kind, self.request.body)

    async def in_thread(self, fn, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.prodkit["pool"], fn, *args)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))

    # Expected errors, centrally: whatever a handler raises goes through tornado's log_exception,
    # send_error and write_error; prodkit's own errors become HTTP errors there.

    def _http_error(self, value: BaseException | None) -> tornado.web.HTTPError | None:
        return as_http_error(value, self.settings.get("prodkit", {}).get("root_dir"))

    def log_exception(self, typ, value, tb) -> None:
        error = self._http_error(value)
        if error is not None and not isinstance(value, tornado.web.HTTPError):
            self.log.warning("%d %s: %s", error.status_code, self._request_summary(), error.log_message)
            return
        super().log_exception(typ, value, tb)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        value = (kwargs.get("exc_info") or (None, None, None))[1]
        error = self._http_error(value)
        if error is not None and error is not value:
            kwargs["exc_info"] = (type(error), error, None)
            status_code = error.status_code
        super().send_error(status_code, **kwargs)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        value = (kwargs.get("exc_info") or (None, None, None))[1]
        unhandled = "Unhandled error (see the server log)" if status_code >= 500 else None
        reply: dict[str, Any] = {"message": unhandled or responses.get(status_code, "error"), "reason": None}
        if isinstance(value, tornado.web.HTTPError):
            message = value.log_message or responses.get(status_code, "error")
            reply = {"message": " ".join(str(message).split("\n")), "reason": value.reason}
            if getattr(value, "field", None):
                reply["field"] = value.field
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(reply))


class ReadinessHandler(ProdkitHandler):
    """GET ?path=NB: exactly `prodkit check NB --json`."""

    @tornado.web.authenticated
    async def get(self):
        _, target = self.query_notebook()
        self.reply(await self.in_thread(sections.readiness, target))


class SectionHandler(ProdkitHandler):
    """GET ?path=NB: one section (promote | jobs | models) in the panel's envelope."""

    def initialize(self, name: str) -> None:
        self.section_name = name

    @tornado.web.authenticated
    async def get(self):
        rel, target = self.query_notebook()
        data = await self.in_thread(sections.notebook_section, self.section_name, target)
        self.reply({"notebook": rel, **data})


class StatusHandler(ProdkitHandler):
    """GET ?path=NB[&fresh=1]: readiness + promote status + jobs + models in one call."""

    @tornado.web.authenticated
    async def get(self):
        started = time.monotonic()
        rel, target = self.query_notebook()
        fresh = self.get_query_argument("fresh", "0") not in ("", "0", "false")
        fingerprint = await self.in_thread(sections.fingerprint, target)
        body, cached = await self.prodkit["cache"].get(
            str(target), fingerprint, lambda: self.prodkit["compute"].run(sections.status, target), fresh=fresh,
            since=started)
        self.reply({"notebook": rel, **body, "cached": cached,
                    "elapsed_ms": round((time.monotonic() - started) * 1000, 1)})


class PromoteHandler(SectionHandler):
    """GET ?path=NB: promote status. POST {path, check?, force?}: start `prodkit promote`."""

    def initialize(self, name: str = "promote") -> None:
        self.section_name = name

    @tornado.web.authenticated
    async def post(self):
        body = self.body("promote")
        rel, target = self.notebook(body.path)
        await self.in_thread(sections.read_checked, target)
        args = {"notebook": str(target), "check": body.check, "force": body.force}
        action = self.prodkit["actions"].start("promote", rel, args, cwd=target.parent)
        self.reply(action.to_dict(), status=202)


class JobRunHandler(ProdkitHandler):
    """POST {path, job?, parameters?}: run the notebook once now as a job."""

    @tornado.web.authenticated
    async def post(self):
        body = self.body("run")
        rel, target = self.notebook(body.path)
        parameters = body.parameters or {}
        await self.in_thread(sections.read_checked, target, parameters)
        args = {"notebook": str(target), "job": body.job or None, "parameters": parameters}
        pool, limit = await self.in_thread(sections.run_limit, target)
        action = self.prodkit["actions"].start("run", rel, args, cwd=target.parent, pool=pool, limit=limit)
        self.reply(action.to_dict(), status=202)


class JobNameHandler(ProdkitHandler):
    """GET ?path=NB: `{"notebook", "name"}`, the default job name of the notebook (the jobs API's rule)."""

    @tornado.web.authenticated
    async def get(self):
        rel, target = self.query_notebook()
        await self.in_thread(sections.read_checked, target)
        self.reply({"notebook": rel, **await self.in_thread(sections.default_job_name, target)})


class JobScheduleHandler(ProdkitHandler):
    """POST {path, cron, name?, parameters?}: add a scheduled job for the notebook."""

    @tornado.web.authenticated
    async def post(self):
        body = self.body("schedule")
        rel, target = self.notebook(body.path)
        job = await self.in_thread(sections.schedule_job, target, body.name or None, body.cron,
                                   body.parameters or {})
        self.reply(job.model_copy(update={"notebook": rel}).model_dump(mode="json"), status=201)


class ActionHandler(ProdkitHandler):
    """GET /actions/<id>: the status of a long action; GET /actions: the recent ones."""

    @tornado.web.authenticated
    async def get(self, action_id: str = ""):
        runner: ActionRunner = self.prodkit["actions"]
        if not action_id:
            self.reply([a.to_dict() for a in runner.recent()])
            return
        action = runner.get(action_id)
        if action is None:
            raise tornado.web.HTTPError(404, f"no action {action_id} (actions are kept in memory per server)")
        self.reply(action.to_dict())


def setup_handlers(serverapp, status_processes: int = 0) -> None:
    """The routes and their shared state; refreshes in `status_processes` worker processes (0: threads)."""
    web_app = serverapp.web_app
    threads = ThreadPoolExecutor(READ_THREADS, thread_name_prefix="prodkit")
    web_app.settings["prodkit"] = {
        "root_dir": str(Path(serverapp.root_dir).expanduser().resolve()),
        "pool": threads,
        "compute": ComputePool(status_processes, threads),
        "cache": RefreshCache(),
        "actions": ActionRunner(),
    }
    base = url_path_join(web_app.settings["base_url"], "prodkit", "api")
    routes = [
        ("readiness", ReadinessHandler, None),
        ("status", StatusHandler, None),
        ("promote", PromoteHandler, None),
        ("jobs", SectionHandler, {"name": "jobs"}),
        ("jobs/run", JobRunHandler, None),
        ("jobs/schedule", JobScheduleHandler, None),
        ("jobs/default-name", JobNameHandler, None),
        ("models", SectionHandler, {"name": "models"}),
        ("actions", ActionHandler, None),
        (r"actions/([0-9a-f]+)", ActionHandler, None),
    ]
    web_app.add_handlers(".*$", [(url_path_join(base, route) + "/?", handler, kwargs or {})
                                 for route, handler, kwargs in routes])
