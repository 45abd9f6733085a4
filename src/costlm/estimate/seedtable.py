"""The seed assignment's summary table: per model, the GPU, hardware cost, time and energy of
training and of inference, each a costlm range beside what was reported, with sources."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from costlm.catalog import load
from costlm.catalog.schema import Catalog
from costlm.caveats import Caveat
from costlm.errors import InputError
from costlm.estimate.inference import ReplicaResult, estimate_replica
from costlm.estimate.resolve import training_spec
from costlm.estimate.specs import TrainingRequest
from costlm.estimate.training import ReportedFigure, TrainingResult, estimate_training_spec
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
    training_hardware_cost_usd: Cell
    training_rental_cost_usd: Cell
    training_days: Cell
    training_energy_mwh: Cell
    training_power_mw: Cell
    inference_gpus_per_replica: int
    inference_dtype: str
    inference_hardware_cost_usd: Cell
    inference_power_watts: Cell
    disclosure: str
    reported_scope: str | None
    warnings: list[Caveat]


class SeedTable(BaseModel):
    """The whole table plus what it takes to reproduce it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rows: list[SeedRow]
    samples: int
    seed: int | None
    n_sources: int


def _sources(result: TrainingResult, *names: str) -> list[str]:
    return sorted({r.source for r in result.inputs if r.name in names and r.source and r.source != "user"})


def _reported(result: TrainingResult, quantity: str) -> ReportedFigure | None:
    return next((f for f in result.reported if f.quantity == quantity), None)


def _row(cat: Catalog, model_id: str, samples: int, seed: int | None) -> SeedRow:
    model = load.model(cat, model_id)
    if model.training is None:
        raise InputError(
            f"model '{model.id}' has no training facts in the catalog; it cannot be a row of the table"
        )
    train = estimate_training_spec(
        training_spec(TrainingRequest(model=model.id), cat), cat, samples=samples, seed=seed
    )
    acc = cat.accelerators[train.accelerator]
    replica: ReplicaResult = estimate_replica(cat, model, acc, samples=samples, seed=seed)
    hw = model.training.hardware
    price_src = _sources(train, "gpu_price_usd", "n_gpus")
    energy_src = _sources(train, "tdp_watts", "power_fraction", "server_overhead", "pue", "mfu", "goodput")
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
            estimate=train.breakdown.get("n_gpus"),
            reported=_reported(train, "n_gpus"),
            sources=_sources(train, "n_gpus"),
        ),
        training_hardware_cost_usd=Cell(estimate=train.hardware_cost_usd, sources=price_src),
        training_rental_cost_usd=Cell(
            estimate=train.rental_cost_usd,
            reported=_reported(train, "cost_usd"),
            sources=_sources(train, "usd_per_gpu_hour", "mfu"),
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
        inference_gpus_per_replica=replica.gpus_per_replica,
        inference_dtype=replica.dtype,
        inference_hardware_cost_usd=Cell(
            estimate=replica.hardware_cost_usd, sources=[replica.n_params_source]
        ),
        inference_power_watts=Cell(estimate=replica.replica_power_watts, sources=[replica.n_params_source]),
        disclosure=model.disclosure,
        reported_scope=train.reported_scope,
        warnings=[*train.warnings, *replica.warnings],
    )


def seed_table(
    cat: Catalog, models: Sequence[str] = DEFAULT_MODELS, *, samples: int, seed: int | None
) -> SeedTable:
    """Build the table for ``models`` (catalog ids or aliases)."""
    rows = [_row(cat, m, samples, seed) for m in models]
    return SeedTable(rows=rows, samples=samples, seed=seed, n_sources=len(cat.sources))
