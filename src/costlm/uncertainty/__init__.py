"""Uncertain inputs and Monte Carlo (numpy only; knows nothing of GPUs or the catalog)."""

from costlm.uncertainty.distributions import (
    Distribution,
    Fixed,
    LogNormal,
    SplitLogNormal,
    Triangular,
    Uniform,
)
from costlm.uncertainty.montecarlo import Summary, draw, summarize
from costlm.uncertainty.sensitivity import rank_sensitivity

__all__ = [
    "Distribution",
    "Fixed",
    "LogNormal",
    "SplitLogNormal",
    "Summary",
    "Triangular",
    "Uniform",
    "draw",
    "rank_sensitivity",
    "summarize",
]
