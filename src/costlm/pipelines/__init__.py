"""Pipelines: frozen dataclasses of numpy arrays in, named breakdowns out.

Straight-line arithmetic over ``costlm.formulas``; the same code runs on length-1 arrays (the point
estimate) and on n-sample arrays (Monte Carlo). Pipelines never see the catalog, requests or words:
``costlm.resolve`` builds their draws, ``costlm.analyses`` summarizes their breakdowns.
"""
