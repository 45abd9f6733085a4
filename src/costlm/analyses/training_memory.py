"""Does a training run fit in its GPUs' memory? Bytes per GPU needed vs available, and the layout.

A point estimate: memory is arithmetic on the model's shape, not an uncertain input like MFU (see
``costlm.formulas.training_memory`` for the formulas and their sources). It is a lower bound:
framework buffers, communication buckets and allocator fragmentation come on top.

Layouts. A layout is data x tensor x pipeline parallel degrees whose product is the GPU count, a
ZeRO stage, a recomputation mode and CPU offload of the optimizer state. Fields the user pinned
(``--zero``, ``--tp``, ``--pp``, ``--recompute``, ``--offload``) are kept; the others are searched:

- tensor-parallel degrees are powers of two up to ``GPUS_PER_NODE`` (Narayanan et al. 2021, Sec. 3.3:
  tensor parallelism within a server), dividing the GPU count;
- pipeline degrees divide the rest, at most one stage per layer;
- ZeRO stages 0-3, but only 0-1 with pipeline parallelism (DeepSpeed's pipeline engine refuses
  ZeRO-2/3: microsoft/DeepSpeed deepspeed/runtime/pipe/engine.py);
- recomputation none, selective or full (Korthikanti et al. 2022).

Among the layouts that fit, the first in the order (less recomputation, fewer pipeline stages, lower
tensor degree, lower ZeRO stage) is chosen: extra compute is avoided first, then model parallelism,
whose communication is heavier than ZeRO's (ZeRO Sec. 7: stage 3 moves 1.5x the data of plain data
parallelism while keeping its compute granularity). When none fits, the layout that needs the least
memory is reported. The smallest feasible GPU count is
searched over powers of two (``GPU_COUNT_CANDIDATES``) with the same method and pins.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.bounds import MAX_GPUS
from costlm.errors import ConfigError, InputError
from costlm.formulas import FloatArray
from costlm.formulas import training_memory as tm
from costlm.resolve.requests import MAX_ZERO_WITH_PIPELINE, Method, Recompute
from costlm.resolve.training_memory import DEFAULT_LORA_RANK, MemorySpec
from costlm.units import GB

LAYOUT_CACHE_SIZE = 4096
"""Model shapes x GPU counts whose layout bytes are kept (each a few kB)."""
GPUS_PER_NODE = 8
"""Largest tensor-parallel degree searched: the GPUs of one NVLink server (Narayanan et al. 2021 Sec. 3.3)."""
RECOMPUTE_ORDER: tuple[Recompute, ...] = ("none", "selective", "full")
"""Recomputation modes from the least extra compute to the most."""
ZERO_STAGES = (0, 1, 2, 3)
GPU_COUNT_CANDIDATES = tuple(2**k for k in range(int(np.log2(MAX_GPUS)) + 1))
"""GPU counts tried for the smallest feasible count: powers of two up to ``MAX_GPUS``."""
CHEAPER_METHODS: dict[Method, tuple[Method, ...]] = {
    "full": ("lora", "qlora"),
    "lora": ("qlora",),
    "qlora": (),
}
"""Fine-tuning methods that need less memory, tried in order when a run does not fit."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MemoryLayout(_Frozen):
    """How the run is split: degrees (their product is the GPU count), ZeRO stage, recomputation, offload."""

    n_data_parallel: int
    n_tensor_parallel: int
    n_pipeline_parallel: int
    zero_stage: int
    recompute: Recompute
    offload: bool


