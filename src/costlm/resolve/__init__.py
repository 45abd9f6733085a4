"""Resolve: requests + catalog -> typed draws. Every rule (validation, dtype, peak rate, SI units,
bounds of sampled inputs) lives here once; pipelines receive arrays, never the catalog."""
