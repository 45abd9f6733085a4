"""Golden values from papers and properties of the pure formulas."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlm.formulas import carbon, energy, flops, memory, money

positive = st.floats(min_value=1e-3, max_value=1e12, allow_nan=False, allow_infinity=False)


def test_gpt3_6nd() -> None:
    # Brown et al. 2020: 175B params, 300B tokens -> 3.15e23 FLOP (paper states 3.14e23).
    assert flops.training_flop(n_active_params=175e9, n_tokens=300e9) == pytest.approx(3.15e23, rel=1e-3)


def test_deepseek_v3_6nd() -> None:
    # 37B active x 14.8T tokens (DeepSeek-V3 report) -> 3.29e24.
    assert flops.training_flop(n_active_params=37e9, n_tokens=14.8e12) == pytest.approx(3.29e24, rel=2e-3)


@pytest.mark.parametrize(
    ("params", "gpu_hours", "mfu_by_hand"),
    [(7e9, 184_320, 0.40574), (70e9, 1_720_320, 0.43472)],  # 6ND / (h x 3600 x 312e12), to 5 digits
)
def test_llama2_implied_mfu_from_published_hours(params: float, gpu_hours: float, mfu_by_hand: float) -> None:
    # Llama 2 model card, Carbon Footprint table: A100-80GB hours for 2.0T tokens; A100 dense BF16
    # peak 312 TFLOP/s (NVIDIA A100 datasheet). Nominal parameter counts (7B, 70B) as in the card.
    flop = flops.training_flop(n_active_params=params, n_tokens=2e12)
    mfu = flops.implied_mfu(train_flop=flop, gpu_hours=gpu_hours, peak_flop_per_s=312e12)
    assert mfu == pytest.approx(mfu_by_hand, abs=5e-6)


@given(hours=positive, mfu=st.floats(min_value=0.01, max_value=1.0), peak=positive)
def test_implied_mfu_inverts_gpu_seconds(hours: float, mfu: float, peak: float) -> None:
    """An identity, not a golden: the MFU implied by the hours a given MFU needs is that MFU."""
    flop = hours * 3600 * peak * mfu
    seconds = flops.gpu_seconds(train_flop=flop, peak_flop_per_s=peak, mfu=mfu)
    assert flops.allocated_gpu_hours(gpu_seconds=seconds, goodput=1.0) == pytest.approx(hours, rel=1e-12)
    assert flops.implied_mfu(train_flop=flop, gpu_hours=hours, peak_flop_per_s=peak) == pytest.approx(
        mfu, rel=1e-12
    )


@given(hours=positive, n=st.integers(min_value=1, max_value=100_000))
def test_doubling_gpus_halves_days(hours: float, n: int) -> None:
    d1 = flops.wall_clock_days(gpu_hours=hours, n_gpus=n)
    d2 = flops.wall_clock_days(gpu_hours=hours, n_gpus=2 * n)
    assert d2 == pytest.approx(d1 / 2, rel=1e-12)


@given(hours=positive, days=st.floats(min_value=0.01, max_value=1000))
def test_gpus_for_days_finishes_in_time(hours: float, days: float) -> None:
    n = float(flops.gpus_for_days(gpu_hours=hours, days=days))
    assert flops.wall_clock_days(gpu_hours=hours, n_gpus=n) <= days * (1 + 1e-12)
    assert n >= 1


def test_array_equals_elementwise_scalar() -> None:
    params = np.array([1e9, 7e9, 70e9])
    tokens = np.array([1e11, 2e12, 15e12])
    vec = flops.training_flop(n_active_params=params, n_tokens=tokens)
    for i in range(3):
        assert vec[i] == flops.training_flop(n_active_params=float(params[i]), n_tokens=float(tokens[i]))


def test_energy_and_co2_chain() -> None:
    # 1,000 H100 at 700 W x 0.75 x 1.4 x 1.1 for 24 h.
    watts = energy.facility_watts_per_gpu(tdp_watts=700, power_fraction=0.75, server_overhead=1.4, pue=1.1)
    assert watts == pytest.approx(808.5)
    mwh = energy.energy_mwh(watts_per_gpu=watts, gpu_hours=24_000)
    assert mwh == pytest.approx(19.404)
    assert energy.cluster_power_mw(watts_per_gpu=watts, n_gpus=1000) == pytest.approx(0.8085)
    assert carbon.co2_tonnes(energy_mwh=mwh, gco2e_per_kwh=369.5) == pytest.approx(7.1698, rel=1e-4)


def test_money() -> None:
    assert money.hardware_cost_usd(unit_price_usd=30_000, n_gpus=2048) == 61_440_000
    assert money.rental_cost_usd(gpu_hours=2_788_000, usd_per_gpu_hour=2.0) == 5_576_000  # DeepSeek-V3
    capex = money.cluster_capex_usd(hardware_cost_usd=1e6, capex_multiple=2.0)
    # 8,766 h at one GPU out of one over a 1-year life: the whole capex.
    assert (
        money.amortized_hardware_usd(cluster_capex_usd=capex, n_gpus=1, gpu_hours=8766, lifetime_years=1)
        == 2e6
    )
    assert money.electricity_usd(energy_mwh=10, usd_per_kwh=0.08) == pytest.approx(800)


def test_weights_and_replica_gpus() -> None:
    # 70B in bf16 = 140 GB: two 80 GB GPUs without overhead, one in fp8 (issue 3 exact check).
    w16 = memory.weights_bytes(n_params=70e9, bytes_per_param=2)
    w8 = memory.weights_bytes(n_params=70e9, bytes_per_param=1)
    assert memory.gpus_for_memory(needed_bytes=w16, memory_bytes_per_gpu=80e9, overhead=1.0) == 2
    assert memory.gpus_for_memory(needed_bytes=w8, memory_bytes_per_gpu=80e9, overhead=1.0) == 1
    assert (
        memory.gpus_for_memory(needed_bytes=w16, memory_bytes_per_gpu=80e9, overhead=1.2) == 4
    )  # power of two
    assert memory.chinchilla_params(train_flop=5.76e23) == pytest.approx(69.3e9, rel=0.01)  # Chinchilla 70B
