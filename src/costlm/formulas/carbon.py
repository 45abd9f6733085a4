"""Operational CO2 of electricity use (Patterson et al. 2021: tCO2e = MWh x grid intensity)."""

from __future__ import annotations

from costlm.formulas import ArrayLike, FloatArray, arr
from costlm.units import G_PER_TONNE, KWH_PER_MWH


def co2_tonnes(*, energy_mwh: ArrayLike, gco2e_per_kwh: ArrayLike) -> FloatArray:
    """Tonnes CO2e: MWh x 1000 kWh/MWh x g/kWh / 1e6 g/t."""
    return arr(energy_mwh) * arr(gco2e_per_kwh) / (G_PER_TONNE / KWH_PER_MWH)
