"""The HTML report in a real browser: Debian's chromium driven by Playwright, offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from costlm import api
from costlm.report.files import write_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="chromium not installed (.ci/run installs Debian's chromium)"
)


def test_report_renders_table_and_every_plot_offline(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    data = api.report_data(["llama-3-70b", "deepseek-v3", "gpt-3-175b"], samples=500, seed=0)
    [index] = write_report(data, tmp_path, "en", ["html"])
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.goto(index.as_uri())
        assert page.locator("table.seed").is_visible()
        assert page.locator("table.seed tbody tr").count() == 3
        plots = page.locator("figure.plot svg")
        n_plots = 6  # the five of the seed table and the Plan section's cumulative cost
        assert plots.count() == n_plots
        for i in range(n_plots):
            plots.nth(i).scroll_into_view_if_needed()
            box = plots.nth(i).bounding_box()
            assert box is not None and box["width"] > 200 and box["height"] > 100
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    assert [u for u in requests if not u.startswith("file://")] == []
    assert (tmp_path / "report.png").stat().st_size > 10_000
