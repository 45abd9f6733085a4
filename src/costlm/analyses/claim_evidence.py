"""Evidence for each kind of claim: an official figure from the catalog, or costlm's own estimate.

Each evaluator returns an ``Evidence`` (a 90% interval with its basis and source) or None when
no official figure exists and no estimate is possible, plus the reasoning steps a reader can
follow and, for energy, the physical floor below which a claim is impossible.

No words here: every step, every "what" of an evidence and every reading label is a ``Phrase``,
a stable code (a ``TrailCode``; its words are ``trail.<code>`` in the i18n catalogs) plus its
values, numbers as numbers. ``costlm.report.claims`` turns them into English or Spanish, so a
judged claim is the same JSON document in every language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.analyses.claim_basis import arithmetic_basis, assumed, facet_bases
from costlm.analyses.reported import derived_days, prices_basis, run_count
from costlm.analyses.training import TrainingResult, catalog_training, estimate_training_spec
from costlm.catalog import load
from costlm.catalog.schema import Catalog, Claim, FleetPart, Run
from costlm.formulas import energy
from costlm.resolve import prices
from costlm.resolve.inputs import dist_of
from costlm.resolve.requests import ServeRequest, TrainingRequest
from costlm.resolve.serving import kv_bytes_per_token, serve_spec
from costlm.resolve.training import training_spec
from costlm.uncertainty import Distribution, Fixed, Summary, draw, summarize
from costlm.units import GB, HOURS_PER_DAY, HOURS_PER_YEAR

POINT_TOLERANCE = 1.1
"""A single official figure is compared as value / 1.1 .. value x 1.1 (rounding in articles)."""
ENERGY_FLOOR_FRACTION = 0.15
"""Lowest average GPU power seen in training, as a fraction of TDP (Morrison et al. 2025: 15-85%)."""
DEEPSEEK_V2_KV_BITS = 6.0
"""DeepSeek-V2 report Sec. 3.2.3: the deployed KV cache is quantized to ~6 bits per element."""

_CostSteps = Literal["estimate", "no_all_development", "final_run_alone", "official_cost", "rental_formula"]
_PriceSteps = Literal[
    "no_rental",
    "no_price",
    "hardware_formula",
    "hardware_market",
    "no_fleet",
    "fleet_formula",
    "with_network",
]
_CountSteps = Literal["no_fleet_figure", "official_run_count", "official_count", "gpus_from_hours"]
_TimeSteps = Literal[
    "no_official_count", "days_from_hours", "days_at_least", "official_days", "floor", "no_tdp"
]
_BasisSteps = Literal["rests_on_assumption"]
_OtherSteps = Literal[
    "no_api_price", "api_line", "stale_api_price", "replica_year", "no_baseline", "kv_line", "rental_list"
]
_WhatTraining = Literal[
    "what_official_cost", "what_rental", "what_hardware", "what_fleet", "what_official_count"
]
_WhatTime = Literal["what_gpus_from_hours", "what_days_from_hours", "what_official_days", "what_days"]
_WhatEnergy = Literal["what_official_energy", "what_energy", "what_replica_year", "what_kv"]
_WhatPrice = Literal["what_api_one", "what_api_all", "what_rental_list"]
_Readings = Literal["reading_as_stated", "reading_label", "reading_kv_bits", "reading_own_context"]
TrailCode = Literal[
    _CostSteps,
    _PriceSteps,
    _CountSteps,
    _TimeSteps,
    _OtherSteps,
    _BasisSteps,
    "cannot_estimate",
    _WhatTraining,
    _WhatTime,
    _WhatEnergy,
    _WhatPrice,
    _Readings,
]
"""Every code a ``Phrase`` of a judged claim can carry (a test checks each has en and es words)."""

Basis = Literal["reported", "third-party", "derived", "exact", "costlm-estimate"]
"""Where evidence comes from: the maker's figure, a third party's figure (or plain arithmetic on
one), arithmetic on the maker's figures, exact, or costlm's estimate."""

Value = str | int | float | list[FleetPart]
"""A phrase value: a number, an id or catalog text, or (``fleet``) the claimed fleet's parts."""


