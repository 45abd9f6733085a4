"""Estimation pipelines: compose formulas over resolved specs; return results with breakdowns."""
