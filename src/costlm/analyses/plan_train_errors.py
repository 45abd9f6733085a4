"""Why no training plan is feasible: one ``ConfigError`` naming the binding constraint and the
nearest value that would be feasible (every number at the 90th percentile, like the constraints).

In order: ``--max-gpus`` below the smallest count that holds the model in memory (the nearest
feasible value is that count); the parallelism rule (every count that fits needs more data-parallel
replicas than the global batch has sequences); nothing priced or estimable at all; then the one
constraint among deadline, budget and CO2 that binds alone (``plan_search.binding_limit``), else
the constraints that bind together, with the best value of each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NoReturn

import numpy as np

from costlm.analyses.plan_frontier import binding_limit
from costlm.analyses.training_memory import check_memory
from costlm.errors import ConfigError
from costlm.resolve.plan_train import PlanTrainRequest
from costlm.resolve.training import TrainingSpec
from costlm.units import format_si

FLAGS = {"deadline": "--deadline-days", "budget": "--budget-usd", "co2": "--max-co2-t"}
Meta = Sequence[tuple[str, int, str, str, str | None, object]]


def _smallest_fit(specs: Mapping[str, TrainingSpec]) -> tuple[int, str] | None:
    """The smallest GPU count (and its accelerator) at which the model fits in memory, any accelerator."""
    best: tuple[int, str] | None = None
    for acc, spec in specs.items():
        if spec.memory is None:
            continue
        n = check_memory(spec.memory, 1).min_n_gpus
        if n is not None and (best is None or n < best[0]):
            best = (n, acc)
    return best


def _structural(
    req: PlanTrainRequest, specs: Mapping[str, TrainingSpec], excluded: Mapping[str, int]
) -> NoReturn:
    """No configuration reached the evaluation: memory, parallelism, or nothing estimable."""
    if excluded.get("memory"):
        smallest = _smallest_fit(specs)
        if smallest is not None and smallest[0] > req.max_gpus:
            n, gpu = smallest
            raise ConfigError(
                f"--max-gpus {req.max_gpus}: the model does not fit in memory on {req.max_gpus} or fewer GPUs"
                f" of any accelerator searched; the smallest count that fits is {n} ({gpu})",
                key="plan_max_gpus_memory",
                max=req.max_gpus,
                n=n,
                gpu=gpu,
            )
        if smallest is None and not excluded.get("parallelism"):
            raise ConfigError(
                "the model does not fit in memory at any GPU count of the accelerators searched;"
                " lower --seq-len or --micro-batch, or use --method lora or qlora",
                key="plan_nothing_fits",
            )
    if excluded.get("parallelism"):
        raise ConfigError(
            "every GPU count that fits in memory needs more sequences per optimizer step (data-parallel"
            " replicas x pipeline stages) than the global batch has; raise --global-batch",
            key="plan_parallelism",
        )
    reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(excluded.items()))
    raise ConfigError(
        f"no configuration can be estimated (excluded: {reasons}); widen --gpus or --dtypes",
        key="plan_no_config",
        reasons=reasons,
    )


UNITS = {"deadline": " days", "budget": "", "co2": " tCO2e"}
"""The unit after a limit's value in the English message (the i18n templates write their own)."""


PREFIXES = {"deadline": "", "budget": "$", "co2": ""}
"""What comes before a value in the English message's prose (the flag itself takes the bare number)."""


def _shown(value: float) -> str:
    """A limit's value as its flag takes it ('0.217', '667', '1.2M')."""
    return format_si(value)


def raise_infeasible(
    req: PlanTrainRequest,
    specs: Mapping[str, TrainingSpec],
    p90: Mapping[str, np.ndarray],
    meta: Meta,
    excluded: Mapping[str, int],
    limits: Mapping[str, float | None],
) -> NoReturn:
    """Raise the one-line error of a request no configuration meets (module docstring)."""
    if not meta:
        _structural(req, specs, excluded)
    binding = binding_limit(dict(p90), dict(limits))
    if binding is not None:
        acc, n, _, acq, _, _ = meta[binding.index]
        name = binding.name
        values = {
            "flag": FLAGS[name],
            "limit": _shown(binding.limit),
            "nearest": _shown(binding.nearest),
            "gpu": acc,
            "n": n,
            "acquisition": acq,
        }
        best = {
            "deadline": "the fastest plan takes",
            "budget": "the cheapest plan costs",
            "co2": "the lowest-CO2 plan emits",
        }
        unit, flag, nearest = UNITS[name], values["flag"], values["nearest"]
        raise ConfigError(
            f"{flag} {values['limit']}{unit} is not met: {best[name]} {PREFIXES[name]}{nearest}{unit}"
            f" at p90 ({acc} x {n}, {acq}) while meeting the other constraints; {flag} {nearest}"
            " is the nearest feasible value",
            key=f"plan_{name}_binds",
            **values,
        )
    given = [name for name, limit in limits.items() if limit is not None]
    nearest = "; ".join(f"{FLAGS[name]} {_shown(float(np.min(p90[name])))}" for name in given)
    raise ConfigError(
        f"no plan meets {', '.join(FLAGS[n] for n in given)} together; the best of each alone"
        f" at p90: {nearest}",
        key="plan_joint_binds",
        flags=", ".join(FLAGS[n] for n in given),
        nearest=nearest,
    )