class Phrase(BaseModel):
    """Words to be rendered later: a stable ``code`` and its ``values``.

    Catalog text that exists in both languages travels as ``<name>_en`` and ``<name>_es``
    (e.g. a reading's ``label_en``/``label_es``); the renderer picks ``<name>`` for its language.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: TrailCode
    values: dict[str, Value] = {}


class Evidence(BaseModel):
    """What a claim is compared with: a 90% interval, its basis and its source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    p05: float
    p50: float
    p95: float
    unit: str
    basis: Basis
    source: str | None
    what: Phrase
    at_least: bool = False
    """The evidence is a floor, not an interval: days from reported GPU-hours / the reported GPU
    count (a cluster size: the most GPUs at once) are the fewest days the run can have taken."""


@dataclass
class Finding:
    """Evidence (or None), the reasoning steps, an optional physical floor, and the decisive
    facets that rest only on costlm's assumptions (``costlm.analyses.claim_basis``): when there
    are any, the evidence is shown but cannot decide the verdict."""

    evidence: Evidence | None
    reasoning: list[Phrase] = field(default_factory=list)
    floor: float | None = None
    assumed: list[str] = field(default_factory=list)


@dataclass
class Ask:
    """A claim reading to evaluate: quantity and scope (a reading may change them)."""

    claim: Claim
    quantity: str
    scope: str
    samples: int
    seed: int | None


def _say(code: TrailCode, **values: Value) -> Phrase:
    """A reasoning step (rendered from the i18n key ``trail.<code>``)."""
    return Phrase(code=code, values=values)


def _point(value: float, unit: str, basis: Basis, source: str | None, what: Phrase) -> Evidence:
    return Evidence(
        p05=value / POINT_TOLERANCE,
        p50=value,
        p95=value * POINT_TOLERANCE,
        unit=unit,
        basis=basis,
        source=source,
        what=what,
    )


def _from_summary(
    s: Summary, what: Phrase, source: str | None = "costlm", basis: Basis = "costlm-estimate"
) -> Evidence:
    return Evidence(p05=s.p05, p50=s.p50, p95=s.p95, unit=s.unit, basis=basis, source=source, what=what)


def _decided(
    cat: Catalog, ask: Ask, r: TrainingResult, facets: tuple[str, ...]
) -> tuple[dict[str, str], list[str]]:
    """The bases of the estimate's facets and the decisive ones that rest on costlm's assumptions."""
    bases = facet_bases(load.model(cat, ask.claim.subject), r)
    return bases, assumed(bases, facets)


def _assumption_line(missing: list[str]) -> list[Phrase]:
    return [_say("rests_on_assumption", facets=", ".join(missing))] if missing else []


def _run(cat: Catalog, ask: Ask) -> Run | None:
    model = load.model(cat, ask.claim.subject)
    if model.training is None or model.training.reported_run is None:
        return None
    return cat.runs[model.training.reported_run]


def _official(run: Run | None) -> Run | None:
    return run if run is not None and run.source_kind == "official" else None


def _training(cat: Catalog, ask: Ask) -> TrainingResult:
    """The catalog model's own estimate (the seed table's); the claim's context only when this
    reading uses it (``costlm.analyses.claims``: the own-context reading)."""
    ctx = ask.claim.context
    if ctx.gpu is None and ctx.n_gpus is None and ctx.usd_per_gpu_hour is None:
        return catalog_training(
            cat, load.model(cat, ask.claim.subject).id, samples=ask.samples, seed=ask.seed
        )
    rate = (ctx.usd_per_gpu_hour,) * 2 if ctx.usd_per_gpu_hour else None
    req = TrainingRequest(
        model=ask.claim.subject,
        gpu=ctx.gpu,
        n_gpus=ctx.n_gpus,
        usd_per_gpu_hour=rate,
        samples=ask.samples,
        seed=ask.seed,
    )
    return estimate_training_spec(training_spec(req, cat), cat, samples=ask.samples, seed=ask.seed)


def _estimate_line(r: TrainingResult) -> Phrase:
    h = r.gpu_hours
    if r.train_flop is None:
        raise ValueError("claim evidence estimates always carry compute (never given GPU-hours only)")
    return _say(
        "estimate",
        flop=r.train_flop.p50,
        gpu=r.accelerator,
        dtype=r.dtype,
        hours=h.p50,
        low=h.p05,
        high=h.p95,
    )


