"""Total cost of ownership of three paths for one use over N months: call an API, fine-tune (or
distil) an open model and self-host it, or pre-train a model and self-host it.

Every figure comes from the existing estimates (``estimate_training_request`` and
``estimate_serving_request``, what ``costlm.api.estimate_training`` / ``estimate_serving`` run) and
from the API list prices through ``costlm.formulas.money``; nothing is re-derived here. A path
whose inputs are missing is skipped with a reason code, never priced at zero.

Cumulative cost at month m = upfront + m x monthly. The results of the estimates are summaries
(p05/p50/p95/mean), not draws, so each percentile of the cumulative is the same percentile of the
upfront plus m times that of the monthly cost (comonotonic: the two ranked together, as when one
GPU rental price drives both). The mean is exact; the p05-p95 band is that of perfectly
correlated costs, wider than if training and serving costs were independent (caveat
``plan_comonotonic``). Self-hosted costs are rental-equivalent (GPU-hours x $/GPU-hour).
"""

from __future__ import annotations

from itertools import combinations
from typing import Literal

from pydantic import BaseModel, ConfigDict

from costlm.analyses.levers import LeverUse, lever_uses
from costlm.analyses.plan_paths import PathCosts, Skip, api_path, finetune_path, pretrain_path
from costlm.catalog import load
from costlm.catalog.schema import Catalog
from costlm.caveats import Caveat
from costlm.errors import UnknownIdError
from costlm.resolve.levers import levers_by_work
from costlm.resolve.plan_compare import PlanCompareRequest
from costlm.uncertainty import Summary

PathName = Literal["api", "finetune", "pretrain"]
PATH_ORDER: tuple[PathName, ...] = ("api", "finetune", "pretrain")


class PlanPath(BaseModel):
    """One path's costs in USD: upfront, per month, and cumulative at months 0..N."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: PathName
    model: str | None
    """The catalog model served (None for an API of a model the catalog does not hold)."""
    api_price: str | None = None
    """The API price row of the api path, or the teacher's of the fine-tune path."""
    provider: str | None = None
    """The provider of ``api_price``."""
    api_usd_per_million_input_tokens: float | None = None
    api_usd_per_million_output_tokens: float | None = None
    """The list prices of ``api_price``."""
    upfront_usd: Summary
    monthly_usd: Summary
    cumulative_usd: list[Summary]
    """Index m = cost after m months (0: the upfront cost)."""
    training_usd: Summary | None = None
    """Rental-equivalent cost of the training run (fine-tune or pre-train)."""
    teacher_data_usd: float | None = None
    """Teacher-generated fine-tuning data at the teacher API's list prices."""
    training_n_gpus: int | None = None
    fleet_gpus: Summary | None = None
    """GPUs of the self-hosted fleet for the traffic (its peak)."""


class PlanSkippedPath(BaseModel):
    """A path not priced, with the reason (a code and its values; words at render time)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: PathName
    reason: str
    values: dict[str, str] = {}


class PlanBreakEven(BaseModel):
    """Two paths by median cumulative cost: which is cheaper at month 0 and the first month the other
    becomes cheaper (None: never within the horizon)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first: PathName
    """Cheaper (or equal) at month 0."""
    other: PathName
    month: int | None


