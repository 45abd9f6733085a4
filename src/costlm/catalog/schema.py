"""Pydantic models of the catalog: every number is a ``Sourced`` record.

Units are those the sources print (TB/s, TFLOP/s, GB); the SI properties of
``Accelerator`` (``memory_bytes``, ``hbm_bytes_per_s``, ``dense_peak_flop_per_s``) are the one
place they are converted for the estimators. Models are frozen and forbid unknown
fields so a typo in a TOML file is an error, not a silently ignored value.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from costlm.bounds import (
    MAX_ARCHITECTURE_SIZE,
    MAX_FRACTION,
    MAX_GPUS,
    MAX_GPUS_PER_REPLICA,
    MAX_KV_BITS,
    MAX_PUE,
    MAX_YEAR,
    MIN_FRACTION,
    MIN_KV_BITS,
    MIN_MULTIPLE,
    MIN_PUE,
    MIN_YEAR,
)
from costlm.units import GB, TB, TERA

Basis = Literal["reported", "third-party", "derived", "estimate"]
"""Where a figure comes from: the maker reported it, a third party estimated it,
it is arithmetic on reported inputs, or it is an assumption (costlm's or a source's)."""

Dtype = Literal["fp32", "tf32", "fp16", "bf16", "fp8"]
PriceTier = Literal["on-demand", "reserved", "spot"]
"""Rental tiers: on demand (no commitment), reserved/committed (1-3 years), spot/marketplace."""
RunKind = Literal["pretrain", "finetune", "distill"]
SourceKind = Literal[
    "paper", "datasheet", "model-card", "repository", "dataset", "blog", "news", "docs", "assumption"
]

_MAX_MAGNITUDE = 1e30
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
Size = Annotated[int, Field(gt=0, le=MAX_ARCHITECTURE_SIZE)]
"""An architecture count: layers, widths, heads, experts, vocabulary, context tokens."""


def _float_sized(value: object) -> object:
    """An integer too large for a float is refused for its size (pydantic would say 'not a number')."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_MAGNITUDE:
        raise ValueError(f"an integer above {_MAX_MAGNITUDE:g} is absurdly large")
    return value


class _Frozen(BaseModel):
    # defer_build: a validator is built on first use, not at import; a catalog from the cache
    # (costlm.catalog.cache) is never validated again, so most runs never build one.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Citation(_Frozen):
    """A further source of a sourced record (a range gathered from more than one publication)."""

    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)


class Sourced(_Frozen):
    """A number with its provenance: a point ``value``, a ``low``..``high`` range, or both (the
    value then inside the range). ``also`` cites further sources of parts of the range."""

    value: float | None = None
    low: float | None = None
    high: float | None = None
    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)
    basis: Basis = "reported"
    as_of: str | None = None
    note: str | None = None
    also: list[Citation] | None = None

    _sized = field_validator("value", "low", "high", mode="before")(_float_sized)

    @model_validator(mode="after")
    def _check_numbers(self) -> Sourced:
        numbers = [x for x in (self.value, self.low, self.high) if x is not None]
        if self.value is None and (self.low is None or self.high is None):
            raise ValueError("give `value`, or both `low` and `high`")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both `low` and `high`, or neither")
        for x in numbers:
            if not math.isfinite(x) or x <= 0 or x > _MAX_MAGNITUDE:
                raise ValueError(f"{x!r} is not a positive finite number")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}")
        has_all = self.value is not None and self.low is not None and self.high is not None
        if has_all and not self.low <= self.value <= self.high:  # type: ignore[operator]
            raise ValueError(f"value {self.value:g} is outside its range {self.low:g}..{self.high:g}")
        return self

    @property
    def central(self) -> float:
        """The point value, or the geometric mean of the range."""
        if self.value is not None:
            return self.value
        assert self.low is not None and self.high is not None
        return math.sqrt(self.low * self.high)

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high), collapsing to (value, value) when no range is given."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
        return self.central, self.central


def _fraction(record: Sourced | None) -> Sourced | None:
    """A utilization, efficiency or power fraction: in [MIN_FRACTION, MAX_FRACTION], as the CLI requires."""
    if record is not None and not MIN_FRACTION <= record.bounds[0] <= record.bounds[1] <= MAX_FRACTION:
        raise ValueError(f"{_shown(record)} is not a fraction in [{MIN_FRACTION:g}, {MAX_FRACTION:g}]")
    return record


