"""Which uncertain inputs drive an output: Spearman rank correlation on the Monte Carlo samples.

Saltelli et al. 2008 "Global Sensitivity Analysis: The Primer", ch. 1 (rank correlation
as a screening measure for monotonic models). Each sample array is ranked once and the
correlations are dot products of standardized ranks, so many outputs cost little more than one.
Ranking uses the first ``MAX_RANKED`` samples: enough for a screening measure (the standard
error of a rank correlation at n = 2,000 is about 0.02) and it keeps large runs fast.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from costlm.uncertainty.distributions import FloatArray

MAX_RANKED = 2_000


def _standard_ranks(x: FloatArray) -> FloatArray | None:
    """Ranks of ``x`` scaled to mean 0 and unit norm; None for a constant sample."""
    x = x[:MAX_RANKED]
    if len(x) < 2 or np.ptp(x) == 0:
        return None
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[np.argsort(x)] = np.arange(len(x), dtype=np.float64)
    ranks -= ranks.mean()
    return ranks / np.linalg.norm(ranks)


def rank_sensitivity(
    inputs: Mapping[str, FloatArray], outputs: Mapping[str, FloatArray]
) -> dict[str, list[tuple[str, float]]]:
    """Per output, the varying inputs sorted by |Spearman correlation| with it (constants dropped)."""
    ranked_inputs = {name: r for name, x in inputs.items() if (r := _standard_ranks(x)) is not None}
    result: dict[str, list[tuple[str, float]]] = {}
    for out_name, y in outputs.items():
        ry = _standard_ranks(y)
        scores = [(name, 0.0 if ry is None else float(rx @ ry)) for name, rx in ranked_inputs.items()]
        result[out_name] = sorted(scores, key=lambda kv: -abs(kv[1]))
    return result
