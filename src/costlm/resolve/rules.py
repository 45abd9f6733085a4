"""Rules about accelerators and precisions, each stated once: which 16-bit format a chip computes
in, which dtype a model is served in, and which dense peak rate a dtype runs at (in FLOP/s)."""

from __future__ import annotations

from typing import Literal

from costlm.catalog.schema import Accelerator, Dtype, Model, ServeDtype
from costlm.errors import InputError

NO_BF16_GENERATIONS = ("volta", "turing")
"""V100 and T4 have FP16 tensor cores but no BF16: their half-precision work is fp16."""
QUANTIZED_WEIGHTS = ("fp8", "int8", "int4")
"""Weight formats that run on the 8-bit tensor units when the chip has them (else in bf16)."""


def half_precision(acc: Accelerator) -> Literal["fp16", "bf16"]:
    """The 16-bit format an accelerator computes in: fp16 on Volta/Turing, bf16 elsewhere."""
    return "fp16" if acc.generation in NO_BF16_GENERATIONS else "bf16"


def serving_dtype(model: Model | None, acc: Accelerator) -> ServeDtype:
    """Weights are served as released: fp8 for models trained (and released) in fp8, else the
    accelerator's 16-bit format."""
    if model is not None and model.training is not None and model.training.dtype == "fp8":
        return "fp8"
    return half_precision(acc)


def peak_flop_per_s(acc: Accelerator, dtype: Dtype) -> float:
    """Dense peak FLOP/s of ``acc`` in ``dtype`` (fp16 uses the bf16/fp16 tensor rate)."""
    peak = acc.dense_peak_flop_per_s(dtype)
    if peak is None:
        raise InputError(
            f"{acc.id} has no dense {dtype} peak in the catalog; choose another --dtype (e.g. bf16)",
            key="no_dense_peak",
            gpu=acc.id,
            dtype=dtype,
        )
    return peak


def serving_peak_flop_per_s(acc: Accelerator, weights_dtype: str) -> float:
    """Dense peak FLOP/s a served model computes at: 8-bit units for quantized weights where the chip
    has them; weight-only quantization on a chip without fp8 units still computes in bf16."""
    if weights_dtype in QUANTIZED_WEIGHTS and acc.dense_peak_flop_per_s("fp8") is not None:
        return peak_flop_per_s(acc, "fp8")
    return peak_flop_per_s(acc, "bf16")