def _pue(record: Sourced) -> Sourced:
    """PUE = facility power / IT power: in [MIN_PUE, MAX_PUE], as the CLI requires."""
    if not MIN_PUE <= record.bounds[0] <= record.bounds[1] <= MAX_PUE:
        raise ValueError(
            f"PUE {_shown(record)} is outside [{MIN_PUE:g}, {MAX_PUE:g}] (facility power / IT power)"
        )
    return record


def _multiple(record: Sourced) -> Sourced:
    """An overhead multiple (server power over GPU power, cluster cost over GPU cost...): >= 1."""
    if record.bounds[0] < MIN_MULTIPLE:
        raise ValueError(f"{_shown(record)} is below {MIN_MULTIPLE:g}: a whole is at least its GPUs")
    return record


def _shown(record: Sourced) -> str:
    low, high = record.bounds
    return f"{low:g}" if low == high else f"{low:g}..{high:g}"


HTTP_SCHEMES = ("http", "https")
"""The only URL schemes a source may link to (``javascript:``, ``data:``, ``file:``... are refused)."""


def is_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a host and no whitespace or control characters."""
    if any(c.isspace() or not c.isprintable() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in HTTP_SCHEMES and bool(parts.hostname)


class SourcedChoice(_Frozen):
    """A categorical fact (e.g. which accelerator) with its provenance."""

    id: str
    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)
    basis: Basis = "reported"
    note: str | None = None


class Source(_Frozen):
    """One entry of the sources registry."""

    id: str
    title: str
    publisher: str
    kind: SourceKind
    date: str
    url: str | None = None
    repo: str | None = None
    path: str | None = None
    commit: str | None = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, url: str | None) -> str | None:
        if url is not None and not is_http_url(url):
            raise ValueError(
                f"'{url[:80]}' is not an http(s) URL; give https://... (other schemes are refused)"
            )
        return url

    @model_validator(mode="after")
    def _check_where(self) -> Source:
        if self.kind != "assumption" and self.url is None and self.repo is None:
            raise ValueError("give `url` or `repo` (+ `path`) so the source can be found again")
        return self


class Accelerator(_Frozen):
    """An accelerator chip with dense peak rates (never the 2x 'with sparsity' figures)."""

    id: str
    name: str
    vendor: str
    year: Year
    generation: str
    kind: Literal["gpu", "tpu", "other"]
    aliases: list[str] = []
    memory_gb: Sourced
    hbm_tb_per_s: Sourced
    peak_fp32_tflop_per_s: Sourced | None = None
    peak_tf32_dense_tflop_per_s: Sourced | None = None
    peak_bf16_dense_tflop_per_s: Sourced
    peak_fp8_dense_tflop_per_s: Sourced | None = None
    tdp_watts: Sourced | None = None
    purchase_usd: Sourced | None = None
    """Card (or 8-GPU board) price per chip, never including a server."""
    server_usd_per_gpu: Sourced | None = None
    """Per-chip share of a server's price (DGX/HGX system: CPUs, memory, NICs included)."""
    rental_usd_per_hour: Sourced | None = None
    """On-demand rental, per chip-hour (no commitment)."""
    rental_reserved_usd_per_hour: Sourced | None = None
    """Reserved or committed rental (1-3 year terms), per chip-hour."""
    rental_spot_usd_per_hour: Sourced | None = None
    """Spot, preemptible or marketplace rental, per chip-hour."""
    interconnect: str = ""
    link: Literal["nvlink", "pcie", "infinity-fabric", "ici", "ethernet", "neuronlink"] | None = None
    """The GPU-to-GPU link a multi-GPU replica communicates over (2-card bridges do not count)."""
    link_gb_per_s: Sourced | None = None
    """Per-GPU link bandwidth, GB/s each direction: what bounds a ring all-reduce's bus bandwidth."""
    notes: str = ""

    def rental(self, tier: PriceTier) -> Sourced | None:
        """The rental price record of one tier (None when the catalog has none)."""
        return {
            "on-demand": self.rental_usd_per_hour,
            "reserved": self.rental_reserved_usd_per_hour,
            "spot": self.rental_spot_usd_per_hour,
        }[tier]

    @property
    def memory_bytes(self) -> float:
        """Device memory in bytes (the datasheet's GB are decimal)."""
        return self.memory_gb.central * GB

    @property
    def hbm_bytes_per_s(self) -> float:
        """Memory bandwidth in bytes/s (the datasheet's TB/s are decimal)."""
        return self.hbm_tb_per_s.central * TB

    @property
    def link_bytes_per_s(self) -> float | None:
        """Per-GPU link bandwidth in bytes/s each direction (decimal GB), None if not in the catalog."""
        return None if self.link_gb_per_s is None else self.link_gb_per_s.central * GB

    def dense_peak_flop_per_s(self, dtype: Dtype) -> float | None:
        """Dense peak FLOP/s in ``dtype`` (fp16 runs on the bf16/fp16 tensor units); None if unpublished."""
        record = {
            "fp32": self.peak_fp32_tflop_per_s,
            "tf32": self.peak_tf32_dense_tflop_per_s,
            "fp16": self.peak_bf16_dense_tflop_per_s,
            "bf16": self.peak_bf16_dense_tflop_per_s,
            "fp8": self.peak_fp8_dense_tflop_per_s,
        }[dtype]
        return None if record is None else record.central * TERA

    @model_validator(mode="after")
    def _check_units(self) -> Accelerator:
        """Catch figures entered in the wrong unit (FLOP/s instead of TFLOP/s, bytes instead of GB)."""
        limits = {
            "memory_gb": 10_000.0,
            "hbm_tb_per_s": 100.0,
            "peak_fp32_tflop_per_s": 100_000.0,
            "peak_tf32_dense_tflop_per_s": 100_000.0,
            "peak_bf16_dense_tflop_per_s": 100_000.0,
            "peak_fp8_dense_tflop_per_s": 100_000.0,
            "tdp_watts": 100_000.0,
        }
        for name, limit in limits.items():
            record = getattr(self, name)
            if record is not None and record.bounds[1] > limit:
                raise ValueError(
                    f"{name} {record.bounds[1]:g} is implausible (max {limit:g}); check the unit"
                )
        return self


