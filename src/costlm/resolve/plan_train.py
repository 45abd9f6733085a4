"""The request of ``costlm plan train``: the work (as ``costlm train`` takes it) plus constraints.

The work is a catalog MODEL, ``--params`` and ``--tokens``, or a fine-tune (``--base MODEL`` or
``--params``, with ``--examples``, ``--tokens-per-example`` and ``--epochs``). Its fields carry the
rules of ``TrainingRequest`` (``costlm.resolve.requests``); the planner builds one
``TrainingRequest`` per (accelerator, dtype, tier) with ``work_request``, so the work is validated
exactly as ``costlm train`` validates it (``PlanTrainRequest`` builds one at the boundary).

Constraints are checked at the 90th percentile of the Monte Carlo (``costlm.analyses.plan_train``):
``deadline_days``, ``budget_usd``, ``max_co2_t``. ``gpus`` lists accelerator ids (None: every
accelerator of the catalog); unknown ids fail in ``plan_accelerators`` with did-you-mean.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Self, TypedDict, get_args

from pydantic import BeforeValidator, model_validator

from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Catalog, Dtype
from costlm.errors import InputError
from costlm.resolve.requests import (
    Count,
    FrozenRequest,
    GpuCount,
    LeverNames,
    LoraRank,
    MeanCount,
    Method,
    MicroBatch,
    Number,
    Positive,
    PriceTierChoice,
    Samples,
    Seed,
    TrainingRequest,
    build,
)
from costlm.resolve.training_memory import DEFAULT_SEQ_LEN

Acquisition = Literal["rent", "buy", "both"]
Objective = Literal["cost", "time", "co2"]
ACQUISITIONS: tuple[Acquisition, ...] = get_args(Acquisition)
OBJECTIVES: tuple[Objective, ...] = get_args(Objective)
DTYPES: tuple[Dtype, ...] = get_args(Dtype)
DEFAULT_MAX_GPUS = 16_384
"""Largest GPU count searched unless ``--max-gpus`` says otherwise: the largest published single
training run (Llama 3.1 405B, up to 16K H100) rounded to a power of two. ``costlm.bounds.MAX_GPUS``
(10M) bounds what a user may ask; searching it by default would only add implausible clusters."""
DEFAULT_PLAN_SAMPLES = 2_000
"""Monte Carlo samples per (accelerator, dtype): p90s to ~1% (the planner evaluates hundreds)."""
ALL = "all"


def _names(value: object, *, name: str) -> tuple[str, ...] | None:
    """'a,b' or ['a', 'b'] -> ('a', 'b') lower-cased, without repeats; 'all' or None -> None."""
    if value is None:
        return None
    parts = (
        value.split(",")
        if isinstance(value, str)
        else list(value)
        if isinstance(value, list | tuple)
        else None
    )
    if parts is None or not all(isinstance(p, str) for p in parts):
        raise InputError(
            f"{name}: expected comma-separated ids, got {value!r}", key="expected_ids", name=name
        )
    names = tuple(dict.fromkeys(p.strip().lower() for p in parts if p.strip()))
    if not names:
        raise InputError(f"{name}: give at least one id (or '{ALL}')", key="empty_ids", name=name)
    return None if names == (ALL,) else names


def _gpu_ids(value: object) -> tuple[str, ...] | None:
    return _names(value, name="gpus")


def _dtype_ids(value: object) -> tuple[str, ...] | None:
    names = _names(value, name="dtypes")
    for dtype in names or ():
        if dtype not in DTYPES:
            listed = ", ".join(DTYPES)
            raise InputError(
                f"dtypes: '{dtype}' is not a training precision; choose from {listed}",
                key="bad_dtype",
                value=dtype,
                choices=listed,
            )
    return names


def _choice(choices: tuple[str, ...], name: str) -> BeforeValidator:
    def check(value: object) -> object:
        shown = str(value).strip().lower()
        if shown not in choices:
            listed = ", ".join(choices)
            raise InputError(
                f"{name}: '{value}' is not one of {listed}",
                key="bad_choice",
                name=name,
                value=str(value),
                choices=listed,
            )
        return shown

    return BeforeValidator(check)


GpuIds = Annotated[tuple[str, ...] | None, BeforeValidator(_gpu_ids)]
DtypeIds = Annotated[tuple[Dtype, ...] | None, BeforeValidator(_dtype_ids)]
AcquisitionChoice = Annotated[Acquisition, _choice(ACQUISITIONS, "acquisition")]
ObjectiveChoice = Annotated[Objective, _choice(OBJECTIVES, "objective")]


class PlanTrainRequest(FrozenRequest):
    """What to train and under which constraints (module docstring)."""

    model: str | None = None
    params: Count | None = None
    active_params: Count | None = None
    tokens: Count | None = None
    base: str | None = None
    examples: Count | None = None
    tokens_per_example: MeanCount | None = None
    epochs: Positive | None = None
    method: Method = "full"
    lora_rank: LoraRank | None = None
    seq_len: Count | None = None
    micro_batch: MicroBatch = 1
    global_batch: Count | None = None
    """Sequences per optimizer step (default: ``[defaults]`` of priors.toml, see ``global_batch_limit``)."""
    deadline_days: Positive | None = None
    budget_usd: Positive | None = None
    max_co2_t: Positive | None = None
    gpus: GpuIds = None
    max_gpus: GpuCount = DEFAULT_MAX_GPUS
    acquisition: AcquisitionChoice = "rent"
    price_tier: PriceTierChoice = "auto"
    grid: str | None = None
    dtypes: DtypeIds = None
    objective: ObjectiveChoice = "cost"
    levers: LeverNames = ()
    """Cost levers applied to every configuration (``costlm.resolve.levers``)."""
    samples: Samples = DEFAULT_PLAN_SAMPLES
    seed: Seed | None = 0

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.base is not None and self.model is not None:
            raise InputError(
                "give a catalog MODEL or --base MODEL (a fine-tune), not both", key="model_or_base"
            )
        if self.model is None and self.base is None and self.params is None:
            raise InputError(
                "give a catalog MODEL, --params and --tokens, or a fine-tune (--base MODEL --examples N"
                " --tokens-per-example L --epochs E); see `costlm plan train --help`",
                key="plan_needs_work",
            )
        if self.params is not None and self.tokens is None and not self.finetune:
            raise InputError(
                "--params needs --tokens (or a fine-tune's --examples, --tokens-per-example, --epochs)",
                key="plan_params_need_tokens",
            )
        if self.finetune:
            missing = [f for f in ("examples", "tokens_per_example", "epochs") if getattr(self, f) is None]
            if missing or self.tokens is not None:
                raise InputError(
                    "a fine-tune takes --examples, --tokens-per-example and --epochs (not --tokens)",
                    key="plan_finetune_fields",
                )
        self.work_request(gpu=None, dtype=None, price_tier="on-demand")  # the rules of `costlm train`
        return self

    @property
    def finetune(self) -> bool:
        """A fine-tune: a ``--base`` model, or examples of a custom model."""
        return self.base is not None or self.examples is not None

    def work_request(self, *, gpu: str | None, dtype: Dtype | None, price_tier: str) -> TrainingRequest:
        """The ``costlm train`` request of this work on one ``gpu`` (counts do not change GPU-hours)."""
        fields = {
            "model": self.base or self.model,
            "kind": "finetune" if self.finetune else None,
            "gpu": gpu,
            "n_gpus": 1,
            "dtype": dtype,
            "price_tier": price_tier,
            **{name: getattr(self, name) for name in WORK_FIELDS},
            "grid": self.grid,
            "levers": self.levers,
            "samples": self.samples,
            "seed": self.seed,
        }
        return build(TrainingRequest, fields)


WORK_FIELDS = (
    "params",
    "active_params",
    "tokens",
    "examples",
    "tokens_per_example",
    "epochs",
    "method",
    "lora_rank",
    "seq_len",
    "micro_batch",
)
"""The fields a plan passes unchanged to each ``TrainingRequest``."""


class PlanTrainFields(TypedDict, total=False):
    """The keyword arguments of ``make_plan_train_request`` (the fields of ``PlanTrainRequest``)."""

    model: str | None
    params: Number | None
    active_params: Number | None
    tokens: Number | None
    base: str | None
    examples: Number | None
    tokens_per_example: Number | None
    epochs: Number | None
    method: str
    lora_rank: int | None
    seq_len: Number | None
    micro_batch: int
    global_batch: Number | None
    deadline_days: Number | None
    budget_usd: Number | None
    max_co2_t: Number | None
    gpus: str | list[str] | None
    max_gpus: int
    acquisition: str
    price_tier: str
    grid: str | None
    dtypes: str | list[str] | None
    levers: str | list[str]
    objective: str
    samples: int
    seed: int | None


def plan_accelerators(req: PlanTrainRequest, cat: Catalog) -> list[Accelerator]:
    """The accelerators to search: the user's (unknown ids fail with did-you-mean) or the catalog's."""
    if req.gpus is None:
        return list(cat.accelerators.values())
    found = [load.accelerator(cat, name) for name in req.gpus]
    return list({acc.id: acc for acc in found}.values())


GlobalBatchBasis = Literal["user", "pretrain_default", "finetune_default"]


def global_batch_limit(
    req: PlanTrainRequest, cat: Catalog, seq_len: int | None
) -> tuple[int, GlobalBatchBasis]:
    """Sequences per optimizer step: the most data-parallel replicas a run can use.

    ``--global-batch``; else a fine-tune's default in sequences; else the pre-training default in
    tokens over the sequence length (``DEFAULT_SEQ_LEN`` when the memory check has none), at least 1.
    """
    if req.global_batch is not None:
        return int(req.global_batch), "user"
    d = cat.defaults
    if req.finetune:
        return max(int(d.global_batch_sequences_finetune.central), 1), "finetune_default"
    tokens = d.global_batch_tokens_pretrain.central
    return max(math.floor(tokens / (seq_len or DEFAULT_SEQ_LEN)), 1), "pretrain_default"
