"""Issue 11 part (c): the accelerator, API price and measured-run breadth of the bundled catalog,
every new accelerator serving a small model, and the API price staleness rule (12 months)."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog.schema import ApiPrice, Catalog, Sourced
from costlm.resolve import prices
from costlm.resolve.requests import ServeRequest
from costlm.resolve.serving import serve_spec

NEW_ACCELERATORS = [
    "b300",
    "gb300",
    "mi325x",
    "mi355x",
    "tpu-v7",
    "trn1",
    "inf2",
    "trn2",
    "trn3",
    "rtx-5090",
    "rtx-pro-6000",
]


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return api.load_catalog()


def test_catalog_counts(cat: Catalog) -> None:
    assert len(cat.accelerators) >= 38
    assert len(cat.api_prices) >= 120
    assert len(cat.inference_runs) >= 40
    assert set(NEW_ACCELERATORS) <= set(cat.accelerators)


@pytest.mark.parametrize(
    ("gpu", "bf16", "fp8"),
    [
        ("tpu-v7", 2307, 4614),  # Cloud TPU docs, TPU7x table
        ("trn2", 667, 1299),  # AWS Neuron Trainium2 page (2,563 is the sparse figure)
        ("trn1", 190, 190),  # NeuronCore-v2 runs cFP8 at the BF16 rate
        ("gb300", 2500, 5000),  # rack 180 / 360 PFLOP/s dense over 72 GPUs
        ("b300", 2250, 4500),
        ("mi355x", 2500, 5000),
    ],
)
def test_new_peaks_are_the_dense_datasheet_figures(cat: Catalog, gpu: str, bf16: float, fp8: float) -> None:
    acc = cat.accelerators[gpu]
    assert acc.peak_bf16_dense_tflop_per_s.central == pytest.approx(bf16)
    assert acc.peak_fp8_dense_tflop_per_s is not None
    assert acc.peak_fp8_dense_tflop_per_s.central == pytest.approx(fp8)


def test_every_new_generation_has_an_mfu_prior(cat: Catalog) -> None:
    priors = {(p.generation, p.dtype) for p in cat.mfu_priors}
    for gpu in NEW_ACCELERATORS:
        assert (cat.accelerators[gpu].generation, "bf16") in priors


@pytest.mark.parametrize("gpu", NEW_ACCELERATORS)
def test_every_new_accelerator_serves_a_small_model(cli: CliRun, gpu: str) -> None:
    code, out, err = cli(["serve", "llama-3-8b", "--gpu", gpu, "--samples", "200", "--json"])
    assert code == 0, err
    assert f'"accelerator": "{gpu}"' in out


def test_cached_input_price_is_transcribed(cat: Catalog) -> None:
    haiku = cat.api_prices["anthropic-claude-haiku-4.5"]
    assert haiku.cached_input_usd_per_mtok is not None
    assert (haiku.input_usd_per_mtok.central, haiku.cached_input_usd_per_mtok.central) == (1.0, 0.1)  # type: ignore[union-attr]
    assert haiku.output_usd_per_mtok is not None and haiku.output_usd_per_mtok.central == 5.0


def _price(as_of: str) -> ApiPrice:
    rec = Sourced(value=1.0, source="litellm-prices-2026", locator="key 'x'", as_of=as_of)
    return ApiPrice(id="x", name="X", model="llama-3.1-8b", provider="P", output_usd_per_mtok=rec)


def test_api_price_staleness_is_twelve_months() -> None:
    today = dt.date(2026, 12, 3)
    assert prices.stale_api_warnings([_price("2026-01")], today) == []  # 11 months
    assert prices.stale_api_warnings([_price("2025-12")], today) == []  # 12 months: not yet
    (warning,) = prices.stale_api_warnings([_price("2025-11"), _price("2026-06")], today)  # 13 months
    assert warning == (
        "stale_api_price",
        "API prices older than 12 months: P X (2025-11)",
        {"prices": "P X (2025-11)", "months": "12"},
    )


def test_serve_api_comparison_carries_the_staleness_caveat(cat: Catalog) -> None:
    req = ServeRequest(model="llama-3.1-8b", samples=0)
    listed = prices.api_prices_of(cat.api_prices.values(), "llama-3.1-8b")
    assert listed and {p.output_usd_per_mtok.as_of for p in listed} == {"2026-04"}  # type: ignore[union-attr]
    fresh = serve_spec(req, cat, today=dt.date(2027, 3, 1))  # 11 months after 2026-04
    stale = serve_spec(req, cat, today=dt.date(2027, 5, 1))  # 13 months
    assert not [w for w in fresh.warnings if w[0] == "stale_api_price"]
    (caveat,) = [w for w in stale.warnings if w[0] == "stale_api_price"]  # one line for all of them
    assert caveat[2]["prices"].count("(2026-04)") == len(listed)


def test_claims_on_api_prices_carry_the_staleness_line(cat: Catalog) -> None:
    from costlm.analyses import claim_evidence

    claim = cat.claims["s000-gpt4-api-price"]
    ask = claim_evidence.Ask(claim=claim, quantity=claim.quantity, scope=claim.scope, samples=0, seed=0)
    finding = claim_evidence.api_price(cat, ask)
    listed = prices.api_prices_of(cat.api_prices.values(), "gpt-4")
    assert {p.id for p in listed} == {"openai-gpt-4-8k", "openai-gpt-4-2026"}
    expected = prices.stale_api_warnings(listed, dt.date.today())
    stale_lines = [p.values for p in finding.reasoning if p.code == "stale_api_price"]
    assert stale_lines == [v for _, _, v in expected]


def test_a_multi_chip_replica_without_link_bandwidth_says_it_is_not_costed() -> None:
    r = api.estimate_serving(api.make_serve_request(model="llama-3-70b", gpu="trn2", n_gpus=2, samples=100))
    (caveat,) = [w for w in r.warnings if w.code == "no_link_bandwidth"]
    assert caveat.values == {"n": "2", "gpu": "trn2"}
    one = api.estimate_serving(
        api.make_serve_request(model="llama-3.1-8b", gpu="trn2", n_gpus=1, samples=100)
    )
    assert not [w for w in one.warnings if w.code == "no_link_bandwidth"]


def test_new_open_models_are_linked_to_their_hosted_prices() -> None:
    """`costlm serve gpt-oss-120b` compares against the hosts that list it (one row per host)."""
    from costlm import api

    cat = api.load_catalog()
    by_model: dict[str, list[str]] = {}
    for price in cat.api_prices.values():
        if price.model is not None:
            by_model.setdefault(price.model, []).append(price.provider)
    assert len(by_model["gpt-oss-120b"]) >= 4 and len(by_model["llama-3.3-70b"]) >= 3
    for model in ("qwen3-32b", "deepseek-r1", "llama-4-maverick", "kimi-k2", "gemma-3-27b"):
        assert by_model.get(model), model
