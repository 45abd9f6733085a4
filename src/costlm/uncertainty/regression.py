"""Small linear regressions with honest out-of-sample errors (numpy only; knows nothing of GPUs).

``least_squares`` fits ``response ~ design`` (numpy ``lstsq``: the minimum-norm solution when a
column is all zeros, e.g. an indicator whose only runs were left out, so that term adds nothing).
``leave_group_out_errors`` refits without each group (e.g. every run of one model) and returns the
prediction errors of the left-out rows. ``t_quantile_95`` widens an interval for few degrees of
freedom.
"""

from __future__ import annotations

import math

import numpy as np

from costlm.uncertainty.distributions import Z_95, FloatArray

# Abramowitz & Stegun (1964) 26.7.5: the Cornish-Fisher expansion of Student's t quantile in the
# normal quantile z, in powers of 1/dof; the polynomial coefficients of z for the 1/dof^k terms.
_T_EXPANSION: tuple[tuple[tuple[int, int], ...], ...] = (
    ((1, 3), (1, 1)),
    ((5, 5), (16, 3), (3, 1)),
    ((3, 7), (19, 5), (17, 3), (-15, 1)),
    ((79, 9), (776, 7), (1482, 5), (-1920, 3), (-945, 1)),
)
_T_DENOMINATORS = (4.0, 96.0, 384.0, 92160.0)
MIN_T_DOF = 3
"""Below 3 degrees of freedom the expansion is poor; such fits are refused."""


def t_quantile_95(dof: int) -> float:
    """Student's t quantile at 0.95 for ``dof`` degrees of freedom (>= 3).

    Abramowitz & Stegun (1964), Handbook of Mathematical Functions, 26.7.5 (the expansion in 1/dof
    around the normal quantile); within 0.05% of the exact value at dof 3, 1e-5 at dof >= 5.
    """
    if dof < MIN_T_DOF:
        raise ValueError(f"t quantile needs at least {MIN_T_DOF} degrees of freedom, got {dof}")
    z = Z_95
    total = z
    for k, (terms, denominator) in enumerate(zip(_T_EXPANSION, _T_DENOMINATORS, strict=True), start=1):
        total += sum(c * z**power for c, power in terms) / (denominator * dof**k)
    return total


def least_squares(design: FloatArray, response: FloatArray) -> FloatArray:
    """Coefficients minimising |design @ b - response| (minimum-norm when rank-deficient)."""
    coefficients, *_ = np.linalg.lstsq(design, response, rcond=None)
    return np.asarray(coefficients, dtype=np.float64)


def leave_group_out_errors(design: FloatArray, response: FloatArray, groups: list[str]) -> FloatArray:
    """Prediction error (predicted - observed) of every row, fitted without the rows of its group."""
    errors = np.empty(len(response))
    labels = np.array(groups)
    for group in dict.fromkeys(groups):
        out = labels == group
        coefficients = least_squares(design[~out], response[~out])
        errors[out] = design[out] @ coefficients - response[out]
    return errors


def rms(values: FloatArray) -> float:
    """Root mean square of ``values`` (non-empty)."""
    return math.sqrt(float(np.mean(np.square(values))))
