"""The server extension app: registers the handlers and stops running actions on shutdown."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp
from traitlets import Int, default


class ProdkitServerApp(ExtensionApp):
    name = "prodkit"
    description = "REST API for prodkit's JupyterLab side panel"
    load_other_extensions = True
    status_processes = Int(help="Worker processes that compute panel refreshes in parallel (0: in the "
                                "server's threads). Default: one per CPU, at most 4; 0 on one CPU.").tag(config=True)

    @default("status_processes")
    def _default_status_processes(self) -> int:
        from prodkit.server.compute import default_workers

        return default_workers()

    def initialize_handlers(self) -> None:
        from prodkit.server.handlers import setup_handlers

        setup_handlers(self.serverapp, status_processes=max(0, self.status_processes))
        self.log.info("prodkit: side panel API at %sprodkit/api", self.serverapp.base_url)

    async def stop_extension(self) -> None:
        state = self.serverapp.web_app.settings.get("prodkit")
        if state:
            await state["actions"].close()
            state["compute"].shutdown()
            state["pool"].shutdown(wait=False, cancel_futures=True)
