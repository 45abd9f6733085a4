"""Which batch runs on a replica: memory caps it (scheduling, not refusal) and latency targets choose it.

A continuous-batching engine (vLLM, Kwon et al. 2023) runs at most the sequences whose KV cache
fits; the rest of the requested concurrency waits. With ``--max-tpot-ms`` / ``--max-ttft-ms`` the
running batch is the largest whose p95 TPOT and TTFT meet the targets (p95, not p50: a target is a
promise most requests must keep). TPOT and TTFT grow with the batch, so a bisection finds it.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from pydantic import BaseModel, ConfigDict

from costlm.errors import ConfigError
from costlm.pipelines.serving import ServeDraws, step_times
from costlm.resolve.requests import ServeRequest
from costlm.resolve.serving import ServeSpec
from costlm.units import MS_PER_S

LATENCY_TARGET_QUANTILE = 0.95
"""Latency targets are met at the 95th percentile of the Monte Carlo draws."""


class BatchPlan(BaseModel):
    """The batch mode (``throughput``, ``requested`` or ``latency_target``), requested and running batch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: str
    requested: int
    running: int


def p95_latency_ms(draws: ServeDraws, batch: int) -> tuple[float, float]:
    """(p95 TPOT, p95 TTFT) in milliseconds at ``batch`` running sequences."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        t = step_times(dataclasses.replace(draws, batch=float(batch)))
    q = LATENCY_TARGET_QUANTILE
    return float(np.quantile(t.tpot_s, q)) * MS_PER_S, float(np.quantile(t.ttft_s, q)) * MS_PER_S


def _meets(req: ServeRequest, tpot_ms: float, ttft_ms: float) -> bool:
    return (req.max_tpot_ms is None or tpot_ms <= req.max_tpot_ms) and (
        req.max_ttft_ms is None or ttft_ms <= req.max_ttft_ms
    )


def choose_batch(spec: ServeSpec, draws: ServeDraws, req: ServeRequest) -> BatchPlan:
    """The running batch: ``spec.batch`` (requested, capped at what fits), or under latency targets
    the largest batch up to it whose p95 TPOT/TTFT meet them; ConfigError when even batch 1 misses."""
    requested = req.batch or spec.batch
    if req.max_tpot_ms is None and req.max_ttft_ms is None:
        return BatchPlan(
            mode="requested" if req.batch else "throughput", requested=requested, running=spec.batch
        )
    tpot_1, ttft_1 = p95_latency_ms(draws, 1)
    if not _meets(req, tpot_1, ttft_1):
        targets = target_text(req.max_tpot_ms, req.max_ttft_ms)
        values = {
            "targets": targets,
            "n": str(spec.n_gpus),
            "gpu": spec.accelerator.id,
            "tpot": f"{tpot_1:.3g}",
            "ttft": f"{ttft_1:.3g}",
        }
        raise ConfigError(
            "no batch meets {targets} on {n} x {gpu}: the best achievable (batch 1, p95) is "
            "TPOT {tpot} ms, TTFT {ttft} ms; relax the target, use faster GPUs or more of them".format(
                **values
            ),
            key="latency_target_unmet",
            **values,
        )
    low, high = 1, spec.batch  # low meets the targets; find the largest that does
    while low < high:
        mid = (low + high + 1) // 2
        if _meets(req, *p95_latency_ms(draws, mid)):
            low = mid
        else:
            high = mid - 1
    return BatchPlan(mode="latency_target", requested=req.batch or low, running=low)


def target_text(max_tpot_ms: float | None, max_ttft_ms: float | None) -> str:
    """'TPOT <= 50 ms, TTFT <= 2000 ms': the targets as the CLI took them (symbols, no words)."""
    parts = [
        f"{name} <= {value:g} ms" for name, value in (("TPOT", max_tpot_ms), ("TTFT", max_ttft_ms)) if value
    ]
    return ", ".join(parts)