class Architecture(_Frozen):
    """Published architecture facts (exact config values, one source for the table)."""

    source: str
    locator: str
    n_layers: Size
    d_model: Size
    n_heads: Size
    n_kv_heads: Size | None = None
    head_dim: Size
    attention: Literal["mha", "gqa", "mqa", "mla"]
    kv_lora_rank: Size | None = None
    qk_rope_head_dim: Size | None = None
    n_experts: Size | None = None
    n_experts_active: Size | None = None
    vocab_size: Size | None = None
    context_tokens: Size | None = None
    sliding_window_tokens: Size | None = None
    sliding_window_layers: Size | None = None
    """How many of the ``n_layers`` attend within ``sliding_window_tokens`` (Gemma 2 alternates
    local and global layers, Gemma 3 has five local per global); None means every layer."""
    family: str | None = None
    """The Hugging Face ``model_type`` (``llama``, ``gemma2``, ``gpt2``...): which MLP and norms the
    parameter counter (``costlm.resolve.hfconfig``) assumes; None counts as Llama-style."""
    intermediate_size: Size | None = None
    """Width of a dense MLP layer (config ``intermediate_size``; Llama 4's ``intermediate_size_mlp``)."""
    moe_intermediate_size: Size | None = None
    """One routed expert's MLP width (config ``moe_intermediate_size``; Llama 4's ``intermediate_size``)."""
    n_shared_experts: Annotated[int, Field(ge=0, le=MAX_ARCHITECTURE_SIZE)] | None = None
    shared_expert_intermediate_size: Size | None = None
    """Qwen-MoE's one wide shared expert (instead of ``n_shared_experts`` expert-sized ones)."""
    first_k_dense_layers: Annotated[int, Field(ge=0, le=MAX_ARCHITECTURE_SIZE)] | None = None
    """DeepSeek's ``first_k_dense_replace``: the first k layers have a dense MLP, not experts."""
    moe_layer_step: Size | None = None
    """Llama 4's ``interleave_moe_layer_step``: every step-th layer has experts, the rest a dense MLP."""
    q_lora_rank: Size | None = None
    qk_nope_head_dim: Size | None = None
    v_head_dim: Size | None = None
    tie_word_embeddings: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _check_attention(self) -> Architecture:
        if self.attention == "mla" and (self.kv_lora_rank is None or self.qk_rope_head_dim is None):
            raise ValueError("attention 'mla' needs kv_lora_rank and qk_rope_head_dim")
        if self.attention != "mla" and self.n_kv_heads is None:
            raise ValueError(f"attention '{self.attention}' needs n_kv_heads")
        if self.sliding_window_layers is not None and (
            self.sliding_window_tokens is None or self.sliding_window_layers > self.n_layers
        ):
            raise ValueError("sliding_window_layers needs sliding_window_tokens and at most n_layers layers")
        return self

    @property
    def kv_window_tokens(self) -> int | None:
        """The window that caps every layer's KV cache: None unless all layers slide (a model with
        full-attention layers keeps their whole context, so its cache is bounded by the full count)."""
        if self.sliding_window_layers is not None and self.sliding_window_layers < self.n_layers:
            return None
        return self.sliding_window_tokens


