"""What a cost lever saves: the same estimate with and without it, paired sample by sample.

The lever inputs are drawn after every other input (``costlm.resolve.training``), so with one seed
the baseline and the levered run share their MFU, price and power draws and the saving
``1 - levered / baseline`` is computed per sample (common random numbers): its range is the
lever's own uncertainty, not the noise of two independent draws. A fine-tune recipe replaces the
baseline's token count by other inputs, so its pairing is partial (the other inputs still match).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Catalog, Sourced
from costlm.outputs import TRAINING_OUTPUTS
from costlm.pipelines.training import TrainingBreakdown
from costlm.uncertainty import Summary
from costlm.uncertainty.montecarlo import summarize

SAVING_OUTPUTS = tuple(
    o
    for o in TRAINING_OUTPUTS
    if o.name in ("gpu_hours", "wall_clock_days", "rental_cost_usd", "energy_mwh", "co2_t")
)
"""The training outputs whose saving a lever shows (those the estimate has)."""
SHARE_UNIT = "fraction"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LeverUse(_Frozen):
    """A lever applied: its id, how it acts, the drawn factor and what was claimed and reproduced."""

    id: str
    effect: str
    factor: Sourced | None
    claimed: Sourced | None
    reproduced: Sourced | None


class LeverSaving(_Frozen):
    """One output without the levers (``baseline``) and the share the levers save (1 - with / without)."""

    output: str
    baseline: Summary
    saving_share: Summary


def lever_uses(cat: Catalog, ids: tuple[str, ...]) -> list[LeverUse]:
    """The catalog records of the levers ``ids`` (resolved ids, in order)."""
    return [
        LeverUse(id=lv.id, effect=lv.effect, factor=lv.factor, claimed=lv.claimed, reproduced=lv.reproduced)
        for lv in (cat.levers[i] for i in ids)
    ]


def _output(b: TrainingBreakdown, name: str) -> np.ndarray | None:
    value = getattr(b, name)
    return None if value is None else np.asarray(value, dtype=np.float64)


def training_savings(base: TrainingBreakdown, with_levers: TrainingBreakdown) -> list[LeverSaving]:
    """Baseline and saving share of each output both estimates have (drawn with the same seed)."""
    out = []
    for declared in SAVING_OUTPUTS:
        before, after = _output(base, declared.name), _output(with_levers, declared.name)
        if before is None or after is None:
            continue
        out.append(
            LeverSaving(
                output=declared.name,
                baseline=summarize(before, declared.unit),
                saving_share=summarize(1.0 - after / before, SHARE_UNIT),
            )
        )
    return out
