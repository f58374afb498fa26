"""Long actions (promote, run now) run in a child process; the panel polls their status.

The server's event loop only starts the process and awaits its exit, so a promote or a
notebook run never blocks other requests. The child is `python -m prodkit.server.run_action`
and prints one JSON line: {"exit_code", "message", "result"}.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("prodkit.server")

KEEP = 200  # finished actions kept for polling


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class Action:
    id: str
    kind: str
    notebook: str
    status: str = "running"  # running | succeeded | failed
    started_at: str = field(default_factory=_now)
    ended_at: str | None = None
    exit_code: int | None = None
    message: str = ""
    result: dict | None = None
    key: str = field(default="", repr=False)  # what makes two requests the same action

    def to_dict(self) -> dict:
        data = asdict(self)
        data.pop("key")
        return data


def _key(kind: str, notebook: str, args: dict) -> str:
    """Kind, notebook and every argument: only an identical request joins a running action."""
    return json.dumps([kind, notebook, args], sort_keys=True, default=str)


class ActionRunner:
    """Starts actions and remembers them for polling (per server, in memory)."""

    def __init__(self, timeout: float = 3600.0):
        self.timeout = timeout
        self._actions: dict[str, Action] = {}
        self._tasks: set[asyncio.Task] = set()
        self._procs: dict[str, asyncio.subprocess.Process] = {}

    def get(self, action_id: str) -> Action | None:
        return self._actions.get(action_id)

    def recent(self) -> list[Action]:
        return list(self._actions.values())[-50:][::-1]

    def running(self, kind: str, notebook: str, args: dict) -> Action | None:
        key = _key(kind, notebook, args)
        for action in self._actions.values():
            if action.key == key and action.status == "running":
                return action
        return None

    def start(self, kind: str, notebook: str, args: dict, cwd: Path) -> Action:
        """Starts `kind` for `notebook` (API path) unless the same one, same arguments, is already running."""
        existing = self.running(kind, notebook, args)
        if existing:
            return existing
        action = Action(id=uuid.uuid4().hex[:12], kind=kind, notebook=notebook, key=_key(kind, notebook, args))
        self._actions[action.id] = action
        self._trim()
        task = asyncio.ensure_future(self._run(action, args, cwd))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return action

    async def _run(self, action: Action, args: dict, cwd: Path) -> None:
        cmd = [sys.executable, "-m", "prodkit.server.run_action", action.kind, json.dumps(args)]
        try:
            proc = await asyncio.create_subprocess_exec(
                *cmd, cwd=str(cwd), stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
            self._procs[action.id] = proc
            try:
                out, err = await asyncio.wait_for(proc.communicate(), self.timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
                self._finish(action, None, f"{action.kind} timed out after {self.timeout:.0f} s", None)
                return
            finally:
                self._procs.pop(action.id, None)
            self._finish_from_output(action, proc.returncode, out.decode(errors="replace"),
                                     err.decode(errors="replace"))
        except Exception as e:  # the action failed to start: say so, never leave it "running"
            log.exception("prodkit: action %s failed", action.id)
            self._finish(action, None, f"{action.kind} could not start: {e}", None)

    async def close(self) -> None:
        """Server shutdown: stop running actions (their status says so) and wait for them."""
        for action_id, proc in list(self._procs.items()):
            if proc.returncode is None:
                proc.terminate()
            action = self._actions.get(action_id)
            if action and action.status == "running":
                self._finish(action, None, f"{action.kind} stopped: the Jupyter server shut down", None)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)

    def _finish_from_output(self, action: Action, returncode: int | None, out: str, err: str) -> None:
        reply = None
        for line in reversed(out.strip().splitlines()):
            try:
                reply = json.loads(line)
                break
            except ValueError:
                continue
        if isinstance(reply, dict) and "exit_code" in reply:
            self._finish(action, reply["exit_code"], reply.get("message", ""), reply.get("result"))
        else:
            last = (err.strip().splitlines() or ["no output"])[-1]
            self._finish(action, returncode if returncode else 1, f"{action.kind} crashed: {last}", None)

    def _finish(self, action: Action, exit_code: int | None, message: str, result: dict | None) -> None:
        if action.status != "running":
            return
        action.exit_code = exit_code
        action.status = "succeeded" if exit_code == 0 else "failed"
        action.message = message
        action.result = result
        action.ended_at = _now()

    def _trim(self) -> None:
        finished = [a for a in self._actions.values() if a.status != "running"]
        for action in finished[: max(0, len(self._actions) - KEEP)]:
            del self._actions[action.id]
