"""The training estimator end to end on the bundled catalog: golden values and properties."""

from __future__ import annotations

import math

import pytest

from costlm import api
from costlm.catalog.schema import Catalog
from costlm.errors import InputError, UnknownIdError
from costlm.formulas import carbon, energy


def est(**fields: object) -> api.TrainingResult:
    return api.estimate_training(api.make_training_request(**fields))


def test_deepseek_v3_from_catalog_shows_reported(cat: Catalog) -> None:
    r = est(model="deepseek-v3", samples=2000)
    assert r.accelerator == "h800" and r.dtype == "fp8"
    assert r.train_flop.p50 == pytest.approx(3.29e24, rel=2e-3)
    reported = {f.quantity: f for f in r.reported}
    assert reported["gpu_hours"].value == 2_788_000
    assert reported["cost_usd"].value == 5_576_000
    assert r.gpu_hours.p05 <= r.gpu_hours.p50 <= r.gpu_hours.p95


# Llama 2 (Touvron et al. 2023, "Llama 2: Open Foundation and Fine-Tuned Chat Models", Table 2
# "CO2 emissions during pretraining", reprinted in the model card's Carbon Footprint table,
# meta-llama/llama MODEL_CARD.md): pretraining on A100-80GB, 2.0T tokens for every size.
# (params, GPU-hours, power per GPU in W, tCO2eq) as printed; the catalog holds the 7B and 70B rows.
LLAMA2_TABLE2 = {
    "7b": (7e9, 184_320, 400, 31.22),
    "13b": (13e9, 368_640, 400, 62.44),
    "34b": (34e9, 1_038_336, 350, 153.90),  # unreleased; in the total, from the production cluster
    "70b": (70e9, 1_720_320, 400, 291.42),
}
LLAMA2_TOTAL_GPU_HOURS = 3_311_616
LLAMA2_TOTAL_CO2_T = 539.00
LLAMA2_TOKENS = 2e12


@pytest.mark.parametrize("size", ["7b", "70b"])
def test_llama2_catalog_runs_hold_the_published_figures(cat: Catalog, size: str) -> None:
    """The catalog transcribes the model card exactly (runs.toml, llama-2-7b-card / llama-2-70b-card,
    locator 'Carbon Footprint table, 7B|70B row')."""
    params, hours, _, co2 = LLAMA2_TABLE2[size]
    run = cat.runs[f"llama-2-{size}-card"]
    assert run.hardware == "a100-80gb" and run.dtype == "bf16"
    assert run.gpu_hours is not None and run.gpu_hours.value == hours
    assert run.gpu_hours.locator == f"Carbon Footprint table, {size.upper()} row"
    assert run.co2_t is not None and run.co2_t.value == co2
    assert run.n_params is not None and run.n_params.value == params
    assert run.n_tokens is not None and run.n_tokens.value == LLAMA2_TOKENS


@pytest.mark.parametrize("size", ["7b", "13b", "70b"])
def test_llama2_published_gpu_hours_fall_in_the_calibrated_90_percent_interval(size: str) -> None:
    """costlm's GPU-hours from params x tokens on A100-80GB with the fitted MFU model (no MFU given,
    no prior tuned) cover each published figure in their 90% interval.

    Tolerance: the interval itself (MFU 0.16-0.60, p05-p95 spans ~3.7x), and the median 1.0-1.5x the
    published hours (observed: 7B +30%, 13B +30%, 70B +39%): the A100 runs sit above the pooled centre
    MFU 0.31, but a per-generation centre predicts worse leave-one-model-out (calibrate_mfu.py). The fit
    includes the 7B and 70B runs, so for them this is a consistency check; the 13B row is not in it.
    GPU-hours do not depend on the GPU count (a property test), which Meta did not publish.
    """
    params, hours, _, _ = LLAMA2_TABLE2[size]
    r = est(params=params, tokens=LLAMA2_TOKENS, gpu="a100-80gb", n_gpus=2048, samples=10_000, seed=0)
    assert r.dtype == "bf16"
    assert r.gpu_hours.p05 <= hours <= r.gpu_hours.p95
    assert 1.0 <= r.gpu_hours.p50 / hours <= 1.5