class MemoryBreakdown(_Frozen):
    """Bytes on the busiest GPU by kind (weights include LoRA adapters; gradients and optimizer are
    those of the trainable parameters)."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float


class TrainingMemory(_Frozen):
    """The memory check of a training run: bytes per GPU needed vs available at the chosen layout."""

    feasible: bool
    n_gpus: int
    bytes_per_gpu_needed: float
    bytes_per_gpu_available: float
    layout: MemoryLayout
    breakdown: MemoryBreakdown
    method: Method
    lora_rank: int | None
    n_trainable_params: float
    seq_len: int
    seq_len_basis: str
    micro_batch: int
    attention_kernel: str = "flash"
    architecture_basis: Literal["catalog", "estimated"]
    min_n_gpus: int | None
    """Smallest power-of-two GPU count of this accelerator that fits (same method and pins); None if none."""
    min_n_gpus_layout: MemoryLayout | None
    fitting_method: Method | None
    """When the run does not fit: the first cheaper method (lora, qlora) that fits on ``n_gpus``."""


def _layouts(spec: MemorySpec, n_gpus: int) -> list[tuple[int, int, int, int, int]]:
    """Candidate layouts (recompute index, pp, tp, zero, dp) in preference order; [] if none is valid."""
    tps = [spec.tensor_parallel] if spec.tensor_parallel else [t for t in (1, 2, 4, 8) if t <= GPUS_PER_NODE]
    recomputes = [RECOMPUTE_ORDER.index(spec.recompute)] if spec.recompute else range(len(RECOMPUTE_ORDER))
    zeros = [spec.zero_stage] if spec.zero_stage is not None else ZERO_STAGES
    rows = []
    for tp in (t for t in tps if n_gpus % t == 0):
        rest = n_gpus // tp
        pps = [spec.pipeline_parallel] if spec.pipeline_parallel else range(1, min(rest, spec.n_layers) + 1)
        for pp in (p for p in pps if rest % p == 0):
            for zero in (z for z in zeros if pp == 1 or z <= MAX_ZERO_WITH_PIPELINE):
                rows += [(r, pp, tp, zero, rest // pp) for r in recomputes]
    return sorted(rows)


def _trainable(spec: MemorySpec, method: Method) -> float:
    if method == "full":
        return spec.n_params
    rank = spec.lora_rank or DEFAULT_LORA_RANK
    return float(tm.lora_params(n_layers=spec.n_layers, d_model=spec.d_model, lora_rank=rank))


def _bytes(spec: MemorySpec, method: Method, rows: np.ndarray) -> dict[str, FloatArray]:
    """Bytes per GPU of each kind for each layout row (columns: recompute, pp, tp, zero, dp)."""
    recompute, pp, tp, zero, dp = (rows[:, i].astype(np.float64) for i in range(5))
    trainable = _trainable(spec, method)
    states = {"zero_stage": zero, "n_data_parallel": dp, "n_model_parallel": tp * pp}
    base_bpp = tm.QLORA_BASE_BYTES_PER_PARAM if method == "qlora" else tm.WEIGHT_BYTES_PER_PARAM_16BIT
    weights = tm.weight_bytes_per_gpu(n_params=spec.n_params, bytes_per_param=base_bpp, **states)
    if method != "full":
        adapters = tm.weight_bytes_per_gpu(
            n_params=trainable, bytes_per_param=tm.WEIGHT_BYTES_PER_PARAM_16BIT, **states
        )
        weights = weights + adapters
    offload = float(spec.offload)
    shape = {"seq_len": spec.seq_len, "micro_batch": spec.micro_batch, "d_model": spec.d_model}
    selective = tm.activation_bytes_per_layer_selective(**shape, n_tensor_parallel=tp)
    # A fused attention kernel (FlashAttention, Dao et al. 2022) never stores the a s^2 scores:
    # without recomputation a layer then holds what selective recomputation keeps (34 s b h / t).
    eager = tm.activation_bytes_per_layer(**shape, n_heads=spec.n_heads, n_tensor_parallel=tp)
    none = selective if spec.attention_kernel == "flash" else eager
    per_layer = np.select(
        [recompute == 0, recompute == 1],
        [none, selective],
        tm.activation_bytes_per_layer_full(**shape) * np.ones_like(tp),
    )
    return {
        "weights_bytes": weights,
        "gradients_bytes": tm.gradient_bytes_per_gpu(n_trainable_params=trainable, offload=offload, **states),
        "optimizer_bytes": tm.optimizer_bytes_per_gpu(
            n_trainable_params=trainable, offload=offload, **states
        ),
        "activations_bytes": tm.activation_bytes_per_gpu(
            activation_bytes_per_layer=per_layer, n_layers=spec.n_layers
        ),
    }


@functools.lru_cache(maxsize=LAYOUT_CACHE_SIZE)
def _layout_bytes(
    shape: MemorySpec, n_gpus: int, method: Method, sequences_per_step: int | None
) -> tuple[np.ndarray, dict[str, FloatArray], FloatArray] | None:
    """(layout rows, bytes per GPU by kind, total) of every candidate layout; None if none is valid.

    ``shape`` is a spec without its accelerator (bytes needed do not depend on the device), so the
    planner's search over accelerators computes each model shape and count once. Read-only arrays."""
    rows = _layouts(shape, n_gpus)
    if sequences_per_step is not None:  # row: (recompute, pp, tp, zero, dp)
        rows = [row for row in rows if row[4] * row[1] * shape.micro_batch <= sequences_per_step]
    if not rows:
        return None
    table = np.array(rows, dtype=np.int64)
    parts = _bytes(shape, method, table)
    needed = np.sum(list(parts.values()), axis=0)
    for array in (table, needed, *parts.values()):
        array.flags.writeable = False
    return table, parts, needed


