"""What the training memory check needs, resolved from a request, its catalog model and accelerator.

The memory check is a point estimate (memory, unlike MFU, is not an uncertain input): the
parameter count is the catalog's central value or the user's, the architecture the catalog's
(layers, width, heads) or, when unpublished, the GPT-3 aspect ratio
(``costlm.formulas.training_memory.n_layers_from_params``), labelled ``estimated``.

Defaults, each documented once here:

- sequence length: ``--seq-len``; else a fine-tune's mean tokens per example (one example is one
  sequence), rounded up; else ``DEFAULT_SEQ_LEN``;
- LoRA rank: ``--lora-rank``, else ``DEFAULT_LORA_RANK`` for ``--method lora|qlora``;
- ZeRO stage, tensor and pipeline degrees and recomputation: the user's, else searched (see
  ``costlm.analyses.training_memory``): unset means "the cheapest layout that fits", not a fixed
  stage, so that the reported runs of the catalog (trained with layouts they did not all publish)
  are checked against some layout that real frameworks offer rather than refused.

A model with no total parameter count (only a FLOP figure) has no memory check (``None``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from costlm.catalog.schema import Accelerator, Model, Training
from costlm.formulas.training_memory import D_MODEL_PER_LAYER, HEAD_DIM_ASSUMED, n_layers_from_params
from costlm.resolve.requests import AttentionKernel, Method, Recompute, TrainingRequest

DEFAULT_SEQ_LEN = 4096
"""Sequence length of the memory check when neither the user nor a fine-tune's examples give one
(Llama 2's pretraining context, Touvron et al. 2023 Table 1); a costlm assumption for other runs."""
DEFAULT_LORA_RANK = 16
"""LoRA rank when none is given (costlm assumption; Hu et al. 2021 Sec. 7.2 find small ranks suffice)."""

ArchitectureBasis = Literal["catalog", "estimated"]
SeqLenBasis = Literal["user", "examples", "default"]


@dataclass(frozen=True)
class MemorySpec:
    """The inputs of the training memory check: model shape, sequence, method and the user's pins."""

    n_params: float
    n_layers: int
    d_model: int
    n_heads: int
    architecture_basis: ArchitectureBasis
    seq_len: int
    seq_len_basis: SeqLenBasis
    micro_batch: int
    method: Method
    lora_rank: int | None
    zero_stage: int | None
    tensor_parallel: int | None
    pipeline_parallel: int | None
    recompute: Recompute | None
    offload: bool
    accelerator: str
    memory_bytes_per_gpu: float
    attention_kernel: AttentionKernel = "flash"


def _shape(n_params: float, model: Model | None, own_params: bool) -> tuple[int, int, int, ArchitectureBasis]:
    """(layers, width, heads, basis): the catalog's when the parameters are the model's own."""
    arch = model.architecture if model is not None and own_params else None
    if arch is not None:
        return arch.n_layers, arch.d_model, arch.n_heads, "catalog"
    n_layers = int(n_layers_from_params(n_params=n_params))
    d_model = int(n_layers * D_MODEL_PER_LAYER)
    return n_layers, d_model, max(int(d_model / HEAD_DIM_ASSUMED), 1), "estimated"


def _seq_len(req: TrainingRequest, tr: Training | None, kind: str) -> tuple[int, SeqLenBasis]:
    if req.seq_len is not None:
        return int(req.seq_len), "user"
    per_example = req.tokens_per_example
    if per_example is None and tr is not None and tr.tokens_per_example is not None:
        per_example = tr.tokens_per_example.central
    if kind != "pretrain" and per_example is not None:
        return math.ceil(per_example), "examples"
    return DEFAULT_SEQ_LEN, "default"


def memory_spec(req: TrainingRequest, model: Model | None, acc: Accelerator, kind: str) -> MemorySpec | None:
    """The memory check's inputs, or None when the total parameter count is unknown."""
    catalog_params = model.n_params if model is not None and req.params is None else None
    own = catalog_params is not None
    n_params = req.params if req.params is not None else (catalog_params.central if catalog_params else None)
    if n_params is None or req.train_flop is not None:
        return None
    n_layers, d_model, n_heads, basis = _shape(n_params, model, own)
    seq_len, seq_basis = _seq_len(req, model.training if model else None, kind)
    adapters = req.method != "full"
    return MemorySpec(
        n_params=n_params,
        n_layers=n_layers,
        d_model=d_model,
        n_heads=n_heads,
        architecture_basis=basis,
        seq_len=seq_len,
        seq_len_basis=seq_basis,
        micro_batch=req.micro_batch,
        method=req.method,
        lora_rank=(req.lora_rank or DEFAULT_LORA_RANK) if adapters else None,
        zero_stage=req.zero_stage,
        tensor_parallel=req.tensor_parallel,
        pipeline_parallel=req.pipeline_parallel,
        recompute=req.recompute,
        offload=req.offload,
        accelerator=acc.id,
        memory_bytes_per_gpu=acc.memory_bytes,
        attention_kernel=req.attention_kernel,
    )
