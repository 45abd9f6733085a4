"""Resolve a ``ServeRequest`` into a ``ServeSpec`` (architecture, memory plan and uncertain inputs),
then into the ``ServeDraws`` the serving pipeline reads.

Memory decisions are exact given the architecture (weights and KV bytes are counts, not
guesses) and follow the engine's accounting (vLLM): usable memory = device memory x
gpu_memory_utilization, minus the weights, minus a per-GPU activation reserve; the rest is the KV
cache, in blocks of 16 tokens. The tensor-parallel degree is the smallest power of two whose budget
holds the weights plus the KV cache of the requested batch; a batch larger than the KV cache holds
is scheduled (capped at what fits, the rest queues), and the default batch is the largest that fits.
Throughput, power and prices are the uncertain part.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from costlm.bounds import MAX_GPUS_PER_REPLICA
from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Architecture, Catalog, Defaults, Model, ServingEngine, Sourced
from costlm.errors import ConfigError, InputError
from costlm.formulas import memory
from costlm.pipelines.serving import PAGED_HOLDING_OF_OUTPUT, ServeDraws
from costlm.resolve import levers, prices
from costlm.resolve.hfconfig import read_config
from costlm.resolve.inputs import Drawn, Inputs, Range, dist_of, dist_of_range, draw_inputs
from costlm.resolve.requests import ServeRequest
from costlm.resolve.rules import serving_dtype, serving_peak_flop_per_s
from costlm.uncertainty import Fixed
from costlm.units import GB, GIB

_KV_DEFAULT = {"fp8": "fp8", "int8": "bf16", "int4": "bf16"}


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
    requested_batch: int | None = None
    """The user's --batch (requested concurrency); ``batch`` is what runs: at most ``max_batch``."""
    kv_cache_bytes: float = 0.0
    kv_cache_tokens: float = 0.0
    gpu_memory_utilization: float = 0.0
    kv_block_tokens: float = 0.0
    price_tier: str | None = None
    """The rental tier priced (on-demand, reserved, spot), ``user`` for the user's rate, or None."""
    purchase_includes_server: bool | None = None
    expert_parallel: bool = False
    """MoE experts sharded across the GPUs (all-to-all dispatch and combine)."""
    warnings: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    engine: str = "generic"
    """The serving engine whose calibrated efficiencies the estimate draws (``generic``: all)."""
    engine_runs: int = 0
    """How many measured runs that engine's efficiencies were fitted on (0: uncalibrated)."""
    levers: tuple[str, ...] = ()
    """The cost levers applied (``costlm.resolve.levers``), in the order given."""


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
    if model.architecture is None and model.architecture_proxy is not None:
        model, note = proxy_model(model, cat)
        warnings.append(note)
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


@dataclass(frozen=True)
class EngineBudget:
    """What a serving engine may use per GPU: device memory x utilization, less its activation reserve."""

    memory_bytes_per_gpu: float
    gpu_memory_utilization: float
    reserve_bytes_per_gpu: float
    block_tokens: float

    def gpus_for(self, needed_bytes: float) -> int:
        """Smallest power-of-two GPU count whose budget holds ``needed_bytes``."""
        return int(
            memory.engine_gpus_for_memory(
                needed_bytes=needed_bytes,
                memory_bytes_per_gpu=self.memory_bytes_per_gpu,
                gpu_memory_utilization=self.gpu_memory_utilization,
                reserve_bytes_per_gpu=self.reserve_bytes_per_gpu,
            )
        )

    def kv_cache_bytes(self, n_gpus: int, weights_bytes: float) -> float:
        """KV cache memory of ``n_gpus`` holding ``weights_bytes`` (negative when they do not fit)."""
        return float(
            memory.engine_kv_cache_bytes(
                memory_bytes_per_gpu=self.memory_bytes_per_gpu,
                n_gpus=n_gpus,
                gpu_memory_utilization=self.gpu_memory_utilization,
                weights_bytes=weights_bytes,
                reserve_bytes_per_gpu=self.reserve_bytes_per_gpu,
            )
        )


def engine_budget(acc: Accelerator, defaults: Defaults, gpu_memory_utilization: float | None) -> EngineBudget:
    """The engine memory rule of ``costlm serve`` and of the seed table's replica (one rule)."""
    return EngineBudget(
        memory_bytes_per_gpu=acc.memory_bytes,
        gpu_memory_utilization=gpu_memory_utilization or defaults.gpu_memory_utilization.central,
        reserve_bytes_per_gpu=defaults.engine_reserve_gib_per_gpu.central * GIB,
        block_tokens=defaults.kv_block_tokens.central,
    )


