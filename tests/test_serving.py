"""Serving: exact KV-cache and memory checks, config.json traps, roofline properties, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import CliRun
from costlm import api
from costlm.catalog.schema import Catalog
from costlm.errors import ConfigError, InputError
from costlm.formulas import memory
from costlm.resolve.hfconfig import read_config
from costlm.resolve.serving import kv_bytes_per_token

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("llama-2-7b", 524_288),  # MHA: 32 KV heads (not 8: sku_list trap)
        ("llama-2-70b", 327_680),
        ("llama-3-8b", 131_072),
        ("llama-3.1-405b", 516_096),
        ("deepseek-v3", 70_272),  # MLA: 61 x 576 x 2, not 2 x 61 x 128 x 128 x 2
    ],
)
def test_kv_bytes_per_token_bf16(cat: Catalog, model: str, expected: int) -> None:
    arch = cat.models[model].architecture
    assert arch is not None
    assert kv_bytes_per_token(arch, 2.0) == expected


def test_deepseek_v2_mla_reduction_reproduces_93_3_percent(cat: Catalog) -> None:
    v2, llm67 = cat.models["deepseek-v2"].architecture, cat.models["deepseek-67b"].architecture
    assert v2 is not None and llm67 is not None
    by_architecture = 1 - kv_bytes_per_token(v2, 2.0) / kv_bytes_per_token(llm67, 2.0)
    with_6_bit_cache = 1 - kv_bytes_per_token(v2, 6 / 8) / kv_bytes_per_token(llm67, 2.0)
    assert round(by_architecture * 100, 1) == 82.2
    assert round(with_6_bit_cache * 100, 1) == 93.3


def test_70b_weights_need_two_80gb_gpus_in_bf16_one_in_fp8() -> None:
    for dtype, gpus in (("bf16", 2), ("fp8", 1)):
        weights = memory.weights_bytes(n_params=70e9, bytes_per_param=memory.BYTES_PER_PARAM[dtype])
        assert memory.gpus_for_memory(needed_bytes=weights, memory_bytes_per_gpu=80e9, overhead=1.0) == gpus


@pytest.mark.parametrize(
    ("name", "params", "active", "attention"),
    [
        ("llama-2-7b", 6.74e9, 6.74e9, "mha"),
        ("llama-3-8b", 8.03e9, 8.03e9, "gqa"),
        ("mixtral-8x7b", 46.7e9, 12.9e9, "gqa"),
        ("deepseek-v3", 671e9, 37.5e9, "mla"),
        ("qwen2.5-32b", 32.8e9, 32.8e9, "gqa"),
    ],
)
def test_config_json_parameter_counts(name: str, params: float, active: float, attention: str) -> None:
    parsed = read_config(DATA / f"{name}.json")
    assert parsed.n_params == pytest.approx(params, rel=0.01)
    assert parsed.n_active_params == pytest.approx(active, rel=0.01)
    assert parsed.architecture.attention == attention


def test_config_json_traps() -> None:
    v3 = read_config(DATA / "deepseek-v3.json")
    assert kv_bytes_per_token(v3.architecture, 2.0) == 70_272  # 128 KV heads in the config are ignored
    assert any(w.code == "mla_kv_heads" for w in v3.warnings)
    qwen = read_config(DATA / "qwen2.5-32b.json")
    assert qwen.architecture.sliding_window_tokens is None  # use_sliding_window: false


def serve(**fields: object) -> api.ServeResult:
    return api.estimate_serving(api.make_serve_request(**fields))


def test_throughput_rises_and_j_per_token_falls_with_batch() -> None:
    # ML.ENERGY-like chat lengths on one H100 (measured: 0.455 J at batch 8, 0.070 J at batch 512).
    runs = [
        serve(
            model="llama-3.1-8b",
            gpu="h100",
            n_gpus=1,
            batch=b,
            prompt_tokens=300,
            output_tokens=400,
            samples=0,
        )
        for b in (1, 8, 64, 256, 512)
    ]
    tps = [r.output_tokens_per_s.p50 for r in runs]
    joules = [r.gpu_j_per_output_token.p50 for r in runs if r.gpu_j_per_output_token]
    assert tps == sorted(tps) and joules == sorted(joules, reverse=True)
    assert joules[1] / joules[-1] > 6  # batch 8 -> 512: J/token falls 6-20x (design.md)
    share = [r.breakdown.compute_share.p50 for r in runs]
    assert share[0] < 0.2 and share[-1] > 0.9  # bandwidth-bound at batch 1, compute-bound at 512


def test_default_batch_is_largest_that_fits_and_replica_is_sized() -> None:
    r = serve(model="llama-3-70b", gpu="h100", samples=500)
    assert r.gpus_per_replica.p50 == 4 and r.batch == r.max_batch.p50
    assert r.weights_bytes.p50 == pytest.approx(140e9)
    assert r.kv_cache_bytes_per_token.p50 == 327_680


def test_fleet_and_api_break_even() -> None:
    r = serve(model="llama-3-70b", gpu="h100", tokens_per_day=1e9, samples=2000)
    assert r.fleet.replicas.p50 >= 1 and r.fleet.fleet_gpus.p50 == 4 * r.fleet.replicas.p50
    providers = {c.provider for c in r.api_comparison}
    assert "Groq" in providers and len(r.api_comparison) >= 5
    for c in r.api_comparison:
        assert 0 <= c.share_never_cheaper <= 1


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (dict(model="gpt-3-175b", prompt_tokens=3000), InputError, "exceeds the model's context of 2,048"),
        (dict(model="llama-3.1-405b", gpu="t4", target_batch=500), ConfigError, "more than 64 GPUs"),
        (dict(model="llama-3.1-405b", gpu="h100", n_gpus=4), ConfigError, "cannot be served on 4 GPUs"),
        (dict(model="llama-2-7b", batch=0), InputError, "batch: must be at least 1"),
        (dict(model="llama-2-7b", prompt_tokens=-5), InputError, "must be greater than 0"),
        (dict(model="gpt-2-1.5b"), InputError, "no published architecture"),
        (dict(model="llama-2-7b", dtype="fp3"), InputError, "dtype"),
        (dict(model="llama-2-7b", utilization=(0.5, 1.5)), InputError, "utilization"),
    ],
)
def test_bad_serving_input(fields: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        serve(**fields, samples=100)


def test_config_missing_fields_named(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"hidden_size": 4096, "num_attention_heads": 32}))
    with pytest.raises(
        InputError, match="missing required fields: num_hidden_layers, vocab_size, intermediate_size"
    ):
        read_config(path)
    path.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_config(path)


def test_cli_serve_json_equals_api_and_config_path(cli: CliRun) -> None:
    code, out, err = cli(["serve", "llama-3-8b", "--batch", "32", "--samples", "500", "--json"])
    assert code == 0, err
    direct = serve(model="llama-3-8b", gpu="h100-sxm", batch=32, samples=500)
    assert json.loads(out) == direct.model_dump(mode="json")
    code, out, err = cli(
        ["serve", "--config", str(DATA / "mixtral-8x7b.json"), "--gpu", "a100", "--samples", "300"]
    )
    assert code == 0, err
    assert "2 × NVIDIA A100 80GB SXM4" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["serve"], "give a catalog MODEL or --config"),
        (["serve", "llama-3.1-405b", "--n-gpus", "4"], "cannot be served on 4 GPUs"),
        (["serve", "llama-3.1-8b", "--max-tpot-ms", "1"], "no batch meets TPOT <= 1 ms on 1 x h100-sxm"),
        (["serve", "llama-3.1-8b", "--gpu-memory-utilization", "1.5"], "--gpu-memory-utilization"),
        (["serve", "--config", "/nonexistent/config.json"], "cannot read"),
        (["serve", "llama-3-70b", "--gpu", "h10"], "unknown accelerator 'h10'"),
    ],
)
def test_cli_serve_errors(cli: CliRun, argv: list[str], message: str) -> None:
    code, _, err = cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