class Training(_Frozen):
    """How a catalog model was trained (what the estimator needs), each fact sourced."""

    kind: RunKind = "pretrain"
    hardware: SourcedChoice
    n_gpus: Sourced
    dtype: Dtype = "bf16"
    train_flop: Sourced | None = None
    n_examples: Sourced | None = None
    tokens_per_example: Sourced | None = None
    n_epochs: Sourced | None = None
    base_model: str | None = None
    reported_run: str | None = None


class ArchitectureProxy(_Frozen):
    """How to serve a model whose architecture is not published: the shape (layers, heads, KV) of a
    published catalog ``model``, this model's own parameter counts (or the estimate given here,
    with its range) and, for a mixture of experts, the expert counts. An assumption, named in
    ``note`` and shown with every estimate that uses it."""

    model: str
    source: str = Field(min_length=1)
    locator: str = Field(min_length=1)
    basis: Basis = "estimate"
    n_params: Sourced | None = None
    n_active_params: Sourced | None = None
    n_experts: Size | None = None
    n_experts_active: Size | None = None
    note: str | None = None


class Model(_Frozen):
    """A language model: parameter counts, training facts and (optional) architecture."""

    id: str
    name: str
    organization: str
    year: Year
    aliases: list[str] = []
    family: str | None = None
    """The model family ``costlm catalog list --family`` matches; absent, it is derived from the
    id (``costlm.catalog.browse.model_family``: the id before its size, ``llama-3.1-8b`` -> ``llama-3.1``)."""
    n_params: Sourced | None = None
    n_active_params: Sourced | None = None
    n_train_tokens: Sourced | None = None
    architecture: Architecture | None = None
    architecture_proxy: ArchitectureProxy | None = None
    """Serving assumption for a model without a published architecture (see ``ArchitectureProxy``)."""
    training: Training | None = None
    disclosure: str = ""
    disclosure_es: str = ""
    notes: str = ""


class Run(_Frozen):
    """A reported training run: what its makers (or a third party) said it used."""

    id: str
    name: str
    model: str | None = None
    organization: str
    year: Year
    kind: RunKind
    source_kind: Literal["official", "third-party-estimate"]
    scope: str
    scope_es: str = ""
    hardware: str | None = None
    dtype: Dtype = "bf16"
    n_gpus: Sourced | None = None
    n_params: Sourced | None = None
    n_active_params: Sourced | None = None
    n_tokens: Sourced | None = None
    gpu_hours: Sourced | None = None
    wall_clock_days: Sourced | None = None
    train_flop: Sourced | None = None
    reported_mfu: Sourced | None = None
    energy_mwh: Sourced | None = None
    energy_scope: str | None = None
    co2_t: Sourced | None = None
    cost_usd: Sourced | None = None
    cost_basis: str | None = None
    notes: str = ""

    _check_fraction = field_validator("reported_mfu")(_fraction)


