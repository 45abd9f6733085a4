"""The search of ``costlm plan serve``: every (accelerator, tensor-parallel degree, engine, dtype,
KV dtype) a catalog can price and load, each as one ``serve_spec`` and one set of draws; batch caps
x Monte Carlo draws as arrays through ``pipelines.latency``; the fewest replicas meeting the
targets found by a vectorised doubling + bisection per configuration (feasibility only improves
with replicas: each one sees less traffic).

Branch and bound: a configuration's fleet cannot be cheaper than the replicas that carry the
peak at its largest batch's throughput (b / S(b) grows with b), so configurations are evaluated
cheapest-bound first and skipped once the bound reaches the best fleet of their accelerator (the
cheapest fleet per accelerator, the overall winner among them, is exact).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from costlm.catalog.schema import Accelerator, Catalog, PriceTier, ServeDtype
from costlm.errors import ConfigError
from costlm.formulas import FloatArray
from costlm.pipelines.latency import LatencyBreakdown, LengthSpread, request_latency, service_s
from costlm.pipelines.serving import ServeDraws, StepTimes, step_times
from costlm.resolve.plan_requests import PlanServeRequest
from costlm.resolve.requests import ServeRequest
from costlm.resolve.serving import ServeSpec, serve_draws, serve_spec
from costlm.units import HOURS_PER_YEAR, MS_PER_S, SECONDS_PER_DAY

TENSOR_PARALLEL_DEGREES = (1, 2, 4, 8)
MAX_PLAN_BATCH = 1024
"""Largest batch cap searched (vLLM's max_num_seqs defaults to 256; 1024 is past any engine's)."""
MAX_REPLICAS = 1 << 20
"""Replica counts searched up to ~1M; beyond, the configuration is reported as infeasible."""
TARGET_QUANTILE = 0.9
"""A fleet meets the targets when they (and a stable queue) hold in at least 90% of the draws."""
TTFT_REQUEST_QUANTILE = 0.9
TPOT_REQUEST_QUANTILE_Z = 2.326
"""Standard-normal quantile of 0.99 (the p99 TPOT target's busy-slot quantile)."""
MONTHS_PER_YEAR = 12.0
HOURS_PER_MONTH = HOURS_PER_YEAR / MONTHS_PER_YEAR
ENGINE_VENDORS = {"trt-llm": ("NVIDIA",)}
"""Engines that run on one vendor's chips only (TensorRT-LLM: NVIDIA GPUs)."""
QUANTIZED_NEEDS_FP8_UNITS = ("fp8", "int4")
AS_RELEASED: tuple[ServeDtype | None, ...] = (None,)
"""Weights and KV cache searched without ``--dtypes``/``--kv-dtypes``: as ``costlm serve`` serves
them, as released (fp8 for models trained and released in fp8, else 16-bit; ``resolve.rules``)."""
QUANTIZED_DTYPES: tuple[ServeDtype, ...] = ("bf16", "fp8", "int8")
QUANTIZED_KV_DTYPES: tuple[ServeDtype, ...] = ("bf16", "fp8")
"""What the quantize lever adds to the search (int4 only when asked with ``--dtypes``)."""
RUNNER_UP_WITHIN = 3.0
"""Runner-ups (each accelerator's cheapest fleet) are searched up to 3x the winner's monthly cost."""


@dataclass(frozen=True)
class Config:
    """One configuration's spec, draws, batch caps (k x 1) and their step times at 1 and at the cap."""

    spec: ServeSpec
    draws: ServeDraws
    caps: FloatArray
    at_one: StepTimes
    at_cap: StepTimes
    usd_per_gpu_hour_p50: float
    bound_replicas: FloatArray
    bound_usd_per_month: float


@dataclass(frozen=True)
class Found:
    """The cheapest batch cap of a configuration and the replicas it needs."""

    config: Config
    cap_index: int
    replicas: int
    usd_per_month_p50: float


@dataclass
class Search:
    """What a search produced: its feasible configurations' best fleets, exclusions and best floors."""

    found: list[Found] = dataclasses.field(default_factory=list)
    excluded: dict[str, int] = dataclasses.field(default_factory=dict)
    n_configurations: int = 0
    n_evaluated: int = 0
    best_tpot_ms: tuple[float, str] = (np.inf, "")
    best_ttft_ms: tuple[float, str] = (np.inf, "")

    def exclude(self, reason: str) -> None:
        self.excluded[reason] = self.excluded.get(reason, 0) + 1


def label_of(spec: ServeSpec) -> str:
    """'h100-sxm x 4, vllm, fp8, kv fp8': a configuration as the error and the tables show it."""
    return f"{spec.accelerator.id} x {spec.n_gpus}, {spec.engine}, {spec.dtype}, kv {spec.kv_dtype}"


def peak_arrival_rate_per_s(req: PlanServeRequest) -> float:
    """Requests per second at the peak: mean x peak factor."""
    return mean_arrival_rate_per_s(req) * req.peak_factor


def mean_arrival_rate_per_s(req: PlanServeRequest) -> float:
    if req.requests_per_s is not None:
        return req.requests_per_s
    assert req.tokens_per_day is not None
    return req.tokens_per_day / req.output_tokens / SECONDS_PER_DAY


def _accelerators(req: PlanServeRequest, cat: Catalog) -> list[Accelerator]:
    from costlm.catalog import load

    if req.gpus:
        return [load.accelerator(cat, g) for g in req.gpus]
    tiers: tuple[PriceTier, ...] = ("on-demand", "reserved", "spot")
    return [a for a in cat.accelerators.values() if any(a.rental(t) is not None for t in tiers)]


def _make_config(spec: ServeSpec, req: PlanServeRequest, lam: float) -> Config | None:
    draws, _ = serve_draws(spec, samples=req.samples, seed=req.seed)
    if draws.usd_per_gpu_hour is None:
        return None
    top = min(spec.max_batch, MAX_PLAN_BATCH)
    caps = np.exp2(np.arange(int(np.log2(top)) + 1, dtype=np.float64))[:, None]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        at_one = step_times(dataclasses.replace(draws, batch=1.0))
        at_cap = step_times(dataclasses.replace(draws, batch=caps))
    bound = np.maximum(
        np.ceil(np.quantile(lam / _capacity(draws, at_cap, caps, req), TARGET_QUANTILE, axis=-1)), 1.0
    )
    price = float(np.median(draws.usd_per_gpu_hour))
    usd = float(bound.min()) * spec.n_gpus * price * HOURS_PER_MONTH
    return Config(spec, draws, caps, at_one, at_cap, price, bound, usd)


def _capacity(d: ServeDraws, at_cap: StepTimes, caps: FloatArray, req: PlanServeRequest) -> FloatArray:
    """Per cap and draw, an upper bound on the requests/s a replica carries: b / S(b) grows with b,
    so the best is at the cap, or, under a TPOT target, at the first cap past the last that meets it
    (the running batch can sit between the two)."""
    rate = caps / service_s(d, at_cap)
    if req.p99_tpot_ms is None:
        return rate
    meets = at_cap.tpot_s * MS_PER_S <= req.p99_tpot_ms
    index = np.arange(caps.shape[0])[:, None]
    last = np.where(meets, index, -1).max(axis=0)
    allowed = np.where(index <= last + 1, rate, 0.0)
    return np.maximum.accumulate(allowed, axis=0)


def _floors_ok(cfg: Config, req: PlanServeRequest, search: Search) -> bool:
    """Can any replica count meet the targets? The floors are at batch 1 and no queue."""
    label = label_of(cfg.spec)
    tpot = float(np.quantile(cfg.at_one.tpot_s, TARGET_QUANTILE)) * MS_PER_S
    ttft = float(np.quantile(cfg.at_one.ttft_s, TARGET_QUANTILE)) * MS_PER_S
    search.best_tpot_ms = min(search.best_tpot_ms, (tpot, label))
    search.best_ttft_ms = min(search.best_ttft_ms, (ttft, label))
    if req.p99_tpot_ms is not None and tpot > req.p99_tpot_ms:
        search.exclude("tpot_target")
        return False
    if req.p90_ttft_ms is not None and ttft > req.p90_ttft_ms:
        search.exclude("ttft_target")
        return False
    return True


def enumerate_configs(req: PlanServeRequest, cat: Catalog, search: Search) -> list[Config]:
    """Every configuration that loads, is priced and can meet the targets, with its cost bound."""
    lam = peak_arrival_rate_per_s(req)
    out: list[Config] = []
    for acc in _accelerators(req, cat):
        has_fp8 = acc.dense_peak_flop_per_s("fp8") is not None
        for dtype in req.dtypes or AS_RELEASED:
            for kv in req.kv_dtypes or AS_RELEASED:
                for engine in req.engines:
                    for tp in TENSOR_PARALLEL_DEGREES:
                        search.n_configurations += 1
                        if dtype in QUANTIZED_NEEDS_FP8_UNITS and not has_fp8:
                            search.exclude("dtype")
                            continue
                        if acc.vendor not in ENGINE_VENDORS.get(engine, (acc.vendor,)):
                            search.exclude("engine")
                            continue
                        cfg = _config_of(req, cat, (acc.id, tp, dtype, kv, engine), lam, search)
                        if cfg is not None and _floors_ok(cfg, req, search):
                            out.append(cfg)
    return out


def _config_of(
    req: PlanServeRequest,
    cat: Catalog,
    choice: tuple[str, int, str | None, str | None, str],
    lam: float,
    search: Search,
) -> Config | None:
    """The configuration ``choice`` = (accelerator, TP, dtype, KV dtype, engine), None if excluded."""
    gpu, tp, dtype, kv, engine = choice
    serve = ServeRequest.model_validate(
        {
            "model": req.model,
            "gpu": gpu,
            "n_gpus": tp,
            "dtype": dtype,
            "kv_dtype": kv,
            "engine": engine,
            "prompt_tokens": req.prompt_tokens,
            "output_tokens": req.output_tokens,
            "grid": req.grid,
            "price_tier": req.price_tier,
            "samples": req.samples,
            "seed": req.seed,
            "levers": req.levers,
        }
    )
    try:
        spec = serve_spec(serve, cat)
    except ConfigError as exc:
        if exc.key != "does_not_fit":
            raise
        search.exclude("memory")
        return None
    cfg = _make_config(spec, req, lam)
    if cfg is None:
        search.exclude("no_price")
    return cfg


def one_cap(cfg: Config, i: int) -> Config:
    """``cfg`` restricted to its ``i``-th batch cap."""
    rows = {k: v[i : i + 1] if np.ndim(v) == 2 else v for k, v in vars(cfg.at_cap).items()}
    return dataclasses.replace(
        cfg, caps=cfg.caps[i : i + 1], at_cap=StepTimes(**rows), bound_replicas=cfg.bound_replicas[i : i + 1]
    )


def latency_at(cfg: Config, req: PlanServeRequest, replicas: FloatArray, lam: float) -> LatencyBreakdown:
    """Request latency of ``cfg``'s replicas (one count per batch cap, k x 1) sharing rate ``lam``."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return request_latency(
            cfg.draws,
            arrival_rate_per_s=lam / replicas,
            batch_cap=cfg.caps,
            spread=LengthSpread(prompt_cv=req.prompt_cv, output_cv=req.output_cv),
            ttft_quantile=TTFT_REQUEST_QUANTILE,
            tpot_quantile_z=TPOT_REQUEST_QUANTILE_Z,
            bounds=(cfg.at_one, cfg.at_cap),
        )


def _feasible(cfg: Config, req: PlanServeRequest, replicas: FloatArray, lam: float) -> FloatArray:
    lat = latency_at(cfg, req, replicas[:, None], lam)
    ok = lat.utilisation < 1.0
    if req.p90_ttft_ms is not None:
        ok &= lat.ttft_s * MS_PER_S <= req.p90_ttft_ms
    if req.p99_tpot_ms is not None:
        ok &= lat.tpot_s * MS_PER_S <= req.p99_tpot_ms
    return np.asarray(ok.mean(axis=-1) >= TARGET_QUANTILE, dtype=np.float64)


def fewest_replicas(cfg: Config, req: PlanServeRequest, lam: float) -> FloatArray:
    """Per batch cap, the fewest replicas meeting the targets (inf past MAX_REPLICAS)."""
    hi = cfg.bound_replicas.copy()
    lo = hi - 1.0  # the bound minus one cannot carry the peak
    ok = _feasible(cfg, req, hi, lam) > 0
    while not ok.all() and (hi[~ok] < MAX_REPLICAS).any():
        lo = np.where(ok, lo, hi)
        hi = np.where(ok, hi, np.minimum(hi * 2.0, MAX_REPLICAS))
        ok = _feasible(cfg, req, hi, lam) > 0
    while ((hi - lo > 1.0) & ok).any():
        gap = (hi - lo > 1.0) & ok
        mid = np.where(gap, np.floor((lo + hi) / 2.0), hi)
        good = _feasible(cfg, req, mid, lam) > 0
        hi = np.where(gap & good, mid, hi)
        lo = np.where(gap & ~good, mid, lo)
    return np.where(ok, hi, np.inf)


def run_search(req: PlanServeRequest, cat: Catalog) -> Search:
    """Evaluate the configurations cheapest-bound first; keep each accelerator's cheapest fleet."""
    search = Search()
    configs = sorted(enumerate_configs(req, cat, search), key=lambda c: c.bound_usd_per_month)
    lam = peak_arrival_rate_per_s(req)
    best: dict[str, Found] = {}
    winner: float | None = None
    for cfg in configs:
        acc = cfg.spec.accelerator.id
        if acc in best and cfg.bound_usd_per_month >= best[acc].usd_per_month_p50:
            continue
        if winner is not None and cfg.bound_usd_per_month >= RUNNER_UP_WITHIN * winner:
            continue
        search.n_evaluated += 1
        replicas = fewest_replicas(cfg, req, lam)
        if not np.isfinite(replicas).any():
            search.exclude("replicas")
            continue
        usd = replicas * cfg.spec.n_gpus * cfg.usd_per_gpu_hour_p50 * HOURS_PER_MONTH
        i = int(np.argmin(usd))
        found = Found(cfg, i, int(replicas[i]), float(usd[i]))
        if acc not in best or found.usd_per_month_p50 < best[acc].usd_per_month_p50:
            best[acc] = found
        winner = min(found.usd_per_month_p50, winner or np.inf)
    search.found = sorted(best.values(), key=lambda f: f.usd_per_month_p50)
    return search
