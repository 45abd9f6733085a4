"""Property tests: any input gives a typed error or a sane result, never a crash."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costlm import api
from costlm.errors import CostlmError
from costlm.units import parse_number

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-3, max_value=1e16),
    st.integers(min_value=-10, max_value=10**14).map(float),
)


@given(st.text(max_size=20))
def test_parse_number_never_crashes(text: str) -> None:
    try:
        value = parse_number(text)
    except CostlmError:
        return
    assert math.isfinite(value) and value > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(params=numbers, tokens=numbers, n_gpus=st.integers(min_value=-5, max_value=200_000), mfu=numbers)
def test_training_request_typed_error_or_ordered_result(
    params: float, tokens: float, n_gpus: int, mfu: float
) -> None:
    try:
        request = api.make_training_request(
            params=params, tokens=tokens, gpu="h100", n_gpus=n_gpus, mfu=(mfu, mfu), samples=200
        )
        result = api.estimate_training(request)
    except CostlmError:
        return
    for name in ("train_flop", "gpu_hours", "wall_clock_days", "rental_cost_usd", "energy_mwh"):
        s = getattr(result, name)
        assert math.isfinite(s.p95) and 0 < s.p05 <= s.p50 <= s.p95


@pytest.mark.parametrize("gpu", ["tpu-v4", "v100", "mi300x", "gaudi3", "rtx-4090", "tpu-v6e"])
def test_every_kind_of_accelerator_estimates(gpu: str) -> None:
    r = api.estimate_training(
        api.make_training_request(params=7e9, tokens=1e12, gpu=gpu, n_gpus=256, samples=500)
    )
    assert r.gpu_hours.p50 > 0
    if r.energy_mwh is None:  # TPU v6e has no published TDP: energy omitted with a warning, not guessed
        assert any(w.code == "missing_input" for w in r.warnings)


def test_overlay_price_changes_the_estimate(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "price.toml"
    path.write_text(
        '[[source]]\nid = "my-quote"\ntitle = "Quote"\npublisher = "Me"\nkind = "docs"\ndate = "2026"\n'
        'url = "https://example.org/q"\n\n'
        "[[accelerator]]\n"
        'id = "h100-sxm"\nname = "H100 (my price)"\nvendor = "NVIDIA"\nyear = 2022\ngeneration = "hopper"\n'
        'kind = "gpu"\naliases = ["H100"]\n'
        'memory_gb = { value = 80, source = "my-quote", locator = "p1" }\n'
        'hbm_tb_per_s = { value = 3.35, source = "my-quote", locator = "p1" }\n'
        'peak_bf16_dense_tflop_per_s = { value = 989.4, source = "my-quote", locator = "p1" }\n'
        'tdp_watts = { value = 700, source = "my-quote", locator = "p1" }\n'
        'purchase_usd = { value = 10000, source = "my-quote", locator = "p1", as_of = "2026-10" }\n'
        'rental_usd_per_hour = { value = 1.0, source = "my-quote", locator = "p1", as_of = "2026-10" }\n'
    )
    request = api.make_training_request(params=7e9, tokens=1e12, gpu="h100", n_gpus=100, samples=0)
    mine = api.estimate_training(request, catalog_files=[path])
    assert mine.hardware_cost_usd is not None and mine.hardware_cost_usd.p50 == 1_000_000
    assert mine.rental_cost_usd is not None and mine.rental_cost_usd.p50 == pytest.approx(mine.gpu_hours.p50)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    prompt=numbers,
    output=numbers,
    batch=st.integers(min_value=-2, max_value=5000),
    n_gpus=st.integers(min_value=-1, max_value=128),
)
def test_serve_request_typed_error_or_sane_result(
    prompt: float, output: float, batch: int, n_gpus: int
) -> None:
    try:
        request = api.make_serve_request(
            model="llama-3-8b",
            prompt_tokens=prompt,
            output_tokens=output,
            batch=batch,
            n_gpus=n_gpus,
            samples=100,
        )
        result = api.estimate_serving(request)
    except CostlmError:
        return
    assert 1 <= result.batch <= result.max_batch.p50
    for name in ("ttft_s", "tpot_s", "output_tokens_per_s", "j_per_output_token"):
        s = getattr(result, name)
        assert math.isfinite(s.p95) and 0 < s.p05 <= s.p50 <= s.p95
