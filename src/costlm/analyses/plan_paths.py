"""The three paths of ``costlm plan compare``, each priced by the existing estimates or skipped.

- api: monthly = the use's traffic at an API's list prices (``money.api_usd_per_year``); no upfront.
- finetune: upfront = the fine-tune's rental-equivalent cost (``estimate_training_request``, kind
  finetune) + teacher data at the teacher API's list prices; monthly = the self-hosted fleet's
  rental for the traffic (``estimate_serving_request``).
- pretrain: upfront = a pre-training run's rental-equivalent cost; monthly = serving that model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from costlm.analyses.serving import estimate_serving_request
from costlm.analyses.training import TrainingResult, estimate_training_request
from costlm.catalog import load
from costlm.catalog.schema import ApiPrice, Catalog
from costlm.caveats import Caveat
from costlm.errors import ConfigError, CostlmError, LeverError, UnknownIdError
from costlm.formulas import money
from costlm.resolve.levers import levers_by_work
from costlm.resolve.plan_compare import PlanCompareRequest
from costlm.resolve.requests import ServeRequest, TrainingRequest, build
from costlm.uncertainty import Summary

MONTHS_PER_YEAR = 12
S1_N_GPUS = 16
"""s1-32B was fine-tuned on 16 H100s (s1-2025, Sec. 4.1): the fine-tune's default GPU count."""
PRETRAIN_DAYS = 30.0
"""A pre-training run of --params/--tokens is sized to a month (the GPU count is solved for it);
its rental cost, GPU-hours x $/GPU-hour, hardly depends on the count."""
NO_TRAINING_FACTS = "train_model_no_facts"
"""The InputError key of a catalog model without a training record (hardware, GPU count, tokens)."""
DOES_NOT_FIT = ("train_does_not_fit", "train_does_not_fit_gpus")
"""ConfigError keys of a fine-tune that fits on more GPUs (``values['n']``: the fewest that do)."""


@dataclass(frozen=True)
class PathCosts:
    """What one priced path costs (USD summaries) and where the figures came from."""

    model: str | None
    upfront_usd: Summary
    monthly_usd: Summary
    api_price: str | None = None
    provider: str | None = None
    api_usd_per_million_input_tokens: float | None = None
    api_usd_per_million_output_tokens: float | None = None
    training_usd: Summary | None = None
    teacher_data_usd: float | None = None
    training_n_gpus: int | None = None
    fleet_gpus: Summary | None = None
    caveats: list[Caveat] = field(default_factory=list)


@dataclass(frozen=True)
class Skip:
    """A path that cannot be priced: a reason code and its values."""

    reason: str
    values: dict[str, str] = field(default_factory=dict)


def _fixed(value: float, unit: str = "USD") -> Summary:
    return Summary(p05=value, p50=value, p95=value, mean=value, unit=unit)


def _scaled(s: Summary, factor: float, shift: float = 0.0, unit: str = "USD") -> Summary:
    """factor x s + shift, percentile by percentile (exact: an increasing affine map)."""
    return Summary(
        p05=s.p05 * factor + shift,
        p50=s.p50 * factor + shift,
        p95=s.p95 * factor + shift,
        mean=s.mean * factor + shift,
        unit=unit,
    )


def _failed(exc: CostlmError) -> Skip:
    """An estimate that raised (no training facts, does not fit): the error's key, values and text."""
    if exc.key == NO_TRAINING_FACTS:
        return Skip("no_pretrain_record", {"model": str(exc.values.get("model", ""))})
    values = {str(k): str(v) for k, v in exc.values.items()}
    return Skip("estimate_failed", {"error": exc.key or "", "message": str(exc), **values})


def usd_per_output_token(price: ApiPrice, *, prompt_tokens: float, output_tokens: float) -> float | None:
    """An API's price per output token of a request, its prompt's input tokens included."""
    if price.output_usd_per_mtok is None:
        return None
    api_in = price.input_usd_per_mtok.central if price.input_usd_per_mtok else 0.0
    return float(
        money.api_usd_per_output_token(
            output_usd_per_mtok=price.output_usd_per_mtok.central,
            input_usd_per_mtok=api_in,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
        )
    )