def _plan(
    spec: MemorySpec, n_gpus: int, method: Method, sequences_per_step: int | None = None
) -> tuple[bool, MemoryLayout, MemoryBreakdown] | None:
    """The preferred layout that fits on ``n_gpus`` (else the one needing least memory); None if no
    layout, or none that a step of ``sequences_per_step`` sequences keeps busy (``fit_layout``)."""
    found = _layout_bytes(
        replace(spec, accelerator="", memory_bytes_per_gpu=0.0), n_gpus, method, sequences_per_step
    )
    if found is None:
        return None
    table, parts, needed = found
    fits = np.asarray(needed <= spec.memory_bytes_per_gpu)
    i = int(np.argmax(fits)) if fits.any() else int(np.argmin(needed))
    recompute, pp, tp, zero, dp = (int(v) for v in table[i])
    layout = MemoryLayout(
        n_data_parallel=dp,
        n_tensor_parallel=tp,
        n_pipeline_parallel=pp,
        zero_stage=zero,
        recompute=RECOMPUTE_ORDER[recompute],
        offload=spec.offload,
    )
    return bool(fits[i]), layout, MemoryBreakdown(**{k: float(v[i]) for k, v in parts.items()})


def fit_layout(
    spec: MemorySpec, n_gpus: int, *, sequences_per_step: int | None = None
) -> tuple[bool, MemoryLayout] | None:
    """(fits, layout) of the preferred layout on ``n_gpus``; None when no layout splits the GPUs.

    With ``sequences_per_step`` (the global batch), only layouts that one optimizer step keeps busy:
    data-parallel replicas x pipeline stages x micro-batch <= sequences per step. A replica cannot
    take less than one micro-batch, and a pipeline of p stages needs m >= p micro-batches per step or
    most of the step is bubble (Narayanan et al. 2021 Sec. 2.2.1: bubble fraction (p - 1) / m).
    Unlike ``check_memory`` it does not search the smallest count (the planner walks the counts)."""
    plan = _plan(spec, n_gpus, spec.method, sequences_per_step)
    return None if plan is None else (plan[0], plan[1])


def _smallest(spec: MemorySpec) -> tuple[int, MemoryLayout] | None:
    for n in GPU_COUNT_CANDIDATES:
        plan = _plan(spec, n, spec.method)
        if plan is not None and plan[0]:
            return n, plan[1]
    return None