def training_cost(cat: Catalog, ask: Ask) -> Finding:
    """Final-run compute at rental prices; an official figure when the maker published one."""
    if ask.scope == "all-development":
        r = _training(cat, ask)
        rent = r.rental_cost_usd
        lines = [_say("no_all_development")]
        if rent:
            lines.append(_say("final_run_alone", low=rent.p05, high=rent.p95))
        return Finding(None, lines)
    run, r = _official(_run(cat, ask)), _training(cat, ask)
    lines = [_estimate_line(r)]
    if run is not None and run.cost_usd is not None:
        basis = run.cost_basis or "-"
        scope = {"scope_en": run.scope, "scope_es": run.scope_es or run.scope}
        lines.append(_say("official_cost", usd=run.cost_usd.central, basis=basis, **scope))
        what = _say("what_official_cost")
        return Finding(_point(run.cost_usd.central, "USD", "reported", run.cost_usd.source, what), lines)
    if r.rental_cost_usd is None:
        return Finding(None, [*lines, _say("no_rental", gpu=r.accelerator)])
    _, missing = _decided(cat, ask, r, ("hardware", "compute"))
    lines += [_say("rental_formula"), *_assumption_line(missing)]
    return Finding(_from_summary(r.rental_cost_usd, _say("what_rental")), lines, assumed=missing)


def hardware_cost(cat: Catalog, ask: Ask) -> Finding:
    """GPU unit price x GPU count (the seed assignment's definition), over the market's spread of
    per-GPU prices: card only (low) to server included (high) when the catalog has both."""
    r = _training(cat, ask)
    if r.hardware_cost_usd is None:
        return Finding(None, [_say("no_price", gpu=r.accelerator)])
    n, hw = r.breakdown.n_gpus, r.hardware_cost_usd
    bases, missing = _decided(cat, ask, r, ("hardware", "n_gpus"))
    lines = [_say("hardware_formula", low=n.p05, high=n.p95, gpu=r.accelerator), *_assumption_line(missing)]
    market = prices.market_purchase_range(load.accelerator(cat, r.accelerator))
    if market is not None:
        low, high = market
        lines.append(_say("hardware_market", low=low, high=high))
        hw = hw.model_copy(update={"p05": min(hw.p05, n.p05 * low), "p95": max(hw.p95, n.p95 * high)})
    basis: Basis = "costlm-estimate" if missing else arithmetic_basis(bases, ("hardware", "n_gpus"))
    return Finding(_from_summary(hw, _say("what_hardware"), basis=basis), lines, assumed=missing)


def fleet_capex(cat: Catalog, ask: Ask) -> Finding:
    """Servers of the claimed fleet: sum of GPUs x unit price x server multiple (1.3-1.5x)."""
    fleet = ask.claim.context.fleet
    if not fleet:
        return Finding(None, [_say("no_fleet")])
    dists: dict[str, Distribution] = {}
    for i, part in enumerate(fleet):
        bought = prices.purchase_price(load.accelerator(cat, part.gpu), cat.defaults)
        if bought is None:
            return Finding(None, [_say("no_price", gpu=part.gpu)])
        dists[f"price_{i}"] = dist_of(bought.record)
        # a server-inclusive price takes no server multiple, and the network multiple only
        dists[f"server_{i}"] = (
            Fixed(1.0) if bought.server_multiple is None else dist_of(bought.server_multiple)
        )
        dists[f"cluster_{i}"] = dist_of(bought.cluster_multiple)
    x = draw(dists, max(ask.samples, 1), ask.seed)
    parts = [p.n_gpus * x[f"price_{i}"] for i, p in enumerate(fleet)]
    with_network = summarize(np.asarray(sum(v * x[f"cluster_{i}"] for i, v in enumerate(parts))), "USD")
    lines = [
        _say("fleet_formula", fleet=list(fleet)),
        _say("with_network", low=with_network.p05, high=with_network.p95),
    ]
    servers = summarize(np.asarray(sum(v * x[f"server_{i}"] for i, v in enumerate(parts))), "USD")
    return Finding(_from_summary(servers, _say("what_fleet")), lines)


