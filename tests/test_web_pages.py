"""The HTML pages: every page renders in English and Spanish, results carry their shareable URL
and JSON link, errors sit next to their field, and the pages pass an accessibility check (a
label for every input, WCAG AA contrast of the palette)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from importlib import resources

import pytest
from fastapi.testclient import TestClient

from costlm.web.app import create_app

PAGES = (
    "/",
    "/train",
    "/train?model=llama-3-70b&samples=500",
    "/serve",
    "/serve?model=llama-3-70b&tokens_per_day=1e9&samples=500",
    "/plan",
    "/plan?params=7B&tokens=2T&deadline_days=30",
    "/plan?params=7B&tokens=2T&deadline_days=30&levers=sophia",
    "/plan_compare",
    "/plan_compare?base=llama-3-70b&tokens_per_day=1e8&samples=300",
    "/plan_serve",
    "/plan_serve?model=llama-3-8b&tokens_per_day=1e8&levers=quantize&samples=200",
    "/check",
    "/check?explain=s002-mla-kv-cache-reduction",
    "/catalog",
    "/catalog?kind=accelerators&search=h100",
    "/catalog/models/llama-3-70b",
    "/docs",
)
WCAG_AA = 4.5


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    with TestClient(create_app()) as c:
        yield c


class Inputs(HTMLParser):
    """Collects the form controls, the labels' targets, the links and the external resources."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.external: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a)
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag == "script":
            self.scripts += 1
        for attr in ("src", "href"):
            value = a.get(attr) or ""
            if tag in ("link", "script", "img") and value.startswith(("http:", "https:", "//")):
                self.external.append(value)


def _parse(html: str) -> Inputs:
    parser = Inputs()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders_labelled_and_offline(client: TestClient, url: str, lang: str) -> None:
    sep = "&" if "?" in url else "?"
    r = client.get(f"{url}{sep}lang={lang}")
    assert r.status_code == 200, r.text[:300]
    assert f'<html lang="{lang}">' in r.text
    page = _parse(r.text)
    unlabelled = [c for c in page.controls if c.get("id") not in page.label_for]
    assert unlabelled == []
    assert page.external == [] and page.scripts == 0  # no CDN, no JavaScript needed


def test_train_result_has_table_plot_memory_and_links(client: TestClient) -> None:
    r = client.get("/train?model=llama-3-70b&samples=500&lang=en")
    assert r.status_code == 200
    html = r.text
    assert 'id="result"' in html and "<svg" in html and "Rental cost" in html
    assert "Memory check" in html and "Spearman" in html
    assert 'href="/api/v1/train?model=llama-3-70b&amp;samples=500"' in html
    assert 'value="llama-3-70b"' in html  # the form keeps the inputs
    es = client.get("/train?model=llama-3-70b&samples=500&lang=es").text
    assert "Costo de alquiler" in es or "alquiler" in es
    assert 'href="/train?model=llama-3-70b&amp;samples=500&amp;lang=en"' in es  # the switch keeps inputs


def test_json_link_gives_the_same_numbers(client: TestClient) -> None:
    page = client.get("/plan?params=7B&tokens=2T&deadline_days=30").text
    link = re.search(r'id="json-link"|href="(/api/v1/plan/train\?[^"]+)"', page)
    assert link is not None
    href = re.findall(r'href="(/api/v1/plan/train\?[^"]+)"', page)[0].replace("&amp;", "&")
    doc = client.get(href).json()
    assert doc["work"]["label"] in page and 'id="frontier"' in page


@pytest.mark.parametrize(
    ("url", "field", "status"),
    [
        ("/train?params=7B&tokens=2T&mfu=3", "mfu", 422),
        ("/train?model=llama-3-7b", "model", 404),
        ("/serve?model=llama-3-8b&gpu=h10", "gpu", 404),
        ("/train?params=7B&tokens=2T&samples=300001", "samples", 422),
    ],
)
def test_form_errors_sit_next_to_their_field(client: TestClient, url: str, field: str, status: int) -> None:
    r = client.get(url)
    assert r.status_code == status
    assert re.search(rf'<p class="error" id="e-{field}" role="alert">[^<]+</p>', r.text), r.text[-2000:]
    assert f'aria-describedby="e-{field}"' in r.text
    assert "Traceback" not in r.text


def test_infeasible_plan_shows_the_binding_constraint(client: TestClient) -> None:
    r = client.get("/plan?params=70B&tokens=15T&deadline_days=0.01")
    assert r.status_code == 422 and 'id="form-error"' in r.text and "deadline" in r.text


def test_pasted_claim_gets_a_verdict(client: TestClient) -> None:
    from test_claims import USER_CLAIM

    r = client.post("/check?lang=en", data={"claims_toml": USER_CLAIM, "samples": "300"})
    assert r.status_code == 200, r.text[-500:]
    assert ">mine</a>" in r.text and "verdict unverifiable" in r.text
    bad = client.post("/check", data={"claims_toml": "[[claim]]\nid = 1"})
    assert bad.status_code == 400 and 'id="form-error"' in bad.text


def test_catalog_entry_links_every_figure_to_its_source(client: TestClient) -> None:
    html = client.get("/catalog/accelerators/h100-sxm").text
    assert 'href="/catalog/sources/nvidia-h100-datasheet"' in html
    assert "H100 SXM column" in html  # the locator
    missing = client.get("/catalog/models/llama-3-70")
    assert missing.status_code == 404 and "llama-3-70b" in missing.text


def test_report_page_is_the_report_under_the_navigation(client: TestClient) -> None:
    r = client.get("/report")
    assert r.status_code == 200
    assert 'class="seed"' in r.text and r.text.count("<svg") >= 3 and 'nav class="site"' in r.text


def _luminance(hex_color: str) -> float:
    """WCAG 2.1 relative luminance of #rrggbb."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_golden() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the classic near-miss


def test_palette_meets_wcag_aa() -> None:
    css = resources.files("costlm.web").joinpath("static/style.css").read_text()
    colors = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-f]{6});", css))
    pairs = [
        ("fg", "bg"),
        ("muted", "bg"),
        ("link", "bg"),
        ("fg", "panel"),
        ("link", "panel"),
        ("muted", "panel"),
        ("error", "error-bg"),
        ("error", "bg"),
        ("ok", "bg"),
        ("bg", "link"),  # the button
        ("fg", "chosen-bg"),
    ]
    low = {f"{a}/{b}": round(contrast(colors[a], colors[b]), 2) for a, b in pairs}
    assert {k: v for k, v in low.items() if v < WCAG_AA} == {}
    assert not re.search(r"color:\s*#", css.split("}", 1)[1])  # every rule uses the palette


def test_readme_shows_the_committed_screenshots() -> None:
    from pathlib import Path

    root = Path(__file__).parents[1]
    readme = (root / "README.md").read_text()
    for name in ("train", "plan"):
        assert f"(docs/screenshots/{name}.png)" in readme
        assert (root / "docs" / "screenshots" / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plan_serve_page_shows_the_fleet_and_the_levers(client: TestClient) -> None:
    page = client.get("/plan_serve?model=llama-3-8b&tokens_per_day=1e8&levers=quantize&samples=200")
    assert page.status_code == 200 and "Cheapest fleet" in page.text and "quantize" in page.text
    assert 'href="/api/v1/plan/serve?' in page.text  # the same inputs on the API


def test_an_unknown_lever_on_a_page_is_a_404_with_the_suggestion(client: TestClient) -> None:
    page = client.get("/plan_serve?model=llama-3-8b&tokens_per_day=1e8&levers=sopia")
    assert page.status_code == 404 and "did you mean sophia" in page.text
