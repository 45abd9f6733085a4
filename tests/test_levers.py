"""Cost levers: each effect against hand-computed values, paired savings, and every refusal."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog.schema import Catalog
from costlm.errors import InputError, UnknownIdError
from costlm.resolve.serving import kv_bytes_per_token

SAMPLES = 2000
BASE = {"params": 7e9, "tokens": 2e12, "gpu": "h100", "n_gpus": 512, "samples": SAMPLES}


def _train(**fields: object) -> api.TrainingResult:
    return api.estimate_training(api.make_training_request(**{**BASE, **fields}))  # type: ignore[arg-type]


def _saving(result: api.TrainingResult, output: str) -> api.LeverSaving:
    return next(s for s in result.lever_savings if s.output == output)


def test_no_lever_no_savings() -> None:
    result = _train()
    assert result.levers == [] and result.lever_savings == []


@pytest.mark.parametrize("lever", ["sophia", "moe", "fp8"])
def test_saving_is_one_minus_the_drawn_factor(cat: Catalog, lever: str) -> None:
    """Paired draws: every other input is drawn identically, so the GPU-hour saving share is exactly
    1 - factor sample by sample; its median and 90% range are those of the lever's sourced factor."""
    factor = cat.levers[lever].factor
    assert factor is not None
    result = _train(levers=[lever])
    saving = _saving(result, "gpu_hours").saving_share
    assert saving.p50 == pytest.approx(1 - factor.central, abs=0.015)  # sampling error of a median
    low, high = factor.bounds
    assert saving.p05 == pytest.approx(1 - high, abs=0.02)
    assert saving.p95 == pytest.approx(1 - low, abs=0.02)
    assert [use.id for use in result.levers] == [lever]


def test_savings_of_gpu_hours_carry_to_cost_energy_and_co2() -> None:
    result = _train(levers=["sophia"])
    shares = {s.output: s.saving_share.p50 for s in result.lever_savings}
    assert set(shares) >= {"gpu_hours", "rental_cost_usd", "energy_mwh", "co2_t"}
    assert np.allclose(list(shares.values()), shares["gpu_hours"], rtol=1e-9)


def test_baseline_equals_the_run_without_levers() -> None:
    base = _train()
    with_lever = _train(levers=["sophia"])
    assert _saving(with_lever, "gpu_hours").baseline == base.gpu_hours


def test_levers_combine_multiplicatively() -> None:
    both = _train(levers=["sophia", "moe"]).gpu_hours.p50
    moe = _train(levers=["moe"]).gpu_hours.p50
    assert both < moe  # the optimizer's factor (median 0.91) on top of the MoE share


def test_sft_recipe_prices_the_s1_fine_tune(cat: Catalog) -> None:
    """s1 recipe on a 32.8B model on H100: the catalog's own s1 estimate (7 H100-hours reported)."""
    recipe = _train(params=3.28e10, n_gpus=16, levers=["sft-small"])
    s1 = api.estimate_training(api.make_training_request(model="s1-32b", samples=SAMPLES))
    assert recipe.kind == "finetune"
    assert recipe.gpu_hours.p50 == pytest.approx(s1.gpu_hours.p50, rel=0.05)
    assert 2 < recipe.gpu_hours.p50 < 25  # bracket of the reported 7 GPU-hours
    assert _saving(recipe, "gpu_hours").saving_share.p50 > 0.99


def test_mla_cache_matches_deepseek_v2_elements_per_layer(cat: Catalog) -> None:
    """DeepSeek-V2 Sec. 2.1: MLA caches 4.5 d_h elements per layer: Llama 3 70B (80 layers,
    d_h 128, 8 KV heads) goes from 2 x 8 x 128 = 2048 to 576 elements per layer."""
    arch = cat.models["llama-3-70b"].architecture
    assert arch is not None
    from costlm.resolve.levers import architecture_with_mla

    mla = architecture_with_mla(arch, [cat.levers["mla"]], "llama-3-70b")
    assert kv_bytes_per_token(arch, 2) == 80 * 2048 * 2
    assert kv_bytes_per_token(mla, 2) == 80 * 576 * 2
    base = api.estimate_serving(api.make_serve_request(model="llama-3-70b", gpu="h100", samples=200))
    lever = api.estimate_serving(
        api.make_serve_request(model="llama-3-70b", gpu="h100", samples=200, levers=["mla"])
    )
    assert lever.max_batch.p50 > base.max_batch.p50
    assert [use.id for use in lever.levers] == ["mla"]


def test_quantize_serves_fp8_where_the_chip_has_it_else_int8() -> None:
    h100 = api.estimate_serving(
        api.make_serve_request(model="llama-3-8b", gpu="h100", samples=0, levers="quantize")
    )
    a100 = api.estimate_serving(
        api.make_serve_request(model="llama-3-8b", gpu="a100", samples=0, levers="quantize")
    )
    assert (h100.dtype, h100.kv_dtype) == ("fp8", "fp8")
    assert (a100.dtype, a100.kv_dtype) == ("int8", "int8")


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"levers": ["mla"]}, "lever_wrong_work"),
        ({"levers": ["fp8"], "gpu": "a100"}, "lever_not_applicable.no_fp8"),
        ({"levers": ["fp8"], "dtype": "fp8"}, "lever_not_applicable.dtype_given"),
        ({"levers": ["moe"], "active_params": 1e9}, "lever_not_applicable.already_moe"),
        (
            {
                "levers": ["sft-small"],
                "kind": "finetune",
                "examples": 10,
                "tokens_per_example": 100,
                "epochs": 1,
            },
            "lever_not_applicable.not_pretraining",
        ),
    ],
)
def test_levers_that_do_not_apply_are_refused(fields: dict[str, object], key: str) -> None:
    with pytest.raises(InputError) as exc:
        _train(**fields)
    assert exc.value.key == key


