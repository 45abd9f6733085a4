"""Resolve a ``ServeRequest`` into a ``ServeSpec``: architecture, memory plan and uncertain inputs.

Memory decisions are exact given the architecture (weights and KV bytes are counts, not
guesses): the tensor-parallel degree is the smallest power of two whose memory holds the
weights x runtime overhead plus the KV cache of the batch, and the default batch is the
largest that fits. Throughput, power and prices are the uncertain part.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from costlm.bounds import (
    MAX_BATCH,
    MAX_GPUS_PER_REPLICA,
    MAX_KV_BITS,
    MAX_PEAK_FACTOR,
    MAX_PUE,
    MIN_KV_BITS,
    MIN_PEAK_FACTOR,
    MIN_PUE,
)
from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Architecture, Catalog, Model, ServeDtype, Sourced
from costlm.errors import ConfigError, InputError
from costlm.estimate.hfconfig import read_config
from costlm.estimate.resolve import half_precision
from costlm.estimate.specs import Inputs, Range, dist_of, dist_of_range
from costlm.formulas import memory
from costlm.units import GB, TB, TERA, check_positive, format_count

_KV_DEFAULT = {"fp8": "fp8", "int8": "bf16", "int4": "bf16"}


class ServeRequest(BaseModel):
    """A serving estimate request: a catalog model or a local config.json, hardware and traffic."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    config: str | None = None
    gpu: str | None = None
    n_gpus: int | None = None
    dtype: ServeDtype | None = None
    kv_dtype: ServeDtype | None = None
    kv_bits: float | None = None
    batch: int | None = None
    target_batch: int = 64
    prompt_tokens: float = 1000.0
    output_tokens: float = 300.0
    tokens_per_day: float | None = None
    peak_factor: float = 2.0
    usd_per_gpu_hour: Range | None = None
    gpu_price_usd: Range | None = None
    utilization: Range | None = None
    pue: Range | None = None
    grid: str | None = None
    samples: int = 10_000
    seed: int | None = 0


@dataclass
class ServeSpec:
    """Everything the serving pipeline needs, structural facts fixed, the rest as distributions."""

    label: str
    model_id: str | None
    arch: Architecture
    n_params: float
    n_active_params: float
    accelerator: Accelerator
    dtype: str
    kv_dtype: str
    weights_bytes: float
    kv_bytes_per_token: float
    n_gpus: int
    max_batch: int
    batch: int
    prompt_tokens: float
    output_tokens: float
    peak_flop_per_s: float
    hbm_bytes_per_s: float
    inputs: Inputs
    grid_region: str
    warnings: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def kv_bytes_per_token(arch: Architecture, bytes_per_element: float) -> float:
    """Exact KV cache bytes per token of an architecture (MLA latent or 2 x KV heads x head_dim)."""
    if arch.attention == "mla":
        assert arch.kv_lora_rank is not None and arch.qk_rope_head_dim is not None
        return float(
            memory.kv_bytes_per_token_mla(
                n_layers=arch.n_layers,
                kv_lora_rank=arch.kv_lora_rank,
                qk_rope_head_dim=arch.qk_rope_head_dim,
                bytes_per_element=bytes_per_element,
            )
        )
    assert arch.n_kv_heads is not None
    return float(
        memory.kv_bytes_per_token_gqa(
            n_layers=arch.n_layers,
            n_kv_heads=arch.n_kv_heads,
            head_dim=arch.head_dim,
            bytes_per_element=bytes_per_element,
        )
    )


def _model_facts(
    req: ServeRequest, cat: Catalog
) -> tuple[str, str | None, Architecture, float, float, list[tuple[str, str, dict[str, str]]]]:
    if req.config is not None:
        parsed = read_config(req.config)
        return (
            parsed.name,
            None,
            parsed.architecture,
            parsed.n_params,
            parsed.n_active_params,
            [(w.code, w.message, w.values) for w in parsed.warnings],
        )
    if req.model is None:
        raise InputError("give a catalog MODEL or --config path/to/config.json", key="serve_needs_input")
    model: Model = load.model(cat, req.model)
    base = cat.models.get(model.training.base_model or "") if model.training else None
    warnings: list[tuple[str, str, dict[str, str]]] = []
    if model.architecture is None and base is not None and base.architecture is not None:
        # a fine-tune keeps its base model's architecture and size (s1-32B is Qwen2.5-32B)
        warnings.append(("base_architecture", f"architecture of the base model {base.id}", {"base": base.id}))
        model = model.model_copy(
            update={"architecture": base.architecture, "n_params": model.n_params or base.n_params}
        )
    if model.architecture is None:
        raise InputError(
            f"model '{model.id}' has no published architecture in the catalog; use --config config.json",
            key="no_architecture",
            model=model.id,
        )
    if model.n_params is None:
        raise InputError(
            f"model '{model.id}' has no parameter count in the catalog; use --config config.json",
            key="no_params",
            model=model.id,
        )
    active = model.n_active_params or model.n_params
    return model.name, model.id, model.architecture, model.n_params.central, active.central, warnings


