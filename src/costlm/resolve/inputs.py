"""Inputs of an estimate: each a distribution tagged with where it came from (``InputRecord``).

A user's LOW..HIGH or a sourced catalog range without a central value is a 90% interval of a
log-normal; a sourced record with a value and a range is a split log-normal whose median is the
value and whose 5th/95th percentiles are the range; a point is Fixed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Basis, Sourced
from costlm.caveats import Caveat
from costlm.uncertainty import Distribution, Fixed, LogNormal, SplitLogNormal, draw
from costlm.uncertainty.montecarlo import points

FloatArray = npt.NDArray[np.float64]

Range = tuple[float, float]


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
    if isinstance(dist, LogNormal | SplitLogNormal):
        return dist.interval()
    low = getattr(dist, "low", dist.point)
    high = getattr(dist, "high", dist.point)
    return float(low), float(high)


def dist_of(record: Sourced) -> Distribution:
    """A point value is Fixed; a value with a range is a split log-normal (median = the value,
    5th/95th percentiles = low/high: the catalog's central value is kept); a range alone is a 90%
    log-normal interval. (The loader refuses a value outside its range.)"""
    low, high = record.bounds
    if low == high:
        return Fixed(record.central)
    if record.value is not None:
        return SplitLogNormal.from_quantiles(low, record.value, high)
    return LogNormal.from_interval(low, high)


def dist_of_range(rng: Range) -> Distribution:
    """A user range LOW..HIGH (ordered and positive: the request validated it) as a 90% log-normal
    interval (Fixed when LOW == HIGH)."""
    low, high = rng
    return Fixed(low) if low == high else LogNormal.from_interval(low, high)


AT_MOST_ONE = frozenset({"mfu", "goodput", "power_fraction", "utilization"})
"""Shares of peak, of time or of TDP are <= 1: a log-normal prior's upper tail above 1 is set to 1.
(The serving efficiencies and load-dependent power bounds keep their calibrated tails.)"""
AT_LEAST_ONE = frozenset({"pue", "server_overhead"})
"""Power ratios (facility / IT, server / GPU) are >= 1: a lower tail below 1 is set to 1."""
COUNT_UNIT = "GPUs"
"""Inputs in this unit are whole counts >= 1: a sampled count is rounded to the nearest one."""


@dataclass(frozen=True)
class Drawn:
    """The draws of every input: ``raw`` as sampled (sensitivity ranks these), ``values`` after
    the physical-bounds rules above (pipelines read these), and a caveat per clipped input."""

    raw: dict[str, FloatArray]
    values: dict[str, FloatArray]
    caveats: list[Caveat]


def _bounded(name: str, unit: str, raw: FloatArray) -> tuple[FloatArray, float, str]:
    """(values within bounds, share of draws moved to a bound, the bound as text)."""
    if unit == COUNT_UNIT:
        return np.maximum(np.round(raw), 1.0), 0.0, ""
    if name in AT_MOST_ONE:
        return np.minimum(raw, 1.0), float(np.mean(raw > 1.0)), "<= 1"
    if name in AT_LEAST_ONE:
        return np.maximum(raw, 1.0), float(np.mean(raw < 1.0)), ">= 1"
    return raw, 0.0, ""


def draw_inputs(inputs: Inputs, samples: int, seed: int | None) -> Drawn:
    """Point values (``samples == 0``) or Monte Carlo draws, with the bounds rules applied; one
    ``draws_clipped`` caveat lists each input whose tail was set to its bound, with the share."""
    raw = points(inputs.dists) if samples == 0 else draw(inputs.dists, samples, seed)
    units = {record.name: record.unit for record in inputs.records}
    values: dict[str, FloatArray] = {}
    clipped: list[str] = []
    for name, sampled in raw.items():
        values[name], share, bound = _bounded(name, units.get(name, ""), sampled)
        if share > 0:
            clipped.append(f"{name} {share:.2%} ({bound})")
    caveats = []
    if clipped:
        listing = ", ".join(clipped)
        caveats.append(
            Caveat(
                code="draws_clipped",
                message=f"draws outside physical bounds were set to the bound: {listing}",
                values={"inputs": listing},
            )
        )
    return Drawn(raw=raw, values=values, caveats=caveats)