def test_moe_on_an_moe_catalog_model_is_refused() -> None:
    with pytest.raises(InputError, match="already a mixture of experts"):
        api.estimate_training(api.make_training_request(model="deepseek-v3", samples=0, levers="moe"))


def test_mla_on_an_mla_model_is_refused() -> None:
    with pytest.raises(InputError, match="already uses MLA"):
        api.estimate_serving(api.make_serve_request(model="deepseek-v3", gpu="h200", samples=0, levers="mla"))


def test_unknown_lever_names_the_closest() -> None:
    with pytest.raises(UnknownIdError, match="did you mean sophia"):
        _train(levers=["sopia"])


def test_empty_lever_name_is_refused() -> None:
    with pytest.raises(InputError, match="empty lever id"):
        api.make_training_request(**{**BASE, "levers": "sophia,"})  # type: ignore[arg-type]


def test_cli_lever_table_and_json(cli: CliRun) -> None:
    code, out, _ = cli(
        [
            "train",
            "--params",
            "7B",
            "--tokens",
            "2T",
            "--gpu",
            "h100",
            "--n-gpus",
            "512",
            "--lever",
            "sophia,fp8",
            "--samples",
            "500",
        ]
    )
    assert code == 0 and "Cost levers" in out and "sophia" in out and "saving" in out
    code, out, err = cli(
        ["train", "--params", "7B", "--tokens", "2T", "--gpu", "a100", "--n-gpus", "8", "--lever", "fp8"]
    )
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "no FP8 peak" in err


def test_catalog_lever_sources_resolve(cat: Catalog) -> None:
    for lever in cat.levers.values():
        for record in (lever.factor, lever.claimed, lever.reproduced):
            if record is not None:
                assert record.source in cat.sources


def test_plan_serve_searches_bf16_unless_quantize_and_reports_the_saving() -> None:
    fields = {"model": "llama-3-70b", "tokens_per_day": 1e9, "gpus": "h100-sxm", "samples": 200}
    base = api.plan_serving(api.make_plan_serve_request(**fields))  # type: ignore[arg-type]
    assert (base.chosen.dtype, base.chosen.kv_dtype) == ("bf16", "bf16") and base.levers == []
    levered = api.plan_serving(api.make_plan_serve_request(**fields, levers="quantize"))  # type: ignore[arg-type]
    assert [use.id for use in levered.levers] == ["quantize"]
    assert levered.baseline is not None and levered.baseline.usd_per_month == base.chosen.usd_per_month
    assert levered.lever_saving_share is not None and levered.lever_saving_share.p50 > 0
    assert levered.chosen.usd_per_month.p50 <= base.chosen.usd_per_month.p50


def test_plan_serve_refuses_a_training_lever() -> None:
    with pytest.raises(InputError, match="applies to train"):
        api.plan_serving(api.make_plan_serve_request(model="llama-3-8b", tokens_per_day=1e8, levers="sophia"))


def test_plan_train_with_a_lever_reports_its_saving_against_the_best_plan_without() -> None:
    fields = {"params": "7B", "tokens": "2T", "gpus": "h100-sxm,a100-80gb", "max_gpus": 1024, "samples": 500}
    base = api.plan_training(api.make_plan_train_request(**fields))  # type: ignore[arg-type]
    assert base.levers == [] and base.baseline is None
    assert {row.dtype for row in base.frontier} == {"bf16"}  # fp8 is the lever, not a silent default
    levered = api.plan_training(api.make_plan_train_request(**fields, levers="sophia"))  # type: ignore[arg-type]
    assert [use.id for use in levered.levers] == ["sophia"]
    assert levered.baseline == base.chosen
    assert levered.lever_saving_share is not None and 0 < levered.lever_saving_share < 1
    fp8 = api.plan_training(api.make_plan_train_request(**fields, levers="fp8"))  # type: ignore[arg-type]
    assert fp8.chosen.accelerator == "h100-sxm"  # the A100 has no FP8: excluded with its reason
    assert fp8.excluded.get("lever_not_applicable.no_fp8", 0) > 0


def test_plan_compare_applies_serving_levers_to_every_fleet_and_lists_them() -> None:
    fields = {"base": "llama-3-70b", "tokens_per_day": 1e8, "samples": 300}
    base = api.plan_compare(api.make_plan_compare_request(**fields))  # type: ignore[arg-type]
    levered = api.plan_compare(api.make_plan_compare_request(**fields, levers="quantize,sophia"))  # type: ignore[arg-type]
    assert [use.id for use in levered.levers] == ["sophia", "quantize"]
    monthly = {p.path: p.monthly_usd.p50 for p in base.paths}
    with_levers = {p.path: p.monthly_usd.p50 for p in levered.paths}
    assert with_levers["finetune"] < monthly["finetune"] and with_levers["api"] == monthly["api"]
    upfront = {p.path: p.upfront_usd.p50 for p in base.paths}
    assert {p.path: p.upfront_usd.p50 for p in levered.paths}["pretrain"] < upfront["pretrain"]


def test_plan_compare_refuses_a_lever_that_does_not_apply() -> None:
    with pytest.raises(InputError, match="already uses MLA"):
        api.plan_compare(
            api.make_plan_compare_request(base="deepseek-v3", tokens_per_day=1e8, levers="mla", samples=100)
        )
