"""Pure, vectorised, cited formulas: each takes floats or numpy arrays and imports numpy + units only."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = float | FloatArray


def arr(x: ArrayLike) -> FloatArray:
    """``x`` as a float64 array (a 0-d array for a scalar)."""
    return np.asarray(x, dtype=np.float64)
