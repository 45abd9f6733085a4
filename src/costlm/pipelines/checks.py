"""Checks on pipeline outputs that hold for every pipeline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import numpy as np
import numpy.typing as npt

from costlm.errors import InputError


def require_finite(outputs: Mapping[str, npt.NDArray[np.float64] | object]) -> None:
    """Refuse to summarize outputs that overflowed: a silent inf or NaN would be a wrong number.

    Non-array entries (absent outputs, structural scalars) are skipped.
    """
    bad = sorted(
        name
        for name, values in outputs.items()
        if isinstance(values, np.ndarray) and not np.all(np.isfinite(values))
    )
    if bad:
        raise InputError(
            f"these inputs give a non-finite {bad[0]}; check their magnitudes",
            key="non_finite_output",
            name=bad[0],
        )


def named_values(breakdown: Any) -> dict[str, Any]:
    """A breakdown dataclass's fields by name (without copying its arrays, unlike ``asdict``)."""
    return {f.name: getattr(breakdown, f.name) for f in fields(breakdown)}
