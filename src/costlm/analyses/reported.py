"""Reported figures of a run: their labels, the arithmetic on them, and when they still apply.

Three rules live here, once:

- **Label** (``figure_basis``): a figure's label is the ``basis`` of its own catalog record, never
  the run's ``source_kind``: a number from the maker's own paper or model card is ``reported``
  [R] even inside a third-party reconstruction (GPT-3's 3.14e23 FLOP from Brown et al.), and a
  third party's figure is ``third-party`` [3P] even inside an official run. The catalog marks
  each record (runs.toml, api_prices.toml: a reseller's or host's price is ``third-party``).
- **Arithmetic on reported figures** (``derived_days``): wall-clock days = GPU-hours / GPU count
  / 24 when the run reports both and no wall clock; it is ``derived`` [R*] when both inputs are
  the maker's, ``third-party`` otherwise.
- **Start** (``start_hours``): a catalog model whose run reports the maker's GPU-hours is
  estimated from those hours (the table and the claims alike).
- **Applies** (``INVALIDATED_BY``, ``changed_facets``): a user who overrides a catalog model's
  hardware, GPU count, number format or compute asks about another run; the figures reported
  for the original run that depend on a changed facet are kept, marked ``applies = False``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from costlm.catalog.schema import Model, Run, Sourced
from costlm.resolve.inputs import InputRecord
from costlm.units import HOURS_PER_DAY

MAKER_BASES = frozenset({"reported", "derived"})
"""Labels of figures that rest on the maker's own statements only (reported, or arithmetic on them)."""

FACETS = ("hardware", "n_gpus", "dtype", "compute", "hours")
"""What a user can change about a catalog model's run: accelerator, GPU count, number format,
compute (parameters, tokens, FLOP, fine-tuning examples), GPU-hours (``--gpu-hours``)."""
SAME_REL = 0.005
"""A user's value within 0.5% of the run's reported figure (or inside its range) is the same
figure retyped, not an override (``--gpu-hours 2.788M`` for DeepSeek-V3's 2,788K hours)."""

_RUN_DEPENDENT = frozenset({"hardware", "n_gpus", "dtype", "compute", "hours"})
INVALIDATED_BY: dict[str, frozenset[str]] = {
    "train_flop": frozenset({"compute"}),
    "n_gpus": frozenset({"hardware", "n_gpus", "compute"}),
    "gpu_hours": _RUN_DEPENDENT,
    "wall_clock_days": _RUN_DEPENDENT,
    "energy_mwh": _RUN_DEPENDENT,
    "co2_t": _RUN_DEPENDENT,
    "cost_usd": _RUN_DEPENDENT,
    "mfu": _RUN_DEPENDENT,
}
"""The one rule table: a reported figure no longer applies when any of these facets changed.
Hardware, GPU count, number format and other GPU-hours change hours, days, cost, energy (and the
MFU they imply); parameters or tokens change every figure."""

COMPUTE_INPUTS = (
    "train_flop",
    "n_active_params",
    "n_tokens",
    "n_examples",
    "tokens_per_example",
    "n_epochs",
)
_USER = "user"


def start_hours(run: Run | None, hardware: str | None) -> Sourced | None:
    """The GPU-hours a catalog model's estimate starts from: its run's, when they are the maker's
    own (reported, or arithmetic on the maker's figures) on the model's catalog accelerator. Energy,
    cost and CO2 of such a run then rest on the reported hours, not on predicted ones."""
    if run is None or run.gpu_hours is None or run.hardware is None or run.hardware != hardware:
        return None
    return run.gpu_hours if figure_basis(run.gpu_hours) in MAKER_BASES else None


def figure_basis(record: Sourced) -> str:
    """The label of a reported figure: its own record's basis (see the module docstring)."""
    return record.basis


def run_count(run: Run | None, model: Model | None) -> Sourced | None:
    """The GPU count reported for ``run``: its own, else the maker's count in the model's training
    record for that run (Llama 3 70B: the card has none, Meta's launch post says 16K at once)."""
    if run is None or run.n_gpus is not None:
        return run.n_gpus if run is not None else None
    tr = model.training if model is not None else None
    if tr is None or tr.reported_run != run.id or figure_basis(tr.n_gpus) not in MAKER_BASES:
        return None
    return tr.n_gpus


def derived_days(run: Run, count: Sourced | None) -> tuple[float, Literal["derived", "third-party"]] | None:
    """(days, label) = reported GPU-hours / reported GPU ``count`` / 24, when the run has no wall clock."""
    if run.wall_clock_days is not None or run.gpu_hours is None or count is None:
        return None
    days = run.gpu_hours.central / count.central / HOURS_PER_DAY
    makers = {figure_basis(run.gpu_hours), figure_basis(count)} <= MAKER_BASES
    return days, "derived" if makers else "third-party"


def changed_facets(
    run: Run | None, *, accelerator: str, dtype: str, inputs: Iterable[InputRecord]
) -> list[str]:
    """The facets of ``FACETS`` in which an estimate differs from the reported run (user overrides)."""
    if run is None:
        return []
    given = {r.name: r for r in inputs if r.source == _USER}
    changed = {
        "hardware": run.hardware is not None and run.hardware != accelerator,
        "n_gpus": "days" in given or ("n_gpus" in given and _differs(given["n_gpus"], run.n_gpus)),
        "dtype": run.dtype != dtype,
        "compute": any(name in given for name in COMPUTE_INPUTS),
        "hours": "gpu_hours" in given and _differs(given["gpu_hours"], run.gpu_hours),
    }
    return [f for f in FACETS if changed[f]]


def _differs(record: InputRecord, reported: Sourced | None) -> bool:
    """Whether a user's input is another figure than the run's reported one (``SAME_REL``)."""
    if reported is None:
        return True
    low, high = reported.bounds
    return not low * (1 - SAME_REL) <= record.point <= high * (1 + SAME_REL)


def applies(quantity: str, changed: Iterable[str]) -> bool:
    """Whether a figure reported for the original run still describes the estimated one."""
    return not INVALIDATED_BY.get(quantity, frozenset(FACETS)) & set(changed)


def prices_basis(records: Iterable[Sourced]) -> Literal["reported", "third-party"]:
    """The label of a set of API list prices: ``reported`` when every price is the maker's own,
    ``third-party`` as soon as one is a reseller's or inference host's."""
    return "reported" if all(figure_basis(r) == "reported" for r in records) else "third-party"
