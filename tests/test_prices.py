"""Prices that look like the market: rental tiers, card vs server-inclusive purchase prices,
staleness, central values kept by the distributions, defaults against their cited sources, and
grid aliases with one-line unknown-id errors on every lookup."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog.load import bundled_catalog, load_catalog
from costlm.catalog.schema import Catalog, Sourced
from costlm.errors import CatalogError, InputError, UnknownIdError
from costlm.resolve import prices
from costlm.resolve.inputs import dist_of
from costlm.resolve.requests import ServeRequest, TrainingRequest
from costlm.resolve.serving import serve_spec
from costlm.resolve.training import training_spec
from costlm.uncertainty import SplitLogNormal

DEFAULT_SOURCES = Path(__file__).parent / "data" / "default_sources.toml"
TODAY = dt.date(2026, 12, 3)
N_QUANTILE_SAMPLES = 20_000


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return bundled_catalog()


# --- Central values: median = the record's value, 5th/95th percentiles = low/high ---------------


def _ranged_records(obj: Any, where: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every sourced record with a value and a range, anywhere in a dumped catalog."""
    if isinstance(obj, dict):
        numbers = [obj.get(k) for k in ("value", "low", "high")]
        if "source" in obj and "locator" in obj and None not in numbers and numbers[1] < numbers[2]:
            yield where, obj
        for key, value in obj.items():
            yield from _ranged_records(value, f"{where}.{key}")
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _ranged_records(value, f"{where}[{i}]")


NOT_SAMPLED = ("catalog.mfu_model.",)
"""Records that are not distributions: the MFU fit's covariate domain (median and min..max of the
fit runs, used to clamp covariates; resolve/mfu.py), never drawn from."""


def test_every_sourced_value_is_the_sampled_median(cat: Catalog) -> None:
    records = [
        (where, raw)
        for where, raw in _ranged_records(cat.model_dump(), "catalog")
        if not where.startswith(NOT_SAMPLED)
    ]
    names = [where for where, _ in records]
    # the inputs the issue names are among them
    assert "catalog.grid.usa.gco2e_per_kwh" in names and "catalog.defaults.electricity_usd_per_kwh" in names
    assert len(records) >= 20
    rng = np.random.default_rng(0)
    for where, raw in records:
        record = Sourced.model_validate(raw)
        x = dist_of(record).sample(rng, N_QUANTILE_SAMPLES)
        p05, p50, p95 = np.quantile(x, [0.05, 0.5, 0.95])
        assert p50 == pytest.approx(record.value, rel=0.01), where
        assert (p05, p95) == pytest.approx((record.low, record.high), rel=0.02), where


def test_usa_grid_and_electricity_are_sampled_at_their_listed_value(cat: Catalog) -> None:
    """Issue 9: usa was listed at 369.5 gCO2/kWh but sampled with median 456; electricity at $0.0806."""
    rng = np.random.default_rng(1)
    grid = dist_of(cat.grid["usa"].gco2e_per_kwh).sample(rng, N_QUANTILE_SAMPLES)
    power = dist_of(cat.defaults.electricity_usd_per_kwh).sample(rng, N_QUANTILE_SAMPLES)
    assert np.median(grid) == pytest.approx(369.5, rel=0.01)
    assert np.median(power) == pytest.approx(0.0806, rel=0.01)


def test_split_lognormal_honours_an_asymmetric_range() -> None:
    d = SplitLogNormal.from_quantiles(2.0, 3.0, 12.0)
    assert d.point == 3.0 and d.interval() == pytest.approx((2.0, 12.0))
    x = d.sample(np.random.default_rng(2), 50_000)
    assert np.quantile(x, [0.05, 0.5, 0.95]) == pytest.approx([2.0, 3.0, 12.0], rel=0.02)
    with pytest.raises(InputError, match="need 0 < p05 <= median <= p95"):
        SplitLogNormal.from_quantiles(2.0, 1.0, 12.0)


def test_a_value_outside_its_range_is_a_catalog_error(tmp_path: Path) -> None:
    overlay = tmp_path / "bad.toml"
    overlay.write_text(
        "[defaults]\n"
        'pue = { value = 1.5, low = 1.08, high = 1.25, source = "epoch-cost-model", locator = "x" }\n'
    )
    with pytest.raises(CatalogError, match=r"field 'pue': .*value 1.5 is outside its range 1.08..1.25"):
        load_catalog([overlay])


