"""Training compute and time.

Sources: Kaplan et al. 2020 "Scaling Laws for Neural Language Models" (C = 6 N D);
Chowdhery et al. 2022 "PaLM", App. B (attention term 12 L H Q T per token; MFU and HFU definitions);
Narayanan et al. 2021 "Efficient Large-Scale Language Model Training on GPU Clusters Using
Megatron-LM", eq. 3 (full activation recomputation adds a forward pass: 8 N D of hardware work);
Korthikanti et al. 2022 "Reducing Activation Recomputation in Large Transformer Models", sec. 4-5
(selective recomputation re-runs only the attention core: the softmax(QK^T)V part).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import SECONDS_PER_DAY, SECONDS_PER_HOUR


def training_flop(*, n_active_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
    """Model FLOP of training: 6 x N_active x D (Kaplan 2020, eq. 2.1; forward 2ND + backward 4ND)."""
    return 6.0 * arr(n_active_params) * arr(n_tokens)


def attention_flop_per_token(
    *, n_layers: ArrayLike, d_attention: ArrayLike, seq_len_tokens: ArrayLike
) -> FloatArray:
    """Training FLOP of self-attention per token: 12 L (H Q) T (PaLM App. B; forward 4 L H Q T,
    backward twice that; H Q = query heads x head_dim, T = sequence length; not halved for causal
    masks, as PaLM counts it)."""
    return 12.0 * arr(n_layers) * arr(d_attention) * arr(seq_len_tokens)


FORWARD_SHARE_OF_TRAINING = 1.0 / 3.0
"""The forward pass is 2 of the 6 FLOP per parameter and token of a training step (Kaplan 2020):
recomputing it adds a third (Narayanan 2021 eq. 3: 8 N D instead of 6 N D)."""


def hardware_flop(
    *, dense_flop: ArrayLike, attention_flop: ArrayLike, recompute_dense: bool, recompute_attention: bool
) -> FloatArray:
    """FLOP the hardware executes: model FLOP plus the forward passes activation recomputation
    re-runs. Full recomputation re-runs both parts (Narayanan 2021: 8 N D); selective re-runs the
    attention core only (Korthikanti 2022 sec. 5); none re-runs nothing (HFU = MFU)."""
    dense, attention = arr(dense_flop), arr(attention_flop)
    extra = FORWARD_SHARE_OF_TRAINING * (
        dense * float(recompute_dense) + attention * float(recompute_attention)
    )
    return dense + attention + extra


def finetune_tokens(
    *, n_examples: ArrayLike, tokens_per_example: ArrayLike, n_epochs: ArrayLike
) -> FloatArray:
    """Tokens processed by supervised fine-tuning or distillation: examples x length x epochs."""
    return arr(n_examples) * arr(tokens_per_example) * arr(n_epochs)


def gpu_seconds(*, train_flop: ArrayLike, peak_flop_per_s: ArrayLike, mfu: ArrayLike) -> FloatArray:
    """Accelerator-seconds of useful work: FLOP / (dense peak x MFU) (PaLM App. B MFU definition)."""
    return arr(train_flop) / (arr(peak_flop_per_s) * arr(mfu))


def gpu_seconds_at_throughput(*, hardware_flop: ArrayLike, achieved_flop_per_s: ArrayLike) -> FloatArray:
    """Accelerator-seconds at an achieved hardware throughput per GPU (as training logs report it)."""
    return arr(hardware_flop) / arr(achieved_flop_per_s)


def utilization(*, flop: ArrayLike, gpu_seconds: ArrayLike, peak_flop_per_s: ArrayLike) -> FloatArray:
    """FLOP per second of accelerator time over the dense peak: MFU for model FLOP, HFU for
    hardware FLOP (PaLM App. B)."""
    return arr(flop) / (arr(gpu_seconds) * arr(peak_flop_per_s))


def allocated_gpu_hours(*, gpu_seconds: ArrayLike, goodput: ArrayLike) -> FloatArray:
    """GPU-hours held by the job: useful seconds / goodput (restarts, failures; Llama 3 reports >90%)."""
    return arr(gpu_seconds) / arr(goodput) / SECONDS_PER_HOUR


def wall_clock_days(*, gpu_hours: ArrayLike, n_gpus: ArrayLike) -> FloatArray:
    """Days of wall clock when ``n_gpus`` share the allocated GPU-hours."""
    return arr(gpu_hours) * SECONDS_PER_HOUR / arr(n_gpus) / SECONDS_PER_DAY


def gpus_for_days(*, gpu_hours: ArrayLike, days: ArrayLike) -> FloatArray:
    """Smallest whole GPU count that finishes ``gpu_hours`` within ``days``."""
    return np.ceil(arr(gpu_hours) * SECONDS_PER_HOUR / (arr(days) * SECONDS_PER_DAY))


def implied_mfu(*, train_flop: ArrayLike, gpu_hours: ArrayLike, peak_flop_per_s: ArrayLike) -> FloatArray:
    """MFU implied by reported GPU-hours: FLOP / (GPU-hours x 3600 x dense peak)."""
    return arr(train_flop) / (arr(gpu_hours) * SECONDS_PER_HOUR * arr(peak_flop_per_s))
