"""Memory to train a transformer: model states (weights, gradients, optimizer) and activations, per GPU.

Sources:

- Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models"
  (SC20), Sec. 3.1 and Fig. 1: mixed-precision Adam keeps 2 bytes of fp16/bf16 weights, 2 of
  gradients and K = 12 of optimizer state (fp32 master weights, momentum and variance) per
  parameter, 16 in all; stage 1 (P_os) partitions the optimizer state over the N_d data-parallel
  ranks, stage 2 (P_os+g) the gradients too, stage 3 (P_os+g+p) the weights too.
- Ren et al. 2021, "ZeRO-Offload: Democratizing Billion-Scale Model Training" (USENIX ATC 21),
  Sec. 4.1: the fp16 weights stay on the GPU; fp16 gradients and the fp32 optimizer state move to
  CPU memory.
- Shoeybi et al. 2019 (Megatron-LM) and Narayanan et al. 2021 (PTD-P): tensor and pipeline
  parallelism divide the model's layers (and so its states) over t x p GPUs.
- Korthikanti et al. 2022, "Reducing Activation Recomputation in Large Transformer Models"
  (MLSys 2023), Sec. 4 and Table 2: activation bytes per transformer layer with 16-bit activations,
  sequence s, micro-batch b, width h, heads a, tensor-parallel degree t (with sequence parallelism).
- Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models", Sec. 4: a d_in x d_out
  matrix adapted at rank r trains r (d_in + d_out) parameters; the base weights stay frozen.
- Dettmers et al. 2023, "QLoRA: Efficient Finetuning of Quantized LLMs", Sec. 3: 4-bit NormalFloat
  base weights with double-quantized constants (0.127 bits per parameter).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr

WEIGHT_BYTES_PER_PARAM_16BIT = 2.0
"""fp16/bf16 weights: 2 bytes per parameter (ZeRO Sec. 3.1, '2Psi')."""
GRADIENT_BYTES_PER_PARAM_16BIT = 2.0
"""fp16/bf16 gradients: 2 bytes per parameter (ZeRO Sec. 3.1, '2Psi')."""
ADAM_OPTIMIZER_BYTES_PER_PARAM = 12.0
"""Mixed-precision Adam: fp32 master weights, momentum, variance: 4 + 4 + 4 bytes (ZeRO Sec. 3.1, K = 12)."""
MIXED_ADAM_BYTES_PER_PARAM = (
    WEIGHT_BYTES_PER_PARAM_16BIT + GRADIENT_BYTES_PER_PARAM_16BIT + ADAM_OPTIMIZER_BYTES_PER_PARAM
)
"""16 bytes of model states per parameter (ZeRO Sec. 3.1: '(2 + 2 + K) Psi = 16 Psi')."""
NF4_BYTES_PER_PARAM = 4.0 / 8.0
"""4-bit NormalFloat weights (QLoRA Sec. 3)."""
NF4_DOUBLE_QUANT_CONSTANT_BITS_PER_PARAM = 8.0 / 64.0 + 32.0 / (64.0 * 256.0)
"""Double-quantized constants, blocks of 64 then 256: 8/64 + 32/(64 x 256) = 0.127 bits (QLoRA Sec. 3)."""
QLORA_BASE_BYTES_PER_PARAM = NF4_BYTES_PER_PARAM + NF4_DOUBLE_QUANT_CONSTANT_BITS_PER_PARAM / 8.0
"""Frozen QLoRA base weights: 4 bits + 0.127 bits of constants = 0.516 bytes per parameter."""
LORA_WIDTH_SUM_PER_LAYER = 18.0
"""Sum of (d_in + d_out) / d_model over the adapted matrices of one block, with adapters on every linear
layer (QLoRA Sec. 4 finds all layers needed to match full fine-tuning): four d x d attention
projections (4 x 2 = 8) and a 4d-wide MLP's two matrices (2 x 5 = 10). GQA and SwiGLU blocks
differ by ~10%."""
ACTIVATION_LINEAR_BYTES = 34.0
"""Korthikanti et al. Table 2: 34 s b h bytes per layer for the linear parts (16-bit activations)."""
ACTIVATION_ATTENTION_BYTES = 5.0
"""Korthikanti et al. Table 2: 5 a s^2 b bytes per layer for attention scores, softmax and dropout."""
ACTIVATION_FULL_RECOMPUTE_BYTES = 2.0
"""Korthikanti et al. Table 2: 2 s b h bytes per layer with full recomputation (the layer input only)."""


def _sharded(zero_stage: ArrayLike, stage: float, n_data_parallel: ArrayLike) -> FloatArray:
    """The data-parallel divisor of a state ZeRO partitions from ``stage`` on (1 below it)."""
    return np.where(arr(zero_stage) >= stage, arr(n_data_parallel), 1.0)


def weight_bytes_per_gpu(
    *,
    n_params: ArrayLike,
    bytes_per_param: ArrayLike,
    zero_stage: ArrayLike,
    n_data_parallel: ArrayLike,
    n_model_parallel: ArrayLike,
) -> FloatArray:
    """Weight bytes on one GPU: divided by tensor x pipeline degree, and by N_d under ZeRO stage 3.

    ZeRO Sec. 5 and Fig. 1 (P_os+g+p); Megatron-LM / PTD-P for the model-parallel division.
    """
    sharding = arr(n_model_parallel) * _sharded(zero_stage, 3.0, n_data_parallel)
    return arr(n_params) * arr(bytes_per_param) / sharding


def gradient_bytes_per_gpu(
    *,
    n_trainable_params: ArrayLike,
    zero_stage: ArrayLike,
    n_data_parallel: ArrayLike,
    n_model_parallel: ArrayLike,
    offload: ArrayLike,
) -> FloatArray:
    """16-bit gradient bytes on one GPU: divided by N_d from ZeRO stage 2; none under ZeRO-Offload.

    ZeRO Sec. 5 and Fig. 1 (P_os+g); ZeRO-Offload Sec. 4.1 (gradients stream to CPU memory).
    """
    sharding = arr(n_model_parallel) * _sharded(zero_stage, 2.0, n_data_parallel)
    on_gpu = 1.0 - arr(offload)
    return arr(n_trainable_params) * GRADIENT_BYTES_PER_PARAM_16BIT / sharding * on_gpu


def optimizer_bytes_per_gpu(
    *,
    n_trainable_params: ArrayLike,
    zero_stage: ArrayLike,
    n_data_parallel: ArrayLike,
    n_model_parallel: ArrayLike,
    offload: ArrayLike,
) -> FloatArray:
    """Adam state bytes (K = 12) on one GPU: divided by N_d from ZeRO stage 1; none under ZeRO-Offload.

    ZeRO Sec. 3.1 and Fig. 1 (P_os); ZeRO-Offload Sec. 4.1 (fp32 states live in CPU memory).
    """
    sharding = arr(n_model_parallel) * _sharded(zero_stage, 1.0, n_data_parallel)
    on_gpu = 1.0 - arr(offload)
    return arr(n_trainable_params) * ADAM_OPTIMIZER_BYTES_PER_PARAM / sharding * on_gpu


def activation_bytes_per_layer(
    *,
    seq_len: ArrayLike,
    micro_batch: ArrayLike,
    d_model: ArrayLike,
    n_heads: ArrayLike,
    n_tensor_parallel: ArrayLike,
) -> FloatArray:
    """Activation bytes of one layer without recomputation: s b h (34 + 5 a s / h) / t.

    Korthikanti et al. 2022, Table 2 ('tensor + sequence parallel' row), 16-bit activations.
    """
    s, b, h = arr(seq_len), arr(micro_batch), arr(d_model)
    per_token = ACTIVATION_LINEAR_BYTES + ACTIVATION_ATTENTION_BYTES * arr(n_heads) * s / h
    return s * b * h * per_token / arr(n_tensor_parallel)


def activation_bytes_per_layer_selective(
    *, seq_len: ArrayLike, micro_batch: ArrayLike, d_model: ArrayLike, n_tensor_parallel: ArrayLike
) -> FloatArray:
    """Activation bytes of one layer with selective recomputation (attention recomputed): 34 s b h / t.

    Korthikanti et al. 2022, Table 2 ('tensor + sequence parallel + selective recompute' row).
    """
    s, b, h = arr(seq_len), arr(micro_batch), arr(d_model)
    return ACTIVATION_LINEAR_BYTES * s * b * h / arr(n_tensor_parallel)


def activation_bytes_per_layer_full(
    *, seq_len: ArrayLike, micro_batch: ArrayLike, d_model: ArrayLike
) -> FloatArray:
    """Activation bytes of one layer with full recomputation (only its input is kept): 2 s b h.

    Korthikanti et al. 2022, Table 2 ('full recompute' row).
    """
    return ACTIVATION_FULL_RECOMPUTE_BYTES * arr(seq_len) * arr(micro_batch) * arr(d_model)


def activation_bytes_per_gpu(*, activation_bytes_per_layer: ArrayLike, n_layers: ArrayLike) -> FloatArray:
    """Activations held by the busiest GPU: all L layers' worth of one micro-batch, whatever p is.

    Korthikanti et al. 2022 Sec. 4.2.3: with the 1F1B pipeline schedule (Narayanan et al. 2021)
    the first stage keeps p micro-batches in flight of its L / p layers, i.e. L layers' worth.
    """
    return arr(activation_bytes_per_layer) * arr(n_layers)


def lora_params(*, n_layers: ArrayLike, d_model: ArrayLike, lora_rank: ArrayLike) -> FloatArray:
    """Trainable LoRA parameters with adapters on every linear layer: L x r x 18 d.

    Hu et al. 2021 Sec. 4 (r (d_in + d_out) per adapted matrix); see ``LORA_WIDTH_SUM_PER_LAYER``.
    """
    return arr(n_layers) * arr(lora_rank) * LORA_WIDTH_SUM_PER_LAYER * arr(d_model)


D_MODEL_PER_LAYER = 128.0
"""Width over depth of the GPT-3 family from 6.7B up (Brown et al. 2020, Table 2.1: 4096/32,
5140/40, 12288/96): the aspect ratio assumed when a model's architecture is unpublished."""
HEAD_DIM_ASSUMED = 128.0
"""Head width of the GPT-3 models from 6.7B up (Brown et al. 2020, Table 2.1: d_head = 128)."""
PARAMS_PER_LAYER_WIDTH_SQUARED = 12.0
"""Non-embedding parameters of a block: 12 d^2 (Kaplan et al. 2020, Sec. 2.1, N = 12 n_layer d^2)."""


def n_layers_from_params(*, n_params: ArrayLike) -> FloatArray:
    """Layers of a model of N parameters at the GPT-3 aspect ratio: N = 12 L d^2 with d = 128 L.

    Kaplan et al. 2020 Sec. 2.1 and Brown et al. 2020 Table 2.1 (see ``D_MODEL_PER_LAYER``).
    """
    per_layer_cubed = PARAMS_PER_LAYER_WIDTH_SQUARED * D_MODEL_PER_LAYER**2
    return np.maximum(np.rint(np.cbrt(arr(n_params) / per_layer_cubed)), 1.0)
