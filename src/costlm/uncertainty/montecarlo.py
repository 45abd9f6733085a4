"""Vectorised Monte Carlo: draw every input as an array, run the pipeline once, summarize.

One ``numpy.random.Generator`` from an explicit seed. ``seed=None`` means unseeded
(tested with ``is None``, never truthiness). With ``n == 0`` the point values are used,
so an all-Fixed input set reproduces the point estimate exactly.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.uncertainty.distributions import Distribution, FloatArray


class Summary(BaseModel):
    """Percentiles and mean of one output, with its unit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    p05: float
    p50: float
    p95: float
    mean: float
    unit: str


def draw(inputs: Mapping[str, Distribution], n: int, seed: int | None) -> dict[str, FloatArray]:
    """Draw ``n`` samples of every input in a stable order from one generator."""
    rng = np.random.default_rng(seed)
    return {name: dist.sample(rng, n) for name, dist in inputs.items()}


def points(inputs: Mapping[str, Distribution]) -> dict[str, FloatArray]:
    """Each input at its point value, as a length-1 array."""
    return {name: np.array([dist.point], dtype=np.float64) for name, dist in inputs.items()}


def summarize(samples: FloatArray, unit: str) -> Summary:
    """p05/p50/p95/mean of a sample array (a length-1 array gives its value four times)."""
    arr = np.asarray(samples, dtype=np.float64)
    p05, p50, p95 = np.percentile(arr, [5.0, 50.0, 95.0])
    return Summary(p05=float(p05), p50=float(p50), p95=float(p95), mean=float(arr.mean()), unit=unit)
