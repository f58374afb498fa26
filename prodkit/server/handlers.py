"""REST handlers under /prodkit/api/... — thin: confine the path, call a section or action.

All handlers are APIHandlers with `@tornado.web.authenticated` (403 without a token or a
login cookie) and Jupyter's XSRF check for cookie-authenticated POSTs; errors are JSON
`{"message": ...}`. Reads run in a small thread pool and long actions in a child process,
so no request blocks the event loop.
"""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from prodkit.errors import ProdkitError
from prodkit.server import sections
from prodkit.server.actions import ActionRunner
from prodkit.server.cache import RefreshCache
from prodkit.server.paths import resolve_notebook

READ_THREADS = 4


class ProdkitHandler(APIHandler):
    """Shared helpers: the notebook from `?path=` or the JSON body, pools, JSON replies."""

    @property
    def prodkit(self) -> dict[str, Any]:
        return self.settings["prodkit"]

    def notebook(self, rel: object) -> tuple[str, Path]:
        """(API path, resolved file) of a notebook inside the server root, or an HTTP error."""
        allow_hidden = bool(getattr(self.settings.get("contents_manager"), "allow_hidden", False))
        target = resolve_notebook(self.prodkit["root_dir"], rel, allow_hidden=allow_hidden)
        return PurePosixPath(str(rel).replace("\\", "/")).as_posix(), target

    def body(self) -> dict:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise tornado.web.HTTPError(400, "the request body is not JSON") from None
        if not isinstance(data, dict):
            raise tornado.web.HTTPError(400, "the request body must be a JSON object")
        return data

    async def in_thread(self, fn, *args):
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.prodkit["pool"], fn, *args)

    def reply(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data, default=str))


class ReadinessHandler(ProdkitHandler):
    """GET ?path=NB: exactly `prodkit check NB --json`."""

    @tornado.web.authenticated
    async def get(self):
        _, target = self.notebook(self.get_query_argument("path", None))
        try:
            result = await self.in_thread(sections.readiness, target)
        except sections.NotSetUp as e:
            raise tornado.web.HTTPError(501, str(e)) from None
        except ProdkitError as e:
            raise tornado.web.HTTPError(400 if e.exit_code == 2 else 422, e.line()) from None
        self.reply(result)


class SectionHandler(ProdkitHandler):
    """GET ?path=NB: one section (promote | jobs | models) in the panel's envelope."""

    def initialize(self, name: str) -> None:
        self.section_name = name

    @tornado.web.authenticated
    async def get(self):
        rel, target = self.notebook(self.get_query_argument("path", None))
        data = await self.in_thread(sections.section, self.section_name, target)
        self.reply({"notebook": rel, **data})


class StatusHandler(ProdkitHandler):
    """GET ?path=NB[&fresh=1]: readiness + promote status + jobs + models in one call."""

    @tornado.web.authenticated
    async def get(self):
        loop = asyncio.get_running_loop()
        started = loop.time()
        rel, target = self.notebook(self.get_query_argument("path", None))
        fresh = self.get_query_argument("fresh", "0") not in ("", "0", "false")
        fingerprint = await self.in_thread(sections.fingerprint, target)
        body, cached = await self.prodkit["cache"].get(
            str(target), fingerprint, lambda: self.in_thread(sections.status, target), fresh=fresh)
        self.reply({"notebook": rel, **body, "cached": cached,
                    "elapsed_ms": round((loop.time() - started) * 1000, 1)})


class PromoteHandler(ProdkitHandler):
    """GET ?path=NB: promote status. POST {path, check?, force?}: start `prodkit promote`."""

    @tornado.web.authenticated
    async def get(self):
        rel, target = self.notebook(self.get_query_argument("path", None))
        self.reply({"notebook": rel, **await self.in_thread(sections.section, "promote", target)})

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        rel, target = self.notebook(data.get("path"))
        args = {"notebook": str(target), "check": bool(data.get("check")), "force": bool(data.get("force"))}
        action = self.prodkit["actions"].start("promote", rel, args, cwd=target.parent)
        self.reply(action.to_dict(), status=202)


class JobRunHandler(ProdkitHandler):
    """POST {path, job?, parameters?}: run the notebook once now as a job."""

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        rel, target = self.notebook(data.get("path"))
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise tornado.web.HTTPError(400, "parameters must be a JSON object of name: value")
        args = {"notebook": str(target), "job": data.get("job"), "parameters": parameters}
        pool, limit = await self.in_thread(sections.run_limit, target)
        action = self.prodkit["actions"].start("run", rel, args, cwd=target.parent, pool=pool, limit=limit)
        self.reply(action.to_dict(), status=202)


class JobScheduleHandler(ProdkitHandler):
    """POST {path, cron, name?, parameters?}: add a scheduled job for the notebook."""

    @tornado.web.authenticated
    async def post(self):
        data = self.body()
        rel, target = self.notebook(data.get("path"))
        cron = str(data.get("cron") or "").strip()
        if not cron:
            raise tornado.web.HTTPError(400, "missing cron: give a cron expression such as '0 6 * * *'")
        parameters = data.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise tornado.web.HTTPError(400, "parameters must be a JSON object of name: value")
        name = str(data.get("name") or "").strip() or None
        try:
            job = await self.in_thread(sections.schedule_job, target, name, cron, parameters)
        except sections.NotSetUp as e:
            raise tornado.web.HTTPError(501, str(e)) from None
        except ProdkitError as e:
            raise tornado.web.HTTPError(400, e.line()) from None
        self.reply({"notebook": rel, **job}, status=201)


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


def setup_handlers(serverapp) -> None:
    web_app = serverapp.web_app
    web_app.settings["prodkit"] = {
        "root_dir": str(Path(serverapp.root_dir).expanduser().resolve()),
        "pool": ThreadPoolExecutor(READ_THREADS, thread_name_prefix="prodkit"),
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
        ("models", SectionHandler, {"name": "models"}),
        ("actions", ActionHandler, None),
        (r"actions/([0-9a-f]+)", ActionHandler, None),
    ]
    web_app.add_handlers(".*$", [(url_path_join(base, route) + "/?", handler, kwargs or {})
                                 for route, handler, kwargs in routes])
