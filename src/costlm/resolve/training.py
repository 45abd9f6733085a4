"""Resolve a ``TrainingRequest`` against the catalog into a ``TrainingSpec``, then into draws.

Every input becomes a distribution with its provenance: the user's value, the catalog's sourced
figure, or a sourced costlm default/prior. ``training_draws`` samples them (with the bounds rules
of ``costlm.resolve.inputs``) into the ``TrainingDraws`` the pipeline reads.

Time starts from exactly one of: ``--gpu-hours`` (no utilization assumed), an achieved hardware
throughput per GPU (``--achieved-tflops-per-gpu``), the user's MFU, or the calibrated MFU prior.
Goodput is always an input: the user's range, else 1 (``GOODPUT_DEFAULT``): the MFU prior is
calibrated on reported GPU-hours, which include downtime, and a paper's own MFU or throughput
arithmetic counts none; a caveat says so when the user gave the utilization. The attention FLOP
term is counted when a sequence length is given and the model's architecture is known (or
estimated from the parameter count, with a caveat).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Catalog, Dtype, MfuModel, Model, RunKind, Sourced, Training
from costlm.errors import InputError
from costlm.pipelines.training import TrainingDraws, estimate_training
from costlm.resolve import levers, mfu, prices
from costlm.resolve.inputs import Drawn, Inputs, Range, dist_of, dist_of_range, draw_inputs
from costlm.resolve.requests import Recompute, TrainingRequest
from costlm.resolve.rules import half_precision, peak_flop_per_s
from costlm.resolve.training_memory import MemorySpec, memory_spec
from costlm.uncertainty import Fixed
from costlm.units import TERA, format_si

GOODPUT_DEFAULT = 1.0
"""Share of allocated time doing useful steps unless the user gives --goodput (module docstring)."""
PARAMS_PER_LAYER_WIDTH_SQUARED = 12.0
"""A transformer layer holds ~12 d_model^2 parameters (Kaplan et al. 2020 sec. 2.1: N ~ 12 L d^2)."""
WIDTH_PER_LAYER = 100.0
"""d_model / n_layers of a typical model, to estimate the attention width of a model given only
by its parameter count: the catalog's architectures range 80 (Qwen2.5-32B) to 130 (Llama 3.1
405B); Kaplan et al. 2020 fig. 5 finds loss nearly flat over aspect ratios 20-200."""
RECOMPUTED = {"none": (False, False), "selective": (False, True), "full": (True, True)}
"""Recompute mode -> (re-runs the dense forward, re-runs the attention core): see formulas.flops."""


@dataclass
class TrainingSpec:
    """A resolved training estimate: hardware, peak rate and every input distribution."""

    label: str
    model_id: str | None
    kind: RunKind
    accelerator: Accelerator
    dtype: Dtype
    peak_flop_per_s: float
    inputs: Inputs
    solve_n_gpus: bool
    grid_region: str
    reported_run: str | None = None
    price_tier: str | None = None
    """The rental tier priced (``on-demand``, ``reserved``, ``spot``), ``user`` for the user's rate,
    None when no rental price is known."""
    purchase_includes_server: bool | None = None
    warnings: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    recompute: Recompute = "none"
    n_layers: float | None = None
    d_attention: float | None = None
    memory: MemorySpec | None = None
    """The memory check's inputs (None without a total parameter count)."""
    levers: tuple[str, ...] = ()
    """The cost levers applied (``costlm.resolve.levers``), in the order given."""
    mfu_fit: tuple[MfuModel, mfu.MfuCovariates] | None = None
    """The fitted MFU model and the covariates its prior was evaluated at (None: another prior)."""


