"""Plausibility bounds: one rule each, shared by user requests and catalog overlays.

A value outside these bounds is a typo or a unit mistake, never a configuration to estimate.
Standard library only, so both ``catalog`` (overlay validation) and ``resolve`` (request
validation) import it without pulling in each other.
"""

from __future__ import annotations

MIN_FRACTION = 1e-3
"""Smallest accepted utilization-like fraction (MFU, goodput, serving utilization)."""
MIN_PUE = 1.0
"""PUE is facility power / IT power: never below 1."""
MAX_PUE = 3.0
"""Uptime Institute's worst surveyed data centres are near 2.5; above 3 is a typo."""
MAX_GPUS = 10_000_000
"""More accelerators than any cluster ever built (the largest are ~10^5)."""
MAX_GPUS_PER_REPLICA = 64
"""Largest tensor-parallel serving replica considered."""
MIN_PEAK_FACTOR = 1.0
MAX_PEAK_FACTOR = 100.0
"""Peak / mean traffic: 1 (flat) to 100 (a spike)."""
MIN_KV_BITS = 1.0
MAX_KV_BITS = 32.0
MAX_SAMPLES = 1_000_000
"""Largest Monte Carlo sample count a request may ask for (the web caps lower)."""
MAX_SEED = 2**63 - 1
"""Seeds are non-negative 63-bit integers (numpy accepts any; JSON round-trips these exactly)."""
MAX_BATCH = 1_000_000
"""Concurrent sequences per serving replica; the largest batches that fit are ~10^4."""
MAX_ARCHITECTURE_SIZE = 100_000_000
"""Largest accepted architecture count (layers, widths, heads, experts, vocabulary, context tokens):
real ones stay below ~10^7 (context lengths). Bounds every product of them far below float overflow."""
MIN_YEAR = 1950
MAX_YEAR = 2100
"""Years of catalog entries (accelerators, models, runs)."""
MAX_FRACTION = 1.0
"""Fractions (MFU, goodput, utilization, power fractions, efficiencies) lie in (0, 1]."""
MIN_MULTIPLE = 1.0
"""Overhead multiples (server power / GPU power, cluster or server cost / GPU cost, runtime memory
overhead) are at least 1: a whole is never less than its GPUs."""