ServeDtype = Literal["fp32", "bf16", "fp16", "fp8", "int8", "int4"]
Engine = Literal["vllm", "sglang", "trt-llm", "tgi", "other"]
"""The serving stack of a measured run: the four engines costlm calibrates, or ``other``."""
EngineChoice = Literal["vllm", "sglang", "trt-llm", "tgi", "generic"]
"""The efficiency prior of a serving estimate: one engine's, or ``generic`` (spanning them all)."""
ENGINE_CHOICES: tuple[EngineChoice, ...] = ("vllm", "sglang", "trt-llm", "tgi", "generic")


class ApiPrice(_Frozen):
    """An API list price per million tokens (a row of a provider's price list)."""

    id: str
    name: str
    model: str | None = None
    provider: str
    input_usd_per_mtok: Sourced | None = None
    output_usd_per_mtok: Sourced | None = None
    cached_input_usd_per_mtok: Sourced | None = None
    """Input tokens read from the provider's prompt cache (where the list prices them)."""
    note: str = ""


class InferenceRun(_Frozen):
    """A measured serving run: configuration and the throughput, latency and energy it reached."""

    id: str
    name: str
    model: str
    hardware: str
    n_gpus: int = Field(gt=0, le=MAX_GPUS)
    tensor_parallel: int = Field(gt=0, le=MAX_GPUS_PER_REPLICA)
    dtype: ServeDtype
    kv_dtype: ServeDtype | None = None
    engine: Engine
    engine_name: str
    """The stack as its source names it (harness, container), ``engine`` its code."""
    engine_version: SourcedChoice | None = None
    """The engine's version where the source states it (``id`` = the version)."""
    scenario: str
    batch: Sourced | None = None
    prompt_tokens: Sourced
    output_tokens: Sourced
    output_tokens_per_s: Sourced | None = None
    output_tokens_per_s_bound: Literal["point", "at_least"] = "point"
    """``at_least`` when the source reports the throughput as a lower bound ('>50K tokens/s')."""
    tpot_s: Sourced | None = None
    ttft_s: Sourced | None = None
    e2e_latency_s: Sourced | None = None
    j_per_output_token: Sourced | None = None
    gpu_power_watts: Sourced | None = None
    energy_scope: str = ""
    notes: str = ""


class ServingEngine(_Frozen):
    """Serving efficiencies of one engine (priors.toml ``[[serving_engine]]``), each a 90% range
    fitted on that engine's measured runs (``generic``: on all runs, so it spans the stacks).
    ``n_runs`` counts the runs of the fit; an engine without runs holds the generic ranges."""

    id: EngineChoice
    n_runs: int = Field(ge=0)
    decode_bandwidth_efficiency: Sourced
    decode_compute_efficiency: Sourced
    prefill_compute_efficiency: Sourced
    step_overhead_s: Sourced | None = None
    note: str = ""

    _check_fraction = field_validator(
        "decode_bandwidth_efficiency", "decode_compute_efficiency", "prefill_compute_efficiency"
    )(_fraction)


LeverWork = Literal["train", "serve"]
LeverEffect = Literal[
    "compute_scale", "active_share", "finetune_recipe", "fp8_training", "mla_cache", "quantize"
]
"""How a lever acts (``costlm.resolve.levers`` has one function per effect)."""


class Lever(_Frozen):
    """A cost lever (levers.toml ``[[lever]]``): a what-if with a sourced, uncertain effect.

    ``factor`` is the effect drawn in the Monte Carlo (its meaning by ``effect``: a multiplier on
    the training compute, the active share of an MoE's parameters, or MLA's cached elements per
    layer in units of the head dimension); ``claimed`` and ``reproduced`` are what the method's
    authors and independent studies report, shown beside the result. ``recipe_model`` names the
    catalog model whose training record is the recipe of a ``finetune_recipe`` lever."""

    id: str
    work: LeverWork
    effect: LeverEffect
    factor: Sourced | None = None
    claimed: Sourced | None = None
    reproduced: Sourced | None = None
    recipe_model: str | None = None
    aliases: list[str] = []
    note: str = ""

    @model_validator(mode="after")
    def _factor_where_drawn(self) -> Lever:
        needs = self.effect in ("compute_scale", "active_share", "mla_cache")
        if needs and self.factor is None:
            raise ValueError(f"lever '{self.id}': effect {self.effect} needs a factor")
        if self.effect == "finetune_recipe" and self.recipe_model is None:
            raise ValueError(f"lever '{self.id}': effect finetune_recipe needs recipe_model")
        return self


