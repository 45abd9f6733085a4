"""What a costlm-built piece of evidence rests on: the basis of its decisive inputs.

A claim about a catalog model is decided by a few facts of its training run, the *facets*: the
accelerator (``hardware``), the GPU count (``n_gpus``) and the compute (``compute``: FLOP, or
parameters and tokens). Each facet has the basis of its catalog record: ``reported`` (the maker),
``derived`` (arithmetic on the maker's figures), ``third-party`` or ``estimate`` (costlm's own
labelled assumption, source ``costlm-assumption``). Priors calibrated on many runs (MFU, power,
PUE, prices) are costlm's method, not facts about the model, and are not facets.

Evidence whose decisive facet rests only on a costlm assumption cannot decide a verdict: the
claim is ``unverifiable``, and the assumption is named (``assumed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from costlm.analyses.reported import COMPUTE_INPUTS
from costlm.analyses.training import TrainingResult
from costlm.catalog.schema import Model

RANK = {"reported": 0, "derived": 1, "third-party": 2, "estimate": 3}
"""From strongest to weakest; the basis of arithmetic is the weakest of its inputs'."""
_GIVEN = "reported"
"""A value the claim or the user states is taken as given (its basis is the claim's, not costlm's)."""


def _weakest(bases: Iterable[str]) -> str:
    return max(bases, key=lambda b: RANK.get(b, RANK["estimate"]), default="estimate")


def facet_bases(model: Model, r: TrainingResult) -> dict[str, str]:
    """The basis of each facet of the estimate ``r`` of ``model`` (a costlm default is ``estimate``)."""
    records = {rec.name: rec.basis or "estimate" for rec in r.inputs}
    tr = model.training
    hardware = tr.hardware.basis if tr is not None and tr.hardware.id == r.accelerator else _GIVEN
    count = records.get("n_gpus", _GIVEN if "days" in records else "estimate")
    hours = records.get("gpu_hours")  # given GPU-hours replace the compute that predicts them
    compute = hours or _weakest(records[name] for name in COMPUTE_INPUTS if name in records)
    return {"hardware": hardware, "n_gpus": count, "compute": compute}


def assumed(bases: dict[str, str], facets: Iterable[str]) -> list[str]:
    """The decisive facets that rest only on a costlm assumption."""
    return [f for f in facets if bases[f] == "estimate"]


def arithmetic_basis(bases: dict[str, str], facets: Iterable[str]) -> Literal["derived", "third-party"]:
    """The evidence basis of plain arithmetic on the facets: ``derived`` on the maker's figures,
    ``third-party`` as soon as one is a third party's."""
    return "third-party" if _weakest(bases[f] for f in facets) == "third-party" else "derived"
