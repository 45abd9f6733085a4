"""Queueing closed forms (hand-computed goldens) and the latency pipeline against them."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from costlm import api
from costlm.formulas import queueing
from costlm.pipelines.latency import LengthSpread, erlang_c_interpolated, request_latency
from costlm.resolve.serving import serve_draws, serve_spec

TOL = 1e-9


def test_erlang_c_two_servers_one_erlang_is_one_third() -> None:
    # C(2, 1): B(2, 1) = (1/2) / (1 + 1 + 1/2) = 1/5; C = 2 B / (2 - 1 (1 - B)) = 0.4 / 1.2 = 1/3
    assert float(queueing.erlang_c(n_servers=2, offered_load_erlangs=1.0)) == pytest.approx(1 / 3, abs=TOL)


def test_erlang_c_one_server_is_utilisation_and_vectorised() -> None:
    rho = np.array([0.1, 0.5, 0.9])
    assert np.allclose(queueing.erlang_c(n_servers=1, offered_load_erlangs=rho), rho)
    mixed = queueing.erlang_c(n_servers=np.array([1.0, 2.0]), offered_load_erlangs=np.array([0.5, 1.0]))
    assert np.allclose(mixed, [0.5, 1 / 3])


def test_erlang_c_stable_at_a_thousand_servers() -> None:
    c = queueing.erlang_c(n_servers=1000, offered_load_erlangs=np.array([900.0, 990.0, 1000.0, 1200.0]))
    assert np.all(np.isfinite(c))
    assert 0.0 < c[0] < c[1] < 1.0  # rises with the load
    assert c[2] == 1.0 and c[3] == 1.0  # a >= c: every arrival waits


def test_mm1_mean_wait_at_half_load_is_one_service_time() -> None:
    # M/M/1, rho = 0.5: Wq = rho / (mu - lambda) = 0.5 / (1 - 0.5) = 1 = 1 / mu
    assert float(queueing.mg1_mean_wait_s(arrival_rate_per_s=0.5, mean_service_s=1.0, service_cv2=1.0)) == 1.0
    c = queueing.erlang_c(n_servers=1, offered_load_erlangs=0.5)
    wait = queueing.mmc_mean_wait_s(
        wait_probability=c, n_servers=1, service_rate_per_s=1.0, arrival_rate_per_s=0.5
    )
    assert float(wait) == pytest.approx(1.0, abs=TOL)


def test_md1_mean_wait_is_half_of_mm1() -> None:
    # P-K with cs^2 = 0: W = rho E[S] / (2 (1 - rho)) = 0.8 * 2 / (2 * 0.2) = 4 s
    w = queueing.mg1_mean_wait_s(arrival_rate_per_s=0.4, mean_service_s=2.0, service_cv2=0.0)
    assert float(w) == pytest.approx(4.0, abs=TOL)


def test_mmc_tail_and_quantile_agree() -> None:
    # M/M/2, lambda 1, mu 1: C = 1/3, P(W > t) = C exp(-(2 - 1) t); the 0.9 quantile: ln(C / 0.1)
    c = 1 / 3
    q = queueing.mgc_wait_quantile_s(
        quantile=0.9,
        n_servers=2,
        mean_service_s=1.0,
        arrival_rate_per_s=1.0,
        service_cv2=1.0,
        wait_probability=c,
    )
    assert float(q) == pytest.approx(math.log(c / 0.1), abs=TOL)
    tail = queueing.mmc_wait_tail(
        wait_probability=c, n_servers=2, service_rate_per_s=1.0, arrival_rate_per_s=1.0, wait_s=q
    )
    assert float(tail) == pytest.approx(0.1, abs=TOL)
    # below 1 - q waiting, the quantile is 0; unstable, inf
    assert (
        float(
            queueing.mgc_wait_quantile_s(
                quantile=0.9,
                n_servers=2,
                mean_service_s=1.0,
                arrival_rate_per_s=0.1,
                service_cv2=1.0,
                wait_probability=0.05,
            )
        )
        == 0.0
    )
    assert math.isinf(
        float(
            queueing.mgc_wait_quantile_s(
                quantile=0.9,
                n_servers=2,
                mean_service_s=1.0,
                arrival_rate_per_s=2.0,
                service_cv2=1.0,
                wait_probability=1.0,
            )
        )
    )


def test_allen_cunneen_is_exact_for_mg1_mean() -> None:
    # Mean of the M/G/c approximation at c = 1: C = rho, mean wait = rho / (mu - lambda) x (1 + cs^2) / 2
    for cs2 in (0.0, 0.5, 1.0, 3.0):
        rho = 0.7
        approx = rho / (1.0 - rho) * float(queueing.allen_cunneen_factor(service_cv2=cs2))
        exact = float(queueing.mg1_mean_wait_s(arrival_rate_per_s=rho, mean_service_s=1.0, service_cv2=cs2))
        assert approx == pytest.approx(exact, rel=1e-12)


def test_erlang_table_interpolation_matches_the_recursion() -> None:
    rho = np.array([0.3, 0.8, 0.95, 0.99])
    for c in (1, 8, 256, 1024):
        exact = queueing.erlang_c(n_servers=c, offered_load_erlangs=rho * c)
        assert np.allclose(erlang_c_interpolated(n_servers=c, utilisation=rho), exact, atol=1e-3)


def test_poisson_quantile_cornish_fisher() -> None:
    # Poisson(100) 0.99 quantile is 124 (exact); the expansion gives ceil(100 + 23.26 + 0.73) = 124
    assert float(queueing.poisson_quantile(quantile_z=2.326, mean=100.0)) == 124.0


def _llama_draws():
    cat = api.load_catalog()
    spec = serve_spec(api.make_serve_request(model="llama-3-8b", gpu="h100-sxm", samples=0), cat)
    draws, _ = serve_draws(spec, samples=0, seed=0)
    return draws


def test_latency_pipeline_at_one_slot_deterministic_service_is_md1() -> None:
    d = _llama_draws()
    spread = LengthSpread(prompt_cv=0.0, output_cv=0.0)
    lat = request_latency(
        d, arrival_rate_per_s=0.0, batch_cap=1.0, spread=spread, ttft_quantile=0.5, tpot_quantile_z=0.0
    )
    s = float(lat.service_s[0])  # at batch 1 (no load), the service time
    lam = 0.6 / s  # rho = 0.6 at one slot: the running batch is the busy probability (< 1, steps at 1)
    lat = request_latency(
        d, arrival_rate_per_s=lam, batch_cap=1.0, spread=spread, ttft_quantile=0.5, tpot_quantile_z=0.0
    )
    assert float(lat.utilisation[0]) == pytest.approx(0.6, rel=1e-9)
    # the mean wait of the approximation = C / (mu - lambda) x 1/2 = M/D/1's P-K wait
    c = float(lat.wait_probability[0])
    mean_wait = c / (1 / s - lam) * float(queueing.allen_cunneen_factor(service_cv2=0.0))
    md1 = float(queueing.mg1_mean_wait_s(arrival_rate_per_s=lam, mean_service_s=s, service_cv2=0.0))
    assert mean_wait == pytest.approx(md1, rel=1e-3)


def test_latency_pipeline_exponential_service_matches_erlang_c() -> None:
    d = _llama_draws()
    spread = LengthSpread(prompt_cv=1.0, output_cv=1.0)  # cs^2 = 1 when one part dominates: M/M/c
    d = dataclasses.replace(d, prompt_tokens=1.0)  # decode dominates the service time
    cap = 8.0
    probe = request_latency(
        d, arrival_rate_per_s=1.0, batch_cap=cap, spread=spread, ttft_quantile=0.9, tpot_quantile_z=0.0
    )
    lam = float(0.7 * cap / probe.service_s[0])
    lat = request_latency(
        d, arrival_rate_per_s=lam, batch_cap=cap, spread=spread, ttft_quantile=0.9, tpot_quantile_z=0.0
    )
    s = float(lat.service_s[0])
    a = lam * s
    exact_c = float(queueing.erlang_c(n_servers=cap, offered_load_erlangs=a))
    assert float(lat.wait_probability[0]) == pytest.approx(exact_c, abs=1e-3)
    wait_q = max(math.log(exact_c / 0.1), 0.0) / (cap / s - lam)
    steps = float(lat.ttft_s[0]) - wait_q
    assert 0.0 < steps < s  # TTFT = the M/M/c 0.9 wait quantile + a prefill and one step


def test_unstable_queue_never_has_a_finite_latency() -> None:
    d = _llama_draws()
    spread = LengthSpread(prompt_cv=1.0, output_cv=1.0)
    lat = request_latency(
        d, arrival_rate_per_s=1e6, batch_cap=4.0, spread=spread, ttft_quantile=0.9, tpot_quantile_z=2.326
    )
    assert float(lat.utilisation[0]) >= 1.0
    assert math.isinf(float(lat.ttft_s[0])) and math.isinf(float(lat.tpot_s[0]))