def _mfu_prior(
    cat: Catalog, acc: Accelerator, dtype: Dtype, spec: TrainingSpec, req: TrainingRequest
) -> Sourced:
    """The fitted ``[mfu_model]`` at the request's scale where its fit data cover the generation and
    dtype; else the ``[[mfu_prior]]`` of (generation, dtype), bf16's for fp16/tf32/fp32 (a caveat)."""
    if cat.mfu_model is not None and mfu.covers(cat.mfu_model, acc, dtype):
        return _fitted_mfu_prior(cat.mfu_model, cat, acc, dtype, spec, req)
    wanted = [dtype] + (["bf16"] if dtype in ("fp16", "tf32", "fp32") else [])
    for want in wanted:
        for prior in cat.mfu_priors:
            if prior.generation == acc.generation and prior.dtype == want:
                if want != dtype:
                    spec.warnings.append(
                        (
                            "mfu_prior_fallback",
                            f"no {dtype} MFU prior for {acc.generation}; using {want}",
                            {"dtype": dtype, "generation": acc.generation, "want": want},
                        )
                    )
                return prior.mfu
    raise InputError(
        f"no MFU prior for {acc.generation}/{dtype}; give one with --mfu LOW..HIGH",
        key="no_mfu_prior",
        generation=acc.generation,
        dtype=dtype,
    )


def _mfu_covariates(
    cat: Catalog, spec: TrainingSpec, req: TrainingRequest, dtype: Dtype
) -> mfu.MfuCovariates:
    """Active params and GPU count as resolved (unknown: a FLOP-only request, or ``--days``
    solving for the GPUs); MoE when the user's or the catalog model's active count is below its
    total, or the architecture has experts."""
    dists = spec.inputs.dists
    model = cat.models.get(spec.model_id) if spec.model_id else None
    total = req.params or (model.n_params.central if model and model.n_params else None)
    active = req.active_params or (model.n_active_params.central if model and model.n_active_params else None)
    experts = bool(model and model.architecture and model.architecture.n_experts)
    return mfu.MfuCovariates(
        active_params=dists["n_active_params"].point if "n_active_params" in dists else None,
        n_gpus=None if spec.solve_n_gpus or "n_gpus" not in dists else dists["n_gpus"].point,
        moe=experts or (total is not None and active is not None and active < total),
        fp8=dtype == "fp8",
    )


def _fitted_mfu_prior(
    model: MfuModel, cat: Catalog, acc: Accelerator, dtype: Dtype, spec: TrainingSpec, req: TrainingRequest
) -> Sourced:
    cov = _mfu_covariates(cat, spec, req, dtype)
    spec.mfu_fit = (model, cov)
    est = mfu.evaluate(model, acc, dtype, cov)
    for code, names, message in (
        ("mfu_extrapolated", est.clamped, "outside the MFU fit data's range, clamped to it: "),
        ("mfu_covariate_assumed", est.assumed, "unknown, MFU prior at the fit data's median: "),
    ):
        if names:
            listing = ", ".join(names)
            spec.warnings.append((code, message + listing, {"names": listing}))
    terms = ", ".join(mfu.model_terms(model)) or "none (pooled centre)"
    note = f"fitted MFU model ({model.n_runs} runs; terms: {terms}) at this request's scale"
    return est.record(model.centre_mfu.locator, note)


def _add_sourced(inputs: Inputs, name: str, unit: str, user: Range | None, record: Sourced | None) -> bool:
    """Add the user's range, else the catalog record; return False if neither exists."""
    if user is not None:
        inputs.add(name, dist_of_range(user), unit, "user")
        return True
    if record is not None:
        inputs.add(name, dist_of(record), unit, record)
        return True
    return False


def _point(value: float | None) -> Range | None:
    """A user's count (validated by the request) as a point range."""
    return None if value is None else (value, value)


def _add_compute(
    inputs: Inputs, req: TrainingRequest, model: Model | None, tr: Training | None, kind: str
) -> None:
    """Add either train_flop, or n_active_params with n_tokens (or fine-tuning tokens); with
    --gpu-hours compute is optional (it only gives the implied MFU)."""
    try:
        _add_required_compute(inputs, req, model, tr, kind)
    except InputError:
        if req.gpu_hours is None:
            raise


