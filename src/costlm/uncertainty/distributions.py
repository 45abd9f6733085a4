"""Distributions of uncertain inputs: Fixed, Uniform, Triangular, LogNormal, SplitLogNormal.

Each has ``sample(rng, n)`` (a float64 array) and ``point`` (the value a point
estimate uses: the value, the midpoint, the mode, the median). Parameters are
validated on construction so a bad range fails where it is written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from costlm.errors import InputError

FloatArray = npt.NDArray[np.float64]
Z_95 = 1.6448536269514722
"""Standard normal quantile at 0.95: a central 90% interval is median x exp(+-Z_95 sigma)."""


def _finite(name: str, *values: float) -> None:
    for v in values:
        if not math.isfinite(v):
            raise InputError(f"{name}: {v} is not a finite number")


@runtime_checkable
class Distribution(Protocol):
    """What Monte Carlo needs of an uncertain input."""

    @property
    def point(self) -> float: ...

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray: ...


@dataclass(frozen=True)
class Fixed:
    """A known value: every sample equals it."""

    value: float

    def __post_init__(self) -> None:
        _finite("Fixed", self.value)

    @property
    def point(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return np.full(n, self.value, dtype=np.float64)


@dataclass(frozen=True)
class Uniform:
    """Every value in [low, high] equally likely."""

    low: float
    high: float

    def __post_init__(self) -> None:
        _finite("Uniform", self.low, self.high)
        if self.low > self.high:
            raise InputError(f"Uniform: low {self.low:g} > high {self.high:g}")

    @property
    def point(self) -> float:
        return 0.5 * (self.low + self.high)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.uniform(self.low, self.high, n)


@dataclass(frozen=True)
class Triangular:
    """Triangular on [low, high] with its peak at ``mode``."""

    low: float
    mode: float
    high: float

    def __post_init__(self) -> None:
        _finite("Triangular", self.low, self.mode, self.high)
        if not self.low <= self.mode <= self.high:
            raise InputError(
                f"Triangular: need low <= mode <= high, got {self.low:g}, {self.mode:g}, {self.high:g}"
            )

    @property
    def point(self) -> float:
        return self.mode

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        if self.low == self.high:
            return np.full(n, self.low, dtype=np.float64)
        return rng.triangular(self.low, self.mode, self.high, n)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with median ``median`` and log-space standard deviation ``sigma``."""

    median: float
    sigma: float

    def __post_init__(self) -> None:
        _finite("LogNormal", self.median, self.sigma)
        if self.median <= 0 or self.sigma < 0:
            raise InputError(
                f"LogNormal: need median > 0 and sigma >= 0, got {self.median:g}, {self.sigma:g}"
            )

    @classmethod
    def from_interval(cls, p05: float, p95: float) -> LogNormal:
        """The log-normal whose 5th and 95th percentiles are ``p05`` and ``p95``."""
        _finite("LogNormal.from_interval", p05, p95)
        if not 0 < p05 <= p95:
            raise InputError(f"LogNormal.from_interval: need 0 < p05 <= p95, got {p05:g}, {p95:g}")
        return cls(math.sqrt(p05 * p95), math.log(p95 / p05) / (2 * Z_95))

    @property
    def point(self) -> float:
        return self.median

    def interval(self) -> tuple[float, float]:
        """The 5th and 95th percentiles (the inverse of ``from_interval``)."""
        spread = self.sigma * Z_95
        return self.median * math.exp(-spread), self.median * math.exp(spread)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        return self.median * np.exp(self.sigma * rng.standard_normal(n))


@dataclass(frozen=True)
class SplitLogNormal:
    """Two-piece log-normal: median ``median``, log-space sigma ``sigma_low`` below it and
    ``sigma_high`` above it (each half is half a log-normal, so half the mass lies on each side).

    ``from_quantiles(p05, median, p95)`` honours a sourced record's central value *and* its range:
    the sampled median is the value and the 5th/95th percentiles are low/high, however asymmetric
    the range is around the value (John 1982, "The three-parameter two-piece normal family of
    distributions", Commun. Stat. Theory 11(8), applied to the logarithm).
    """

    median: float
    sigma_low: float
    sigma_high: float

    def __post_init__(self) -> None:
        _finite("SplitLogNormal", self.median, self.sigma_low, self.sigma_high)
        if self.median <= 0 or self.sigma_low < 0 or self.sigma_high < 0:
            raise InputError(
                f"SplitLogNormal: need median > 0 and sigmas >= 0, got {self.median:g}, "
                f"{self.sigma_low:g}, {self.sigma_high:g}"
            )

    @classmethod
    def from_quantiles(cls, p05: float, median: float, p95: float) -> SplitLogNormal:
        """The split log-normal with these 5th, 50th and 95th percentiles."""
        _finite("SplitLogNormal.from_quantiles", p05, median, p95)
        if not 0 < p05 <= median <= p95:
            raise InputError(
                "SplitLogNormal.from_quantiles: need 0 < p05 <= median <= p95, "
                f"got {p05:g}, {median:g}, {p95:g}"
            )
        return cls(median, math.log(median / p05) / Z_95, math.log(p95 / median) / Z_95)

    @property
    def point(self) -> float:
        return self.median

    def interval(self) -> tuple[float, float]:
        """The 5th and 95th percentiles (the inverse of ``from_quantiles``)."""
        return self.median * math.exp(-self.sigma_low * Z_95), self.median * math.exp(self.sigma_high * Z_95)

    def sample(self, rng: np.random.Generator, n: int) -> FloatArray:
        z = rng.standard_normal(n)
        return self.median * np.exp(np.where(z < 0, self.sigma_low, self.sigma_high) * z)
