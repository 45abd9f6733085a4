"""The seed assignment's summary table: per model, the GPU, hardware cost, time and energy of
training and of inference, each a costlm range beside what was reported, with sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

from costlm.analyses.claims import ClaimResult, judge
from costlm.analyses.focus import Focus, training_cost_focus
from costlm.analyses.replica import estimate_replica
from costlm.analyses.reported import prices_basis
from costlm.analyses.serving import estimate_serving_spec
from costlm.analyses.training import ReportedFigure, TrainingResult, catalog_training
from costlm.catalog import load
from costlm.catalog.schema import Accelerator, Catalog, Model
from costlm.caveats import Caveat
from costlm.errors import InputError
from costlm.resolve import prices
from costlm.resolve.requests import ServeRequest
from costlm.resolve.rules import serving_dtype
from costlm.resolve.serving import serve_spec
from costlm.uncertainty import Summary

DEFAULT_MODELS = (
    "gpt-4",
    "claude-3-opus",
    "gemini-1.0-ultra",
    "llama-3-70b",
    "mixtral-8x22b",
    "deepseek-v3",
    "gpt-3-175b",
    "gpt-2-1.5b",
    "s1-32b",
)


class Cell(BaseModel):
    """One table cell: costlm's range, the reported figure if any, and the sources behind both."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    estimate: Summary | None
    reported: ReportedFigure | None = None
    sources: list[str] = []
    price_tier: str | None = None
    """The rental tier of a rental-priced estimate (on-demand, reserved, spot)."""


class SeedRow(BaseModel):
    """One model's row of the seed table."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    name: str
    organization: str
    accelerator: str
    accelerator_name: str
    accelerator_basis: str
    accelerator_source: str
    n_gpus: Cell
    n_gpus_basis: str
    training_flop: Cell
    training_gpu_hours: Cell
    training_hardware_cost_usd: Cell
    training_rental_cost_usd: Cell
    training_days: Cell
    training_energy_mwh: Cell
    training_power_mw: Cell
    inference_gpus_per_replica: int
    inference_dtype: str
    inference_method: str
    inference_hardware_cost_usd: Cell
    inference_power_watts: Cell
    inference_j_per_output_token: Cell
    inference_usd_per_million_output_tokens: Cell
    inference_break_even_tokens_per_day: Summary | None = None
    inference_break_even_api: str | None = None
    inference_break_even_never_share: float | None = None
    """Share of the draws in which self-hosting never beats that API (the peak factor counted)."""
    disclosure: str
    disclosure_es: str | None = None
    reported_scope: str | None
    reported_scope_es: str | None = None
    warnings: list[Caveat]


class SeedTable(BaseModel):
    """The whole table plus what it takes to reproduce it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: list[SeedRow]
    samples: int
    seed: int | None
    n_sources: int
    claims: list[ClaimResult] = []
    focus: Focus | None = None


def _sources(result: TrainingResult, *names: str) -> list[str]:
    return sorted({r.source for r in result.inputs if r.name in names and r.source and r.source != "user"})


def _reported(result: TrainingResult, quantity: str) -> ReportedFigure | None:
    return next((f for f in result.reported if f.quantity == quantity), None)


def _scopes(cat: Catalog, train: TrainingResult) -> tuple[str | None, str | None]:
    """The reported run's scope in English and (where the catalog has it) Spanish."""
    run = cat.runs.get(train.reported_run or "")
    if run is None:
        return None, None
    return run.scope, run.scope_es or None


