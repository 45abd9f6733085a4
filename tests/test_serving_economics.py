"""Serving at the user's load: GPU-only vs facility J/token, idle energy, $/1M at load vs saturated,
the API's yearly cost beside the fleet's, break-even with the peak factor, and the closed models'
estimated inference columns (``costlm serve gpt-4`` agrees with the seed table)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from conftest import CliRun
from costlm import api
from costlm.analyses.seedtable import seed_table
from costlm.catalog.schema import Catalog
from costlm.formulas import money
from costlm.pipelines.serving import ServeDraws, estimate_fleet, estimate_replica
from costlm.resolve.serving import serve_draws, serve_spec

SAMPLES, SEED = 2_000, 7


def _draws(cat: Catalog, model: str, **fields: object) -> ServeDraws:
    req = api.make_serve_request(model=model, samples=SAMPLES, seed=SEED, **fields)  # type: ignore[arg-type]
    draws, _ = serve_draws(serve_spec(req, cat), samples=SAMPLES, seed=SEED)
    return draws


@pytest.mark.parametrize("model", ["llama-3-8b", "llama-3-70b", "mixtral-8x22b", "deepseek-v3", "gpt-4"])
def test_facility_j_per_token_is_gpu_only_times_overhead_times_pue(cat: Catalog, model: str) -> None:
    d = _draws(cat, model)
    r = estimate_replica(d)
    assert r.j_per_output_token is not None and r.gpu_j_per_output_token is not None
    np.testing.assert_allclose(r.j_per_output_token, r.gpu_j_per_output_token * d.server_overhead * d.pue)
    assert np.all(r.j_per_output_token >= r.gpu_j_per_output_token)


def test_idle_power_raises_yearly_energy_most_at_low_load(cat: Catalog) -> None:
    d = _draws(cat, "llama-3-70b")
    r = estimate_replica(d)
    shares = []
    for tokens in (1e6, 1e8):
        with_idle = estimate_fleet(d, r, tokens_per_day=tokens, peak_factor=2.0)
        busy_only = estimate_fleet(
            dataclasses.replace(d, idle_power_fraction=None), r, tokens_per_day=tokens, peak_factor=2.0
        )
        assert (
            with_idle.fleet_energy_mwh_per_year is not None
            and with_idle.fleet_idle_energy_mwh_per_year is not None
        )
        assert busy_only.fleet_energy_mwh_per_year is not None
        assert np.all(with_idle.fleet_energy_mwh_per_year > busy_only.fleet_energy_mwh_per_year)
        np.testing.assert_allclose(
            with_idle.fleet_energy_mwh_per_year,
            busy_only.fleet_energy_mwh_per_year + with_idle.fleet_idle_energy_mwh_per_year,
        )
        shares.append(
            float(np.median(with_idle.fleet_idle_energy_mwh_per_year / with_idle.fleet_energy_mwh_per_year))
        )
    assert shares[0] > shares[1]  # one replica at 1M tokens/day idles nearly all day


@pytest.mark.parametrize("tokens", [1e5, 1e7, 3e8, 5e9])
def test_usd_per_million_at_load_is_at_least_saturated(cat: Catalog, tokens: float) -> None:
    d = _draws(cat, "llama-3-70b")
    r = estimate_replica(d)
    f = estimate_fleet(d, r, tokens_per_day=tokens, peak_factor=2.0)
    assert (
        f.fleet_usd_per_million_output_tokens is not None
        and f.saturated_usd_per_million_output_tokens is not None
    )
    assert f.fleet_utilization is not None and np.all(f.fleet_utilization <= 1.0 / 2.0 + 1e-12)
    assert np.all(f.fleet_usd_per_million_output_tokens >= f.saturated_usd_per_million_output_tokens)
    # at load = saturated / utilization: the same yearly cost over fewer tokens
    np.testing.assert_allclose(
        f.fleet_usd_per_million_output_tokens, f.saturated_usd_per_million_output_tokens / f.fleet_utilization
    )


def test_llama_3_70b_at_10m_tokens_per_day_the_api_is_much_cheaper() -> None:
    r = api.estimate_serving(
        api.make_serve_request(model="llama-3-70b", tokens_per_day="10M", samples=SAMPLES, seed=SEED)
    )
    cheapest = min(r.api_comparison, key=lambda c: c.api_usd_per_million_output_tokens)
    assert cheapest.api_usd_per_year is not None and cheapest.self_hosted_over_api is not None
    assert cheapest.basis == "third-party"
    ratio = cheapest.self_hosted_over_api.p50
    print(f"Llama 3 70B, 10M tokens/day: {cheapest.provider} is {ratio:.1f}x cheaper than a rented replica")
    assert ratio > 5
    assert r.fleet is not None and r.fleet.fleet_rental_usd_per_year is not None
    assert cheapest.self_hosted_usd_per_year == r.fleet.fleet_rental_usd_per_year


def test_break_even_counts_the_peak_factor() -> None:
    # a replica costs $100/day and carries 1.5e8 tokens/day; the API charges $1 per 1M tokens
    kwargs = {"replica_usd_per_day": 100.0, "replica_tokens_per_day": 1.5e8, "api_usd_per_token": 1e-6}
    assert float(money.break_even_tokens_per_day(**kwargs, peak_factor=1.0)) == pytest.approx(1e8)
    assert float(money.break_even_tokens_per_day(**kwargs, peak_factor=1.5)) == pytest.approx(1e8)
    assert np.isinf(money.break_even_tokens_per_day(**kwargs, peak_factor=2.0))


def test_never_share_grows_with_the_peak_factor() -> None:
    def never(peak: str) -> list[float]:
        r = api.estimate_serving(
            api.make_serve_request(model="llama-3-70b", peak_factor=peak, samples=SAMPLES, seed=SEED)
        )
        return [c.share_never_cheaper for c in r.api_comparison]

    flat, peaky = never("1"), never("3")
    assert all(b >= a for a, b in zip(flat, peaky, strict=True))
    assert sum(peaky) > sum(flat)


def test_seed_table_closed_models_have_inference_estimates_equal_to_serve(cat: Catalog) -> None:
    table = seed_table(cat, ["gpt-4", "claude-3-opus", "gemini-1.0-ultra"], samples=500, seed=SEED)
    for row in table.rows:
        assert row.inference_method == "roofline"
        cell = row.inference_j_per_output_token
        assert cell.estimate is not None and cell.sources, row.model
        assert "costlm-assumption" in cell.sources
        assert any(w.code == "architecture_proxy" for w in row.warnings)
        served = api.estimate_serving(
            api.make_serve_request(
                model=row.model, gpu=row.accelerator, dtype=row.inference_dtype, samples=500, seed=SEED
            )
        )
        assert served.j_per_output_token == cell.estimate
        assert served.usd_per_million_output_tokens == row.inference_usd_per_million_output_tokens.estimate
    # an estimated size spreads the interval: Claude's x0.5-x2 range is drawn
    claude = table.rows[1].inference_j_per_output_token.estimate
    assert claude is not None and claude.p95 / claude.p05 > 3


def test_cli_serve_gpt_4_works_and_names_the_assumption(cli: CliRun) -> None:
    code, out, _ = cli(["serve", "gpt-4", "--samples", "300", "--json"])
    assert code == 0
    doc = json.loads(out)
    assert doc["j_per_output_token"]["p50"] > 0
    assert "architecture_proxy" in {w["code"] for w in doc["warnings"]}
