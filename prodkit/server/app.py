"""The server extension app: registers the handlers and stops running actions on shutdown."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp


class ProdkitServerApp(ExtensionApp):
    name = "prodkit"
    description = "REST API for prodkit's JupyterLab side panel"
    load_other_extensions = True

    def initialize_handlers(self) -> None:
        from prodkit.server.handlers import setup_handlers

        setup_handlers(self.serverapp)
        self.log.info("prodkit: side panel API at %sprodkit/api", self.serverapp.base_url)

    async def stop_extension(self) -> None:
        state = self.serverapp.web_app.settings.get("prodkit")
        if state:
            await state["actions"].close()
            state["pool"].shutdown(wait=False, cancel_futures=True)