def _row(cat: Catalog, model_id: str, samples: int, seed: int | None) -> SeedRow:
    model = load.model(cat, model_id)
    if model.training is None:
        raise InputError(
            f"model '{model.id}' has no training facts in the catalog; it cannot be a row of the table",
            key="model_no_training",
            model=model.id,
        )
    train = catalog_training(cat, model.id, samples=samples, seed=seed)
    acc = cat.accelerators[train.accelerator]
    inference = _inference(cat, model, acc, samples, seed)
    hw = model.training.hardware
    price_src = _sources(train, "gpu_price_usd", "n_gpus")
    energy_src = _sources(train, "tdp_watts", "power_fraction", "server_overhead", "pue", "mfu", "goodput")
    scope, scope_es = _scopes(cat, train)
    return SeedRow(
        model=model.id,
        name=model.name,
        organization=model.organization,
        accelerator=acc.id,
        accelerator_name=acc.name,
        accelerator_basis=hw.basis,
        accelerator_source=hw.source,
        n_gpus_basis=model.training.n_gpus.basis,
        n_gpus=Cell(
            estimate=train.breakdown.n_gpus,
            reported=_reported(train, "n_gpus"),
            sources=_sources(train, "n_gpus"),
        ),
        training_flop=Cell(
            estimate=train.train_flop,
            reported=_reported(train, "train_flop"),
            sources=_sources(train, "n_active_params", "n_tokens", "train_flop"),
        ),
        training_gpu_hours=Cell(
            estimate=train.gpu_hours,
            reported=_reported(train, "gpu_hours"),
            sources=_sources(train, "mfu", "n_active_params", "n_tokens", "train_flop", "gpu_hours"),
        ),
        training_hardware_cost_usd=Cell(estimate=train.hardware_cost_usd, sources=price_src),
        training_rental_cost_usd=Cell(
            estimate=train.rental_cost_usd,
            reported=_reported(train, "cost_usd"),
            sources=_sources(train, "usd_per_gpu_hour", "mfu"),
            price_tier=train.price_tier,
        ),
        training_days=Cell(
            estimate=train.wall_clock_days,
            reported=_reported(train, "wall_clock_days"),
            sources=_sources(train, "mfu", "n_gpus", "goodput"),
        ),
        training_energy_mwh=Cell(
            estimate=train.energy_mwh, reported=_reported(train, "energy_mwh"), sources=energy_src
        ),
        training_power_mw=Cell(estimate=train.avg_power_mw, sources=energy_src),
        **inference.cells,
        disclosure=model.disclosure,
        disclosure_es=model.disclosure_es or None,
        reported_scope=scope,
        reported_scope_es=scope_es,
        warnings=[*train.warnings, *inference.warnings],
    )


@dataclass
class _Inference:
    cells: dict[str, Any]
    warnings: list[Caveat]


