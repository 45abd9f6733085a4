"""Queueing closed forms for request latency at an arrival rate: Erlang B/C (M/M/c), the M/M/c
waiting-time tail, the M/D/1 and M/G/1 mean wait (Pollaczek-Khinchine) and the Allen-Cunneen
approximation of M/G/c, over arrays.

Sources: Erlang B recursion B(0) = 1, B(k) = a B(k-1) / (k + a B(k-1)) and Erlang C from it,
C = c B / (c - a (1 - B)) (Kleinrock 1975, "Queueing Systems" Vol. 1, Sec. 3.6-3.7; the recursion
is the numerically stable route, no factorials); M/M/c tail P(W > t) = C exp(-(c mu - lambda) t)
(Kleinrock Vol. 1, eq. 3.40; Gross & Harris, "Fundamentals of Queueing Theory", Sec. 2.3);
Pollaczek-Khinchine mean wait W = lambda E[S^2] / (2 (1 - rho)) (Kleinrock Vol. 1, eq. 5.72);
Allen-Cunneen: W(M/G/c) ~ W(M/M/c) x (ca^2 + cs^2) / 2 (Allen 1990, "Probability, Statistics and
Queueing Theory", Sec. 6.5; exact for M/M/c and for M/G/1's mean). Utilisation >= 1 gives inf.
"""

from __future__ import annotations

import numpy as np

from costlm.formulas import ArrayLike, FloatArray, arr

POISSON_ARRIVAL_CV2 = 1.0
"""Squared coefficient of variation of Poisson inter-arrival times (exponential: 1)."""


def erlang_b(*, n_servers: ArrayLike, offered_load_erlangs: ArrayLike) -> FloatArray:
    """Blocking probability of M/M/c/c with ``n_servers`` and offered load a = lambda / mu.

    The recursion over k = 1..c runs once for the largest c; each element stops at its own c
    (stable for c in the thousands: every step is a ratio in [0, 1])."""
    c = np.rint(arr(n_servers))
    a = arr(offered_load_erlangs)
    c, a = np.broadcast_arrays(c, a)
    b = np.ones(a.shape)
    for k in range(1, int(c.max(initial=0)) + 1):
        step = a * b / (k + a * b)
        b = np.where(k <= c, step, b)
    return b


def erlang_c(*, n_servers: ArrayLike, offered_load_erlangs: ArrayLike) -> FloatArray:
    """Probability that an arrival waits in M/M/c: C = c B / (c - a (1 - B)); 1 when a >= c."""
    c = arr(n_servers)
    a = arr(offered_load_erlangs)
    b = erlang_b(n_servers=c, offered_load_erlangs=a)
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = c * b / (c - a * (1.0 - b))
    return np.where(a < c, np.clip(waiting, 0.0, 1.0), 1.0)


def mmc_wait_tail(
    *,
    wait_probability: ArrayLike,
    n_servers: ArrayLike,
    service_rate_per_s: ArrayLike,
    arrival_rate_per_s: ArrayLike,
    wait_s: ArrayLike,
) -> FloatArray:
    """P(W > t) in M/M/c: C exp(-(c mu - lambda) t); 1 for an unstable queue (lambda >= c mu)."""
    drain = arr(n_servers) * arr(service_rate_per_s) - arr(arrival_rate_per_s)
    with np.errstate(over="ignore", invalid="ignore"):
        tail = arr(wait_probability) * np.exp(-drain * arr(wait_s))
    return np.where(drain > 0.0, tail, 1.0)


def mmc_mean_wait_s(
    *,
    wait_probability: ArrayLike,
    n_servers: ArrayLike,
    service_rate_per_s: ArrayLike,
    arrival_rate_per_s: ArrayLike,
) -> FloatArray:
    """Mean wait in M/M/c: C / (c mu - lambda); inf when unstable."""
    drain = arr(n_servers) * arr(service_rate_per_s) - arr(arrival_rate_per_s)
    with np.errstate(divide="ignore"):
        return np.where(drain > 0.0, arr(wait_probability) / np.where(drain > 0.0, drain, 1.0), np.inf)


def mg1_mean_wait_s(
    *, arrival_rate_per_s: ArrayLike, mean_service_s: ArrayLike, service_cv2: ArrayLike
) -> FloatArray:
    """Pollaczek-Khinchine: W = rho E[S] (1 + cs^2) / (2 (1 - rho)); M/D/1 is cs^2 = 0, M/M/1 cs^2 = 1."""
    rho = arr(arrival_rate_per_s) * arr(mean_service_s)
    stable = rho < 1.0
    wait = rho * arr(mean_service_s) * (1.0 + arr(service_cv2)) / (2.0 * np.where(stable, 1.0 - rho, 1.0))
    return np.where(stable, wait, np.inf)


def allen_cunneen_factor(
    *, service_cv2: ArrayLike, arrival_cv2: ArrayLike = POISSON_ARRIVAL_CV2
) -> FloatArray:
    """Allen-Cunneen scaling of the M/M/c wait to G/G/c: (ca^2 + cs^2) / 2 (1 for M/M/c)."""
    return (arr(arrival_cv2) + arr(service_cv2)) / 2.0


def mgc_wait_quantile_s(
    *,
    quantile: float,
    n_servers: ArrayLike,
    mean_service_s: ArrayLike,
    arrival_rate_per_s: ArrayLike,
    service_cv2: ArrayLike,
    wait_probability: ArrayLike,
) -> FloatArray:
    """The ``quantile`` of the wait in M/G/c: the M/M/c tail, its time scale stretched by the
    Allen-Cunneen factor, so P(W > t) = C exp(-(c mu - lambda) t / f); 0 when C <= 1 - q; inf when
    unstable. With cs^2 = 1 it is M/M/c's exact quantile."""
    mu = 1.0 / arr(mean_service_s)
    drain = arr(n_servers) * mu - arr(arrival_rate_per_s)
    stable = drain > 0.0
    factor = allen_cunneen_factor(service_cv2=service_cv2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = arr(wait_probability) / (1.0 - quantile)
        wait = np.log(np.maximum(ratio, 1.0)) * factor / np.where(stable, drain, 1.0)
    return np.where(stable, wait, np.inf)


def poisson_quantile(*, quantile_z: float, mean: ArrayLike) -> FloatArray:
    """A Poisson quantile from the standard-normal one z: ceil(m + z sqrt(m) + (z^2 - 1) / 6), the
    Cornish-Fisher expansion to the skewness term (Johnson, Kemp & Kotz, "Univariate Discrete
    Distributions", 3rd ed., Sec. 4.5); at least 0."""
    m = np.maximum(arr(mean), 0.0)
    return np.maximum(np.ceil(m + quantile_z * np.sqrt(m) + (quantile_z**2 - 1.0) / 6.0), 0.0)
