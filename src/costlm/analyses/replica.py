"""One serving replica sized from weight memory: GPUs, their hardware cost, and its power.

This is the first-order inference estimate of the seed table (weights only; the KV cache,
throughput and $/token come with the Serve work). A model without a published parameter
count gets a compute-optimal guess from its training FLOP, labelled as such.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from costlm.catalog.schema import Accelerator, Catalog, Model, Sourced
from costlm.caveats import Caveat
from costlm.errors import InputError
from costlm.formulas import memory
from costlm.pipelines.serving import SizedReplicaDraws, estimate_sized_replica
from costlm.resolve import prices
from costlm.resolve.inputs import Inputs, dist_of, draw_inputs
from costlm.resolve.rules import serving_dtype
from costlm.uncertainty import Summary, summarize


class ReplicaResult(BaseModel):
    """GPUs of one serving replica, their purchase cost and the replica's facility power."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accelerator: str
    dtype: str
    n_params: float
    n_params_basis: str
    n_params_source: str
    weights_bytes: float
    gpus_per_replica: int
    hardware_cost_usd: Summary | None
    replica_power_watts: Summary | None
    warnings: list[Caveat]


def _params(model: Model) -> tuple[float, str, str, list[Caveat]]:
    if model.n_params is not None:
        return model.n_params.central, model.n_params.basis, model.n_params.source, []
    flop = model.training.train_flop if model.training else None
    if flop is None:
        raise InputError(
            f"model '{model.id}' has neither a parameter count nor a training FLOP figure",
            key="model_no_size",
            model=model.id,
        )
    n = float(memory.chinchilla_params(train_flop=flop.central))
    note = Caveat(
        code="params_estimated",
        message=f"no published parameter count; assumed compute-optimal N = sqrt(C/120) = {n:.3g}",
        values={"n": f"{n:.3g}"},
    )
    return n, "estimate", "chinchilla-2022", [note]


def estimate_replica(
    cat: Catalog, model: Model, acc: Accelerator, *, samples: int, seed: int | None
) -> ReplicaResult:
    """Size one replica of ``model`` on ``acc`` and estimate its hardware cost and facility power."""
    n_params, basis, source, warnings = _params(model)
    dtype = serving_dtype(model, acc)
    weights = float(memory.weights_bytes(n_params=n_params, bytes_per_param=memory.BYTES_PER_PARAM[dtype]))
    d = cat.defaults
    overhead = d.inference_memory_overhead.central
    n_gpus = int(
        memory.gpus_for_memory(needed_bytes=weights, memory_bytes_per_gpu=acc.memory_bytes, overhead=overhead)
    )
    inputs = Inputs()
    bought = prices.purchase_price(acc, d)  # card price, else the server-inclusive one
    records: list[tuple[str, Sourced | None, str]] = [
        ("gpu_price_usd", None if bought is None else bought.record, "USD"),
        ("tdp_watts", acc.tdp_watts, "W"),
        ("power_fraction", d.power_fraction_inference, "fraction"),
        ("server_overhead", d.server_overhead, "x"),
        ("pue", d.pue, "x"),
    ]
    for name, record, unit in records:
        if record is not None:
            inputs.add(name, dist_of(record), unit, record)
    drawn = draw_inputs(inputs, samples, seed)
    sized = estimate_sized_replica(SizedReplicaDraws(n_gpus=float(n_gpus), **drawn.values))
    cost = None if sized.hardware_cost_usd is None else summarize(sized.hardware_cost_usd, "USD")
    power = None if sized.replica_power_watts is None else summarize(sized.replica_power_watts, "W")
    return ReplicaResult(
        accelerator=acc.id,
        dtype=dtype,
        n_params=n_params,
        n_params_basis=basis,
        n_params_source=source,
        weights_bytes=weights,
        gpus_per_replica=n_gpus,
        hardware_cost_usd=cost,
        replica_power_watts=power,
        warnings=warnings + drawn.caveats,
    )
