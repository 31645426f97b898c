"""The app in a real headless Chromium (Debian's), driven by Playwright: the server, the browser and the helpers the
browser tests share (tests/conftest.py loads this module's fixtures for every test module). Each test module gets a
server and a browser of its own; every request the browser makes is recorded, and none may leave the machine."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from tests.conftest import REPO, browser_required, free_port

ARTIFACTS = REPO / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture(scope="module")
def chromium() -> str:
    """Chromium's headless shell where it is installed (what Playwright itself runs headless by default): the
    same Blink and V8 without the desktop browser's window machinery, which cost the browser process half its CPU
    on each page load here; the full browser otherwise."""
    path = shutil.which("chromium-headless-shell") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if browser_required():
            pytest.fail("chromium is not installed, and browser tests are required here (CI)")
        pytest.skip("chromium is not installed (scripts/setup --browser installs it)")
    return path


@pytest.fixture(scope="module")
def server(loaded_embedded_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["CLUSTERKG_EMBEDDED_PATH"] = str(loaded_embedded_path)
    with streamlit_server(REPO / "app.py", env, "streamlit-server.log") as url:
        yield url


@contextlib.contextmanager
def streamlit_server(script: Path, env: dict[str, str], log_name: str) -> Iterator[str]:
    """``streamlit run script`` on a free port until the block ends; its URL. Its log goes to ARTIFACTS."""
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    # to a file, not a pipe nobody reads: a full pipe would stall the server, and the log explains a failure
    log = (ARTIFACTS / log_name).open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("streamlit did not answer within 60 s")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PAGES = ["overview", "chain", "explore", "map", "compare", "targets", "lists", "report", "console", "export", "quality"]
CHART_TEXT = ".echarts-container svg text"
TASK_LIMIT_S = 3.0


@pytest.fixture(scope="module")
def browser_page(chromium: str, server: str) -> Iterator[tuple[Any, list[str]]]:
    """One browser for the module; every request it makes is recorded, and none may leave the machine."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        yield page, requested
        browser.close()
    hosts = {urlparse(u).hostname or "" for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    foreign = sorted(hosts - LOCAL_HOSTS - {""})
    assert not foreign, f"the page asked hosts other than this machine: {foreign}"


def open_page(page: Any, url: str, ready: str, state: str = "visible") -> float:
    """Open a URL and wait until ``ready`` (a CSS selector or text=…) shows; the seconds it took."""
    started = time.monotonic()
    page.goto(url, wait_until="domcontentloaded")
    page.locator(ready).first.wait_for(timeout=60_000, state=state)
    return time.monotonic() - started


SETTLE_PAUSE_MS = 150
paused_s = [0.0]  # the fixed pauses taken so far: the test's own waiting, which a timed task does not count


def settle(page: Any) -> None:
    """Until Streamlit has finished the script run (its status widget gone)."""
    page.wait_for_timeout(SETTLE_PAUSE_MS)  # a run starts a moment after the event that asks for it
    paused_s[0] += SETTLE_PAUSE_MS / 1000
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stStatusWidget'], [data-testid='stSkeleton']\")",
        timeout=60_000,
    )


def download_file(page: Any, button: str, folder: Path) -> Path:
    """Click a download button (by its text) and save the file it gives under its own name."""
    with page.expect_download(timeout=60_000) as download:
        page.get_by_text(button).first.click()
    saved: Path = folder / download.value.suggested_filename
    download.value.save_as(saved)
    return saved


def shot(page: Any, name: str) -> Path:
    """A screenshot of the whole page: Streamlit scrolls inside its own container, so the window is made tall."""
    path = ARTIFACTS / f"{name}.png"
    page.set_viewport_size({"width": 1440, "height": 2600})
    page.wait_for_timeout(200)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1440, "height": 900})
    return path
