"""``plan train``: every (accelerator x GPU count x layout x dtype x rent/buy) of a training run, the
Pareto frontier of cost, time and CO2, and the best plan that meets the constraints at p90.

For each accelerator and dtype, the training pipeline runs once at ``n_gpus=1`` per rental tier
(``costlm.analyses.plan_train_eval``: nothing but wall-clock time and the purchase cost depends on
the count); counts are the powers of two up to ``--max-gpus``. A configuration is excluded, with its
reason code, when:

- ``no_dtype``: the accelerator has no dense peak in that dtype; ``no_mfu_prior``: costlm has no
  utilization prior for its generation and dtype, so it cannot estimate its time;
- ``no_price``: it has no rental price (renting) or purchase price (buying); ``no_power``: no TDP;
- ``memory``: no layout fits the model in memory at that count (``training_memory.fit_layout``);
- ``parallelism``: every layout that fits needs more sequences per optimizer step than the global
  batch has (data-parallel replicas x pipeline stages x micro-batch, ``training_memory.fit_layout``;
  the batch: ``resolve.plan_train.global_batch_limit``): a rule, not a clip;
- ``deadline``, ``budget``, ``co2``: its p90 days, cost or CO2 is above the limit.

Among the rest (feasible), the frontier is the set not dominated on (cost, days, CO2) at p50, and
the chosen plan the lexicographic minimum of the ``--objective`` (cost, time or co2) then the other
two, at p50. Renting, cost and CO2 do not depend on the count (above), so for the cost and co2
objectives a tie goes to the fewest GPUs: the smallest cluster that meets the constraints (real
utilization falls with scale, which the MFU prior does not model; the frontier keeps the faster
counts at the same cost). When nothing is feasible, ``plan_train_errors`` says which constraint binds.
"""

from __future__ import annotations

import numpy as np

from costlm.analyses.levers import lever_uses
from costlm.analyses.plan_frontier import IntArray, best_index, pareto_mask, power_of_two_counts
from costlm.analyses.plan_train_errors import raise_infeasible
from costlm.analyses.plan_train_eval import PERCENTILE_P50, PLAN_STATS, CountFree, count_free, evaluate_counts
from costlm.analyses.plan_train_models import (
    PlanConstraints,
    PlanPoint,
    PlanRow,
    PlanStat,
    PlanTrainResult,
    PlanWork,
    Search,
)
from costlm.analyses.training import run_training
from costlm.analyses.training_memory import MemoryLayout, fit_layout
from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Catalog, Dtype
from costlm.caveats import Caveat
from costlm.errors import ConfigError, InputError
from costlm.resolve.levers import resolve_levers
from costlm.resolve.plan_train import PlanTrainRequest, global_batch_limit, plan_accelerators
from costlm.resolve.rules import half_precision
from costlm.resolve.training import TrainingSpec, mfu_count_ratio, training_spec

OBJECTIVE_ORDER = {
    "cost": ("cost_usd", "wall_clock_days", "co2_t"),
    "time": ("wall_clock_days", "cost_usd", "co2_t"),
    "co2": ("co2_t", "cost_usd", "wall_clock_days"),
}
STAT_UNITS = {
    "cost_usd": "USD",
    "wall_clock_days": "days",
    "co2_t": "tCO2e",
    "energy_mwh": "MWh",
    "gpu_hours": "GPU-h",
    "amortized_cost_usd": "USD",
}
FP8: Dtype = "fp8"
ACCELERATOR_ERRORS = frozenset({"no_mfu_prior", "no_dense_peak", "lever_not_applicable.no_fp8"})
"""Input errors that depend on the accelerator (exclusions); any other one is the work's and is raised."""


Kept = list[tuple[int, MemoryLayout | None]]
Dropped = list[tuple[int, str]]


def _dtypes(req: PlanTrainRequest, acc: Accelerator) -> list[Dtype]:
    """The user's dtypes, else the accelerator's 16-bit format: FP8 training is the ``fp8`` lever
    (measured FP8/BF16 time ratios), since costlm's fitted MFU prior gives fp8 runs the FLOP/s of
    bf16 runs (``costlm.resolve.mfu``) and an fp8 row would only repeat the bf16 one."""
    if req.dtypes is not None:
        return list(req.dtypes)
    return [half_precision(acc)]


def _tiers(req: PlanTrainRequest) -> tuple[str, ...]:
    """Rental tiers to price: the user's, or both tiers ``auto`` chooses between."""
    return ("on-demand", "reserved") if req.price_tier == "auto" else (req.price_tier,)


