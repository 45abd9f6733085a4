"""Request latency of a continuous-batching replica at an arrival rate: the ``mgc_allen_cunneen`` model.

Each replica is an M/G/c queue whose c servers are the engine's ``batch_cap`` concurrent slots
(vLLM's max_num_seqs; Kwon et al. 2023); requests arrive Poisson at ``arrival_rate_per_s``. A
request's service time S = its prefill + output_tokens x TPOT at the running batch b, and the
running batch is the mean number in service, b = lambda S(b) (Little 1961). TPOT grows with b,
so b is a fixed point: started from the line through S(1) and S(cap) (the roofline step is
near-affine in the batch) and refined by ``FIXED_POINT_ITERATIONS`` substitutions; b >= cap means
the queue is unstable (utilisation >= 1) and every latency is inf. The wait for a slot is
M/M/c's (Erlang C and its exponential tail) with its time scale stretched by the Allen-Cunneen
factor (1 + cs^2) / 2, cs^2 the squared coefficient of variation of S from the prompt and output
length spreads (prefill taken linear in the prompt). TTFT = wait + the lone prompt's prefill + one
decode step at b. TPOT at a quantile: the step time at the same quantile of the number of busy
slots, Poisson with mean b (the M/G/infinity occupancy) capped at the slots; the median TPOT is the
step at b. Erlang C comes from a table per slot count over a utilisation grid, built once with
``formulas.queueing.erlang_c`` (the exact recursion) and interpolated.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr, queueing
from costlm.pipelines.serving import ServeDraws, StepTimes, step_times

LATENCY_MODEL = "mgc_allen_cunneen"
"""The code of this latency model, carried by the results that use it."""
FIXED_POINT_ITERATIONS = 3
"""Substitutions b <- lambda S(b) after the affine start (the step is near-affine: 3 reach 1e-3)."""
UTILISATION_GRID_POINTS = 4097
"""Points of the Erlang C table on utilisation [0, 1] (spacing 2.4e-4: under the 1/sqrt(c)
width of the knee for c <= 1024, so the interpolation error stays below 1e-3)."""


@dataclass(frozen=True)
class LengthSpread:
    """Coefficients of variation (std / mean) of the prompt and output lengths of the requests."""

    prompt_cv: float
    output_cv: float


@dataclass(frozen=True)
class LatencyBreakdown:
    """Request-level latency of one replica at an arrival rate, over the draws (inf: unstable)."""

    running_batch: FloatArray
    service_s: FloatArray
    utilisation: FloatArray
    wait_probability: FloatArray
    ttft_s: FloatArray
    """TTFT at the requested quantile of requests."""
    ttft_median_s: FloatArray
    tpot_s: FloatArray
    """TPOT at the requested quantile of steps (busy-slot quantile)."""
    tpot_median_s: FloatArray
    output_tokens_per_s: FloatArray


@functools.cache
def _erlang_c_table(n_servers: int) -> FloatArray:
    grid = np.linspace(0.0, 1.0, UTILISATION_GRID_POINTS)
    return queueing.erlang_c(n_servers=float(n_servers), offered_load_erlangs=grid * n_servers)


def erlang_c_interpolated(*, n_servers: ArrayLike, utilisation: ArrayLike) -> FloatArray:
    """Erlang C of integer slot counts at utilisations (1 at and above 1), from the cached tables."""
    c, rho = np.broadcast_arrays(np.rint(arr(n_servers)), arr(utilisation))
    grid = np.linspace(0.0, 1.0, UTILISATION_GRID_POINTS)
    out = np.ones(rho.shape)
    for slots in np.unique(c):
        mask = c == slots
        out[mask] = np.interp(rho[mask], grid, _erlang_c_table(int(slots)), right=1.0)
    return out


def _steps(d: ServeDraws, batch: ArrayLike) -> StepTimes:
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return step_times(dataclasses.replace(d, batch=np.maximum(arr(batch), 1.0)))


def service_s(d: ServeDraws, t: StepTimes) -> FloatArray:
    """A request's time in a slot: its prefill plus its output tokens at the step time."""
    return t.prefill_s + d.output_tokens * t.tpot_s