def served_model(req: PlanCompareRequest, cat: Catalog) -> str | None:
    """The catalog id of the model the use serves: the base, else the pre-trained model."""
    name = req.base or req.pretrain
    return load.model(cat, name).id if name else None


def cheapest_price(cat: Catalog, model_id: str, req: PlanCompareRequest) -> ApiPrice | None:
    """The listed API price of ``model_id`` that is cheapest for the use's prompt/output mix."""
    mix = {"prompt_tokens": req.prompt_tokens, "output_tokens": req.output_tokens}
    priced = [
        (cost, p.id, p)
        for p in cat.api_prices.values()
        if p.model == model_id and (cost := usd_per_output_token(p, **mix)) is not None
    ]
    return min(priced, key=lambda row: (row[0], row[1]))[2] if priced else None


def api_path(req: PlanCompareRequest, cat: Catalog) -> PathCosts | Skip:
    """The use at an API's list prices: --api, else the cheapest listed price of the served model."""
    caveats: list[Caveat] = []
    model_id = served_model(req, cat)
    price = cat.api_prices[req.api.lower()] if req.api else None
    if price is None:
        if model_id is None:
            return Skip("no_served_model")
        price = cheapest_price(cat, model_id, req)
        if price is None:
            return Skip("no_api_price", {"model": model_id})
        values = {"api": price.id, "provider": price.provider, "model": model_id}
        message = f"API path: the cheapest listed price of {model_id}, {price.id} ({price.provider})"
        caveats.append(Caveat(code="plan_api_default", message=message, values=values))
    per_token = usd_per_output_token(price, prompt_tokens=req.prompt_tokens, output_tokens=req.output_tokens)
    if per_token is None:
        return Skip("no_output_price", {"api": price.id})
    yearly = float(money.api_usd_per_year(usd_per_token=per_token, tokens_per_day=req.tokens_per_day))
    return PathCosts(
        model=price.model,
        **_list_prices(price),
        upfront_usd=_fixed(0.0),
        monthly_usd=_fixed(yearly / MONTHS_PER_YEAR),
        caveats=caveats,
    )


def _list_prices(price: ApiPrice) -> dict[str, Any]:
    """The id, provider and list prices of an API price row, as ``PathCosts`` fields."""
    return {
        "api_price": price.id,
        "provider": price.provider,
        "api_usd_per_million_input_tokens": price.input_usd_per_mtok.central
        if price.input_usd_per_mtok
        else None,
        "api_usd_per_million_output_tokens": price.output_usd_per_mtok.central
        if price.output_usd_per_mtok
        else None,
    }


def _fleet(
    req: PlanCompareRequest, cat: Catalog, model_id: str
) -> tuple[Summary, Summary, list[Caveat]] | Skip:
    """(monthly rental, fleet GPUs, the serving caveats) of self-hosting ``model_id`` at the traffic."""
    serve = build(
        ServeRequest,
        {
            "model": model_id,
            "gpu": req.gpu,
            "tokens_per_day": req.tokens_per_day,
            "prompt_tokens": req.prompt_tokens,
            "output_tokens": req.output_tokens,
            "samples": req.samples,
            "seed": req.seed,
            "levers": levers_by_work(cat, req.levers)["serve"],
        },
    )
    try:
        result = estimate_serving_request(serve, cat)
    except (UnknownIdError, LeverError):
        raise  # the user's error (an unknown id, a lever that does not apply), not a path to skip
    except CostlmError as exc:
        return _failed(exc)
    fleet = result.fleet
    if fleet is None or fleet.fleet_rental_usd_per_year is None:
        return Skip("no_rental_price", {"gpu": result.accelerator})
    return _scaled(fleet.fleet_rental_usd_per_year, 1 / MONTHS_PER_YEAR), fleet.fleet_gpus, result.warnings


def _train(fields: dict[str, Any], cat: Catalog, *, retry_fit: bool) -> TrainingResult | Skip:
    """A training estimate; a fine-tune that does not fit on the default GPU count is re-run on the
    fewest GPUs that hold it (``retry_fit``)."""
    try:
        return estimate_training_request(build(TrainingRequest, fields), cat)
    except (UnknownIdError, LeverError):
        raise
    except ConfigError as exc:
        fewest = int(str(exc.values.get("n", 0)) or 0)
        if retry_fit and exc.key in DOES_NOT_FIT and fewest > 0:
            return _train({**fields, "n_gpus": fewest}, cat, retry_fit=False)
        return _failed(exc)
    except CostlmError as exc:
        return _failed(exc)


