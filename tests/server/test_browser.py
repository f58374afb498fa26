"""The side panel in a real JupyterLab, driven by real headless Chromium (slow).

Starts `jupyter lab` on 127.0.0.1 with a token in a fresh prodkit project holding the demo
notebook, opens it, opens the prodkit panel, checks score and checklist against the API,
clicks Re-check and Promote, and keeps screenshots under test-artifacts/.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from pktest import SMALL_POC, code, numbered, write_notebook

from prodkit.config import init_project

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
LABEXTENSION = REPO / "prodkit" / "labextension"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-dev-shm-usage"]


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return "chromium not found (apt-get install chromium; ./dev test installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "python playwright is not installed"
    if not (LABEXTENSION / "package.json").is_file():
        return "side panel not built: run scripts/setup-labextension.sh (./dev setup does)"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_notebook(dest: Path) -> None:
    """The repo's demo notebook when it has %%promote cells, else a small one of our own."""
    demo = REPO / "nbs" / "churn_poc.ipynb"
    try:
        has_promote = "%%promote" in demo.read_text(encoding="utf-8")
    except OSError:
        has_promote = False
    if has_promote:
        shutil.copy(demo, dest)
    else:
        write_notebook(dest, SMALL_POC)


@pytest.fixture
def lab(tmp_path):
    """A running `jupyter lab` (token auth) rooted in a fresh project: yields (url, token, root)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    root = tmp_path / "proj"
    init_project(root)
    _demo_notebook(root / "nbs" / "churn_poc.ipynb")
    write_notebook(root / "nbs" / "other.ipynb", numbered(code("x = 1")))
    # Isolated Jupyter dirs: our panel from the repo build, no news toast, no user state.
    jpath = tmp_path / "jupyter-path"
    (jpath / "labextensions").mkdir(parents=True)
    (jpath / "labextensions" / "prodkit-jupyterlab").symlink_to(LABEXTENSION, target_is_directory=True)
    user_settings = tmp_path / "user-settings" / "@jupyterlab" / "apputils-extension"
    user_settings.mkdir(parents=True)
    (user_settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    token = secrets.token_hex(16)
    port = _free_port()
    env = {**os.environ, "JUPYTER_PATH": str(jpath), "JUPYTER_CONFIG_DIR": str(tmp_path / "jconfig"),
           "JUPYTER_DATA_DIR": str(tmp_path / "jdata"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "jruntime"),
           "JUPYTER_PLATFORM_DIRS": "1"}
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--ServerApp.jpserver_extensions={'prodkit.server': True}",
           f"--LabApp.user_settings_dir={tmp_path / 'user-settings'}",
           f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
           "--LabApp.expose_app_in_browser=True"]
    log = open(tmp_path / "jupyter-lab.log", "w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not start:\n" +
                                       (tmp_path / "jupyter-lab.log").read_text()[-3000:]) from None
                time.sleep(0.3)
        yield url, token, root
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _api(url: str, token: str, endpoint: str, **params) -> dict:
    query = urllib.parse.urlencode({**params, "token": token})
    with urllib.request.urlopen(f"{url}/prodkit/api/{endpoint}?{query}", timeout=60) as response:
        return json.loads(response.read())


def test_panel_shows_readiness_and_promotes(lab):
    from playwright.sync_api import expect, sync_playwright

    url, token, root = lab
    nb = "nbs/churn_poc.ipynb"
    expected = _api(url, token, "readiness", path=nb)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/{nb}?token={token}&reset", wait_until="domcontentloaded")
            page.wait_for_selector(".jp-NotebookPanel", timeout=90_000)

            # Open the panel from the right sidebar, by keyboard-reachable tab.
            tab = page.locator('.jp-SideBar.jp-mod-right [data-id="prodkit-panel"]')
            expect(tab).to_be_visible(timeout=30_000)
            tab.click()
            panel = page.locator("#prodkit-panel")
            expect(panel).to_be_visible()

            # Score and checklist: the same result as `prodkit check --json`.
            score = panel.locator(".jp-prodkit-score-value")
            expect(score).to_have_text(f"{round(expected['score'] * 100)}%", timeout=60_000)
            checks = panel.locator(".jp-prodkit-check")
            expect(checks).to_have_count(len(expected["checks"]))
            for check in expected["checks"]:
                row = panel.locator(f'.jp-prodkit-check[data-check="{check["id"]}"]')
                expect(row).to_have_class(f"jp-prodkit-check jp-prodkit-check-{check['status']}")
            expect(panel.locator('.jp-prodkit-promoted-module[data-module="churn.features"]')
                   ).to_contain_text("not written yet")
            page.screenshot(path=str(ARTIFACTS / "prodkit-panel.png"))

            # Re-check: a fresh (uncached) status call, then "Checked ..." in the live region.
            with page.expect_response(lambda r: "/prodkit/api/status" in r.url and "fresh=1" in r.url) as info:
                panel.get_by_role("button", name="Re-check", exact=True).click()
            assert info.value.status == 200 and json.loads(info.value.body())["cached"] is False
            expect(panel.locator(".jp-prodkit-live")).to_contain_text("Checked", timeout=60_000)

            # Promote: runs on the server in the background, the panel polls and re-checks.
            panel.get_by_role("button", name="Promote", exact=True).click()
            result = panel.locator('.jp-prodkit-result[data-kind="promote"]')
            expect(result).to_contain_text("Promote: succeeded", timeout=180_000)
            expect(panel.locator('.jp-prodkit-promoted-module[data-module="churn.features"]')
                   ).to_contain_text("up to date", timeout=60_000)
            assert any((root / "src").rglob("features.py"))
            code04 = next(c for c in _api(url, token, "readiness", path=nb)["checks"] if c["id"] == "CODE-04")
            expect(panel.locator('.jp-prodkit-check[data-check="CODE-04"]')).to_have_class(
                f"jp-prodkit-check jp-prodkit-check-{code04['status']}")
            page.screenshot(path=str(ARTIFACTS / "prodkit-panel-promoted.png"))

            # Schedule, by keyboard only: focus the button, Enter, type the cron, Enter.
            panel.get_by_role("button", name="Schedule", exact=True).focus()
            page.keyboard.press("Enter")
            cron = page.locator(".jp-Dialog .jp-prodkit-schedule input").first
            expect(cron).to_be_focused(timeout=10_000)
            cron.fill("30 5 * * *")
            page.keyboard.press("Enter")
            job = panel.locator(".jp-prodkit-job")
            expect(job).to_contain_text("churn-poc", timeout=30_000)
            expect(job).to_contain_text("30 5 * * *")

            # Saving the notebook refreshes the panel (a plain, non-forced status call).
            page.locator(".jp-NotebookPanel").first.click()
            with page.expect_response(lambda r: "/prodkit/api/status" in r.url and "fresh" not in r.url,
                                      timeout=30_000) as saved:
                page.keyboard.press("Control+s")
            assert saved.value.status == 200

            # Another notebook becoming active switches the panel to it.
            page.evaluate("async () => { await window.jupyterapp.commands.execute('docmanager:open', {path: 'nbs/other.ipynb'}); return null; }")
            expect(panel.locator(".jp-prodkit-path")).to_have_text("nbs/other.ipynb", timeout=30_000)
            expect(panel.locator(".jp-prodkit-promoted-module")).to_have_count(0)
            page.evaluate(f"async () => {{ await window.jupyterapp.commands.execute('docmanager:open', {{path: '{nb}'}}); return null; }}")
            expect(panel.locator(".jp-prodkit-path")).to_have_text(nb, timeout=30_000)

            # Dark theme: only CSS variables, so the panel follows.
            page.evaluate("async () => { await window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'}); return null; }")
            page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
            page.wait_for_timeout(500)
            panel.screenshot(path=str(ARTIFACTS / "prodkit-panel-dark.png"))
            background = panel.evaluate("n => getComputedStyle(n).backgroundColor")
            assert background != "rgb(255, 255, 255)"
        finally:
            browser.close()
