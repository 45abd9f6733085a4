"""The bundled catalog: complete, sourced both ways, ids and aliases unique."""

from __future__ import annotations

import pytest

from costlm.catalog import load
from costlm.catalog.load import cited_sources
from costlm.catalog.schema import Catalog

ACCELERATOR_IDS = [
    "v100-32gb",
    "a100-40gb",
    "a100-80gb",
    "a100-80gb-pcie",
    "h100-sxm",
    "h100-pcie",
    "h100-nvl",
    "h800",
    "h20",
    "h200",
    "b200",
    "gb200",
    "mi250x",
    "mi300x",
    "tpu-v3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "l4",
    "l40s",
    "a10g",
    "t4",
    "rtx-3090",
    "rtx-4090",
    "gaudi2",
    "gaudi3",
]
MODEL_IDS = [
    "gpt-2-1.5b",
    "gpt-3-175b",
    "gpt-4",
    "claude-3-opus",
    "gemini-1.0-ultra",
    "llama-2-7b",
    "llama-2-70b",
    "llama-3-8b",
    "llama-3-70b",
    "llama-3.1-8b",
    "llama-3.1-70b",
    "llama-3.1-405b",
    "mixtral-8x7b",
    "mixtral-8x22b",
    "deepseek-v3",
    "qwen2.5-32b",
    "qwen2.5-72b",
    "s1-32b",
    "bloom-176b",
    "opt-175b",
    "palm-540b",
    "gopher-280b",
]


def test_the_original_27_accelerators_are_kept(cat: Catalog) -> None:
    assert set(ACCELERATOR_IDS) <= set(cat.accelerators)


def test_required_models(cat: Catalog) -> None:
    assert set(MODEL_IDS) <= set(cat.models)


def test_every_reference_run_is_in_the_catalog(cat: Catalog) -> None:
    assert len(cat.runs) >= 32


def test_every_number_sourced_and_every_source_used(cat: Catalog) -> None:
    cited = set()
    tables = (cat.accelerators, cat.models, cat.runs, cat.grid, cat.api_prices, cat.inference_runs)
    for table in (*tables, cat.serving_engines, cat.levers):
        for entry in table.values():
            pairs = list(cited_sources(entry.model_dump()))
            assert all(src in cat.sources and loc for src, loc in pairs), entry
            cited |= {src for src, _ in pairs}
    for prior in cat.mfu_priors:
        cited |= {src for src, _ in cited_sources(prior.model_dump())}
    cited |= {src for src, _ in cited_sources(cat.defaults.model_dump())}
    assert cat.mfu_model is not None
    cited |= {src for src, _ in cited_sources(cat.mfu_model.model_dump())}
    assert cited == set(cat.sources)


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("H100", "h100-sxm"),
        ("a100", "a100-80gb"),
        ("TPUv4", "tpu-v4"),
        ("V100", "v100-32gb"),
        ("H800", "h800"),
    ],
)
def test_accelerator_aliases(cat: Catalog, alias: str, expected: str) -> None:
    assert load.accelerator(cat, alias).id == expected


def test_dense_peaks_not_sparse(cat: Catalog) -> None:
    h100 = cat.accelerators["h100-sxm"]
    assert h100.peak_bf16_dense_tflop_per_s.central == pytest.approx(989.4, rel=1e-3)
    assert cat.accelerators["a100-80gb"].peak_bf16_dense_tflop_per_s.central == 312


def test_every_generation_has_a_bf16_or_fp16_prior(cat: Catalog) -> None:
    have = {(p.generation, p.dtype) for p in cat.mfu_priors}
    for acc in cat.accelerators.values():
        assert (acc.generation, "bf16") in have or (acc.generation, "fp16") in have, acc.id


def test_mfu_priors_are_fractions(cat: Catalog) -> None:
    for prior in cat.mfu_priors:
        low, high = prior.mfu.bounds
        assert 0 < low <= high <= 1


def test_architecture_traps(cat: Catalog) -> None:
    llama2_7b = cat.models["llama-2-7b"].architecture
    assert llama2_7b is not None and llama2_7b.n_kv_heads == 32 and llama2_7b.attention == "mha"
    v3 = cat.models["deepseek-v3"].architecture
    assert v3 is not None and v3.attention == "mla" and (v3.kv_lora_rank, v3.qk_rope_head_dim) == (512, 64)


def test_every_model_with_an_architecture_has_a_parameter_count(cat: Catalog) -> None:
    """`costlm serve MODEL` needs the total count (weights in memory): Mixtral 8x7B lacked it."""
    missing = [m.id for m in cat.models.values() if m.architecture is not None and m.n_params is None]
    assert missing == []


def test_mixtral_catalog_count_is_the_config_count(cat: Catalog) -> None:
    from pathlib import Path

    from costlm.resolve.hfconfig import read_config

    parsed = read_config(Path(__file__).parent / "data" / "mixtral-8x7b.json")
    model = cat.models["mixtral-8x7b"]
    assert model.n_params is not None and model.n_active_params is not None
    assert (model.n_params.value, model.n_active_params.value) == (parsed.n_params, parsed.n_active_params)