class PlanCompareResult(BaseModel):
    """The paths priced, the paths skipped, the cheapest at the horizon and the break-even months."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int
    tokens_per_day: float
    prompt_tokens: float
    output_tokens: float
    samples: int
    seed: int | None
    paths: list[PlanPath]
    skipped: list[PlanSkippedPath]
    cheapest: PathName | None
    """The path with the lowest median cumulative cost at month N."""
    break_even: list[PlanBreakEven]
    warnings: list[Caveat]
    levers: list[LeverUse] = []
    """The cost levers applied: training levers to the pre-training, serving levers to every fleet."""


def cumulative(upfront: Summary, monthly: Summary, months: int) -> list[Summary]:
    """upfront + m x monthly for m = 0..months, percentile by percentile (comonotonic); mean exact."""
    return [
        Summary(
            p05=upfront.p05 + m * monthly.p05,
            p50=upfront.p50 + m * monthly.p50,
            p95=upfront.p95 + m * monthly.p95,
            mean=upfront.mean + m * monthly.mean,
            unit="USD",
        )
        for m in range(months + 1)
    ]


def break_even(a: PlanPath, b: PlanPath) -> PlanBreakEven:
    """The first month at which the path dearer at month 0 becomes strictly cheaper (median curves)."""
    first, other = (a, b) if a.cumulative_usd[0].p50 <= b.cumulative_usd[0].p50 else (b, a)
    month = next(
        (
            m
            for m, (f, o) in enumerate(zip(first.cumulative_usd, other.cumulative_usd, strict=True))
            if o.p50 < f.p50
        ),
        None,
    )
    return PlanBreakEven(first=first.path, other=other.path, month=month)


def _check_ids(req: PlanCompareRequest, cat: Catalog) -> None:
    """Unknown ids are input errors (did-you-mean), not skipped paths."""
    for model_id in (req.base, req.pretrain):
        if model_id is not None:
            load.model(cat, model_id)
    for price_id in (req.api, req.teacher):
        if price_id is not None and price_id.lower() not in cat.api_prices:
            raise UnknownIdError("API price", price_id, cat.api_prices)


def _priced(name: PathName, costs: PathCosts, months: int) -> PlanPath:
    return PlanPath(
        path=name,
        model=costs.model,
        api_price=costs.api_price,
        provider=costs.provider,
        api_usd_per_million_input_tokens=costs.api_usd_per_million_input_tokens,
        api_usd_per_million_output_tokens=costs.api_usd_per_million_output_tokens,
        upfront_usd=costs.upfront_usd,
        monthly_usd=costs.monthly_usd,
        cumulative_usd=cumulative(costs.upfront_usd, costs.monthly_usd, months),
        training_usd=costs.training_usd,
        teacher_data_usd=costs.teacher_data_usd,
        training_n_gpus=costs.training_n_gpus,
        fleet_gpus=costs.fleet_gpus,
    )


def _unique(caveats: list[Caveat]) -> list[Caveat]:
    """Each caveat once (the two self-hosted paths share the serving and price caveats)."""
    seen: dict[tuple[str, str], Caveat] = {}
    for caveat in caveats:
        seen.setdefault((caveat.code, caveat.message), caveat)
    return list(seen.values())


def plan_compare(req: PlanCompareRequest, cat: Catalog) -> PlanCompareResult:
    """Price each path (or say why not), then the cumulative curves, the cheapest and the break-evens."""
    _check_ids(req, cat)
    runs = {"api": api_path, "finetune": finetune_path, "pretrain": pretrain_path}
    paths: list[PlanPath] = []
    skipped: list[PlanSkippedPath] = []
    warnings: list[Caveat] = []
    for name in PATH_ORDER:
        outcome = runs[name](req, cat)
        if isinstance(outcome, Skip):
            skipped.append(PlanSkippedPath(path=name, reason=outcome.reason, values=outcome.values))
            continue
        paths.append(_priced(name, outcome, req.months))
        warnings += outcome.caveats
    if req.samples > 1 and any(p.path != "api" for p in paths):
        message = (
            "cumulative percentiles add the upfront and monthly percentiles (costs ranked together): "
            "the mean is exact, the 5-95% band is that of perfectly correlated costs"
        )
        warnings.append(Caveat(code="plan_comonotonic", message=message))
    cheapest = min(paths, key=lambda p: p.cumulative_usd[-1].p50).path if paths else None
    return PlanCompareResult(
        months=req.months,
        tokens_per_day=req.tokens_per_day,
        prompt_tokens=req.prompt_tokens,
        output_tokens=req.output_tokens,
        samples=req.samples,
        seed=req.seed,
        paths=paths,
        skipped=skipped,
        cheapest=cheapest,
        break_even=[break_even(a, b) for a, b in combinations(paths, 2)],
        warnings=_unique(warnings),
        levers=lever_uses(cat, tuple(i for ids in levers_by_work(cat, req.levers).values() for i in ids)),
    )