def check_memory(spec: MemorySpec, n_gpus: int) -> TrainingMemory:
    """The memory check of ``spec`` on ``n_gpus`` GPUs; InputError if the pinned layout cannot split them."""
    plan = _plan(spec, n_gpus, spec.method)
    if plan is None:
        raise InputError(
            f"--tp {spec.tensor_parallel or 1} x --pp {spec.pipeline_parallel or 1} does not divide "
            f"{n_gpus} GPUs into whole data-parallel groups",
            key="layout_does_not_divide",
            tp=spec.tensor_parallel or 1,
            pp=spec.pipeline_parallel or 1,
            n=n_gpus,
        )
    feasible, layout, breakdown = plan
    smallest = _smallest(spec)
    fitting = None
    if not feasible:
        fitting = next(
            (m for m in CHEAPER_METHODS[spec.method] if (p := _plan(spec, n_gpus, m)) and p[0]), None
        )
    return TrainingMemory(
        feasible=feasible,
        n_gpus=n_gpus,
        bytes_per_gpu_needed=sum(breakdown.model_dump().values()),
        bytes_per_gpu_available=spec.memory_bytes_per_gpu,
        layout=layout,
        breakdown=breakdown,
        method=spec.method,
        lora_rank=spec.lora_rank,
        n_trainable_params=_trainable(spec, spec.method),
        seq_len=spec.seq_len,
        seq_len_basis=spec.seq_len_basis,
        micro_batch=spec.micro_batch,
        attention_kernel=spec.attention_kernel,
        architecture_basis=spec.architecture_basis,
        min_n_gpus=smallest[0] if smallest else None,
        min_n_gpus_layout=smallest[1] if smallest else None,
        fitting_method=fitting,
    )


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / GB:,.0f}" if n_bytes >= 10 * GB else f"{n_bytes / GB:.1f}"


def layout_flags(layout: MemoryLayout) -> str:
    """The options that pin ``layout``, e.g. '--zero 1 --tp 8 --pp 4' (flags read alike in every language)."""
    flags = [f"--zero {layout.zero_stage}"]
    flags += [f"--tp {layout.n_tensor_parallel}"] if layout.n_tensor_parallel > 1 else []
    flags += [f"--pp {layout.n_pipeline_parallel}"] if layout.n_pipeline_parallel > 1 else []
    flags += [f"--recompute {layout.recompute}"] if layout.recompute != "none" else []
    return " ".join(flags)


def require_fit(memory: TrainingMemory, gpu: str) -> None:
    """Raise the one-line ConfigError of a run that does not fit, naming the nearest fixes."""
    if memory.feasible:
        return
    values = {
        "needed": _gb(memory.bytes_per_gpu_needed),
        "gpu": gpu,
        "available": _gb(memory.bytes_per_gpu_available),
        "n": memory.min_n_gpus or 0,
        "layout": layout_flags(memory.min_n_gpus_layout) if memory.min_n_gpus_layout else "",
        "method": memory.fitting_method or "",
    }
    head = f"does not fit: needs {values['needed']} GB per GPU, {gpu} has {values['available']} GB"
    gpus = f"--n-gpus {values['n']} with {values['layout']}"
    method = f"--method {values['method']}"
    if memory.min_n_gpus and memory.fitting_method:
        raise ConfigError(f"{head}; try {gpus}, or {method}", key="train_does_not_fit", **values)
    if memory.min_n_gpus:
        raise ConfigError(f"{head}; try {gpus}", key="train_does_not_fit_gpus", **values)
    if memory.fitting_method:
        raise ConfigError(f"{head}; try {method}", key="train_does_not_fit_method", **values)
    raise ConfigError(
        f"{head}; no GPU count fits: lower --seq-len or --micro-batch, or use --method qlora",
        key="train_does_not_fit_anywhere",
        **values,
    )