def test_llama2_co2_is_gpu_hours_x_power_x_one_intensity() -> None:
    """The published tCO2 is GPU-hours x the printed power (400 W, 350 W for the 34B) x one carbon
    intensity, with no PUE or server overhead on top: each row implies the same 423.5 gCO2e/kWh.

    That intensity is LLaMA-1's accounting (Touvron et al. 2023a, Sec. 6; catalog run
    llama-65b-touvron: GPU-hours x 400 W x PUE 1.1 x 0.385 kg/kWh) with the PUE folded in, as the
    card's caption says ("peak power capacity per GPU device ... adjusted for power usage
    efficiency"). costlm's facility-power, energy and carbon formulas with PUE 1.1 and 385 g/kWh
    reproduce every row and the 539.00 t total. Tolerances: the card prints two decimals, so 0.01 t
    per row (13B and 34B land 0.008 t and 0.007 t off) and 0.005 t on the total; the per-row
    intensity varies by 1.2e-4 from that rounding.
    """
    for size, (_, hours, watts, co2) in LLAMA2_TABLE2.items():
        gpu_only_mwh = float(energy.energy_mwh(watts_per_gpu=watts, gpu_hours=hours))
        assert co2 * 1e6 / (gpu_only_mwh * 1e3) == pytest.approx(385.0 * 1.1, rel=2e-4), size
    total = 0.0
    for size, (_, hours, watts, co2) in LLAMA2_TABLE2.items():
        facility_w = energy.facility_watts_per_gpu(
            tdp_watts=watts, power_fraction=1.0, server_overhead=1.0, pue=1.1
        )
        mwh = energy.energy_mwh(watts_per_gpu=facility_w, gpu_hours=hours)
        tonnes = float(carbon.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=385.0))
        assert tonnes == pytest.approx(co2, abs=0.01), size
        total += tonnes
    assert sum(row[1] for row in LLAMA2_TABLE2.values()) == LLAMA2_TOTAL_GPU_HOURS
    assert total == pytest.approx(LLAMA2_TOTAL_CO2_T, abs=0.005)
    # the 7B row by hand: 184,320 GPU-h x 400 W = 73.728 MWh at the GPUs
    assert float(energy.energy_mwh(watts_per_gpu=400, gpu_hours=184_320)) == pytest.approx(73.728, rel=1e-12)


def test_all_fixed_monte_carlo_equals_point_estimate() -> None:
    fixed = dict(
        params=7e9,
        tokens=2e12,
        gpu="a100-80gb",
        n_gpus=1024,
        mfu=(0.4, 0.4),
        goodput=(0.9, 0.9),
        usd_per_gpu_hour=(2, 2),
        gpu_price_usd=(15000, 15000),
        pue=(1.1, 1.1),
    )
    point = est(**fixed, samples=0)
    # Remaining catalog defaults are ranges; compare the outputs that depend on fixed inputs only.
    mc = est(**fixed, samples=500)
    for name in ("train_flop", "gpu_hours", "wall_clock_days", "rental_cost_usd", "hardware_cost_usd"):
        p, m = getattr(point, name), getattr(mc, name)
        assert (m.p05, m.p50, m.p95) == (p.p50, p.p50, p.p50)
        assert m.mean == pytest.approx(p.p50, rel=1e-12)


def test_same_seed_same_output() -> None:
    a = est(model="llama-3-70b", samples=3000, seed=11)
    b = est(model="llama-3-70b", samples=3000, seed=11)
    c = est(model="llama-3-70b", samples=3000, seed=12)
    assert a.model_dump() == b.model_dump()
    assert a.gpu_hours != c.gpu_hours