def _teacher(req: PlanCompareRequest, cat: Catalog) -> float | Skip | None:
    """Teacher-generated data: examples x tokens per example at the teacher's output price, each
    example's prompt (the use's prompt length) at its input price."""
    if req.teacher is None:
        return None
    price = cat.api_prices[req.teacher.lower()]
    per_token = usd_per_output_token(
        price, prompt_tokens=req.prompt_tokens, output_tokens=req.tokens_per_example
    )
    if per_token is None:
        return Skip("no_output_price", {"api": price.id})
    return per_token * req.examples * req.tokens_per_example


def finetune_path(req: PlanCompareRequest, cat: Catalog) -> PathCosts | Skip:
    """Fine-tune (or distil into) --base, then self-host it."""
    if req.base is None:
        return Skip("no_base")
    model_id = load.model(cat, req.base).id
    teacher = _teacher(req, cat)
    if isinstance(teacher, Skip):
        return teacher
    fields = {
        "model": model_id,
        "kind": "distill" if req.teacher else "finetune",
        "examples": req.examples,
        "tokens_per_example": req.tokens_per_example,
        "epochs": req.epochs,
        "method": req.method,
        "gpu": req.gpu,
        "n_gpus": req.n_gpus or S1_N_GPUS,
        "samples": req.samples,
        "seed": req.seed,
    }
    trained = _train(fields, cat, retry_fit=req.n_gpus is None)
    if isinstance(trained, Skip):
        return trained
    return _self_hosted(req, cat, model_id, trained, teacher)


def _self_hosted(
    req: PlanCompareRequest,
    cat: Catalog,
    model_id: str,
    trained: TrainingResult,
    teacher: float | None,
    caveats: tuple[Caveat, ...] = (),
) -> PathCosts | Skip:
    """A trained model's path: its training (+ teacher data) upfront, its fleet's rental per month."""
    if trained.rental_cost_usd is None:
        return Skip("no_rental_price", {"gpu": trained.accelerator})
    fleet = _fleet(req, cat, model_id)
    if isinstance(fleet, Skip):
        return fleet
    monthly, gpus, served = fleet
    prices = _list_prices(cat.api_prices[req.teacher.lower()]) if req.teacher and teacher is not None else {}
    return PathCosts(
        model=model_id,
        **prices,
        upfront_usd=_scaled(trained.rental_cost_usd, 1.0, teacher or 0.0),
        monthly_usd=monthly,
        training_usd=trained.rental_cost_usd,
        teacher_data_usd=teacher,
        training_n_gpus=round(trained.breakdown.n_gpus.p50),
        fleet_gpus=gpus,
        caveats=[*caveats, *trained.warnings, *served],
    )


def pretrain_path(req: PlanCompareRequest, cat: Catalog) -> PathCosts | Skip:
    """Pre-train --pretrain MODEL (its own training record) or --params/--tokens, then self-host it
    (a --params/--tokens model is served as the base model: the catalog has no architecture for it)."""
    common = {"samples": req.samples, "seed": req.seed, "levers": levers_by_work(cat, req.levers)["train"]}
    caveats: tuple[Caveat, ...] = ()
    if req.params is not None:
        if req.base is None:
            return Skip("no_serving_model")
        model_id = load.model(cat, req.base).id
        fields = {"params": req.params, "tokens": req.tokens, "gpu": req.gpu, "days": PRETRAIN_DAYS, **common}
        values = {"model": model_id, "days": f"{PRETRAIN_DAYS:g}"}
        message = (
            f"pre-training path: --params/--tokens trained in {values['days']} days and served as {model_id} "
            "(the catalog has no architecture for it)"
        )
        caveats = (Caveat(code="plan_pretrain_served_as_base", message=message, values=values),)
    else:
        name = req.pretrain or req.base
        if name is None:
            return Skip("no_pretrain")
        model_id = load.model(cat, name).id
        fields = {"model": model_id, **common}
    trained = _train(fields, cat, retry_fit=False)
    if isinstance(trained, Skip):
        return trained
    return _self_hosted(req, cat, model_id, trained, None, caveats)