def _add_required_compute(
    inputs: Inputs, req: TrainingRequest, model: Model | None, tr: Training | None, kind: str
) -> None:
    if _add_sourced(inputs, "train_flop", "FLOP", _point(req.train_flop), None):
        return
    active = req.active_params or req.params
    record = (model.n_active_params or model.n_params) if model and active is None else None
    has_params = _add_sourced(inputs, "n_active_params", "params", _point(active), record)
    if has_params and kind != "pretrain" and _add_finetune(inputs, req, tr):
        return
    tokens = model.n_train_tokens if model else None
    if has_params and _add_sourced(inputs, "n_tokens", "tokens", _point(req.tokens), tokens):
        return
    inputs.dists.pop("n_active_params", None)
    inputs.records = [r for r in inputs.records if r.name != "n_active_params"]
    if tr is not None and _add_sourced(inputs, "train_flop", "FLOP", None, tr.train_flop):
        return
    hint = "give --params and --tokens (or --examples, --tokens-per-example, --epochs)"
    if model is not None:
        raise InputError(
            f"model '{model.id}' has no parameter and token counts; {hint}",
            key="model_no_counts",
            model=model.id,
        )
    raise InputError(f"no compute given; {hint}", key="no_compute")


def _add_finetune(inputs: Inputs, req: TrainingRequest, tr: Training | None) -> bool:
    if req.tokens is not None:
        return False
    parts = [
        ("n_examples", "examples", req.examples, tr.n_examples if tr else None),
        ("tokens_per_example", "tokens", req.tokens_per_example, tr.tokens_per_example if tr else None),
        ("n_epochs", "epochs", req.epochs, tr.n_epochs if tr else None),
    ]
    if not all(user is not None or rec is not None for _, _, user, rec in parts):
        return False
    for name, unit, user, rec in parts:
        _add_sourced(inputs, name, unit, _point(user), rec)
    return True


def _add_cluster(inputs: Inputs, req: TrainingRequest, tr: Training | None) -> bool:
    """Add n_gpus (given or from the catalog) or the target days; return True when solving for GPUs."""
    if req.n_gpus is not None:
        _add_sourced(inputs, "n_gpus", "GPUs", (float(req.n_gpus),) * 2, None)
        return False
    if req.days is not None:
        _add_sourced(inputs, "days", "days", req.days, None)
        return True
    if tr is not None:
        _add_sourced(inputs, "n_gpus", "GPUs", None, tr.n_gpus)
        return False
    raise InputError("give --n-gpus N (or --days D to solve for the GPU count)", key="needs_n_gpus")


def _add_time(inputs: Inputs, cat: Catalog, req: TrainingRequest, spec: TrainingSpec) -> None:
    """The start of GPU-hours (module docstring) and the goodput that turns useful into allocated hours."""
    if req.gpu_hours is not None:
        _add_sourced(inputs, "gpu_hours", "GPU-h", req.gpu_hours, None)
        return
    if req.achieved_tflops_per_gpu is not None:
        low, high = req.achieved_tflops_per_gpu
        _add_sourced(inputs, "achieved_flop_per_s", "FLOP/s", (low * TERA, high * TERA), None)
    else:
        prior = None if req.mfu else _mfu_prior(cat, spec.accelerator, spec.dtype, spec, req)
        _add_sourced(inputs, "mfu", "fraction", req.mfu, prior)
    if req.goodput is not None:
        _add_sourced(inputs, "goodput", "fraction", req.goodput, None)
        return
    inputs.add("goodput", Fixed(GOODPUT_DEFAULT), "fraction", None)
    if req.mfu is not None or req.achieved_tflops_per_gpu is not None:
        low, high = cat.defaults.goodput.bounds
        spec.warnings.append(
            (
                "goodput_one",
                f"goodput 1 assumed (no restarts or failures); large jobs report {low:g}-{high:g}"
                f" ({cat.defaults.goodput.source}): give --goodput to count downtime",
                {"low": f"{low:g}", "high": f"{high:g}", "source": cat.defaults.goodput.source},
            )
        )