def test_doubling_gpus_halves_days_keeps_gpu_hours() -> None:
    """At a fixed MFU; the fitted prior's own GPU-count term is checked below."""
    one = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=512, samples=2000, mfu=(0.3, 0.4))
    two = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=1024, samples=2000, mfu=(0.3, 0.4))
    assert two.gpu_hours == one.gpu_hours
    assert two.wall_clock_days.p50 == pytest.approx(one.wall_clock_days.p50 / 2, rel=1e-9)


def test_doubling_gpus_costs_the_fitted_mfu_factor_in_gpu_hours() -> None:
    """priors.toml [mfu_model]: MFU x0.8904 per 10x GPUs, so 2x GPUs is 0.8904^-log10(2) more GPU-hours."""
    one = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=512, samples=2000)
    two = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=1024, samples=2000)
    assert two.gpu_hours.p50 / one.gpu_hours.p50 == pytest.approx(0.8904 ** -math.log10(2), rel=1e-6)


def test_days_solves_for_gpu_count() -> None:
    r = est(params=7e9, tokens=2e12, gpu="h100", days=(10, 10), samples=0)
    assert r.wall_clock_days.p50 <= 10
    n = r.breakdown.n_gpus.p50
    assert r.gpu_hours.p50 / (n - 1) / 24 > 10  # one GPU fewer would miss the deadline


def test_s1_finetune_uses_examples_tokens_epochs() -> None:
    r = est(model="s1-32b", samples=2000)
    assert r.kind == "finetune" and r.breakdown.n_tokens is not None
    reported = {f.quantity: f.value for f in r.reported}
    assert r.gpu_hours.p05 <= reported["gpu_hours"] <= r.gpu_hours.p95


def test_sensitivity_names_mfu_for_gpu_hours() -> None:
    r = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=512, samples=4000)
    assert r.sensitivity["gpu_hours"][0].input == "mfu"


def test_outputs_are_ordered_and_positive() -> None:
    r = est(model="gpt-3-175b", samples=4000)
    for name in (
        "train_flop",
        "gpu_hours",
        "wall_clock_days",
        "rental_cost_usd",
        "energy_mwh",
        "co2_t",
        "avg_power_mw",
    ):
        s = getattr(r, name)
        assert 0 < s.p05 <= s.p50 <= s.p95, name


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (dict(model="gpt-5"), UnknownIdError, "unknown model 'gpt-5'; did you mean"),
        (
            dict(params=7e9, tokens=2e12, gpu="h10", n_gpus=8),
            UnknownIdError,
            "unknown accelerator 'h10'; did you mean h100",
        ),
        (dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, mfu=(0.3, 1.5)), InputError, "fraction in"),
        (
            dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, mfu=(0.5, 0.3)),
            InputError,
            "need 0 < low <= high",
        ),
        (dict(params=-7e9, tokens=2e12, gpu="h100", n_gpus=8), InputError, "must be greater than 0"),
        (dict(params=float("nan"), tokens=2e12, gpu="h100", n_gpus=8), InputError, "not a finite number"),
        (dict(params=1e40, tokens=2e12, gpu="h100", n_gpus=8), InputError, "absurdly large"),
        (dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=0), InputError, "at least 1"),
        (dict(params=7e9, tokens=2e12, gpu="h100"), InputError, "give --n-gpus"),
        (dict(params=7e9, tokens=2e12, gpu="a100", n_gpus=8, dtype="fp8"), InputError, "no dense fp8 peak"),
        (
            dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, grid="mars"),
            UnknownIdError,
            "unknown grid region 'mars'",
        ),
        (
            dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, pue=(0.9, 1.2)),
            InputError,
            "pue: must be >= 1",
        ),
        (dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, dtype="fp4"), InputError, "dtype"),
        (dict(params=7e9, tokens=2e12, gpu="h100", n_gpus=8, samples=10**8), InputError, "samples"),
    ],
)
def test_bad_input_raises_typed_error(
    fields: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        est(**fields)
