"""Generic helpers of the planners: candidate counts, percentile tables, Pareto fronts, binding limits.

Nothing here knows what a configuration is: rows of arrays in, masks and indices out, so ``plan
train`` and ``plan serve`` share them. Objectives are minimized (a maximized one is negated first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from costlm.formulas import FloatArray

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

PLAN_PERCENTILES = (5.0, 50.0, 90.0, 95.0)
"""Percentiles kept per configuration: the 90% range, the median and the 90th percentile that
constraints are checked at (a plan should meet its deadline 9 times in 10, not only at the median)."""


def power_of_two_counts(max_count: int) -> IntArray:
    """1, 2, 4, ... up to ``max_count`` (inclusive when it is a power of two)."""
    n_powers = int(np.floor(np.log2(max(max_count, 1)))) + 1
    return np.asarray(2 ** np.arange(n_powers), dtype=np.int64)


def percentile_table(samples: FloatArray) -> FloatArray:
    """``PLAN_PERCENTILES`` of each row of a (configs x samples) array, as (configs x 4)."""
    table = np.percentile(np.atleast_2d(samples), PLAN_PERCENTILES, axis=1)
    return np.ascontiguousarray(table.T)


def pareto_mask(objectives: FloatArray) -> BoolArray:
    """True for the rows of ``objectives`` (rows x objectives, minimized) that no other row dominates.

    Row a dominates row b when a <= b in every objective and a < b in at least one (Deb 2001,
    "Multi-Objective Optimization Using Evolutionary Algorithms", Def. 2.5). Equal rows are all kept.
    """
    values = np.asarray(objectives, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("objectives must be a 2-D array (rows x objectives)")
    keep = np.ones(len(values), dtype=bool)
    order = np.lexsort(values.T[::-1])  # by the first objective, then the next...
    front: list[int] = []
    for i in order:
        row = values[i]
        if front:
            kept = values[front]
            dominated = np.all(kept <= row, axis=1) & np.any(kept < row, axis=1)
            if dominated.any():
                keep[i] = False
                continue
        front.append(int(i))
    return keep


def best_index(objectives: FloatArray, mask: BoolArray) -> int | None:
    """Index of the lexicographic minimum of ``objectives`` (rows x objectives) among ``mask``
    (None if it is empty)."""
    candidates = np.flatnonzero(mask)
    if candidates.size == 0:
        return None
    values = np.asarray(objectives, dtype=np.float64)[candidates]
    return int(candidates[np.lexsort(values.T[::-1])[0]])


@dataclass(frozen=True)
class Binding:
    """A limit no configuration meets: its name, the user's limit and the nearest value reachable
    (by the row ``index``) while every other limit holds."""

    name: str
    limit: float
    nearest: float
    index: int


def binding_limit(values: dict[str, FloatArray], limits: dict[str, float | None]) -> Binding | None:
    """The first named limit that binds alone: every row breaking it meets all the others, and among
    the rows meeting the others, the smallest value of the limited quantity is the nearest feasible
    limit. None when no single limit binds alone (several bind together)."""
    given = {name: limit for name, limit in limits.items() if limit is not None}
    meets = {name: np.asarray(values[name]) <= limit for name, limit in given.items()}
    for name, limit in given.items():
        others = np.ones_like(meets[name])
        for other, ok in meets.items():
            if other != name:
                others &= ok
        if others.any() and not (others & meets[name]).any():
            index = int(np.flatnonzero(others)[np.argmin(np.asarray(values[name])[others])])
            return Binding(name=name, limit=limit, nearest=float(values[name][index]), index=index)
    return None