def _api_price(cat: Catalog, model_id: str) -> ReportedFigure | None:
    """The model's API list prices per 1M output tokens: one figure, low..high across providers."""
    listed = prices.api_prices_of(cat.api_prices.values(), model_id)
    if not listed:
        return None
    values = sorted(p.output_usd_per_mtok.central for p in listed if p.output_usd_per_mtok)
    first = listed[0].output_usd_per_mtok
    assert first is not None
    return ReportedFigure(
        quantity="api_usd_per_million_output_tokens",
        value=values[len(values) // 2],
        low=values[0] if len(values) > 1 else None,
        high=values[-1] if len(values) > 1 else None,
        unit="USD",
        basis=prices_basis(p.output_usd_per_mtok for p in listed if p.output_usd_per_mtok),
        source=first.source,
        locator=f"{len(values)} API list price(s), as of {first.as_of}",
    )


def _serving_model(cat: Catalog, model: Model) -> Model | None:
    """The model itself if its architecture is published, else its base model's (fine-tunes)."""
    for candidate in (model, cat.models.get(model.training.base_model or "") if model.training else None):
        if candidate is None:
            continue
        if candidate.architecture is not None and candidate.n_params is not None:
            return candidate
        if candidate.architecture_proxy is not None:  # estimated: resolve.serving.proxy_model
            return candidate
    return None


def _serving_sources(served: Model) -> list[str]:
    """The architecture's source, or an architecture proxy's (its assumption and size estimate)."""
    if served.architecture is not None:
        return [served.architecture.source]
    proxy = served.architecture_proxy
    if proxy is None:
        return []
    size = proxy.n_params or served.n_params
    return sorted({proxy.source, *([size.source] if size else [])})


def _inference(cat: Catalog, model: Model, acc: Accelerator, samples: int, seed: int | None) -> _Inference:
    """Roofline serving estimate where the architecture is known; weights-only replica otherwise."""
    api = Cell(estimate=None, reported=_api_price(cat, model.id), sources=[])
    served = _serving_model(cat, model)
    if served is not None:
        req = ServeRequest(
            model=served.id, gpu=acc.id, dtype=serving_dtype(model, acc), samples=samples, seed=seed
        )
        r = estimate_serving_spec(serve_spec(req, cat), req, cat)
        evens = sorted(
            (c for c in r.api_comparison if c.break_even_tokens_per_day),
            key=lambda c: c.api_usd_per_million_output_tokens,
        )
        even = evens[len(evens) // 2] if evens else None
        srcs = _serving_sources(served)
        return _Inference(
            cells={
                "inference_gpus_per_replica": int(r.gpus_per_replica.p50),
                "inference_dtype": r.dtype,
                "inference_method": "roofline",
                "inference_hardware_cost_usd": Cell(estimate=r.replica_hardware_cost_usd, sources=srcs),
                "inference_power_watts": Cell(estimate=r.replica_power_watts, sources=srcs),
                "inference_j_per_output_token": Cell(estimate=r.j_per_output_token, sources=srcs),
                "inference_break_even_tokens_per_day": even.break_even_tokens_per_day if even else None,
                "inference_break_even_never_share": even.share_never_cheaper if even else None,
                "inference_break_even_api": f"{even.provider} ${even.api_usd_per_million_output_tokens:g}/1M"
                if even
                else None,
                "inference_usd_per_million_output_tokens": api.model_copy(
                    update={
                        "estimate": r.usd_per_million_output_tokens,
                        "sources": srcs,
                        "price_tier": r.price_tier,
                    }
                ),
            },
            warnings=r.warnings,
        )
    replica = estimate_replica(cat, model, acc, samples=samples, seed=seed)
    srcs = [replica.n_params_source]
    return _Inference(
        cells={
            "inference_gpus_per_replica": replica.gpus_per_replica,
            "inference_dtype": replica.dtype,
            "inference_method": "weights-only",
            "inference_hardware_cost_usd": Cell(estimate=replica.hardware_cost_usd, sources=srcs),
            "inference_power_watts": Cell(estimate=replica.replica_power_watts, sources=srcs),
            "inference_j_per_output_token": Cell(estimate=None, sources=[]),
            "inference_usd_per_million_output_tokens": api,
        },
        warnings=[
            *replica.warnings,
            Caveat(
                code="no_architecture",
                message="architecture not published: replica sized from weight memory only",
            ),
            *(
                Caveat(code=code, message=message, values=values)
                for code, message, values in prices.stale_api_warnings(
                    prices.api_prices_of(cat.api_prices.values(), model.id), dt.date.today()
                )
            ),
        ],
    )


def seed_table(
    cat: Catalog,
    models: Sequence[str] = DEFAULT_MODELS,
    *,
    samples: int,
    seed: int | None,
    focus_model: str = "deepseek-v3",
    progress: Callable[[str], None] | None = None,
) -> SeedTable:
    """Build the table for ``models`` (catalog ids or aliases) and judge the student's claims on them."""
    step = progress or (lambda _: None)
    rows = []
    for m in models:
        step(m)
        rows.append(_row(cat, m, samples, seed))
    step("claims")
    subjects = {r.model for r in rows}
    student = [
        c for c in cat.claims.values() if c.origin.document.startswith("000") and c.subject in subjects
    ]
    claims = [judge(c, cat, samples=samples, seed=seed) for c in student]
    focus_id = focus_model if focus_model in subjects else rows[0].model
    focus = training_cost_focus(cat, focus_id, samples=samples, seed=seed)
    return SeedTable(
        rows=rows, samples=samples, seed=seed, n_sources=len(cat.sources), claims=claims, focus=focus
    )