class MfuPrior(_Frozen):
    """MFU prior (90% interval) for a hardware generation and training dtype."""

    generation: str
    dtype: Dtype
    mfu: Sourced

    _check_fraction = field_validator("mfu")(_fraction)


class MfuModel(_Frozen):
    """The fitted MFU prior (priors.toml ``[mfu_model]``): log10 MFU linear in a few covariates.

    MFU is against the dense bf16 peak ("bf16-equivalent"; fp8 runs are converted with the chip's
    bf16/fp8 peak ratio). ``centre_mfu`` is the median MFU of a dense bf16 run at the reference
    point: the ``value`` of ``active_params`` and ``n_gpus`` (the medians of the fit data, whose
    ``low``..``high`` is the range a request is clamped to). Each optional factor multiplies the
    MFU per decade of the covariate (or for an MoE / fp8 run, or a run on a generation of
    ``factor_generation``); an absent factor is not in the model. ``interval_factor`` is
    p95 / p50 = p50 / p05. Generations and dtypes without fit runs keep their ``[[mfu_prior]]``.
    """

    centre_mfu: Sourced
    interval_factor: Sourced
    active_params: Sourced
    n_gpus: Sourced
    factor_per_decade_active_params: Sourced | None = None
    factor_per_decade_n_gpus: Sourced | None = None
    factor_moe: Sourced | None = None
    factor_fp8: Sourced | None = None
    factor_generation: dict[str, Sourced] = Field(default_factory=dict)
    generations: list[str] = Field(min_length=1)
    dtypes: list[Dtype] = Field(min_length=1)
    n_runs: int = Field(ge=1)

    _check_fraction = field_validator("centre_mfu")(_fraction)

    @model_validator(mode="after")
    def _check_ranges(self) -> MfuModel:
        for name in ("active_params", "n_gpus"):
            record: Sourced = getattr(self, name)
            if record.value is None or record.low is None or record.high is None:
                raise ValueError(f"{name} needs value (the reference point), low and high (the fit range)")
            if not record.low <= record.value <= record.high:
                raise ValueError(f"{name}: value {record.value} is outside low..high")
        if self.interval_factor.central < 1:
            raise ValueError(f"interval_factor {self.interval_factor.central} is below 1")
        return self


class GridRegion(_Frozen):
    """Grid carbon intensity of a region (a row of grid.csv; ``aliases`` are ';'-separated there:
    ISO 3166 alpha-2 codes and the names people type, matched case-insensitively)."""

    id: str
    name: str
    aliases: list[str] = []
    gco2e_per_kwh: Sourced


class Defaults(_Frozen):
    """Sourced defaults and priors of the estimators (priors.toml ``[defaults]``)."""

    pue: Sourced
    server_overhead: Sourced
    power_fraction_training_gpu: Sourced
    power_fraction_training_tpu: Sourced
    electricity_usd_per_kwh: Sourced
    hardware_lifetime_years: Sourced
    cluster_capex_multiple: Sourced
    goodput: Sourced
    power_fraction_inference: Sourced
    gpu_memory_utilization: Sourced
    engine_reserve_gib_per_gpu: Sourced
    kv_block_tokens: Sourced
    decode_bandwidth_efficiency: Sourced
    decode_compute_efficiency: Sourced
    prefill_compute_efficiency: Sourced
    serving_power_low_fraction: Sourced
    serving_power_high_fraction: Sourced
    serving_idle_power_fraction: Sourced
    allreduce_latency_s: Sourced
    serving_utilization: Sourced
    server_capex_multiple: Sourced
    network_capex_multiple: Sourced
    global_batch_tokens_pretrain: Sourced
    global_batch_sequences_finetune: Sourced
    grid_region: str = "usa"

    _check_pue = field_validator("pue")(_pue)
    _check_fraction = field_validator(
        "power_fraction_training_gpu",
        "power_fraction_training_tpu",
        "goodput",
        "power_fraction_inference",
        "decode_bandwidth_efficiency",
        "decode_compute_efficiency",
        "prefill_compute_efficiency",
        "serving_power_low_fraction",
        "serving_power_high_fraction",
        "serving_idle_power_fraction",
        "serving_utilization",
        "gpu_memory_utilization",
    )(_fraction)
    _check_multiple = field_validator(
        "server_overhead",
        "cluster_capex_multiple",
        "server_capex_multiple",
        "network_capex_multiple",
    )(_multiple)