def proxy_model(model: Model, cat: Catalog) -> tuple[Model, tuple[str, str, dict[str, str]]]:
    """``model`` with the architecture of its proxy (the proxy's expert counts and parameter
    estimate applied) and the caveat naming the assumption. The rule for serving a model whose
    architecture is not published; ``costlm serve`` and the seed table both go through it."""
    proxy = model.architecture_proxy
    assert proxy is not None
    shape = cat.models.get(proxy.model)
    if shape is None or shape.architecture is None:
        raise ConfigError(
            f"model '{model.id}': its architecture proxy '{proxy.model}' has no published architecture",
            key="bad_architecture_proxy",
            model=model.id,
            proxy=proxy.model,
        )
    arch = shape.architecture.model_copy(
        update={"n_experts": proxy.n_experts, "n_experts_active": proxy.n_experts_active}
    )
    n_params = proxy.n_params or model.n_params
    active = proxy.n_active_params or (model.n_active_params if proxy.n_params is None else None)
    served = model.model_copy(update={"architecture": arch, "n_params": n_params, "n_active_params": active})
    size = f"{n_params.central:.3g}" if n_params else "?"
    message = (
        f"architecture not published: estimated with the shape of {shape.name}, {size} parameters "
        f"({proxy.basis}); {proxy.note or ''}"
    ).rstrip("; ")
    return served, ("architecture_proxy", message, {"proxy": shape.name, "n": size, "basis": proxy.basis})


def params_range(model: Model | None) -> Sourced | None:
    """The parameter-count record of an estimated model size with a range (an architecture proxy's),
    whose spread the serving Monte Carlo draws as ``params_scale``; None for a published size."""
    proxy = model.architecture_proxy if model is not None and model.architecture is None else None
    record = proxy.n_params if proxy is not None else None
    return record if record is not None and record.low is not None else None


def _plan_memory(
    weights: float, kv_per_seq: float, budget: EngineBudget, req: ServeRequest
) -> tuple[int, int, float]:
    """(GPUs per replica, max running batch, KV cache bytes): the smallest power-of-two count whose
    engine budget holds the weights plus the KV cache of ``batch`` (or ``target_batch``) sequences,
    at most MAX_GPUS_PER_REPLICA; a larger batch is scheduled (capped), never refused. Raises only
    when the weights, the reserve and one sequence cannot be held at all."""
    if req.n_gpus is not None:
        n = req.n_gpus
    else:
        n = budget.gpus_for(weights + kv_per_seq * (req.batch or req.target_batch))
        if n > MAX_GPUS_PER_REPLICA:
            if budget.gpus_for(weights + kv_per_seq) > MAX_GPUS_PER_REPLICA:
                raise ConfigError(
                    f"weights need {weights / GB:,.0f} GB: more than {MAX_GPUS_PER_REPLICA} GPUs per replica",
                    key="too_many_gpus",
                    gb=f"{weights / GB:,.0f}",
                    max=MAX_GPUS_PER_REPLICA,
                )
            n = MAX_GPUS_PER_REPLICA
    kv_bytes = budget.kv_cache_bytes(n, weights)
    max_batch = int(memory.max_concurrency(free_bytes=kv_bytes, kv_bytes_per_sequence=kv_per_seq))
    if max_batch < 1:
        usable = n * budget.memory_bytes_per_gpu * budget.gpu_memory_utilization
        values = {
            "n": n,
            "usable": f"{usable / GB:,.0f}",
            "util": f"{budget.gpu_memory_utilization:g}",
            "gb": f"{weights / GB:,.0f}",
            "reserve": f"{n * budget.reserve_bytes_per_gpu / GB:,.0f}",
            "kv": f"{kv_per_seq / GB:.2f}",
        }
        raise ConfigError(
            (
                "the model cannot be served on {n} GPUs: the engine may use {usable} GB "
                "(--gpu-memory-utilization {util}); weights take {gb} GB and the activation reserve "
                "{reserve} GB, leaving less than one sequence's KV cache ({kv} GB); "
                "use more GPUs or a smaller dtype"
            ).format(**values),
            key="does_not_fit",
            **values,
        )
    return n, max_batch, kv_bytes


