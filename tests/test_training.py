"""The training estimator end to end on the bundled catalog: golden values and properties."""

from __future__ import annotations

import pytest

from costlm import api
from costlm.catalog.schema import Catalog
from costlm.errors import InputError, UnknownIdError
from costlm.formulas.flops import implied_mfu, training_flop
from costlm.resolve.rules import peak_flop_per_s


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


def test_llama2_70b_reproduces_card_hours_at_implied_mfu(cat: Catalog) -> None:
    run = cat.runs[cat.models["llama-2-70b"].training.reported_run]  # type: ignore[union-attr, index]
    assert run.gpu_hours is not None
    acc = cat.accelerators["a100-80gb"]
    flop = float(training_flop(n_active_params=70e9, n_tokens=2e12))
    mfu = float(
        implied_mfu(
            train_flop=flop, gpu_hours=run.gpu_hours.central, peak_flop_per_s=peak_flop_per_s(acc, "bf16")
        )
    )
    r = est(params=70e9, tokens=2e12, gpu="a100-80gb", n_gpus=2048, mfu=(mfu, mfu), goodput=(1, 1), samples=0)
    assert r.gpu_hours.p50 == pytest.approx(1_720_320, rel=0.01)


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
    one = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=512, samples=2000)
    two = est(params=7e9, tokens=2e12, gpu="h100", n_gpus=1024, samples=2000)
    assert two.gpu_hours == one.gpu_hours
    assert two.wall_clock_days.p50 == pytest.approx(one.wall_clock_days.p50 / 2, rel=1e-9)


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