def gpu_count(cat: Catalog, ask: Ask) -> Finding:
    """Official count of the final run; else official GPU-hours / claimed days; a fleet is unverifiable."""
    run, ctx = _official(_run(cat, ask)), ask.claim.context
    count = run_count(run, load.model(cat, ask.claim.subject))
    if ask.scope == "fleet":
        lines = [_say("no_fleet_figure")]
        if count:
            lines.append(_say("official_run_count", n=count.central))
        return Finding(None, lines)
    if count is not None:
        return Finding(
            _point(count.central, "GPUs", "reported", count.source, _say("what_official_count")),
            [_say("official_count", n=count.central)],
        )
    if ctx.days is not None and run is not None and run.gpu_hours is not None:
        n = run.gpu_hours.central / (ctx.days * HOURS_PER_DAY)
        line = _say("gpus_from_hours", hours=run.gpu_hours.central, days=ctx.days, n=n)
        return Finding(
            _point(n, "GPUs", "derived", run.gpu_hours.source, _say("what_gpus_from_hours")), [line]
        )
    return Finding(None, [_say("no_official_count")])


def training_days(cat: Catalog, ask: Ask) -> Finding:
    """Official GPU-hours / claimed GPU count; else the official wall clock; else costlm's estimate."""
    run, ctx = _official(_run(cat, ask)), ask.claim.context
    if ctx.n_gpus is not None and run is not None and run.gpu_hours is not None:
        days = run.gpu_hours.central / ctx.n_gpus / HOURS_PER_DAY
        line = _say("days_from_hours", hours=run.gpu_hours.central, n=ctx.n_gpus, days=days)
        return Finding(
            _point(days, "days", "derived", run.gpu_hours.source, _say("what_days_from_hours")), [line]
        )
    if run is not None and run.wall_clock_days is not None:
        d = run.wall_clock_days.central
        return Finding(
            _point(d, "days", "reported", run.wall_clock_days.source, _say("what_official_days")),
            [_say("official_days", days=d)],
        )
    count = run_count(run, load.model(cat, ask.claim.subject))
    derived = derived_days(run, count) if run is not None else None
    if derived is not None and run is not None and run.gpu_hours is not None and count is not None:
        days, label = derived
        line = _say("days_from_hours", hours=run.gpu_hours.central, n=count.central, days=days)
        what = _say("what_days_from_hours")
        floor = _point(days, "days", label, run.gpu_hours.source, what).model_copy(update={"at_least": True})
        return Finding(floor, [line, _say("days_at_least", n=count.central, days=days)])
    r = _training(cat, ask)
    _, missing = _decided(cat, ask, r, ("hardware", "n_gpus", "compute"))
    lines = [_estimate_line(r), *_assumption_line(missing)]
    return Finding(_from_summary(r.wall_clock_days, _say("what_days")), lines, assumed=missing)


def training_energy(cat: Catalog, ask: Ask) -> Finding:
    """Official energy if published; else costlm's facility energy. Floor: GPUs at 15% of TDP."""
    run, r = _official(_run(cat, ask)), _training(cat, ask)
    acc = cat.accelerators[r.accelerator]
    hours = run.gpu_hours.central if run is not None and run.gpu_hours is not None else r.gpu_hours.p05
    floor = (
        float(energy.energy_mwh(watts_per_gpu=acc.tdp_watts.central * ENERGY_FLOOR_FRACTION, gpu_hours=hours))
        if acc.tdp_watts
        else None
    )
    lines = [_estimate_line(r)]
    if floor is not None:
        lines.append(_say("floor", hours=hours, fraction=ENERGY_FLOOR_FRACTION, mwh=floor))
    if run is not None and run.energy_mwh is not None:
        e = run.energy_mwh.central
        what = _say("what_official_energy", scope=run.energy_scope or "-")
        return Finding(_point(e, "MWh", "reported", run.energy_mwh.source, what), lines, floor)
    if r.energy_mwh is None:
        return Finding(None, [*lines, _say("no_tdp", gpu=acc.id)], floor)
    _, missing = _decided(cat, ask, r, ("hardware", "compute"))
    lines += _assumption_line(missing)
    return Finding(_from_summary(r.energy_mwh, _say("what_energy")), lines, floor, assumed=missing)


