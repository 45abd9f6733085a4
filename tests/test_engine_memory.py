"""Engine memory accounting (vLLM), scheduling instead of refusal, and latency targets of ``costlm serve``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import CliRun
from costlm import api
from costlm.analyses.batching import p95_latency_ms
from costlm.formulas import memory, roofline
from costlm.resolve.serving import serve_draws, serve_spec
from costlm.units import GIB

LLAMA3_8B_KV_BYTES_PER_TOKEN = 131_072  # 2 x 32 layers x 8 KV heads x 128 x 2 bytes


def test_engine_kv_cache_reproduces_the_vllm_profile() -> None:
    """llm-d empirical-vllm-memory-results.md, Llama-3.1-8B on H100: 79.18 GiB x 0.9 = 71.26 GiB;
    weights 14.99, peak activation 4.76, non-torch 0.13 GiB -> 51.38 GiB of KV cache as logged."""
    kv = memory.engine_kv_cache_bytes(
        memory_bytes_per_gpu=79.18 * GIB,
        n_gpus=1,
        gpu_memory_utilization=0.9,
        weights_bytes=14.99 * GIB,
        reserve_bytes_per_gpu=(4.76 + 0.13) * GIB,
    )
    assert float(kv) / GIB == pytest.approx(51.38, abs=0.01)
    # hand-checked: 51.38 GiB / (131,072 B x 16 tokens) = 26,306.6 -> 26,306 whole blocks = 420,896 tokens
    tokens = memory.kv_cache_tokens(
        kv_cache_bytes=51.38 * GIB, kv_bytes_per_token=LLAMA3_8B_KV_BYTES_PER_TOKEN, block_tokens=16
    )
    assert float(tokens) == 420_896


def test_paged_sequence_rounds_up_to_whole_blocks() -> None:
    per_seq = memory.paged_kv_bytes_per_sequence(
        kv_bytes_per_token=LLAMA3_8B_KV_BYTES_PER_TOKEN, context_tokens=1150, block_tokens=16
    )
    assert float(per_seq) == 72 * 16 * LLAMA3_8B_KV_BYTES_PER_TOKEN  # ceil(1150 / 16) = 72 blocks
    windowed = memory.paged_kv_bytes_per_sequence(
        kv_bytes_per_token=1.0, context_tokens=10_000, block_tokens=16, window_tokens=4096
    )
    assert float(windowed) == 4096


def test_serve_plan_uses_the_engine_budget() -> None:
    """1 x H100 (80 GB): 0.9 x 80 GB - 16.06 GB of weights - 4.89 GiB reserve, in 16-token blocks."""
    r = api.estimate_serving(api.make_serve_request(model="llama-3.1-8b", samples=0))
    kv_bytes = 0.9 * 80e9 - r.weights_bytes.p50 - 4.89 * GIB
    assert r.kv_cache_tokens == (kv_bytes // (LLAMA3_8B_KV_BYTES_PER_TOKEN * 16)) * 16
    per_seq = np.ceil((1000 + 300 * 0.5) / 16) * 16 * LLAMA3_8B_KV_BYTES_PER_TOKEN
    assert r.max_batch.p50 == kv_bytes // per_seq
    assert r.batch_mode == "throughput" and r.requested_batch == r.running_batch == r.batch
    lower = api.estimate_serving(
        api.make_serve_request(model="llama-3.1-8b", gpu_memory_utilization=0.5, samples=0)
    )
    assert lower.max_batch.p50 < r.max_batch.p50


def test_no_measured_catalog_run_is_refused() -> None:
    """Every measured serving configuration runs with its hardware, GPUs per replica and batch."""
    cat = api.load_catalog()
    assert cat.inference_runs
    for run in cat.inference_runs.values():
        batch = round(run.batch.central) if run.batch else None
        req = api.make_serve_request(
            model=run.model,
            gpu=run.hardware,
            n_gpus=run.tensor_parallel,
            dtype=run.dtype,
            batch=batch,
            samples=0,
        )
        r = api.estimate_serving(req)
        assert r.requested_batch == (batch or r.running_batch), run.id
        assert 1 <= r.running_batch <= r.requested_batch, run.id


def test_a_batch_larger_than_the_kv_cache_is_scheduled_not_refused() -> None:
    r = api.estimate_serving(api.make_serve_request(model="llama-3.1-8b", n_gpus=1, batch=5000, samples=200))
    running = int(r.max_batch.p50)
    assert r.requested_batch == 5000 and r.running_batch == running == r.batch < 5000
    assert r.queue_share == pytest.approx((5000 - running) / 5000, abs=1e-4)
    caveat = next(w for w in r.warnings if w.code == "batch_capped_memory")
    assert caveat.values["requested"] == "5000" and caveat.values["running"] == str(running)
    assert r.queue_wait_s is not None and r.queue_wait_s.p50 > 0
    fits = api.estimate_serving(
        api.make_serve_request(model="llama-3.1-8b", n_gpus=1, batch=running, samples=200)
    )
    assert fits.tpot_s == r.tpot_s and fits.queue_wait_s is None and fits.queue_share == 0


def test_queue_wait_is_littles_law() -> None:
    assert float(roofline.queue_wait_s(service_s=10.0, n_requested=300, n_running=100)) == 20.0
    assert float(roofline.queue_wait_s(service_s=10.0, n_requested=50, n_running=100)) == 0.0


def _latency_batch(**targets: float) -> int:
    req = api.make_serve_request(model="llama-3.1-8b", n_gpus=1, samples=500, **targets)
    return api.estimate_serving(req).running_batch


def test_latency_target_chooses_the_largest_batch_meeting_it() -> None:
    req = api.make_serve_request(model="llama-3.1-8b", n_gpus=1, samples=500, max_tpot_ms=25)
    r = api.estimate_serving(req)
    assert r.batch_mode == "latency_target" and r.max_tpot_ms == 25
    assert r.tpot_s.p95 * 1000 <= 25
    spec = serve_spec(req, api.load_catalog())
    draws, _ = serve_draws(spec, samples=req.samples, seed=req.seed)
    assert p95_latency_ms(draws, r.running_batch + 1)[0] > 25  # one more sequence misses the target
    batches = [_latency_batch(max_tpot_ms=ms) for ms in (12, 20, 40)]
    assert batches == sorted(batches) and batches[0] < batches[-1]  # tighter target -> smaller batch
    # 80 ms: the generic engine prior (fitted on all stacks) puts batch 1 at a p95 TTFT of ~66 ms
    assert _latency_batch(max_ttft_ms=80) < _latency_batch(max_ttft_ms=200)


def test_modes_in_json_and_text(cli: CliRun) -> None:
    code, out, _ = cli(["serve", "llama-3.1-8b", "--samples", "0", "--json"])
    assert code == 0 and json.loads(out)["batch_mode"] == "throughput"
    code, out, _ = cli(["serve", "llama-3.1-8b", "--samples", "200", "--max-tpot-ms", "50", "--lang", "en"])
    assert code == 0 and "latency target: TPOT <= 50 ms (p95)" in out
    code, out, _ = cli(["serve", "llama-3.1-8b", "--samples", "0", "--lang", "en"])
    assert "throughput mode: largest batch that fits" in out


def test_unmet_latency_target_is_one_line_exit_2(cli: CliRun) -> None:
    code, _, err = cli(["serve", "llama-3.1-8b", "--max-tpot-ms", "1", "--lang", "en"])
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "no batch meets TPOT <= 1 ms on 1 x h100-sxm: the best achievable (batch 1, p95) is TPOT" in err