# --- Defaults against what their cited sources print -----------------------------------------


def test_every_default_covers_the_figures_of_its_cited_sources(cat: Catalog) -> None:
    transcribed = tomllib.loads(DEFAULT_SOURCES.read_text())
    defaults = {name: getattr(cat.defaults, name) for name in type(cat.defaults).model_fields}
    sourced = {name: rec for name, rec in defaults.items() if isinstance(rec, Sourced)}
    assert set(transcribed) == set(sourced), "every sourced default has its sources transcribed"
    for name, record in sourced.items():
        cited = [record.source, *(c.source for c in record.also or [])]
        assert [entry["source"] for entry in transcribed[name]] == cited, name
        low, high = record.bounds
        for entry in transcribed[name]:
            if not entry["figures"]:
                assert entry["why"], f"{name}: a source without figures says why"
            for figure in entry["figures"]:
                assert low <= figure <= high, (
                    f"{name} {low:g}..{high:g} misses {figure:g} ({entry['source']})"
                )


def test_server_overhead_reaches_epochs_a100_ratio(cat: Catalog) -> None:
    """Epoch's chip_to_server_power() gives A100 2.03x; the default used to stop at 1.8."""
    assert cat.defaults.server_overhead.bounds[1] >= 2.03


# --- Rental tiers ---------------------------------------------------------------------------------


def _train(cat: Catalog, today: dt.date = TODAY, **fields: Any) -> Any:
    request = TrainingRequest(samples=0, **fields)
    return training_spec(request, cat, today=today)


def _codes(spec: Any) -> list[str]:
    return [code for code, _, _ in spec.warnings]


def test_auto_tier_switches_at_its_thresholds() -> None:
    assert prices.auto_tier(n_gpus=255, days=29.9) == ("on-demand", "small")
    assert prices.auto_tier(n_gpus=256, days=1.0) == ("reserved", "large")
    assert prices.auto_tier(n_gpus=8, days=30.0) == ("reserved", "long")


@pytest.mark.parametrize(("n_gpus", "tier"), [(255, "on-demand"), (256, "reserved")])
def test_auto_tier_on_a_training_run(cat: Catalog, n_gpus: int, tier: str) -> None:
    spec = _train(cat, params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=n_gpus)
    assert spec.price_tier == tier and "price_tier_auto" in _codes(spec)
    rate = next(r for r in spec.inputs.records if r.name == "usd_per_gpu_hour")
    expected = cat.accelerators["h100-sxm"].rental(tier)
    assert expected is not None and (rate.low, rate.high) == pytest.approx(expected.bounds)


def test_auto_tier_counts_the_estimated_days(cat: Catalog) -> None:
    """8 GPUs for a 7B x 2T run take months: a long run, so auto reserves."""
    spec = _train(cat, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=8)
    assert spec.price_tier == "reserved"
    assert next(v for c, _, v in spec.warnings if c == "price_tier_auto")["reason"] == "long"


def test_serving_is_a_long_run(cat: Catalog) -> None:
    spec = serve_spec(ServeRequest(model="llama-3-8b", samples=0), cat, today=TODAY)
    assert spec.price_tier == "reserved"
    assert (
        serve_spec(ServeRequest(model="llama-3-8b", price_tier="spot", samples=0), cat).price_tier == "spot"
    )


def test_a_missing_tier_falls_back_with_a_caveat(cat: Catalog) -> None:
    assert cat.accelerators["b200"].rental_reserved_usd_per_hour is None
    spec = _train(cat, params=1e9, tokens=2e10, gpu="b200", n_gpus=8, price_tier="reserved")
    assert spec.price_tier == "on-demand"
    fallback = [v for c, _, v in spec.warnings if c == "price_tier_fallback"]
    assert fallback == [{"gpu": "b200", "wanted": "reserved", "tier": "on-demand"}]


def test_the_users_rate_is_tier_user(cat: Catalog) -> None:
    spec = _train(cat, params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=8, usd_per_gpu_hour=(2.0, 2.0))
    assert spec.price_tier == "user" and "price_tier_auto" not in _codes(spec)


