"""costlm plan serve: monotone fleets, targets met in the chosen row, infeasible and bad input."""

from __future__ import annotations

import json

import pytest

from conftest import CliRun
from costlm import api
from costlm.errors import ConfigError, InputError

FAST = {"model": "llama-3-8b", "gpus": "h100-sxm,l40s", "samples": 200, "seed": 0}


def _plan(**fields: object) -> api.PlanServeResult:
    return api.plan_serving(api.make_plan_serve_request(**{**FAST, **fields}))  # type: ignore[arg-type]


def test_raising_traffic_never_lowers_the_fleet() -> None:
    one = {"gpus": "h100-sxm", "engines": "vllm", "dtypes": "bf16", "kv_dtypes": "bf16"}
    previous_replicas, previous_cost = 0, 0.0
    for tokens in (1e7, 1e8, 3e8, 1e9, 3e9):
        r = _plan(tokens_per_day=tokens, **one)
        assert r.chosen.replicas >= previous_replicas
        previous_replicas = r.chosen.replicas
    for tokens in (1e7, 1e8, 1e9, 3e9):  # the whole search: the cheapest cost never falls
        cost = _plan(tokens_per_day=tokens).chosen.usd_per_month.p50
        assert cost >= previous_cost
        previous_cost = cost


def test_chosen_row_meets_the_targets_at_p90_of_the_draws() -> None:
    r = _plan(requests_per_s=10, p90_ttft_ms=400, p99_tpot_ms=30)
    assert r.latency_model == "mgc_allen_cunneen"
    assert r.chosen.p90_ttft_ms.p90 <= 400
    assert r.chosen.p99_tpot_ms.p90 <= 30
    assert r.chosen.utilisation.p90 < 1.0
    assert r.chosen.n_gpus == r.chosen.replicas * r.chosen.tensor_parallel
    costs = [row.usd_per_month.p50 for row in (r.chosen, *r.runners_up)]
    assert costs == sorted(costs)
    # tighter targets never make the fleet cheaper
    tight = _plan(requests_per_s=10, p90_ttft_ms=400, p99_tpot_ms=15)
    assert tight.chosen.usd_per_month.p50 >= r.chosen.usd_per_month.p50


def test_requests_per_s_and_tokens_per_day_are_the_same_traffic() -> None:
    a = _plan(requests_per_s=5)
    b = _plan(tokens_per_day=5 * 300 * 86_400)
    assert a.chosen.replicas == b.chosen.replicas
    assert a.tokens_per_day == pytest.approx(b.tokens_per_day)


def test_infeasible_target_names_the_constraint_and_the_best_value() -> None:
    with pytest.raises(ConfigError) as info:
        _plan(tokens_per_day=1e8, p99_tpot_ms=0.5)
    assert info.value.key == "plan_serve_infeasible"
    assert info.value.values["target"] == "p99 TPOT"
    assert float(info.value.values["best"]) > 0.5
    assert "p99 TPOT target 0.5 ms: the fastest configuration reaches" in str(info.value)


def test_memory_exclusions_are_counted() -> None:
    r = api.plan_serving(
        api.make_plan_serve_request(model="llama-3-70b", gpus="h100-sxm", tokens_per_day=1e8, samples=200)
    )
    assert r.excluded["memory"] > 0  # TP 1 cannot hold 70B in bf16
    assert r.chosen.tensor_parallel >= 1


def test_bad_input_is_one_line_exit_2(cli: CliRun) -> None:
    code, out, err = cli(["plan", "serve", "llama-3-8b", "--tokens-per-day", "1e8", "--requests-per-s", "3"])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "not both" in err
    code, _, err = cli(
        [
            "plan",
            "serve",
            "llama-3-8b",
            "--tokens-per-day",
            "1e8",
            "--gpus",
            "h100-sxm",
            "--p99-tpot-ms",
            "0.5",
            "--samples",
            "100",
        ]
    )
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "p99 TPOT target 0.5 ms" in err and "h100-sxm" in err
    code, _, err = cli(["plan", "serve", "llama-3-8b", "--requests-per-s", "3", "--dtypes", "fp4"])
    assert code == 2 and "fp4" in err
    code, _, err = cli(["plan", "serve", "llama-3-8b", "--requests-per-s", "3", "--output-cv", "-1"])
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_json_is_the_api_document_and_spanish_renders(cli: CliRun) -> None:
    args = ["plan", "serve", "llama-3-8b", "--requests-per-s", "5", "--gpus", "h100-sxm", "--samples", "200"]
    code, out, _ = cli([*args, "--json"])
    assert code == 0
    doc = json.loads(out)
    direct = api.plan_serving(
        api.make_plan_serve_request(model="llama-3-8b", requests_per_s=5, gpus="h100-sxm", samples=200)
    )
    assert doc == direct.model_dump(mode="json")
    code, out, _ = cli([*args, "--lang", "es"])
    assert code == 0 and "Flota más barata" in out


def test_bad_requests_raise_input_errors() -> None:
    with pytest.raises(InputError):
        api.make_plan_serve_request(model="llama-3-8b")
    with pytest.raises(InputError):
        api.make_plan_serve_request(model="llama-3-8b", requests_per_s=1, engines="")