def _add_attention(spec: TrainingSpec, req: TrainingRequest, model: Model | None) -> None:
    """Set the attention shape when a sequence length is given: the catalog architecture's
    layers x query width, or an estimate from the parameter count (with a caveat)."""
    if req.seq_len is None:
        return
    arch = model.architecture if model else None
    if arch is not None:
        spec.n_layers, spec.d_attention = float(arch.n_layers), float(arch.n_heads * arch.head_dim)
        return
    record = (model.n_active_params or model.n_params) if model else None
    params = req.active_params or req.params or (record.central if record else None)
    if params is None:
        spec.warnings.append(
            ("attention_uncounted", "attention FLOP not counted: no architecture or parameter count", {})
        )
        return
    layers = (params / (PARAMS_PER_LAYER_WIDTH_SQUARED * WIDTH_PER_LAYER**2)) ** (1.0 / 3.0)
    spec.n_layers, spec.d_attention = layers, WIDTH_PER_LAYER * layers
    spec.warnings.append(
        (
            "attention_estimated",
            f"attention FLOP from an estimated shape ({layers:.0f} layers x {WIDTH_PER_LAYER * layers:.0f}"
            f" wide, d_model/n_layers = {WIDTH_PER_LAYER:g}): the architecture is not in the catalog",
            {
                "layers": f"{layers:.0f}",
                "width": f"{WIDTH_PER_LAYER * layers:.0f}",
                "ratio": f"{WIDTH_PER_LAYER:g}",
            },
        )
    )


def _add_costs_and_energy(spec: TrainingSpec, cat: Catalog, req: TrainingRequest, today: dt.date) -> None:
    d, inputs, acc = cat.defaults, spec.inputs, spec.accelerator
    # the tier is settled once the run's size is known (_settle_price_tier); on-demand until then
    _add_sourced(inputs, "usd_per_gpu_hour", "USD/GPU-h", req.usd_per_gpu_hour, acc.rental_usd_per_hour)
    bought = prices.purchase_price(acc, d)
    if req.gpu_price_usd is not None:
        _add_sourced(inputs, "gpu_price_usd", "USD", req.gpu_price_usd, None)
        _add_sourced(inputs, "capex_multiple", "x", None, d.cluster_capex_multiple)
    elif bought is not None:
        _add_sourced(inputs, "gpu_price_usd", "USD", None, bought.record)
        _add_sourced(inputs, "capex_multiple", "x", None, bought.cluster_multiple)
        spec.purchase_includes_server = bought.includes_server
        spec.warnings.extend(
            prices.stale_warnings(acc.id, prices.purchase_what(bought), bought.record, today)
        )
        if bought.includes_server:
            spec.warnings.append(
                (
                    "price_includes_server",
                    f"{acc.id} has only a server-inclusive price: hardware cost includes the servers, "
                    "and the cluster adds the network only",
                    {"gpu": acc.id},
                )
            )
    else:
        _add_sourced(inputs, "capex_multiple", "x", None, d.cluster_capex_multiple)
    _add_sourced(inputs, "lifetime_years", "years", None, d.hardware_lifetime_years)
    _add_sourced(inputs, "tdp_watts", "W", None, acc.tdp_watts)
    fraction = d.power_fraction_training_tpu if acc.kind == "tpu" else d.power_fraction_training_gpu
    _add_sourced(inputs, "power_fraction", "fraction", None, fraction)
    _add_sourced(inputs, "server_overhead", "x", None, d.server_overhead)
    _add_sourced(inputs, "pue", "x", req.pue, d.pue)
    _add_sourced(inputs, "usd_per_kwh", "USD/kWh", None, d.electricity_usd_per_kwh)
    region = cat.grid[spec.grid_region]
    _add_sourced(inputs, "gco2e_per_kwh", "gCO2e/kWh", None, region.gco2e_per_kwh)