def _acquisitions(req: PlanTrainRequest) -> tuple[str, ...]:
    return ("rent", "buy") if req.acquisition == "both" else (req.acquisition,)


def _layouts(spec: TrainingSpec, counts: IntArray, limit: int) -> tuple[Kept, Dropped]:
    """The counts that fit in memory within the parallelism rule (with their layouts), and the
    others with their reason (``memory`` or ``parallelism``)."""
    kept: Kept = []
    dropped: Dropped = []
    for n in (int(c) for c in counts):
        if spec.memory is None:  # no parameter count: plain data parallelism (micro-batch 1), no memory check
            kept += [(n, None)] if n <= limit else []
            dropped += [] if n <= limit else [(n, "parallelism")]
            continue
        free = fit_layout(spec.memory, n)
        bounded = fit_layout(spec.memory, n, sequences_per_step=limit) if free and free[0] else None
        if free is None or not free[0]:
            dropped.append((n, "memory"))
        elif bounded is None or not bounded[0]:
            dropped.append((n, "parallelism"))
        else:
            kept.append((n, bounded[1]))
    return kept, dropped


def _specs(req: PlanTrainRequest, cat: Catalog, acc: Accelerator, dtype: Dtype) -> dict[str, TrainingSpec]:
    """One resolved spec per rental tier to price (the work's own rules; raises InputError)."""
    return {
        tier: training_spec(req.work_request(gpu=acc.id, dtype=dtype, price_tier=tier), cat)
        for tier in _tiers(req)
    }


def _base(req: PlanTrainRequest, specs: dict[str, TrainingSpec]) -> tuple[CountFree, TrainingSpec]:
    """The count-free samples of one (accelerator, dtype): one pipeline run per tier (same seed)."""
    rental: dict[str, np.ndarray] = {}
    breakdown = values = None
    for tier, spec in specs.items():
        breakdown, drawn = run_training(spec, samples=req.samples, seed=req.seed)
        values = drawn.values
        if breakdown.rental_cost_usd is not None:
            rental[tier] = breakdown.rental_cost_usd
    assert breakdown is not None and values is not None
    return count_free(breakdown, values, rental), next(iter(specs.values()))


def _work(req: PlanTrainRequest, spec: TrainingSpec, limit: int, basis: str) -> PlanWork:
    memory = spec.memory
    return PlanWork(
        label=spec.label,
        model=spec.model_id,
        kind=spec.kind,
        method=req.method,
        n_params=memory.n_params if memory else None,
        seq_len=memory.seq_len if memory else None,
        global_batch_sequences=limit,
        global_batch_basis=basis,
    )


def _add_block(
    search: Search,
    acc: Accelerator,
    dtype: str,
    acq: str,
    base: CountFree,
    kept: list[tuple[int, MemoryLayout | None]],
    specs: dict[str, TrainingSpec],
    req: PlanTrainRequest,
) -> None:
    """Evaluate one (accelerator, dtype, acquisition) at its kept counts and append the rows."""
    counts = np.array([n for n, _ in kept], dtype=np.int64)
    first = next(iter(specs.values()))
    hours_scale = 1.0 / np.array(mfu_count_ratio(first, [float(n) for n in counts]))
    out = evaluate_counts(base, counts, acquisition=acq, tier=req.price_tier, hours_scale=hours_scale)
    for name, values in out.stats.items():
        search.table.blocks[name].append(values)
    for (n, layout), tier in zip(kept, out.tiers, strict=True):
        spec = specs[tier] if tier is not None else next(iter(specs.values()))
        priced = spec.price_tier if tier is not None else None
        search.table.meta.append((acc.id, n, dtype, acq, priced, layout))
        search.table.warnings.append([Caveat(code=c, message=m, values=v) for c, m, v in spec.warnings])


def _priced(base: CountFree, acq: str, req: PlanTrainRequest) -> bool:
    if acq == "buy":
        return base.gpu_price_usd is not None
    return all(tier in base.rental_usd for tier in _tiers(req))