def serve_spec(req: ServeRequest, cat: Catalog, today: dt.date | None = None) -> ServeSpec:
    """Resolve ``req``; raise InputError / ConfigError with the rule, the value and the fix.
    ``today`` (default: the system date) dates the staleness of the prices."""
    name, model_id, arch, n_params, n_active, warnings = _model_facts(req, cat)
    acc = load.accelerator(cat, req.gpu or "h100-sxm")
    chosen_levers = levers.resolve_levers(cat, req.levers, "serve")
    arch = levers.architecture_with_mla(arch, chosen_levers, name)
    lever_dtype, lever_kv = levers.serving_dtypes(chosen_levers, acc, req.dtype, req.kv_dtype)
    dtype = lever_dtype or serving_dtype(cat.models.get(model_id) if model_id else None, acc)
    kv_dtype = lever_kv or _KV_DEFAULT.get(dtype, dtype)
    kv_elem = req.kv_bits / 8 if req.kv_bits else memory.BYTES_PER_PARAM[kv_dtype]
    context = req.prompt_tokens + req.output_tokens
    if arch.context_tokens is not None and context > arch.context_tokens:
        raise InputError(
            f"prompt + output = {context:,.0f} tokens exceeds the model's context of {arch.context_tokens:,}",
            key="context_exceeded",
            tokens=f"{context:,.0f}",
            max=f"{arch.context_tokens:,}",
        )
    if req.expert_parallel and not (arch.n_experts or 1) > (arch.n_experts_active or 1):
        raise InputError(
            f"--expert-parallel needs a mixture-of-experts model; {name} has no routed experts",
            key="expert_parallel_dense",
            model=name,
        )
    weights = float(memory.weights_bytes(n_params=n_params, bytes_per_param=memory.BYTES_PER_PARAM[dtype]))
    per_token = kv_bytes_per_token(arch, kv_elem)
    budget = engine_budget(acc, cat.defaults, req.gpu_memory_utilization)
    per_seq = float(
        memory.paged_kv_bytes_per_sequence(
            kv_bytes_per_token=per_token,
            context_tokens=req.prompt_tokens + req.output_tokens * PAGED_HOLDING_OF_OUTPUT,
            block_tokens=budget.block_tokens,
            window_tokens=arch.kv_window_tokens or math.inf,
        )
    )
    n, max_batch, kv_bytes = _plan_memory(weights, per_seq, budget, req)
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
        batch=min(req.batch or max_batch, max_batch),
        requested_batch=req.batch,
        kv_cache_bytes=kv_bytes,
        kv_cache_tokens=float(
            memory.kv_cache_tokens(
                kv_cache_bytes=kv_bytes, kv_bytes_per_token=per_token, block_tokens=budget.block_tokens
            )
        ),
        gpu_memory_utilization=budget.gpu_memory_utilization,
        kv_block_tokens=budget.block_tokens,
        prompt_tokens=req.prompt_tokens,
        output_tokens=req.output_tokens,
        peak_flop_per_s=serving_peak_flop_per_s(acc, dtype),
        hbm_bytes_per_s=acc.hbm_bytes_per_s,
        inputs=Inputs(),
        grid_region=load.grid_region(cat, req.grid or cat.defaults.grid_region).id,
        expert_parallel=req.expert_parallel,
        warnings=warnings,
        engine=req.engine,
        levers=tuple(lever.id for lever in chosen_levers),
    )
    day = today or dt.date.today()
    _add_inputs(spec, req, cat, day)
    listed = prices.api_prices_of(cat.api_prices.values(), model_id)
    spec.warnings.extend(prices.stale_api_warnings(listed, day))
    return spec


def _prices(
    spec: ServeSpec, req: ServeRequest, cat: Catalog, today: dt.date
) -> tuple[Sourced | None, Sourced | None, Sourced | None]:
    """(rental record, purchase record, server multiple) of the deployment, by the rules of
    ``costlm.resolve.prices``: a deployment runs all year, so ``auto`` prices it as a long run."""
    acc = spec.accelerator
    rental: Sourced | None = None
    if req.usd_per_gpu_hour is not None:
        spec.price_tier = "user"
    else:
        chosen = prices.rental_price(
            acc, req.price_tier, n_gpus=spec.n_gpus, days=prices.SERVING_DAYS, today=today
        )
        spec.warnings.extend(chosen.warnings)
        rental = chosen.record
        spec.price_tier = chosen.tier if rental is not None else None
    bought = prices.purchase_price(acc, cat.defaults)
    if req.gpu_price_usd is not None or bought is None:
        return rental, None, cat.defaults.server_capex_multiple
    spec.purchase_includes_server = bought.includes_server
    spec.warnings.extend(prices.stale_warnings(acc.id, prices.purchase_what(bought), bought.record, today))
    return rental, bought.record, bought.server_multiple


def engine_efficiencies(cat: Catalog, engine: str) -> ServingEngine | None:
    """The calibrated efficiencies of ``engine`` (priors.toml ``[[serving_engine]]``), or None when
    the catalog has none (the ``[defaults]`` reference ranges are used then)."""
    return cat.serving_engines.get(engine)