def _default_dtype(model_id: str | None, cat: Catalog, acc: Accelerator) -> ServeDtype:
    """As released: fp8 for fp8-trained models, else the accelerator's 16-bit format."""
    model = cat.models.get(model_id) if model_id else None
    if model is not None and model.training is not None and model.training.dtype == "fp8":
        return "fp8"
    return half_precision(acc)


def _peak(acc: Accelerator, dtype: str) -> float:
    record = (
        acc.peak_fp8_dense_tflop_per_s
        if dtype in ("fp8", "int8", "int4")
        else acc.peak_bf16_dense_tflop_per_s
    )
    if record is None:  # no fp8 units: weight-only quantization still computes in bf16
        record = acc.peak_bf16_dense_tflop_per_s
    return record.central * TERA


def _plan_memory(
    spec_weights: float, kv_per_seq: float, mem_bytes: float, overhead: float, req: ServeRequest
) -> tuple[int, int]:
    """(GPUs per replica, max batch): the smallest power-of-two count holding the weights x overhead
    plus the KV cache of ``batch`` sequences (or ``target_batch`` when no batch is given)."""
    needed = spec_weights * overhead
    if req.n_gpus is not None:
        n = req.n_gpus
    else:
        n = 1
        while n <= MAX_GPUS_PER_REPLICA and n * mem_bytes < needed + kv_per_seq * (
            req.batch or req.target_batch
        ):
            n *= 2
        sequences = req.batch or req.target_batch
        if n > MAX_GPUS_PER_REPLICA and needed <= MAX_GPUS_PER_REPLICA * mem_bytes:
            kv_gb = f"{kv_per_seq * sequences / GB:,.0f}"
            raise ConfigError(
                f"weights ({needed / GB:,.0f} GB with overhead) fit, but the KV cache of {sequences:,} "
                f"sequences ({kv_gb} GB) needs more than {MAX_GPUS_PER_REPLICA} GPUs; "
                "lower --batch, --target-batch or the prompt/output lengths",
                key="kv_too_large",
                gb=f"{needed / GB:,.0f}",
                n=f"{sequences:,}",
                kv=kv_gb,
                max=MAX_GPUS_PER_REPLICA,
            )
        if n > MAX_GPUS_PER_REPLICA:
            raise ConfigError(
                f"weights need {needed / GB:,.0f} GB: more than {MAX_GPUS_PER_REPLICA} GPUs per replica",
                key="too_many_gpus",
                gb=f"{needed / GB:,.0f}",
                max=MAX_GPUS_PER_REPLICA,
            )
    max_batch = int(
        memory.max_concurrency(free_bytes=n * mem_bytes - needed, kv_bytes_per_sequence=kv_per_seq)
    )
    if max_batch < 1:
        raise ConfigError(
            f"the model does not fit on {n} GPUs: weights x overhead need {needed / GB:,.0f} GB "
            f"+ {kv_per_seq / GB:.2f} GB of KV per sequence, {n * mem_bytes / GB:,.0f} GB available",
            key="does_not_fit",
            n=n,
            gb=f"{needed / GB:,.0f}",
            kv=f"{kv_per_seq / GB:.2f}",
            available=f"{n * mem_bytes / GB:,.0f}",
        )
    return n, max_batch


def _check_request(req: ServeRequest) -> None:
    for name in ("prompt_tokens", "output_tokens", "peak_factor"):
        check_positive(getattr(req, name), name=name)
    if not MIN_PEAK_FACTOR <= req.peak_factor <= MAX_PEAK_FACTOR:
        raise InputError(
            f"peak_factor: peak / mean traffic must be between 1 and 100, got {req.peak_factor:g}"
        )
    if req.pue is not None and not MIN_PUE <= req.pue[0] <= req.pue[1] <= MAX_PUE:
        raise InputError(f"pue: must lie between 1 and 3, got {req.pue[0]:g}..{req.pue[1]:g}")
    if req.tokens_per_day is not None:
        check_positive(req.tokens_per_day, name="tokens_per_day")
    for name, most in (("n_gpus", MAX_GPUS_PER_REPLICA), ("batch", MAX_BATCH), ("target_batch", MAX_BATCH)):
        value = getattr(req, name)
        if value is not None and value < 1:
            raise InputError(
                f"{name}: must be at least 1, got {value}", key="at_least_one", name=name, value=value
            )
        if value is not None and value > most:
            raise InputError(f"{name}: {format_count(value)} is more than the {most:,} a replica can take")
    if req.utilization is not None and not 0 < req.utilization[0] <= req.utilization[1] <= 1:
        raise InputError(f"utilization: must be a fraction range in (0, 1], got {req.utilization}")
    if req.kv_bits is not None and not MIN_KV_BITS <= req.kv_bits <= MAX_KV_BITS:
        raise InputError(f"kv_bits: must be between 1 and 32, got {req.kv_bits:g}")


