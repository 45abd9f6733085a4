"""Analyses: training and serving estimates, claims, the seed table, back-tests and the focus plots.

They compose resolve (requests + catalog -> draws) and pipelines (draws -> breakdowns) and return
results that carry codes and numbers; words are added at render time by ``costlm.report``.
"""
