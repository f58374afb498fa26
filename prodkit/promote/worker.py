"""nbdev in a forked child, imported while `prodkit promote` reads and plans the notebook.

Importing nbdev (fastcore, IPython) is most of a first write. The CLI forks this worker before it
imports anything else, so on two cores nbdev loads while the parent plans, checks names and scans
for secrets; the parent then asks the child to render, to say what nbdev-export would write, and
to rebuild `_modidx.py`. Only the CLI starts it, and only where forking is safe (Linux, a process
with one thread): a kernel, the Jupyter server and tests calling `promote()` render in-process,
as does the CLI if the child cannot start or dies.
"""

from __future__ import annotations

import contextlib
import os
import sys
import types

_worker: _Worker | None = None


class WorkerGone(Exception):
    """The child is not there to answer (never started, died, or its reply was unreadable)."""


def start() -> None:
    """Fork the worker (once per process) when that is safe; a no-op elsewhere."""
    global _worker
    if _worker is not None or not _fork_is_safe():
        return
    from_parent, to_child = os.pipe()  # (read end, write end)
    from_child, to_parent = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        for fd in (to_child, from_parent, from_child, to_parent):
            os.close(fd)
        return
    if pid == 0:
        os.close(to_child)
        os.close(from_child)
        _serve(from_parent, to_parent)  # never returns
    os.close(from_parent)
    os.close(to_parent)
    _worker = _Worker(pid, os.fdopen(to_child, "wb"), os.fdopen(from_child, "rb"))


def stop() -> None:
    """End the worker (it holds no state worth keeping) and reap it."""
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def call(name: str, *args):
    """Run `name` (a key of `_calls()`) in the worker, else here; its result or its exception."""
    if _worker is not None:
        try:
            return _worker.call(name, *args)
        except WorkerGone:
            stop()
    return _calls()[name](*args)


def _fork_is_safe() -> bool:
    if not sys.platform.startswith("linux") or os.environ.get("PRODKIT_PROMOTE_WORKER") == "0":
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


class _Worker:
    def __init__(self, pid: int, requests, replies):
        self.pid, self.requests, self.replies = pid, requests, replies

    def call(self, name: str, *args):
        import pickle

        try:
            pickle.dump((name, args), self.requests, protocol=pickle.HIGHEST_PROTOCOL)
            self.requests.flush()
            status, value = pickle.load(self.replies)
        except (OSError, EOFError, pickle.PickleError, AttributeError, TypeError) as e:
            raise WorkerGone(str(e)) from None
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        import signal

        for stream in (self.requests, self.replies):
            try:
                stream.close()
            except OSError:
                pass
        try:
            os.kill(self.pid, signal.SIGKILL)  # it may still be importing nbdev: do not wait for that
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _calls() -> dict:
    from prodkit.promote import pipeline
    from prodkit.promote.export import nbdev_export_text

    return {
        "render": pipeline.render_files,
        "nbdev_export_text": nbdev_export_text,
        "rebuild_modidx": pipeline.rebuild_modidx_here,
    }


def _warm() -> None:
    """Import what rendering needs: nbdev first (the slow part), then prodkit's renderers."""
    with _ipython_display_deferred():
        import fastcore.nbio  # noqa: F401
        import fastcore.xtras  # noqa: F401
        import nbdev.doclinks  # noqa: F401
        import nbdev.export  # noqa: F401
        import nbdev.maker  # noqa: F401
        import nbdev.process  # noqa: F401

    import prodkit.promote.pipeline  # noqa: F401
    import prodkit.promote.testgen  # noqa: F401


@contextlib.contextmanager
def _ipython_display_deferred():
    """While nbdev loads, `IPython.display` is a stand-in whose `Markdown` imports the real one
    when used: nbdev.config imports it at the top for `show_src` only, which export never calls,
    and IPython is a fifth of nbdev's import. The stand-ins leave sys.modules when nbdev is loaded,
    so any other use of IPython imports the real package."""
    if "IPython" in sys.modules:
        yield
        return

    class Markdown:
        def __new__(cls, *args, **kwargs):
            from IPython.display import Markdown as real

            return real(*args, **kwargs)

    package, display = types.ModuleType("IPython"), types.ModuleType("IPython.display")
    package.__path__ = []
    display.Markdown = Markdown
    sys.modules.update({"IPython": package, "IPython.display": display})
    try:
        yield
    finally:
        for name, stand_in in (("IPython.display", display), ("IPython", package)):
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]


def _serve(requests_fd: int, replies_fd: int) -> None:
    """The child: warm up, then answer requests until the parent closes the pipe. Never returns."""
    import pickle

    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # the parent's stdout is the user's: the child never writes there
    code = 0
    try:
        _warm()
        calls = _calls()
        with os.fdopen(requests_fd, "rb") as requests, os.fdopen(replies_fd, "wb") as replies:
            while True:
                try:
                    name, args = pickle.load(requests)
                except EOFError:
                    break
                try:
                    reply = ("ok", calls[name](*args))
                except BaseException as e:  # the parent raises it as if it had run the call itself
                    reply = ("error", e)
                try:
                    data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception:  # a value or error that does not pickle: its text still reaches the parent
                    data = pickle.dumps(("error", RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}"[:500])))
                replies.write(data)
                replies.flush()
    except BaseException:
        code = 1
    finally:
        os._exit(code)  # no atexit handlers, no flushing of buffers copied from the parent
