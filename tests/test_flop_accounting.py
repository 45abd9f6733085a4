"""FLOP accounting a practitioner can feed: achieved throughput, recomputation, attention FLOP,
reported GPU-hours and the goodput rule, against published runs."""

from __future__ import annotations

import pytest

from conftest import CliRun
from costlm import api
from costlm.formulas import flops
from costlm.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, TERA


def est(**fields: object) -> api.TrainingResult:
    return api.estimate_training(api.make_training_request(samples=0, **fields))


# Narayanan et al. 2021, "Efficient Large-Scale Language Model Training on GPU Clusters Using
# Megatron-LM", sec. 5.1: with full activation recomputation (eq. 4, time ~ 8 T P / (n X)),
# GPT-3 175B on 300B tokens with 1024 A100 at 140 TFLOP/s per GPU takes "about 34 days", and the
# 1T-parameter model on 450B tokens with 3072 A100 at 163 TFLOP/s per GPU "about 84 days".
@pytest.mark.parametrize(
    ("params", "tokens", "n_gpus", "tflops", "published_days"),
    [(175e9, 300e9, 1024, 140, 34), (1e12, 450e9, 3072, 163, 84)],
)
def test_megatron_paper_days_reproduce_with_full_recompute(
    params: float, tokens: float, n_gpus: int, tflops: float, published_days: float
) -> None:
    r = est(
        params=params,
        tokens=tokens,
        gpu="a100-80gb",
        n_gpus=n_gpus,
        achieved_tflops_per_gpu=tflops,
        recompute="full",
    )
    exact_days = 8 * params * tokens / (n_gpus * tflops * TERA) / SECONDS_PER_DAY
    assert r.wall_clock_days.p50 == pytest.approx(exact_days, rel=1e-12)  # the paper's arithmetic
    assert r.wall_clock_days.p50 == pytest.approx(published_days, rel=0.02)  # its printed days
    assert r.breakdown.goodput is not None and r.breakdown.goodput.p50 == 1.0
    assert r.breakdown.hfu is not None and r.breakdown.mfu is not None
    assert r.breakdown.hfu.p50 == pytest.approx(tflops * TERA / 312e12, rel=1e-9)
    assert r.breakdown.hfu.p50 / r.breakdown.mfu.p50 == pytest.approx(8 / 6, rel=1e-9)
    assert any(w.code == "goodput_one" for w in r.warnings)


def test_without_recompute_the_same_throughput_is_a_quarter_faster() -> None:
    fields = dict(params=175e9, tokens=300e9, gpu="a100-80gb", n_gpus=1024, achieved_tflops_per_gpu=140)
    full = est(recompute="full", **fields).gpu_hours.p50
    none = est(**fields).gpu_hours.p50
    selective = est(recompute="selective", **fields).gpu_hours.p50
    assert none / full == pytest.approx(6 / 8, rel=1e-12)
    assert selective == none  # no attention term without --seq-len: selective re-runs nothing


def test_recompute_with_mfu_changes_hfu_not_hours() -> None:
    fields = dict(params=7e9, tokens=2e12, gpu="a100-80gb", n_gpus=512, mfu=0.4)
    a, b = est(**fields), est(recompute="full", **fields)
    assert a.gpu_hours.p50 == b.gpu_hours.p50
    assert b.breakdown.hfu is not None and b.breakdown.hfu.p50 == pytest.approx(0.4 * 8 / 6, rel=1e-9)


def test_attention_is_a_fifth_of_a_32b_model_at_10k_tokens() -> None:
    """The issue's case: Qwen2.5-32B (64 layers x 40 heads x 128) at 10k tokens, 12 L H Q T
    over 6 N per token: 3.93e10 / 1.97e11 = +20%."""
    r = est(model="qwen2.5-32b", gpu="h100", n_gpus=256, tokens=1e12, seq_len="10k")
    bd = r.breakdown
    assert bd.attention_flop is not None and r.train_flop is not None
    dense = r.train_flop.p50 - bd.attention_flop.p50
    assert bd.attention_flop.p50 / dense == pytest.approx(0.20, abs=0.01)
    assert not any(w.code == "attention_estimated" for w in r.warnings)


def test_attention_shape_estimated_for_a_custom_model_says_so() -> None:
    r = est(params=32e9, tokens=1e12, gpu="h100", n_gpus=256, seq_len=10_000)
    assert r.breakdown.attention_flop is not None and r.train_flop is not None
    share = r.breakdown.attention_flop.p50 / (r.train_flop.p50 - r.breakdown.attention_flop.p50)
    assert 0.15 < share < 0.35
    assert any(w.code == "attention_estimated" for w in r.warnings)