def _search_accelerator(
    req: PlanTrainRequest, cat: Catalog, acc: Accelerator, counts: IntArray, search: Search
) -> None:
    """Evaluate or exclude every (dtype, acquisition, count) of one accelerator."""
    acqs = _acquisitions(req)
    per_dtype = len(counts) * len(acqs)
    fits: tuple[Kept, Dropped, int] | None = None
    for dtype in _dtypes(req, acc):
        reason = "no_dtype" if acc.dense_peak_flop_per_s(dtype) is None else None
        reason = reason or ("no_power" if acc.tdp_watts is None else None)
        try:
            specs = {} if reason else _specs(req, cat, acc, dtype)
        except InputError as exc:
            if exc.key not in ACCELERATOR_ERRORS:
                raise  # the work itself is unusable (no token count...): the same on every accelerator
            reason = exc.key
        if reason:
            search.exclude(reason, acc.id, per_dtype, dtype=dtype)
            continue
        base, spec = _base(req, specs)
        if fits is None:
            limit, basis = global_batch_limit(req, cat, spec.memory.seq_len if spec.memory else None)
            search.work = search.work or _work(req, spec, limit, basis)
            search.specs[acc.id] = spec
            fits = (*_layouts(spec, counts, limit), limit)
        kept, dropped, limit = fits
        for acq in acqs:
            if not _priced(base, acq, req):
                search.exclude("no_price", acc.id, len(counts), dtype=dtype, acquisition=acq)
                continue
            for n, why in dropped:
                search.exclude(
                    why, acc.id, 1, n_gpus=str(n), limit=str(limit) if why == "parallelism" else None
                )
            if kept:
                _add_block(search, acc, dtype, acq, base, kept, specs, req)


def _stat(table: np.ndarray, i: int, unit: str) -> PlanStat:
    p05, p50, p90, p95 = (float(v) for v in table[i])
    return PlanStat(p05=p05, p50=p50, p90=p90, p95=p95, unit=unit)


def _row(search: Search, stats: dict[str, np.ndarray], i: int) -> PlanRow:
    acc, n, dtype, acq, tier, layout = search.table.meta[i]
    amortized = stats["amortized_cost_usd"]
    return PlanRow(
        accelerator=acc,
        n_gpus=n,
        dtype=dtype,
        acquisition=acq,
        price_tier=tier,
        layout=layout,
        **{
            name: _stat(stats[name], i, STAT_UNITS[name])
            for name in PLAN_STATS
            if name != "amortized_cost_usd"
        },
        amortized_cost_usd=None if np.isnan(amortized[i]).any() else _stat(amortized, i, "USD"),
    )


def _limits(req: PlanTrainRequest) -> dict[str, float | None]:
    return {"deadline": req.deadline_days, "budget": req.budget_usd, "co2": req.max_co2_t}


P90 = 2
"""Column of the 90th percentile in the stats tables."""
LIMITED = {"deadline": "wall_clock_days", "budget": "cost_usd", "co2": "co2_t"}


def plan_training(req: PlanTrainRequest, cat: Catalog) -> PlanTrainResult:
    """The plan (``_plan``); with levers, also the best plan without them and the share of its
    median cost the levers save (None when no plan without them meets the constraints)."""
    result = _plan(req, cat)
    if not req.levers:
        return result
    ids = tuple(lever.id for lever in resolve_levers(cat, req.levers, "train"))
    try:
        baseline: PlanRow | None = _plan(req.model_copy(update={"levers": ()}), cat).chosen
    except ConfigError:
        baseline = None
    saving = None if baseline is None else 1.0 - result.chosen.cost_usd.p50 / baseline.cost_usd.p50
    return result.model_copy(
        update={"levers": lever_uses(cat, ids), "baseline": baseline, "lever_saving_share": saving}
    )


def _plan(req: PlanTrainRequest, cat: Catalog) -> PlanTrainResult:
    """Search, exclude, rank (module docstring); ``ConfigError`` when no configuration is feasible."""
    if req.grid is not None:
        load.grid_region(cat, req.grid)
    counts = power_of_two_counts(req.max_gpus)
    search = Search()
    accelerators = plan_accelerators(req, cat)
    for acc in accelerators:
        _search_accelerator(req, cat, acc, counts, search)
    stats = search.table.stats()
    p90 = {name: stats[LIMITED[name]][:, P90] for name in LIMITED}
    feasible = np.ones(len(search.table.meta), dtype=bool)
    for name, limit in _limits(req).items():
        if limit is not None:
            over = feasible & (p90[name] > limit)
            for i in np.flatnonzero(over):
                gpu, n, dtype, acq, _, _ = search.table.meta[i]
                value = f"{p90[name][i]:.4g}"
                search.exclude(name, gpu, 1, n_gpus=str(n), dtype=dtype, acquisition=acq, p90=value)
            feasible &= ~over
    if not feasible.any():
        raise_infeasible(req, search.specs, p90, search.table.meta, search.excluded, _limits(req))
    p50 = np.column_stack([stats[name][:, PERCENTILE_P50] for name in OBJECTIVE_ORDER[req.objective]])
    n_gpus = np.array([meta[1] for meta in search.table.meta], dtype=np.float64)
    ranked = p50 if req.objective == "time" else np.column_stack([p50[:, 0], n_gpus, p50[:, 1:]])
    chosen = best_index(ranked, feasible)
    assert chosen is not None
    front = np.flatnonzero(feasible)[pareto_mask(p50[feasible])]
    frontier = _distinct(search, sorted(front, key=lambda i: tuple(p50[i])), p50)
    return _result(req, cat, search, stats, chosen, [int(i) for i in frontier], feasible, counts)