def api_price(cat: Catalog, ask: Ask) -> Finding:
    """The model's API list prices per 1M output tokens (input prices in the reasoning)."""
    model = load.model(cat, ask.claim.subject)
    listed = prices.api_prices_of(cat.api_prices.values(), model.id)
    priced = [(p, p.output_usd_per_mtok) for p in listed if p.output_usd_per_mtok is not None]
    if not priced:
        return Finding(None, [_say("no_api_price", model=model.id)])
    outs = sorted(out.central for _, out in priced)
    lines = [
        _say(
            "api_line",
            provider=p.provider,
            inp=p.input_usd_per_mtok.central if p.input_usd_per_mtok else 0,
            out=out.central,
        )
        for p, out in priced
    ]
    stale = prices.stale_api_warnings(listed, dt.date.today())
    lines += [_say("stale_api_price", **values) for _, _, values in stale]
    src = priced[0][1].source
    label = prices_basis(out for _, out in priced)
    if len(outs) == 1:
        return Finding(_point(outs[0], "USD/1M tokens", label, src, _say("what_api_one")), lines)
    ev = Evidence(
        p05=outs[0],
        p50=outs[len(outs) // 2],
        p95=outs[-1],
        unit="USD/1M tokens",
        basis=label,
        source=src,
        what=_say("what_api_all"),
    )
    return Finding(ev, lines)


def inference_per_year(cat: Catalog, ask: Ask) -> Finding:
    """One replica (fewest GPUs that hold the model) rented all year."""
    ctx = ask.claim.context
    req = ServeRequest(model=ask.claim.subject, gpu=ctx.gpu or "h100-sxm", target_batch=1, samples=0)
    spec = serve_spec(req, cat)
    # the tier the serving rules price a deployment at (a year-long run: reserved under auto)
    rate = prices.priced_record(spec.accelerator, spec.price_tier)
    if rate is None:
        return Finding(None, [_say("no_rental", gpu=spec.accelerator.id)])
    x = draw({"rate": dist_of(rate)}, max(ask.samples, 1), ask.seed)
    per_year = summarize(spec.n_gpus * x["rate"] * HOURS_PER_YEAR, "USD/year")
    gb = spec.weights_bytes / GB
    line = _say("replica_year", model=spec.label, gb=gb, n=spec.n_gpus, gpu=spec.accelerator.id)
    return Finding(_from_summary(per_year, _say("what_replica_year")), [line])


def kv_reduction(cat: Catalog, ask: Ask) -> Finding:
    """Exact KV-cache reduction vs the baseline model, both bf16 (or the subject at context.kv_bits)."""
    ctx = ask.claim.context
    model, base = load.model(cat, ask.claim.subject), cat.models.get(ctx.baseline_model or "")
    if base is None or model.architecture is None or base.architecture is None:
        return Finding(None, [_say("no_baseline")])
    bits = ctx.kv_bits or 16.0
    ours, theirs = (
        kv_bytes_per_token(model.architecture, bits / 8),
        kv_bytes_per_token(base.architecture, 2.0),
    )
    cut = 100 * (1 - ours / theirs)
    line = _say("kv_line", model=model.id, bits=bits, ours=ours, base=base.id, theirs=theirs, cut=cut)
    return Finding(
        Evidence(
            p05=cut - 0.5,
            p50=cut,
            p95=cut + 0.5,
            unit="percent",
            basis="exact",
            source=model.architecture.source,
            what=_say("what_kv"),
        ),
        [line],
    )


def gpu_rental(cat: Catalog, ask: Ask) -> Finding:
    """The accelerator's rental price range in the catalog, over every tier (on demand, reserved,
    spot): a claimed hourly rate rarely says which tier it is."""
    acc = load.accelerator(cat, ask.claim.subject)
    tiers = [r for r in (acc.rental(tier) for tier in prices.TIERS) if r is not None]
    if not tiers:
        return Finding(None, [_say("no_rental", gpu=acc.id)])
    rate = acc.rental_usd_per_hour or tiers[0]
    low, high = min(r.bounds[0] for r in tiers), max(r.bounds[1] for r in tiers)
    ev = Evidence(
        p05=low,
        p50=rate.central,
        p95=high,
        unit="USD/GPU-hour",
        basis="reported",
        source=rate.source,
        what=_say("what_rental_list", as_of=rate.as_of or "-"),
    )
    return Finding(ev, [_say("rental_list", low=low, high=high, locator=rate.locator)])


EVALUATORS: dict[str, Callable[[Catalog, Ask], Finding]] = {
    "training_cost_usd": training_cost,
    "hardware_cost_usd": hardware_cost,
    "fleet_capex_usd": fleet_capex,
    "n_gpus": gpu_count,
    "training_days": training_days,
    "training_energy_mwh": training_energy,
    "api_usd_per_million_tokens": api_price,
    "inference_usd_per_year": inference_per_year,
    "kv_cache_reduction": kv_reduction,
    "gpu_rental_usd_per_hour": gpu_rental,
}