def _custom_label(req: TrainingRequest) -> str:
    if req.train_flop is not None:
        return f"custom run, {format_si(req.train_flop)} FLOP"
    params = req.active_params or req.params
    tokens = f" x {format_si(req.tokens)} tokens" if req.tokens else ""
    return f"custom run, {format_si(params or 0)} params{tokens}"


def training_spec(req: TrainingRequest, cat: Catalog, today: dt.date | None = None) -> TrainingSpec:
    """Resolve ``req`` into a spec; raise InputError/UnknownIdError on anything unusable."""
    model = load.model(cat, req.model) if req.model else None
    tr = model.training if model else None
    gpu = req.gpu or (tr.hardware.id if tr else None)
    if gpu is None and model is not None:
        raise InputError(
            f"model '{model.id}' has no training facts in the catalog (hardware, GPU count, tokens);"
            " give --gpu ID, --n-gpus N (or --days D) and --tokens N",
            key="train_model_no_facts",
            model=model.id,
        )
    if gpu is None:
        raise InputError("give --gpu ID (see `costlm catalog list accelerators`)", key="needs_gpu")
    acc = load.accelerator(cat, gpu)
    chosen_levers = levers.resolve_levers(cat, req.levers, "train")
    dtype: Dtype = req.dtype or (tr.dtype if tr and acc.id == tr.hardware.id else half_precision(acc))
    kind = req.kind or (tr.kind if tr else "pretrain")
    recipe = levers.recipe_training(cat, chosen_levers, kind)
    if recipe is not None:
        kind, req = "finetune", req.model_copy(update={"tokens": None})
    inputs = Inputs()
    spec = TrainingSpec(
        label=model.name if model else _custom_label(req),
        model_id=model.id if model else None,
        kind=kind,
        accelerator=acc,
        dtype=dtype,
        peak_flop_per_s=peak_flop_per_s(acc, dtype),
        inputs=inputs,
        solve_n_gpus=False,
        grid_region=load.grid_region(cat, req.grid or cat.defaults.grid_region).id,
        reported_run=tr.reported_run if tr and recipe is None else None,
        recompute=req.recompute or "none",
        memory=memory_spec(req, model, acc, kind),
        levers=tuple(lever.id for lever in chosen_levers),
    )
    _add_compute(inputs, req, model, recipe or tr, kind)
    given_moe = req.active_params is not None and req.active_params < (req.params or req.active_params)
    is_moe = given_moe or _is_moe(model)
    spec.solve_n_gpus = _add_cluster(inputs, req, tr)
    _add_time(inputs, cat, req, spec)
    if req.seq_len is not None:
        inputs.add("seq_len_tokens", Fixed(req.seq_len), "tokens", "user")
        _add_attention(spec, req, model)
    today = today or dt.date.today()
    _add_costs_and_energy(spec, cat, req, today)
    _settle_price_tier(spec, req, today)
    # last, so that the other inputs draw the same samples with and without the levers (paired savings)
    levers.add_training_levers(inputs, chosen_levers, is_moe=is_moe, acc=acc, dtype=dtype)
    _collect_warnings(spec, req, acc)
    if spec.memory is None:
        spec.warnings.append(
            (
                "memory_unchecked",
                "memory per GPU not checked: no total parameter count",
                {},
            )
        )
    return spec


def _is_moe(model: Model | None) -> bool:
    """Whether the catalog model activates fewer parameters per token than it holds."""
    if model is None or model.n_active_params is None or model.n_params is None:
        return False
    return model.n_active_params.central < model.n_params.central


