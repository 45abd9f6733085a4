"""Memory of a served model (weights only at this stage; KV cache comes with the Serve work).

Sources: bytes per parameter by dtype (IEEE/OCP formats: bf16/fp16 2 bytes, fp8/int8 1, int4 0.5);
EcoLogits methodology (genai-impact/ecologits docs/methodology/llm_inference.md): memory
overhead x1.2 on weights, GPU count rounded up to a power of two (tensor-parallel degrees).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr

BYTES_PER_PARAM: dict[str, float] = {
    "fp32": 4.0,
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,
    "int8": 1.0,
    "int4": 0.5,
}


def weights_bytes(*, n_params: ArrayLike, bytes_per_param: ArrayLike) -> FloatArray:
    """Bytes of model weights: total parameters (all MoE experts) x bytes per parameter."""
    return arr(n_params) * arr(bytes_per_param)


def gpus_for_memory(
    *, needed_bytes: ArrayLike, memory_bytes_per_gpu: ArrayLike, overhead: ArrayLike
) -> FloatArray:
    """Smallest power-of-two GPU count whose memory holds ``needed_bytes`` x overhead."""
    n = np.ceil(arr(needed_bytes) * arr(overhead) / arr(memory_bytes_per_gpu))
    return np.exp2(np.ceil(np.log2(np.maximum(n, 1.0))))


def chinchilla_params(*, train_flop: ArrayLike, tokens_per_param: ArrayLike = 20.0) -> FloatArray:
    """Compute-optimal parameter count for a FLOP budget: N = sqrt(C / (6 x tokens per param)).

    Hoffmann et al. 2022 "Training Compute-Optimal Large Language Models" (~20 tokens per parameter).
    """
    return np.sqrt(arr(train_flop) / (6.0 * arr(tokens_per_param)))


def kv_bytes_per_token_gqa(
    *, n_layers: ArrayLike, n_kv_heads: ArrayLike, head_dim: ArrayLike, bytes_per_element: ArrayLike
) -> FloatArray:
    """KV cache per token for MHA/GQA/MQA: 2 (K and V) x layers x KV heads x head_dim x bytes.

    Shazeer 2019 (MQA), Ainslie et al. 2023 (GQA). head_dim comes from the config, never
    d_model / n_heads (Gemma and PaLM differ).
    """
    return 2.0 * arr(n_layers) * arr(n_kv_heads) * arr(head_dim) * arr(bytes_per_element)


def kv_bytes_per_token_mla(
    *, n_layers: ArrayLike, kv_lora_rank: ArrayLike, qk_rope_head_dim: ArrayLike, bytes_per_element: ArrayLike
) -> FloatArray:
    """KV cache per token for multi-head latent attention: layers x (latent + decoupled RoPE key) x bytes.

    DeepSeek-AI 2024, "DeepSeek-V2", Sec. 2.1.3 and Table 1: (d_c + d_h^R) elements per layer.
    """
    return arr(n_layers) * (arr(kv_lora_rank) + arr(qk_rope_head_dim)) * arr(bytes_per_element)


def kv_bytes_per_sequence(
    *, kv_bytes_per_token: ArrayLike, context_tokens: ArrayLike, window_tokens: ArrayLike = np.inf
) -> FloatArray:
    """KV cache of one sequence: per-token bytes x cached tokens (a sliding window caps them)."""
    return arr(kv_bytes_per_token) * np.minimum(arr(context_tokens), arr(window_tokens))


def max_concurrency(*, free_bytes: ArrayLike, kv_bytes_per_sequence: ArrayLike) -> FloatArray:
    """Largest number of sequences whose KV cache fits in the free memory (0 when none fits)."""
    return np.floor(np.maximum(arr(free_bytes), 0.0) / arr(kv_bytes_per_sequence))


def expected_distinct_experts(
    *, n_experts: ArrayLike, n_experts_active: ArrayLike, n_tokens: ArrayLike
) -> FloatArray:
    """Expected distinct routed experts one MoE layer reads for ``n_tokens`` tokens: E (1 - (1 - k/E)^T).

    Each token picks k of E experts; under uniform, independent routing an expert is missed by
    one token with probability 1 - k/E, so by all T tokens with (1 - k/E)^T, and the expected
    count of experts hit is E times one minus that (expected occupied bins, linearity of
    expectation). Real routers are not uniform (load-balancing losses push them towards it), so
    this is the balanced case. T = 1 gives k; T -> inf gives E. Dense (E = k) gives E.
    """
    e = arr(n_experts)
    return e * (1.0 - (1.0 - arr(n_experts_active) / e) ** arr(n_tokens))


def params_per_expert(
    *, n_params: ArrayLike, n_active_params: ArrayLike, n_experts: ArrayLike, n_experts_active: ArrayLike
) -> FloatArray:
    """Parameters of one routed expert summed over the MoE layers: (N_total - N_active) / (E - k).

    Derivation: N_total = S + E p and N_active = S + k p, with S the parameters every token uses
    (attention, embeddings, router, shared experts, dense layers) and p one routed expert's
    parameters over all MoE layers; subtracting, p = (N_total - N_active) / (E - k). Exact when
    every MoE layer has the same E and k (Mixtral, DeepSeek-V2/V3). 0 for a dense model (E = k).
    """
    e, k = arr(n_experts), arr(n_experts_active)
    return np.where(e > k, (arr(n_params) - arr(n_active_params)) / np.maximum(e - k, 1e-12), 0.0)


def moe_weights_read_bytes(
    *,
    n_params: ArrayLike,
    n_active_params: ArrayLike,
    n_experts: ArrayLike,
    n_experts_active: ArrayLike,
    n_tokens: ArrayLike,
    bytes_per_param: ArrayLike,
) -> FloatArray:
    """Weight bytes read in one forward pass over ``n_tokens`` tokens (a decode step of batch B has
    B tokens, a prefill of P tokens per sequence B P): the non-expert weights plus the expected
    distinct routed experts (``expected_distinct_experts``) x bytes per expert (``params_per_expert``).

    Dense models (E = k = 1) read all weights. Pope et al. 2022 Sec. 2 (decode reads the weights
    once per step); the expert split is the derivation of ``params_per_expert``.
    """
    expert = params_per_expert(
        n_params=n_params,
        n_active_params=n_active_params,
        n_experts=n_experts,
        n_experts_active=n_experts_active,
    )
    shared = arr(n_params) - arr(n_experts) * expert
    read = expected_distinct_experts(
        n_experts=n_experts, n_experts_active=n_experts_active, n_tokens=n_tokens
    )
    return (shared + read * expert) * arr(bytes_per_param)
