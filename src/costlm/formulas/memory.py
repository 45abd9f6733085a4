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