def test_tier_in_json_and_beside_the_rental_row(cli: CliRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")  # wide enough that no row label wraps (cells vary in width)
    args = ["train", "llama-3-70b", "--price-tier", "reserved", "--samples", "200"]
    code, out, err = cli([*args, "--json"])
    assert code == 0, err
    assert '"price_tier": "reserved"' in out
    code, out, _ = cli(args)
    assert code == 0 and "· reserved" in out
    code, out, _ = cli([*args, "--lang", "es"])
    assert code == 0 and "reservado" in out
    code, out, _ = cli(["serve", "llama-3-8b", "--price-tier", "on-demand", "--samples", "200"])
    assert code == 0 and "(rental) · on-demand" in out


@pytest.mark.parametrize("command", ["train", "serve"])
def test_a_bad_price_tier_is_one_line_exit_2(cli: CliRun, command: str) -> None:
    code, out, err = cli([command, "llama-3-8b", "--price-tier", "cheap", "--samples", "0"])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [
        "error: --price-tier: 'cheap' is not a tier; choose one of on-demand, reserved, spot, auto"
    ]
    with pytest.raises(InputError, match="'cheap' is not a tier") as exc:
        api.make_serve_request(model="llama-3-8b", price_tier="cheap")
    assert exc.value.key == "bad_price_tier"


# --- Staleness: more than 18 months, month precision --------------------------------------------


def test_staleness_at_17_and_19_months() -> None:
    record = Sourced(value=1.0, source="s", locator="l", as_of="2025-03")
    assert prices.months_old("2025-03", dt.date(2026, 8, 15)) == 17
    assert not prices.is_stale(record, dt.date(2026, 8, 15))
    assert prices.months_old("2025-03", dt.date(2026, 10, 1)) == 19
    assert prices.is_stale(record, dt.date(2026, 10, 1))
    # a bare year counts as its December: 2025 is 17 months old in 2027-05
    assert not prices.is_stale(Sourced(value=1.0, source="s", locator="l", as_of="2025"), dt.date(2027, 5, 1))


def test_stale_caveat_on_a_training_estimate(cat: Catalog) -> None:
    """h100-sxm's card price is as of 2025-03 and its on-demand rate too."""
    fresh = _train(cat, dt.date(2026, 8, 1), params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=8)
    old = _train(cat, dt.date(2026, 10, 1), params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=8)
    assert "stale_price" not in _codes(fresh)
    stale = [v for c, _, v in old.warnings if c == "stale_price"]
    assert {v["what"] for v in stale} == {"purchase", "on-demand"}


# --- Card vs server-inclusive purchase prices -----------------------------------------------------


def test_capex_multiple_never_applies_to_a_server_inclusive_price(cat: Catalog) -> None:
    b200, h100 = cat.accelerators["b200"], cat.accelerators["h100-sxm"]
    assert b200.purchase_usd is None and b200.server_usd_per_gpu is not None
    for gpu, multiple in (("b200", cat.defaults.network_capex_multiple), ("h100-sxm", None)):
        request = api.make_training_request(params=1e9, tokens=2e10, gpu=gpu, n_gpus=8, samples=0)
        r = api.estimate_training(request)
        assert r.hardware_cost_usd is not None and r.cluster_capex_usd is not None
        ratio = r.cluster_capex_usd.p50 / r.hardware_cost_usd.p50
        expected = (multiple or cat.defaults.cluster_capex_multiple).central
        assert ratio == pytest.approx(expected)
        assert r.purchase_includes_server is (gpu == "b200")
    assert h100.purchase_usd is not None and r.hardware_cost_usd.p50 == pytest.approx(
        8 * h100.purchase_usd.central
    )
    served = api.estimate_serving(api.make_serve_request(model="llama-3-8b", gpu="b200", samples=0))
    owned_multiple = next(i for i in served.inputs if i.name == "server_capex_multiple")
    assert (owned_multiple.point, owned_multiple.low, owned_multiple.high) == (1.0, 1.0, 1.0)
    assert served.purchase_includes_server is True


def test_card_and_server_prices_are_apart(cat: Catalog) -> None:
    """H800 used to mix a card price and a DGX per-GPU price in one range."""
    h800 = cat.accelerators["h800"]
    assert h800.purchase_usd is not None and h800.purchase_usd.bounds == (33_800, 33_800)
    assert h800.server_usd_per_gpu is not None and h800.server_usd_per_gpu.central == 44_750


def test_gpt4_hardware_claim_of_500m_is_not_too_high(cli: CliRun) -> None:
    """25k A100 at card-only to server-inclusive prices: the student's $500M is inside."""
    code, out, err = cli(["check", "s000-gpt4-hardware-cost", "--samples", "500"])
    assert code == 0, err
    assert "consistent" in out and "too high" not in out


# --- Grid aliases and unknown ids ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "region"),
    [("us", "usa"), ("US", "usa"), ("United States", "usa"), ("gb", "uk"), ("uk", "uk"), ("DE", "germany")],
)
def test_grid_aliases(given: str, region: str) -> None:
    request = api.make_training_request(
        params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=8, grid=given, samples=0
    )
    assert api.estimate_training(request).grid_region == region
    served = api.estimate_serving(api.make_serve_request(model="llama-3-8b", grid=given, samples=0))
    assert served.grid_region == region