def running_batch(
    d: ServeDraws,
    *,
    arrival_rate_per_s: ArrayLike,
    batch_cap: ArrayLike,
    at_one: StepTimes,
    at_cap: StepTimes,
) -> FloatArray:
    """The fixed point b = lambda S(b) (Little's law), at most ``batch_cap`` (there: unstable)."""
    lam, cap = arr(arrival_rate_per_s), arr(batch_cap)
    s1, sc = service_s(d, at_one), service_s(d, at_cap)
    slope = (sc - s1) / np.maximum(cap - 1.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        start = lam * (s1 - slope) / (1.0 - lam * slope)
    b = np.where((start > 0.0) & (lam * slope < 1.0), np.minimum(start, cap), cap)
    for _ in range(FIXED_POINT_ITERATIONS):
        b = np.minimum(lam * service_s(d, _steps(d, b)), cap)
    return np.where(lam * sc >= cap, cap, b)


def service_cv2(d: ServeDraws, t: StepTimes, spread: LengthSpread) -> FloatArray:
    """cs^2 of the service time: prefill and decode parts with the prompt and output spreads."""
    decode = d.output_tokens * t.tpot_s
    var = (t.prefill_s * spread.prompt_cv) ** 2 + (decode * spread.output_cv) ** 2
    return var / (t.prefill_s + decode) ** 2


def request_latency(
    d: ServeDraws,
    *,
    arrival_rate_per_s: ArrayLike,
    batch_cap: ArrayLike,
    spread: LengthSpread,
    ttft_quantile: float,
    tpot_quantile_z: float,
    bounds: tuple[StepTimes, StepTimes] | None = None,
) -> LatencyBreakdown:
    """TTFT and TPOT at the given quantiles of requests for one replica (``bounds``: the step times
    at batch 1 and at the cap, when the caller evaluates many arrival rates)."""
    cap = arr(batch_cap)
    at_one, at_cap = bounds or (_steps(d, 1.0), _steps(d, cap))
    b = running_batch(d, arrival_rate_per_s=arrival_rate_per_s, batch_cap=cap, at_one=at_one, at_cap=at_cap)
    t = _steps(d, b)
    s = service_s(d, t)
    lam = arr(arrival_rate_per_s)
    rho = np.where(b >= cap, 1.0, lam * s / cap)
    stable = rho < 1.0
    c_wait = erlang_c_interpolated(n_servers=cap, utilisation=rho)
    cs2 = service_cv2(d, t, spread)
    wait = queueing.mgc_wait_quantile_s(
        quantile=ttft_quantile,
        n_servers=cap,
        mean_service_s=s,
        arrival_rate_per_s=lam,
        service_cv2=cs2,
        wait_probability=c_wait,
    )
    median_wait = queueing.mgc_wait_quantile_s(
        quantile=0.5,
        n_servers=cap,
        mean_service_s=s,
        arrival_rate_per_s=lam,
        service_cv2=cs2,
        wait_probability=c_wait,
    )
    busy = np.minimum(queueing.poisson_quantile(quantile_z=tpot_quantile_z, mean=b), cap)
    tpot_q = _steps(d, busy).tpot_s
    inf = np.inf
    return LatencyBreakdown(
        running_batch=b,
        service_s=s,
        utilisation=rho,
        wait_probability=c_wait,
        ttft_s=np.where(stable, wait + t.ttft_s, inf),
        ttft_median_s=np.where(stable, median_wait + t.ttft_s, inf),
        tpot_s=np.where(stable, np.maximum(tpot_q, t.tpot_s), inf),
        tpot_median_s=np.where(stable, t.tpot_s, inf),
        output_tokens_per_s=np.where(stable, lam * d.output_tokens, 0.0),
    )
