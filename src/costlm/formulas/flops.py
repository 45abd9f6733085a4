"""Training compute and time.

Sources: Kaplan et al. 2020 "Scaling Laws for Neural Language Models" (C = 6 N D);
Chowdhery et al. 2022 "PaLM", App. B (attention term 12 L H Q T per token; MFU definition).
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import SECONDS_PER_DAY, SECONDS_PER_HOUR


def training_flop(*, n_active_params: ArrayLike, n_tokens: ArrayLike) -> FloatArray:
    """Model FLOP of training: 6 x N_active x D (Kaplan 2020, eq. 2.1; forward 2ND + backward 4ND)."""
    return 6.0 * arr(n_active_params) * arr(n_tokens)


def training_flop_with_attention(
    *,
    n_active_params: ArrayLike,
    n_tokens: ArrayLike,
    n_layers: ArrayLike,
    d_attention: ArrayLike,
    seq_len_tokens: ArrayLike,
) -> FloatArray:
    """6 N D + 12 L (H Q) T D: PaLM App. B adds self-attention FLOP per token (H Q = heads x head_dim)."""
    per_token = 6.0 * arr(n_active_params) + 12.0 * arr(n_layers) * arr(d_attention) * arr(seq_len_tokens)
    return per_token * arr(n_tokens)


def finetune_tokens(
    *, n_examples: ArrayLike, tokens_per_example: ArrayLike, n_epochs: ArrayLike
) -> FloatArray:
    """Tokens processed by supervised fine-tuning or distillation: examples x length x epochs."""
    return arr(n_examples) * arr(tokens_per_example) * arr(n_epochs)


def gpu_seconds(*, train_flop: ArrayLike, peak_flop_per_s: ArrayLike, mfu: ArrayLike) -> FloatArray:
    """Accelerator-seconds of useful work: FLOP / (dense peak x MFU) (PaLM App. B MFU definition)."""
    return arr(train_flop) / (arr(peak_flop_per_s) * arr(mfu))


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
