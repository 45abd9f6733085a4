"""The model table: every architecture counts to its published size, and every one can be served.

The count comes from ``costlm.resolve.hfconfig.count_architecture`` (the same rule as a user's
config.json). A model whose count misses its published ``n_params`` by more than ``TOLERANCE`` has
a transcription error in its architecture (or a count from another source): fix the data, never
the tolerance. Published counts are the makers' (model card, paper, or the safetensors total).
"""

from __future__ import annotations

import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog import load
from costlm.catalog.schema import Catalog
from costlm.resolve.hfconfig import count_architecture, parse_config

TOLERANCE = 0.02
"""Computed vs published total parameters: biases, norms and rounding of "7B" stay well inside 2%."""
MIN_MODELS = 70
MIN_WITH_ARCHITECTURE = 60
SERVE_SAMPLES = 50

_CATALOG = api.load_catalog()
ARCH_IDS = sorted(m.id for m in _CATALOG.models.values() if m.architecture is not None)


def test_catalog_breadth(cat: Catalog) -> None:
    assert len(cat.models) >= MIN_MODELS
    assert len(ARCH_IDS) >= MIN_WITH_ARCHITECTURE


@pytest.mark.parametrize("model_id", ARCH_IDS)
def test_counted_parameters_match_the_published_count(cat: Catalog, model_id: str) -> None:
    model = cat.models[model_id]
    assert model.architecture is not None and model.n_params is not None
    total, active = count_architecture(model.architecture, model_id)
    assert total == pytest.approx(model.n_params.central, rel=TOLERANCE)
    moe = (model.architecture.n_experts or 1) > (model.architecture.n_experts_active or 1)
    if moe:
        assert model.n_active_params is not None, "a mixture of experts needs its active count"
        # Some makers leave the input embedding (a lookup, no FLOP) out of the active count
        # (gpt-oss model card, Kimi K2): either convention must hold to the same tolerance.
        arch = model.architecture
        lookup = float(arch.vocab_size or 0) * arch.d_model
        published = model.n_active_params.central
        assert published == pytest.approx(active, rel=TOLERANCE) or published == pytest.approx(
            active - lookup, rel=TOLERANCE
        )
    else:
        assert active == total


@pytest.mark.parametrize("model_id", ARCH_IDS)
def test_every_model_with_an_architecture_serves(model_id: str) -> None:
    result = api.estimate_serving(api.make_serve_request(model=model_id, samples=SERVE_SAMPLES))
    assert result.model == model_id
    assert result.batch >= 1


@pytest.mark.parametrize(
    ("alias", "expected"),
    [
        ("llama3-70b", "llama-3-70b"),
        ("Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("meta-llama/Llama-3.1-70B-Instruct", "llama-3.1-70b"),
        ("Qwen/Qwen3-30B-A3B", "qwen3-30b-a3b"),
        ("google/gemma-3-27b-it", "gemma-3-27b"),
        ("openai/gpt-oss-120b", "gpt-oss-120b"),
        ("moonshotai/Kimi-K2-Instruct", "kimi-k2"),
    ],
)
def test_aliases_people_type(cat: Catalog, alias: str, expected: str) -> None:
    assert load.model(cat, alias).id == expected


def test_alternating_windows_do_not_cap_the_whole_cache(cat: Catalog) -> None:
    """Gemma 2 slides a 4,096-token window on half its layers: the other half keep the whole
    context, so no single window bounds the cache; Mistral 7B v0.1 slides in every layer."""
    gemma = cat.models["gemma-2-9b"].architecture
    mistral = cat.models["mistral-7b"].architecture
    assert gemma is not None and mistral is not None
    assert (gemma.sliding_window_tokens, gemma.sliding_window_layers, gemma.kv_window_tokens) == (
        4096,
        21,
        None,
    )
    assert mistral.kv_window_tokens == 4096


def test_train_without_training_facts_is_one_clear_line(cli: CliRun) -> None:
    code, out, err = cli(["train", "qwen3-8b"])
    assert code == 2 and out == ""
    assert err.strip() == (
        "error: model 'qwen3-8b' has no training facts in the catalog (hardware, GPU count, tokens);"
        " give --gpu ID, --n-gpus N (or --days D) and --tokens N"
    )


def test_a_llama4_config_counts_as_its_catalog_row(cat: Catalog) -> None:
    """Llama 4's config names the expert width ``intermediate_size`` and the dense width
    ``intermediate_size_mlp``, and has no field for its shared expert: read as such, the
    text_config of Llama-4-Scout-17B-16E counts to the catalog row's total (one rule)."""
    text_config = {
        "model_type": "llama4_text",
        "num_hidden_layers": 48,
        "hidden_size": 5120,
        "num_attention_heads": 40,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "intermediate_size": 8192,
        "intermediate_size_mlp": 16384,
        "num_local_experts": 16,
        "num_experts_per_tok": 1,
        "interleave_moe_layer_step": 1,
        "vocab_size": 202048,
        "tie_word_embeddings": False,
    }
    scout = cat.models["llama-4-scout"].architecture
    assert scout is not None
    parsed = parse_config(text_config, "scout.json")
    assert (parsed.n_params, parsed.n_active_params) == count_architecture(scout, "llama-4-scout")
    assert parsed.architecture.moe_intermediate_size == 8192 and parsed.architecture.n_shared_experts == 1