class Catalog(_Frozen):
    """Everything the estimators know, validated and cross-referenced."""

    sources: dict[str, Source]
    accelerators: dict[str, Accelerator]
    models: dict[str, Model]
    runs: dict[str, Run]
    mfu_priors: list[MfuPrior]
    mfu_model: MfuModel | None = None
    grid: dict[str, GridRegion]
    api_prices: dict[str, ApiPrice]
    inference_runs: dict[str, InferenceRun]
    claims: dict[str, Claim]
    defaults: Defaults
    serving_engines: dict[str, ServingEngine] = Field(default_factory=dict)
    levers: dict[str, Lever] = Field(default_factory=dict)


ClaimQuantity = Literal[
    "training_cost_usd",
    "hardware_cost_usd",
    "fleet_capex_usd",
    "n_gpus",
    "training_days",
    "training_energy_mwh",
    "api_usd_per_million_tokens",
    "inference_usd_per_year",
    "kv_cache_reduction",
    "gpu_rental_usd_per_hour",
]
ClaimScope = Literal["final-run", "all-development", "fleet", "inference", "price-list", "architecture"]


class FleetPart(_Frozen):
    """Part of a claimed GPU fleet: an accelerator and how many."""

    gpu: str
    n_gpus: int = Field(gt=0, le=MAX_GPUS)


class ClaimContext(_Frozen):
    """Conditions a claim states along with its number (they override catalog facts)."""

    gpu: str | None = None
    n_gpus: int | None = Field(default=None, gt=0, le=MAX_GPUS)
    days: float | None = Field(default=None, gt=0, le=_MAX_MAGNITUDE, allow_inf_nan=False)
    fleet: list[FleetPart] = []
    baseline_model: str | None = None
    kv_bits: float | None = Field(default=None, ge=MIN_KV_BITS, le=MAX_KV_BITS, allow_inf_nan=False)
    usd_per_gpu_hour: float | None = Field(default=None, gt=0, le=_MAX_MAGNITUDE, allow_inf_nan=False)

    _sized = field_validator("days", "kv_bits", "usd_per_gpu_hour", mode="before")(_float_sized)


class ClaimReading(_Frozen):
    """Another way to read an ambiguous claim: a different quantity, or the number scaled."""

    label_en: str
    label_es: str
    quantity: ClaimQuantity | None = None
    scope: ClaimScope | None = None
    scale: float = Field(default=1.0, gt=0, le=1e6, allow_inf_nan=False)


class ClaimOrigin(_Frozen):
    """Where a claim was made: the seed document (or the user's own source)."""

    document: str
    publisher: str
    date: str
    author: str | None = None


class Claim(_Frozen):
    """A quantitative cost claim, to be judged against reported figures and costlm's estimate."""

    id: str
    subject: str
    quantity: ClaimQuantity
    bound: Literal["point", "range", "at_least", "at_most"] = "point"
    value: float | None = Field(default=None, gt=0, le=1e30, allow_inf_nan=False)
    low: float | None = Field(default=None, gt=0, le=1e30, allow_inf_nan=False)
    high: float | None = Field(default=None, gt=0, le=1e30, allow_inf_nan=False)
    unit: str = Field(min_length=1)
    scope: ClaimScope
    context: ClaimContext = ClaimContext()
    readings: list[ClaimReading] = []
    origin: ClaimOrigin
    paraphrase_en: str = Field(min_length=1)
    paraphrase_es: str = Field(min_length=1)
    quote_es: str | None = None
    precision: Literal["exact", "approximate"] | None = None
    """How precisely the source states the number; None: read from ``quote_es`` (costlm.analyses.claims)."""

    _sized = field_validator("value", "low", "high", mode="before")(_float_sized)

    @model_validator(mode="after")
    def _check_value(self) -> Claim:
        if self.value is None and (self.low is None or self.high is None):
            raise ValueError("give `value`, or both `low` and `high`")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}")
        return self
