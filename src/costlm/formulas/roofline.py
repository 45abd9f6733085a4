"""Serving time from the roofline: prefill is compute-bound, decode is bandwidth-bound at small batch.

Williams, Waterman & Patterson 2009 "Roofline" (time = max(bytes / bandwidth, FLOP / peak));
Pope et al. 2022 "Efficiently Scaling Transformer Inference" (2 N FLOP per token forward,
decode reads all weights and the batch's KV cache each step; tensor-parallel all-reduces
twice per layer); Kwon et al. 2023 (vLLM: continuous batching interleaves prefill with decode).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr


def forward_flop(
    *,
    n_active_params: ArrayLike,
    n_tokens: ArrayLike,
    n_layers: ArrayLike,
    d_attention: ArrayLike,
    context_tokens: ArrayLike,
) -> FloatArray:
    """Forward FLOP for ``n_tokens`` new tokens attending to ``context_tokens``: 2 N T + 4 L d_attn T ctx."""
    tokens = arr(n_tokens)
    return 2.0 * arr(n_active_params) * tokens + 4.0 * arr(n_layers) * arr(d_attention) * tokens * arr(
        context_tokens
    )


def compute_time_s(
    *, flop: ArrayLike, peak_flop_per_s: ArrayLike, efficiency: ArrayLike, n_gpus: ArrayLike
) -> FloatArray:
    """Seconds to run ``flop`` on ``n_gpus`` at ``efficiency`` of the dense peak."""
    return arr(flop) / (arr(peak_flop_per_s) * arr(efficiency) * arr(n_gpus))


def memory_time_s(
    *, bytes_read: ArrayLike, bytes_per_s: ArrayLike, efficiency: ArrayLike, n_gpus: ArrayLike
) -> FloatArray:
    """Seconds to stream ``bytes_read`` from HBM split over ``n_gpus`` at ``efficiency`` of peak bandwidth."""
    return arr(bytes_read) / (arr(bytes_per_s) * arr(efficiency) * arr(n_gpus))


def tensor_parallel_s(
    *, n_layers: ArrayLike, n_gpus: ArrayLike, allreduce_latency_s: ArrayLike
) -> FloatArray:
    """Per-step tensor-parallel cost: two all-reduces per layer (latency-bound at decode); 0 on one GPU."""
    return np.where(arr(n_gpus) > 1, 2.0 * arr(n_layers) * arr(allreduce_latency_s), 0.0)


def decode_step_s(*, memory_s: ArrayLike, compute_s: ArrayLike, communication_s: ArrayLike) -> FloatArray:
    """One decode step: the slower of streaming the bytes and doing the FLOP, plus communication."""
    return np.maximum(arr(memory_s), arr(compute_s)) + arr(communication_s)


def tokens_per_s(*, batch: ArrayLike, step_s: ArrayLike) -> FloatArray:
    """Output tokens per second of a replica producing one token per sequence per step."""
    return arr(batch) / arr(step_s)


def queue_wait_s(*, service_s: ArrayLike, n_requested: ArrayLike, n_running: ArrayLike) -> FloatArray:
    """Mean time a request waits for a slot when ``n_requested`` are outstanding and ``n_running`` run.

    Little's law (Little 1961, L = lambda W) for a closed system: throughput = running / service
    time, so a request spends requested x service / running in the system, of which it waits
    service x (requested - running) / running (0 when every request runs).
    """
    waiting = np.maximum(arr(n_requested) - arr(n_running), 0.0)
    return arr(service_s) * waiting / arr(n_running)
