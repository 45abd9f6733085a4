"""Requests (what a user asks) and specs (resolved, every input a distribution with its provenance).

A ``TrainingRequest`` holds plain numbers and ids as a user types them; ``training_spec``
resolves it against the catalog into a ``TrainingSpec`` whose inputs are distributions,
each tagged with where it came from (``InputRecord``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Accelerator, Basis, Dtype, RunKind, Sourced
from costlm.errors import InputError
from costlm.uncertainty import Distribution, Fixed, LogNormal

Range = tuple[float, float]


class TrainingRequest(BaseModel):
    """A training estimate request: a catalog model, explicit inputs, or a model plus overrides."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    params: float | None = None
    active_params: float | None = None
    tokens: float | None = None
    train_flop: float | None = None
    kind: RunKind | None = None
    examples: float | None = None
    tokens_per_example: float | None = None
    epochs: float | None = None
    gpu: str | None = None
    n_gpus: int | None = None
    days: Range | None = None
    dtype: Dtype | None = None
    mfu: Range | None = None
    goodput: Range | None = None
    usd_per_gpu_hour: Range | None = None
    gpu_price_usd: Range | None = None
    pue: Range | None = None
    grid: str | None = None
    samples: int = 10_000
    seed: int | None = 0


class InputRecord(BaseModel):
    """One input of an estimate as used: its central value and 90% range, unit and provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    point: float
    low: float
    high: float
    unit: str
    basis: Basis | None
    source: str | None
    note: str | None = None


@dataclass
class Inputs:
    """Named distributions plus the record of where each came from."""

    dists: dict[str, Distribution] = field(default_factory=dict)
    records: list[InputRecord] = field(default_factory=list)

    def add(self, name: str, dist: Distribution, unit: str, origin: Sourced | str | None) -> None:
        """Register an input; ``origin`` is its catalog record, 'user' or None (costlm default)."""
        self.dists[name] = dist
        low, high = _interval(dist)
        if isinstance(origin, Sourced):
            basis: Basis | None = origin.basis
            source: str | None = origin.source
            note = origin.note
        else:
            basis, source, note = ("reported" if origin == "user" else None), origin, None
        self.records.append(
            InputRecord(
                name=name,
                point=dist.point,
                low=low,
                high=high,
                unit=unit,
                basis=basis,
                source=source,
                note=note,
            )
        )


def _interval(dist: Distribution) -> tuple[float, float]:
    if isinstance(dist, LogNormal):
        spread = dist.sigma * 1.6448536269514722
        return dist.median * math.exp(-spread), dist.median * math.exp(spread)
    low = getattr(dist, "low", dist.point)
    high = getattr(dist, "high", dist.point)
    return float(low), float(high)


def dist_of(record: Sourced) -> Distribution:
    """A sourced range is a 90% interval (log-normal); a point value is Fixed."""
    low, high = record.bounds
    if low == high:
        return Fixed(record.central)
    return LogNormal.from_interval(low, high)


def dist_of_range(rng: Range, *, name: str) -> Distribution:
    """A user range LOW..HIGH as a 90% log-normal interval (Fixed when LOW == HIGH)."""
    low, high = rng
    if not 0 < low <= high:
        raise InputError(
            f"{name}: need 0 < low <= high, got {low:g}..{high:g}",
            key="range_order",
            name=name,
            low=low,
            high=high,
        )
    return Fixed(low) if low == high else LogNormal.from_interval(low, high)


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
    warnings: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def require_finite(outputs: dict[str, npt.NDArray[np.float64]]) -> None:
    """Refuse to summarize outputs that overflowed: a silent inf or NaN would be a wrong number."""
    bad = sorted(name for name, values in outputs.items() if not np.all(np.isfinite(values)))
    if bad:
        raise InputError(f"these inputs give a non-finite {bad[0]}; check their magnitudes")
