"""Which uncertain inputs drive an output: Spearman rank correlation on the Monte Carlo samples.

Saltelli et al. 2008 "Global Sensitivity Analysis: The Primer", ch. 1 (rank correlation
as a screening measure for monotonic models).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from costlm.uncertainty.distributions import FloatArray


def _ranks(x: FloatArray) -> FloatArray:
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(len(x), dtype=np.float64)
    return ranks


def spearman(x: FloatArray, y: FloatArray) -> float:
    """Spearman rank correlation of two samples (0 when either is constant)."""
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return 0.0
    return float(np.corrcoef(_ranks(x), _ranks(y))[0, 1])


def rank_sensitivity(inputs: Mapping[str, FloatArray], output: FloatArray) -> list[tuple[str, float]]:
    """Inputs sorted by |Spearman correlation| with the output, constants dropped."""
    scores = [(name, spearman(x, output)) for name, x in inputs.items() if len(x) > 1 and np.ptp(x) > 0]
    return sorted(scores, key=lambda kv: -abs(kv[1]))