def test_catalog_list_grid_shows_aliases(cli: CliRun) -> None:
    code, out, _ = cli(["catalog", "list", "grid"])
    assert code == 0 and "us, united states" in out
    code, out, _ = cli(["catalog", "show", "gb"])
    assert code == 0 and '"id": "uk"' in out


def test_no_eu_alias_without_a_sourced_eu_row(cat: Catalog) -> None:
    """defaults.md has no EU average, so `eu` is not an alias (it would name a country's row)."""
    with pytest.raises(UnknownIdError):
        api.estimate_training(
            api.make_training_request(params=1e9, tokens=2e10, gpu="h100-sxm", n_gpus=8, grid="eu", samples=0)
        )


UNKNOWN_IDS = [
    (
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "h10", "--n-gpus", "8"],
        "unknown accelerator 'h10'; did you mean h100",
    ),
    (["train", "llama-3-7b"], "unknown model 'llama-3-7b'; did you mean"),
    (
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "H100", "--n-gpus", "512", "--grid", "frnce"],
        "unknown grid region 'frnce'; did you mean france",
    ),
    (["serve", "llama-3-8b", "--grid", "frnce"], "unknown grid region 'frnce'; did you mean france"),
    (["serve", "llama-3-8b", "--gpu", "a10"], "unknown accelerator 'a10'; did you mean"),
    (["serve", "lama-3-8b"], "unknown model 'lama-3-8b'; did you mean llama-3-8b"),
    (
        ["catalog", "show", "llama-2-7b-crd"],
        "unknown catalog entry 'llama-2-7b-crd'; did you mean llama-2-7b-card",
    ),
    (
        ["catalog", "show", "epoch-hardware-price"],
        "unknown catalog entry 'epoch-hardware-price'; did you mean epoch-hardware-prices",
    ),
    (
        ["check", "s000-gpt4-hardware-cst"],
        "unknown claim 's000-gpt4-hardware-cst'; did you mean s000-gpt4-hardware-cost",
    ),
]


@pytest.mark.parametrize(("argv", "message"), UNKNOWN_IDS)
def test_every_unknown_id_is_one_line_with_a_hint(cli: CliRun, argv: list[str], message: str) -> None:
    code, out, err = cli([*argv, "--samples", "0"] if argv[0] in ("train", "serve") else argv)
    lines = err.strip().splitlines()
    assert code == 2 and out == "" and len(lines) == 1, err
    assert message in lines[0] and "internal error" not in lines[0]


def test_unknown_ids_through_the_api() -> None:
    cases: list[tuple[Any, str]] = [
        (lambda: api.estimate_training(api.make_training_request(model="gpt-5")), "unknown model 'gpt-5'"),
        (
            lambda: api.estimate_training(
                api.make_training_request(params=7e9, tokens=2e12, gpu="H100", n_gpus=512, grid="frnce")
            ),
            "unknown grid region 'frnce'; did you mean france",
        ),
        (
            lambda: api.estimate_serving(api.make_serve_request(model="llama-3-8b", gpu="h10")),
            "did you mean h100",
        ),
        (lambda: api.estimate_serving(api.make_serve_request(model="llama-3-8b", grid="US ")), ""),
        (lambda: api.catalog_entry("nope-run"), "unknown catalog entry 'nope-run'"),
        (lambda: api.check_claims(["s001-nope"], samples=0), "unknown claim 's001-nope'"),
    ]
    for call, message in cases:
        if not message:
            assert call().grid_region == "usa"  # surrounding spaces and case do not matter
            continue
        with pytest.raises(UnknownIdError) as exc:
            call()
        assert message in str(exc.value) and "\n" not in str(exc.value)
