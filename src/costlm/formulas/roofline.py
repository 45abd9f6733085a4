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


def ring_allreduce_s(
    *, message_bytes: ArrayLike, n_gpus: ArrayLike, link_bytes_per_s: ArrayLike, latency_s: ArrayLike
) -> FloatArray:
    """One ring all-reduce of ``message_bytes`` over ``n_gpus``: 2 (n - 1)/n x bytes / link + latency.

    0 on one GPU.

    Patarasuk & Yuan 2009 "Bandwidth optimal all-reduce algorithms for clusters of workstations"
    (each GPU sends and receives 2 (n - 1)/n of the message); NVIDIA nccl-tests doc/PERFORMANCE.md
    (bus bandwidth = algorithm bandwidth x 2 (n - 1)/n, bounded by the per-GPU link, each direction).
    """
    n = arr(n_gpus)
    frac = 2.0 * (n - 1.0) / np.maximum(n, 1.0)
    return np.where(n > 1, frac * arr(message_bytes) / arr(link_bytes_per_s) + arr(latency_s), 0.0)


def all_to_all_s(
    *, message_bytes: ArrayLike, n_gpus: ArrayLike, link_bytes_per_s: ArrayLike, latency_s: ArrayLike
) -> FloatArray:
    """One all-to-all, each GPU holding ``message_bytes`` and keeping 1/n: (n - 1)/n x bytes / link + latency.

    NVIDIA nccl-tests doc/PERFORMANCE.md (alltoall bus bandwidth = algorithm bandwidth x (n - 1)/n).
    0 on one GPU.
    """
    n = arr(n_gpus)
    frac = (n - 1.0) / np.maximum(n, 1.0)
    return np.where(n > 1, frac * arr(message_bytes) / arr(link_bytes_per_s) + arr(latency_s), 0.0)


def tensor_parallel_s(
    *,
    n_layers: ArrayLike,
    n_tokens: ArrayLike,
    d_model: ArrayLike,
    bytes_per_element: ArrayLike,
    n_gpus: ArrayLike,
    link_bytes_per_s: ArrayLike,
    allreduce_latency_s: ArrayLike,
    allreduces_per_layer: ArrayLike = 2.0,
) -> FloatArray:
    """Tensor-parallel communication of one forward pass over ``n_tokens`` tokens: per layer
    ``allreduces_per_layer`` ring all-reduces of tokens x d_model activations.

    Shoeybi et al. 2019 "Megatron-LM" Sec. 3 (two all-reduces per layer in the forward pass, one
    after self-attention and one after the MLP); Pope et al. 2022 Sec. 3 (latency-bound at decode).
    """
    one = ring_allreduce_s(
        message_bytes=arr(n_tokens) * arr(d_model) * arr(bytes_per_element),
        n_gpus=n_gpus,
        link_bytes_per_s=link_bytes_per_s,
        latency_s=allreduce_latency_s,
    )
    return arr(allreduces_per_layer) * arr(n_layers) * one


def expert_parallel_s(
    *,
    n_moe_layers: ArrayLike,
    n_tokens: ArrayLike,
    n_experts_active: ArrayLike,
    d_model: ArrayLike,
    bytes_per_element: ArrayLike,
    n_gpus: ArrayLike,
    link_bytes_per_s: ArrayLike,
    latency_s: ArrayLike,
) -> FloatArray:
    """Expert-parallel communication of one forward pass: per MoE layer a dispatch and a combine
    all-to-all of each token's activations to and from its k experts (tokens x k x d_model bytes
    spread over the GPUs).

    Lepikhin et al. 2020 "GShard" (dispatch and combine all-to-alls around the experts);
    DeepSeek-AI 2024 "DeepSeek-V3" Sec. 3.2.2 (cross-node all-to-all dispatch and combine).
    """
    per_gpu = arr(n_tokens) * arr(n_experts_active) * arr(d_model) * arr(bytes_per_element) / arr(n_gpus)
    one = all_to_all_s(
        message_bytes=per_gpu, n_gpus=n_gpus, link_bytes_per_s=link_bytes_per_s, latency_s=latency_s
    )
    return 2.0 * arr(n_moe_layers) * one


def decode_step_s(*, memory_s: ArrayLike, compute_s: ArrayLike, communication_s: ArrayLike) -> FloatArray:
    """One decode step: the slower of streaming the bytes and doing the FLOP, plus communication."""
    return np.maximum(arr(memory_s), arr(compute_s)) + arr(communication_s)


def tokens_per_s(*, batch: ArrayLike, step_s: ArrayLike) -> FloatArray:
    """Output tokens per second of a replica producing one token per sequence per step."""
    return arr(batch) / arr(step_s)