def test_palm_attention_term_matches_the_paper_mfu_ratio() -> None:
    """PaLM 540B (118 layers, 48 heads x 256, seq 2048): Table 3 gives 46.2% MFU with the
    attention term and 45.7% without; our term adds the same ~1.1%."""
    per_token = flops.attention_flop_per_token(n_layers=118, d_attention=48 * 256, seq_len_tokens=2048)
    assert 1 + float(per_token) / (6 * 540e9) == pytest.approx(46.2 / 45.7, abs=0.002)


def test_reported_gpu_hours_start_cost_energy_and_days() -> None:
    """DeepSeek-V3 (technical report Table 1): 2.788M H800 GPU-hours on 2,048 GPUs."""
    r = est(model="deepseek-v3", gpu_hours="2.788M")
    assert r.gpu_hours.p50 == 2.788e6
    assert r.wall_clock_days.p50 == pytest.approx(2.788e6 / 2048 / 24, rel=1e-12)  # 56.7 days
    assert r.breakdown.goodput is None  # reported hours already include downtime
    assert r.breakdown.mfu is not None and r.train_flop is not None
    peak = r.breakdown.peak_flop_per_s.p50
    assert r.breakdown.mfu.p50 == pytest.approx(
        r.train_flop.p50 / (2.788e6 * SECONDS_PER_HOUR * peak), rel=1e-9
    )
    assert not any(rec.name == "mfu" for rec in r.inputs)


def test_gpu_hours_alone_need_no_model_or_compute() -> None:
    r = est(gpu_hours=1e6, gpu="h100", n_gpus=1000)
    assert r.train_flop is None and r.breakdown.mfu is None
    assert r.wall_clock_days.p50 == pytest.approx(1e6 / 1000 / 24)
    assert r.energy_mwh is not None and r.rental_cost_usd is not None


def test_goodput_defaults_to_one_and_a_given_goodput_divides_hours() -> None:
    fields = dict(params=7e9, tokens=2e12, gpu="a100-80gb", n_gpus=512, mfu=0.4)
    one = est(**fields)
    assert one.breakdown.goodput is not None and one.breakdown.goodput.p50 == 1.0
    seconds = 6 * 7e9 * 2e12 / (312e12 * 0.4)
    assert one.gpu_hours.p50 == pytest.approx(seconds / SECONDS_PER_HOUR, rel=1e-12)  # paper arithmetic
    ninety = est(goodput=0.9, **fields)
    assert ninety.gpu_hours.p50 == pytest.approx(one.gpu_hours.p50 / 0.9, rel=1e-12)
    assert not any(w.code == "goodput_one" for w in ninety.warnings)
    prior = est(params=7e9, tokens=2e12, gpu="a100-80gb", n_gpus=512)
    assert prior.breakdown.goodput is not None and prior.breakdown.goodput.p50 == 1.0
    assert not any(w.code == "goodput_one" for w in prior.warnings)  # the prior folds downtime in


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--mfu", "0.4", "--achieved-tflops-per-gpu", "150"], "give one of --gpu-hours"),
        (["--gpu-hours", "1M", "--mfu", "0.4"], "not gpu_hours and mfu"),
        (["--gpu-hours", "1M", "--goodput", "0.9"], "--goodput does not apply to --gpu-hours"),
        (["--recompute", "sometimes"], "--recompute"),
        (["--seq-len", "0"], "--seq-len"),
        (["--achieved-tflops-per-gpu", "-3"], "--achieved-tflops-per-gpu"),
    ],
)
def test_bad_flop_accounting_input_is_one_line_exit_2(cli: CliRun, argv: list[str], needle: str) -> None:
    code, out, err = cli(
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "a100", "--n-gpus", "8", *argv]
    )
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err, err


def test_cli_shows_hfu_goodput_and_the_implied_mfu(cli: CliRun) -> None:
    run = ["train", "--params", "175B", "--tokens", "300B", "--gpu", "a100-80gb", "--n-gpus", "1024"]
    code, out, _ = cli([*run, "--achieved-tflops-per-gpu", "140", "--recompute", "full", "--samples", "0"])
    assert code == 0
    assert "HFU 0.45 (recompute full)" in out and "goodput 1.00" in out and "MFU 0.34" in out
    code, out, _ = cli(["train", "deepseek-v3", "--gpu-hours", "2.788M", "--samples", "0"])
    assert code == 0 and "MFU implied by the GPU-hours" in out and "56.7" in out


def test_retyping_the_reported_hours_keeps_the_reported_figures() -> None:
    """--gpu-hours 2.788M is DeepSeek-V3's own figure: its reported hours, cost and days still
    apply; other hours are another run, and the figures they change are flagged."""
    same = est(model="deepseek-v3", gpu_hours="2.788M")
    assert same.changed_from_reported == [] and all(f.applies for f in same.reported)
    other = est(model="deepseek-v3", gpu_hours="2M")
    assert other.changed_from_reported == ["hours"]
    stale = {f.quantity for f in other.reported if not f.applies}
    assert {"gpu_hours", "wall_clock_days", "cost_usd"} <= stale
    assert "train_flop" not in stale and "n_gpus" not in stale
