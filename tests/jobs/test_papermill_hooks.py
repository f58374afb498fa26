"""The papermill and nbclient surfaces prodkit.jobs.execute builds on (pinned papermill>=2.6,<2.8).

If an upgrade moves one of them, this file says which, before a scheduled run fails on it.
"""

from __future__ import annotations

import inspect


def test_engine_registry_registers_and_finds_engines():
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.exceptions import PapermillException

    try:
        papermill_engines.get_engine("prodkit-hooks-test")
        raise AssertionError("an unregistered engine was found")
    except PapermillException:
        pass

    class Probe(NBClientEngine):
        pass

    papermill_engines.register("prodkit-hooks-test", Probe)
    assert papermill_engines.get_engine("prodkit-hooks-test") is Probe


def test_managed_notebook_engine_hook_takes_the_arguments_prodkit_passes():
    from papermill.engines import NBClientEngine

    params = inspect.signature(NBClientEngine.execute_managed_notebook).parameters
    for name in ("nb_man", "kernel_name", "log_output", "stdout_file", "stderr_file", "start_timeout",
                 "execution_timeout", "kwargs"):
        assert name in params, f"NBClientEngine.execute_managed_notebook lost {name!r}"


def test_notebook_client_takes_a_kernel_manager_and_can_clean_it_up():
    from papermill.clientwrap import PapermillNotebookClient

    params = inspect.signature(PapermillNotebookClient.__init__).parameters
    assert "nb_man" in params and "km" in params
    assert callable(getattr(PapermillNotebookClient, "_cleanup_kernel", None))


def test_execution_manager_has_the_per_cell_callbacks_prodkit_wraps():
    from papermill.engines import NotebookExecutionManager

    for hook in ("cell_start", "cell_exception"):
        params = inspect.signature(getattr(NotebookExecutionManager, hook)).parameters
        assert "cell" in params and "cell_index" in params, f"NotebookExecutionManager.{hook} changed"


def test_execute_notebook_forwards_engine_keywords():
    """prodkit passes `prodkit_hooks` and `km` through papermill.execute_notebook to its engine."""
    import papermill

    params = inspect.signature(papermill.execute_notebook).parameters
    assert "engine_name" in params and "request_save_on_cell_execute" in params
    assert any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
