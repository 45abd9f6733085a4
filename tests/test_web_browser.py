"""The web pages in a real browser: Debian's chromium driven by Playwright against a uvicorn
server on 127.0.0.1 started by the test. Fills the Train form, sees the result and its plot,
switches language, runs a Plan, and saves screenshots: to a temporary directory, or with
``COSTLM_UPDATE_SCREENSHOTS=1`` to docs/screenshots/ (the ones the README shows), so that a plain
test run leaves the checkout as it was."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium not installed (.ci/run installs Debian's chromium)"
)
DOCS_SCREENSHOTS = Path(__file__).parents[1] / "docs" / "screenshots"
START_TIMEOUT_S = 20.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    import uvicorn

    from costlm.web.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_train_and_plan_in_a_browser(base_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shots = DOCS_SCREENSHOTS if os.environ.get("COSTLM_UPDATE_SCREENSHOTS") == "1" else tmp_path

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 1100})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{base_url}/train")
        page.get_by_label("Model (catalog id)").fill("llama-3-70b")
        page.get_by_label("Accelerator").fill("h100-sxm")
        page.get_by_label("Number of GPUs").fill("2048")
        page.get_by_label("Monte Carlo samples").fill("2000")
        page.get_by_role("button", name="Estimate").click()
        page.wait_for_selector("#result")
        assert "model=llama-3-70b" in page.url and "n_gpus=2048" in page.url  # a shareable URL
        assert page.locator("table.result").first.is_visible()
        plot = page.locator("#plot svg")
        box = plot.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 80
        page.evaluate("window.scrollTo(0, document.getElementById('result').offsetTop - 8)")
        page.screenshot(path=str(shots / "train.png"), full_page=False)
        page.click("#lang-switch")
        page.wait_for_selector("#result")
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("button", name="Estimar").is_visible()
        assert "Costo de alquiler" in page.content()
        page.goto(f"{base_url}/plan")
        page.get_by_label("Parameters (e.g. 7B)").fill("7B")
        page.get_by_label("Training tokens (e.g. 2T)").fill("2T")
        page.get_by_label("Deadline (days)").fill("30")
        page.get_by_role("button", name="Plan").click()
        page.wait_for_selector("#frontier")
        assert page.locator("#frontier tbody tr").count() >= 1
        assert page.locator("#plot svg").is_visible()
        assert page.locator("#frontier tr.chosen").count() == 1
        page.evaluate("window.scrollTo(0, document.getElementById('result').offsetTop - 8)")
        page.screenshot(path=str(shots / "plan.png"), full_page=False)
        page.goto(f"{base_url}/train?params=7B&tokens=2T&mfu=3")
        assert page.locator("#e-mfu").is_visible()  # the message beside its field, no JavaScript
        browser.close()
    assert [u for u in requests if not u.startswith(base_url)] == []  # nothing leaves 127.0.0.1
    for name in ("train.png", "plan.png"):
        assert (shots / name).stat().st_size > 10_000
