"""The app in a real headless Chromium (Debian's), driven by Playwright: pick a cluster, wait for the chain to
draw, save a screenshot; fail if the page asks any host but this machine."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import REPO, browser_required

ARTIFACTS = REPO / "test-artifacts"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if browser_required():
            pytest.fail("chromium is not installed, and browser tests are required here (CI)")
        pytest.skip("chromium is not installed (scripts/setup --browser installs it)")
    return path


@pytest.fixture(scope="module")
def server(loaded_embedded_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEO4J_")}
    env["CLUSTERKG_EMBEDDED_PATH"] = str(loaded_embedded_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "app.py"),
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
        stdout=subprocess.PIPE,
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
        pytest.fail("streamlit did not answer within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_pick_a_cluster_and_see_its_chain(chromium: str, server: str) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.on("request", lambda request: requested.append(request.url))
        for other in ("map", "targets", "explore"):  # screenshots of three more pages, for people to look at
            page.goto(f"{server}/{other}", wait_until="networkidle")
            page.locator("[data-testid='stApp'] h1").first.wait_for(timeout=60_000)
            page.wait_for_timeout(2500)
            page.screenshot(path=str(ARTIFACTS / f"{other}.png"), full_page=True)
        started = time.monotonic()
        page.goto(f"{server}/chain", wait_until="networkidle")
        page.get_by_text("集群创新链", exact=False).first.wait_for(timeout=60_000)
        page.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name="生物医药与健康", exact=False).first.click()
        frame = page.frame_locator("iframe").first
        frame.locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        elapsed = time.monotonic() - started
        page.screenshot(path=str(ARTIFACTS / "chain-P09.png"), full_page=True)
        assert page.get_by_text("链条完整度", exact=False).count() >= 1
        assert (
            "(P09)"
            in page.locator("[data-testid='stSelectbox'] input").first.input_value()
            + page.locator("[data-testid='stSelectbox']").first.inner_html()
        )
        browser.close()
    foreign = sorted(
        {urlparse(u).hostname for u in requested if urlparse(u).scheme in ("http", "https", "ws", "wss")}
        - LOCAL_HOSTS
        - {None}
    )
    assert not foreign, f"the page asked hosts other than this machine: {foreign}"
    assert (ARTIFACTS / "chain-P09.png").stat().st_size > 20_000
    print(f"chain page with a cluster picked drew in {elapsed:.1f} s")