def _add_efficiencies(spec: ServeSpec, cat: Catalog) -> None:
    """Decode bandwidth/compute and prefill efficiencies (and per-step overhead) of the engine."""
    d, add = cat.defaults, spec.inputs.add
    fitted = engine_efficiencies(cat, spec.engine)
    spec.engine_runs = fitted.n_runs if fitted else 0
    for name, record in (
        (
            "bandwidth_efficiency",
            fitted.decode_bandwidth_efficiency if fitted else d.decode_bandwidth_efficiency,
        ),
        (
            "decode_compute_efficiency",
            fitted.decode_compute_efficiency if fitted else d.decode_compute_efficiency,
        ),
        (
            "prefill_compute_efficiency",
            fitted.prefill_compute_efficiency if fitted else d.prefill_compute_efficiency,
        ),
    ):
        add(name, dist_of(record), "fraction", record)
    if fitted is not None and fitted.step_overhead_s is not None:
        add("step_overhead_s", dist_of(fitted.step_overhead_s), "s", fitted.step_overhead_s)


def _add_inputs(spec: ServeSpec, req: ServeRequest, cat: Catalog, today: dt.date) -> None:
    d, acc, add = cat.defaults, spec.accelerator, spec.inputs.add
    rental, purchase, server_multiple = _prices(spec, req, cat, today)
    _add_efficiencies(spec, cat)
    for name, record, unit in (
        ("power_low_fraction", d.serving_power_low_fraction, "fraction"),
        ("power_high_fraction", d.serving_power_high_fraction, "fraction"),
        ("allreduce_latency_s", d.allreduce_latency_s, "s"),
        ("server_overhead", d.server_overhead, "x"),
        ("lifetime_years", d.hardware_lifetime_years, "years"),
        ("usd_per_kwh", d.electricity_usd_per_kwh, "USD/kWh"),
        ("gco2e_per_kwh", cat.grid[spec.grid_region].gco2e_per_kwh, "gCO2e/kWh"),
    ):
        add(name, dist_of(record), unit, record)
    if server_multiple is None:  # the price already includes the server
        add("server_capex_multiple", Fixed(1.0), "x", None)
    else:
        add("server_capex_multiple", dist_of(server_multiple), "x", server_multiple)
    optional: tuple[tuple[str, Range | None, Sourced | None, str], ...] = (
        ("utilization", req.utilization, d.serving_utilization, "fraction"),
        ("pue", req.pue, d.pue, "x"),
        ("usd_per_gpu_hour", req.usd_per_gpu_hour, rental, "USD/GPU-h"),
        ("gpu_price_usd", req.gpu_price_usd, purchase, "USD"),
        ("tdp_watts", None, acc.tdp_watts, "W"),
    )
    for name, user, opt_record, unit in optional:
        if user is not None:
            add(name, dist_of_range(user), unit, "user")
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
    # drawn last, so the draws of the inputs above stay those of the calibrated back-test
    idle = d.serving_idle_power_fraction
    add("idle_power_fraction", dist_of(idle), "fraction", idle)
    ranged = params_range(cat.models.get(spec.model_id or ""))
    if ranged is not None:  # an estimated size: its spread as a multiplier of the central counts
        c = ranged.central
        scale = ranged.model_copy(
            update={"value": 1.0, "low": ranged.bounds[0] / c, "high": ranged.bounds[1] / c}
        )
        add("params_scale", dist_of(scale), "x", ranged)


def serve_draws(spec: ServeSpec, *, samples: int, seed: int | None) -> tuple[ServeDraws, Drawn]:
    """Sample the spec's uncertain inputs and join them with its exact memory plan."""
    drawn = draw_inputs(spec.inputs, samples, seed)
    a = spec.arch
    draws = ServeDraws(
        n_params=spec.n_params,
        n_active_params=spec.n_active_params,
        n_layers=float(a.n_layers),
        d_attention=float(a.n_heads * a.head_dim),
        n_experts=float(a.n_experts or 1),
        n_experts_active=float(a.n_experts_active or 1),
        window_tokens=float(a.kv_window_tokens or math.inf),
        weights_bytes=spec.weights_bytes,
        kv_bytes_per_token=spec.kv_bytes_per_token,
        n_gpus=float(spec.n_gpus),
        batch=float(spec.batch),
        prompt_tokens=spec.prompt_tokens,
        output_tokens=spec.output_tokens,
        peak_flop_per_s=spec.peak_flop_per_s,
        hbm_bytes_per_s=spec.hbm_bytes_per_s,
        d_model=float(a.d_model),
        link_bytes_per_s=spec.accelerator.link_bytes_per_s or math.inf,
        expert_parallel=spec.expert_parallel,
        **drawn.values,
    )
    return draws, drawn
