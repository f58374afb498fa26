"""Long actions (promote, run now) run in a child process; the panel polls their status.

The server's event loop only starts the process and awaits its exit, so a promote or a
notebook run never blocks other requests. The child is `python -m prodkit.server.run_action`
and prints one JSON line: {"exit_code", "message", "result"}.

Actions that start kernels ("run") obey the project's `max_concurrency`: past the limit they
wait as `queued`, first come first served, with their place in the queue (`position`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import uuid
from collections import deque
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
    status: str = "running"  # queued | running | succeeded | failed
    position: int | None = None  # 1 = next to start, while queued
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
        self._slots: dict[str, _Slots] = {}

    def get(self, action_id: str) -> Action | None:
        return self._actions.get(action_id)

    def recent(self) -> list[Action]:
        return list(self._actions.values())[-50:][::-1]

    def running(self, kind: str, notebook: str, args: dict) -> Action | None:
        key = _key(kind, notebook, args)
        for action in self._actions.values():
            if action.key == key and action.status in ("queued", "running"):
                return action
        return None

    def start(self, kind: str, notebook: str, args: dict, cwd: Path, *, pool: str | None = None,
              limit: int | None = None) -> Action:
        """Starts `kind` for `notebook` (API path) unless the same one, same arguments, is already running.

        Actions of one `pool` (e.g. runs of one project) run at most `limit` at a time; the others queue.
        """
        existing = self.running(kind, notebook, args)
        if existing:
            return existing
        action = Action(id=uuid.uuid4().hex[:12], kind=kind, notebook=notebook, key=_key(kind, notebook, args))
        self._actions[action.id] = action
        self._trim()
        slots = self._slots.setdefault(pool, _Slots()) if pool and limit else None
        if slots is not None:
            slots.limit = limit
            slots.enter(action)
        task = asyncio.ensure_future(self._queued_run(action, args, cwd, slots))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return action

    async def _queued_run(self, action: Action, args: dict, cwd: Path, slots: _Slots | None) -> None:
        if slots is None:
            return await self._run(action, args, cwd)
        try:
            await slots.acquire(action)
        except asyncio.CancelledError:
            return
        if action.status != "running":  # stopped while it waited (server shutdown)
            slots.release()
            return
        try:
            await self._run(action, args, cwd)
        finally:
            slots.release()

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
        for slots in self._slots.values():
            for action in list(slots.waiting):
                self._finish(action, None, f"{action.kind} not started: the Jupyter server shut down", None)
            slots.waiting.clear()
            slots.wake_all()
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
        if action.status not in ("queued", "running"):
            return
        action.position = None
        action.exit_code = exit_code
        action.status = "succeeded" if exit_code == 0 else "failed"
        action.message = message
        action.result = result
        action.ended_at = _now()

    def _trim(self) -> None:
        finished = [a for a in self._actions.values() if a.status not in ("queued", "running")]
        for action in finished[: max(0, len(self._actions) - KEEP)]:
            del self._actions[action.id]


class _Slots:
    """A first-come-first-served limit on running actions, with each waiting action's position."""

    def __init__(self) -> None:
        self.limit = 1
        self.running = 0
        self.waiting: deque[Action] = deque()
        self._changed = asyncio.Event()

    def enter(self, action: Action) -> None:
        """Run at once when a slot is free and nobody waits; else join the queue."""
        if self.running < self.limit and not self.waiting:
            self.running += 1
            return
        action.status = "queued"
        self.waiting.append(action)
        self.renumber()

    def renumber(self) -> None:
        for position, action in enumerate(self.waiting, start=1):
            action.position = position

    async def acquire(self, action: Action) -> None:
        if action.status == "running":  # took a free slot in enter()
            return
        while action in self.waiting and (self.waiting[0] is not action or self.running >= self.limit):
            self._changed.clear()
            await self._changed.wait()
        if action in self.waiting:
            self.waiting.popleft()
            self.running += 1
            action.status, action.position = "running", None
            self.renumber()
            self.wake_all()
        else:
            self.running += 1  # removed by close(): released at once by the caller

    def release(self) -> None:
        self.running -= 1
        self.wake_all()

    def wake_all(self) -> None:
        self._changed.set()