def serve_spec(req: ServeRequest, cat: Catalog) -> ServeSpec:
    """Resolve ``req``; raise InputError / ConfigError with the rule, the value and the fix."""
    _check_request(req)
    name, model_id, arch, n_params, n_active, warnings = _model_facts(req, cat)
    acc = load.accelerator(cat, req.gpu or "h100-sxm")
    dtype = req.dtype or _default_dtype(model_id, cat, acc)
    kv_dtype = req.kv_dtype or _KV_DEFAULT.get(dtype, dtype)
    kv_elem = req.kv_bits / 8 if req.kv_bits else memory.BYTES_PER_PARAM[kv_dtype]
    context = req.prompt_tokens + req.output_tokens
    if arch.context_tokens is not None and context > arch.context_tokens:
        raise InputError(
            f"prompt + output = {context:,.0f} tokens exceeds the model's context of {arch.context_tokens:,}",
            key="context_exceeded",
            tokens=f"{context:,.0f}",
            max=f"{arch.context_tokens:,}",
        )
    weights = float(memory.weights_bytes(n_params=n_params, bytes_per_param=memory.BYTES_PER_PARAM[dtype]))
    per_token = kv_bytes_per_token(arch, kv_elem)
    per_seq = float(
        memory.kv_bytes_per_sequence(
            kv_bytes_per_token=per_token,
            context_tokens=req.prompt_tokens + req.output_tokens / 2.0,  # paged attention: mean holding
            window_tokens=arch.sliding_window_tokens or math.inf,
        )
    )
    n, max_batch = _plan_memory(
        weights, per_seq, acc.memory_gb.central * GB, cat.defaults.inference_memory_overhead.central, req
    )
    if req.batch is not None and req.batch > max_batch:
        raise ConfigError(
            f"batch {req.batch} does not fit on {n} x {acc.id}: the largest that fits is {max_batch}",
            key="batch_too_large",
            batch=req.batch,
            n=n,
            gpu=acc.id,
            max=max_batch,
        )
    spec = ServeSpec(
        label=name,
        model_id=model_id,
        arch=arch,
        n_params=n_params,
        n_active_params=n_active,
        accelerator=acc,
        dtype=dtype,
        kv_dtype=kv_dtype if not req.kv_bits else f"{req.kv_bits:g}-bit",
        weights_bytes=weights,
        kv_bytes_per_token=per_token,
        n_gpus=n,
        max_batch=max_batch,
        batch=req.batch or max_batch,
        prompt_tokens=req.prompt_tokens,
        output_tokens=req.output_tokens,
        peak_flop_per_s=_peak(acc, dtype),
        hbm_bytes_per_s=acc.hbm_tb_per_s.central * TB,
        inputs=Inputs(),
        grid_region=(req.grid or cat.defaults.grid_region).lower(),
        warnings=warnings,
    )
    _add_inputs(spec, req, cat)
    return spec


def _add_inputs(spec: ServeSpec, req: ServeRequest, cat: Catalog) -> None:
    d, acc, add = cat.defaults, spec.accelerator, spec.inputs.add
    for name, record, unit in (
        ("bandwidth_efficiency", d.decode_bandwidth_efficiency, "fraction"),
        ("decode_compute_efficiency", d.decode_compute_efficiency, "fraction"),
        ("prefill_compute_efficiency", d.prefill_compute_efficiency, "fraction"),
        ("power_low_fraction", d.serving_power_low_fraction, "fraction"),
        ("power_high_fraction", d.serving_power_high_fraction, "fraction"),
        ("allreduce_latency_s", d.allreduce_latency_s, "s"),
        ("server_overhead", d.server_overhead, "x"),
        ("server_capex_multiple", d.server_capex_multiple, "x"),
        ("lifetime_years", d.hardware_lifetime_years, "years"),
        ("usd_per_kwh", d.electricity_usd_per_kwh, "USD/kWh"),
        ("gco2e_per_kwh", load.grid_region(cat, spec.grid_region).gco2e_per_kwh, "gCO2e/kWh"),
    ):
        add(name, dist_of(record), unit, record)
    optional: tuple[tuple[str, Range | None, Sourced | None, str], ...] = (
        ("utilization", req.utilization, d.serving_utilization, "fraction"),
        ("pue", req.pue, d.pue, "x"),
        ("usd_per_gpu_hour", req.usd_per_gpu_hour, acc.rental_usd_per_hour, "USD/GPU-h"),
        ("gpu_price_usd", req.gpu_price_usd, acc.purchase_usd, "USD"),
        ("tdp_watts", None, acc.tdp_watts, "W"),
    )
    for name, user, opt_record, unit in optional:
        if user is not None:
            add(name, dist_of_range(user, name=name), unit, "user")
        elif opt_record is not None:
            add(name, dist_of(opt_record), unit, opt_record)
        else:
            spec.warnings.append(
                (
                    "missing_input",
                    f"{acc.id} has no {name} in the catalog; outputs needing it are omitted",
                    {"gpu": acc.id, "name": name},
                )
            )