def _distinct(search: Search, rows: list[int], p50: np.ndarray) -> list[int]:
    """The frontier without repeats: configurations that differ only in dtype with the same p50s
    (costlm's fp8 MFU prior is the bf16 one at the same FLOP/s) keep the first dtype searched."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for i in rows:
        acc, n, _, acq, tier, _ = search.table.meta[i]
        key = (acc, n, acq, tier, *p50[i])
        if key not in seen:
            seen.add(key)
            kept.append(i)
    return kept


def _caveats(req: PlanTrainRequest, search: Search, chosen: int, frontier: list[int]) -> list[Caveat]:
    work = search.work
    limit = str(work.global_batch_sequences) if work else "?"
    caveats = [
        Caveat(
            code="plan_mfu_layout_independent",
            message="the MFU prior knows the GPU count (the fitted model's per-decade factor, where it"
            " applies) but not the layout: tensor, pipeline and ZeRO choices do not change the time",
        ),
        Caveat(
            code="plan_parallelism_limit",
            message=f"data-parallel replicas x pipeline stages x micro-batch <= {limit} sequences per"
            " optimizer step (set --global-batch)",
            values={"limit": limit},
        ),
    ]
    if req.acquisition != "rent":
        caveats.append(
            Caveat(
                code="plan_buy_capex",
                message="buying costs the cluster capex (servers + network) plus electricity;"
                " the amortized cost is shown beside",
            )
        )
    if chosen not in frontier:
        caveats.append(
            Caveat(
                code="plan_smallest_cluster",
                message="the chosen plan is the smallest cluster at its cost; the frontier lists faster"
                " ones at the same cost",
            )
        )
    seen: set[tuple[str, str]] = set()
    for caveat in search.table.warnings[chosen]:
        if (caveat.code, caveat.message) not in seen:
            seen.add((caveat.code, caveat.message))
            caveats.append(caveat)
    return caveats


def _result(
    req: PlanTrainRequest,
    cat: Catalog,
    search: Search,
    stats: dict[str, np.ndarray],
    chosen: int,
    frontier: list[int],
    feasible: np.ndarray,
    counts: IntArray,
) -> PlanTrainResult:
    assert search.work is not None
    grid = load.grid_region(cat, req.grid or cat.defaults.grid_region).id
    constraints = PlanConstraints(
        deadline_days=req.deadline_days,
        budget_usd=req.budget_usd,
        max_co2_t=req.max_co2_t,
        max_gpus=req.max_gpus,
        n_gpu_counts=len(counts),
        acquisition=req.acquisition,
        price_tier=req.price_tier,
        gpus=list(req.gpus) if req.gpus else None,
        dtypes=list(req.dtypes) if req.dtypes else None,
        objective=req.objective,
        grid_region=grid,
    )
    n_rows = len(search.table.meta)
    return PlanTrainResult(
        work=search.work,
        constraints=constraints,
        chosen=_row(search, stats, chosen),
        frontier=[_row(search, stats, i) for i in frontier],
        n_evaluated=n_rows + sum(v for k, v in search.excluded.items() if k not in LIMITED),
        n_feasible=int(feasible.sum()),
        excluded=dict(sorted(search.excluded.items())),
        excluded_examples=search.examples,
        caveats=_caveats(req, search, chosen, frontier),
        samples=req.samples,
        seed=req.seed,
        points=_points(search, stats, feasible),
    )


def _points(search: Search, stats: dict[str, np.ndarray], feasible: np.ndarray) -> list[PlanPoint]:
    """Every feasible configuration's median cost, time and CO2 (the frontier plot's cloud)."""
    return [
        PlanPoint(
            accelerator=search.table.meta[i][0],
            n_gpus=search.table.meta[i][1],
            dtype=search.table.meta[i][2],
            acquisition=search.table.meta[i][3],
            cost_usd=float(stats["cost_usd"][i, PERCENTILE_P50]),
            wall_clock_days=float(stats["wall_clock_days"][i, PERCENTILE_P50]),
            co2_t=float(stats["co2_t"][i, PERCENTILE_P50]),
        )
        for i in np.flatnonzero(feasible)
    ]