def _settle_price_tier(spec: TrainingSpec, req: TrainingRequest, today: dt.date) -> None:
    """Pick the rental tier (``costlm.resolve.prices.rental_price``) from the run's GPU count and
    wall-clock days at the point estimate, and put that tier's price in place of the provisional one."""
    if req.usd_per_gpu_hour is not None:
        spec.price_tier = "user"
        return
    days, n_gpus = _point_days_and_gpus(spec)
    chosen = prices.rental_price(spec.accelerator, req.price_tier, n_gpus=n_gpus, days=days, today=today)
    spec.warnings.extend(chosen.warnings)
    inputs = spec.inputs
    if chosen.record is None:
        return
    spec.price_tier = chosen.tier
    inputs.dists["usd_per_gpu_hour"] = dist_of(chosen.record)  # same key: the draw order is kept
    provisional = Inputs()
    provisional.add("usd_per_gpu_hour", inputs.dists["usd_per_gpu_hour"], "USD/GPU-h", chosen.record)
    inputs.records = [provisional.records[0] if r.name == "usd_per_gpu_hour" else r for r in inputs.records]


def _point_days_and_gpus(spec: TrainingSpec) -> tuple[float, float]:
    """Wall-clock days and GPU count of the run at the inputs' point values."""
    draws, _ = training_draws(spec, samples=0, seed=None)
    out = estimate_training(draws)
    return float(out.wall_clock_days[0]), float(out.n_gpus[0])


def _collect_warnings(spec: TrainingSpec, req: TrainingRequest, acc: Accelerator) -> None:
    if "mfu" in spec.inputs.dists and req.mfu is None:
        spec.warnings.append(
            (
                "mfu_assumed",
                f"MFU is a prior for {acc.generation}/{spec.dtype}, not a measurement",
                {"generation": acc.generation, "dtype": spec.dtype},
            )
        )
    missing = [n for n in ("usd_per_gpu_hour", "gpu_price_usd", "tdp_watts") if n not in spec.inputs.dists]
    for name in missing:
        spec.warnings.append(
            (
                "missing_input",
                f"{acc.id} has no {name} in the catalog; outputs needing it are omitted",
                {"gpu": acc.id, "name": name},
            )
        )
    assumed = [r.name for r in spec.inputs.records if r.basis == "estimate" and r.name not in ("mfu",)]
    assumed = [
        n
        for n in assumed
        if n not in {"capex_multiple", "server_overhead", "power_fraction", "lifetime_years"}
    ]
    if assumed:
        spec.warnings.append(
            (
                "assumed_input",
                "not published, assumed by costlm or a source: " + ", ".join(assumed),
                {"names": ", ".join(assumed)},
            )
        )


def mfu_count_ratio(spec: TrainingSpec, n_gpus: Sequence[float]) -> list[float]:
    """The fitted MFU prior's median at each GPU count over its median at the spec's own count:
    1 everywhere when the spec's MFU is not the fitted model's (a user's --mfu, a per-generation
    prior) or the model has no GPU-count term. The interval factor does not depend on the count,
    so multiplying the spec's MFU draws by this ratio gives the prior at each count."""
    if spec.mfu_fit is None:
        return [1.0] * len(n_gpus)
    model, cov = spec.mfu_fit
    base = mfu.evaluate(model, spec.accelerator, spec.dtype, cov).p50
    return [
        mfu.evaluate(model, spec.accelerator, spec.dtype, replace(cov, n_gpus=float(n))).p50 / base
        for n in n_gpus
    ]


def training_draws(spec: TrainingSpec, *, samples: int, seed: int | None) -> tuple[TrainingDraws, Drawn]:
    """Sample the spec's inputs into the pipeline's ``TrainingDraws`` (and the raw draws, for
    sensitivity ranking and caveats)."""
    drawn = draw_inputs(spec.inputs, samples, seed)
    dense, attention = RECOMPUTED[spec.recompute]
    draws = TrainingDraws(
        peak_flop_per_s=spec.peak_flop_per_s,
        n_layers=spec.n_layers,
        d_attention=spec.d_attention,
        recompute_dense=dense,
        recompute_attention=attention,
        **drawn.values,
    )
    return draws, drawn
