"""Serving engines: the catalog's engine codes, the per-engine efficiency fit and its stored
[[serving_engine]] entries, leave-one-out, the --engine option and the per-step overhead."""

from __future__ import annotations

import dataclasses
import json
import statistics

import numpy as np
import pytest

from conftest import CliRun
from costlm import api
from costlm.analyses import engine_fit
from costlm.catalog.schema import Catalog
from costlm.errors import InputError
from costlm.pipelines.serving import step_times
from costlm.resolve.requests import ServeRequest


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return api.load_catalog()


@pytest.fixture(scope="module")
def runs(cat: Catalog) -> list[engine_fit.FitRun]:
    return engine_fit.fit_runs(cat)[0]


def test_runs_carry_engine_codes_and_sourced_versions(cat: Catalog) -> None:
    engines = {r.id: r.engine for r in cat.inference_runs.values()}
    assert engines["mlperf41-llama2-70b-h100x8-offline"] == "trt-llm"
    assert engines["mlenergy-v3-llama31-8b-h100-b8"] == "vllm"
    assert engines["nemo-llama2-7b-h100-b1"] == "other"  # the NeMo table does not name its backend
    v2 = cat.inference_runs["mlenergy-v2-llama31-8b-a100-40gb-b32"]
    assert v2.engine_version is not None and v2.engine_version.id == "0.5.4"
    assert v2.engine_version.source == "ml-energy-leaderboard-v2"
    assert cat.inference_runs["deepseek-v2-h800x8-serving"].output_tokens_per_s_bound == "at_least"


def test_fit_data_leaves_out_lower_bounds(cat: Catalog, runs: list[engine_fit.FitRun]) -> None:
    ids = {r.id for r in runs}
    assert "deepseek-v2-h800x8-serving" not in ids  # '>50K tokens/s' is a bound, not a point
    assert len(runs) == 40
    assert {r.engine for r in runs} == {"vllm", "sglang", "trt-llm", "other"}


def test_stored_engines_equal_the_refit(cat: Catalog, runs: list[engine_fit.FitRun]) -> None:
    fitted = engine_fit.as_engines(engine_fit.fit_all(runs), cat, "test")
    assert engine_fit.same_fit(cat.serving_engines, fitted)
    assert set(cat.serving_engines) == {"vllm", "sglang", "trt-llm", "tgi", "generic"}


def test_engine_without_runs_takes_the_generic_ranges(cat: Catalog) -> None:
    generic = cat.serving_engines["generic"]
    for engine in ("tgi",):
        e = cat.serving_engines[engine]
        assert e.n_runs == 0
        assert e.decode_bandwidth_efficiency.bounds == generic.decode_bandwidth_efficiency.bounds


def test_generic_interval_spans_the_engines(cat: Catalog) -> None:
    """The generic prior pools every stack: each fitted engine's median lies inside its 90% range."""
    generic = cat.serving_engines["generic"]
    for engine in ("vllm", "sglang", "trt-llm"):
        for name in engine_fit.EFFICIENCIES.values():
            low, high = getattr(generic, name).bounds
            assert low <= getattr(cat.serving_engines[engine], name).central <= high, (engine, name)


def test_engine_centre_is_the_median_implied_scale_of_its_runs(
    cat: Catalog, runs: list[engine_fit.FitRun]
) -> None:
    """The stored median = the reference x 10 ** the median implied log10 scale of the engine's runs
    (the estimator and overhead the leave-one-out choice picked)."""
    overhead, centre = engine_fit.choose(runs)
    assert centre == "median"
    stored_overhead = cat.serving_engines["vllm"].step_overhead_s
    assert (stored_overhead.central if stored_overhead else 0.0) == pytest.approx(overhead)
    for engine in ("vllm", "sglang", "trt-llm"):
        own = [engine_fit.implied_log10_scale(r, overhead) for r in runs if r.engine == engine]
        expected = cat.defaults.decode_bandwidth_efficiency.central * 10 ** statistics.median(own)
        stored = cat.serving_engines[engine].decode_bandwidth_efficiency.central
        assert stored == pytest.approx(expected, rel=2e-3)


def test_loo_prediction_ignores_the_runs_own_measurement(cat: Catalog) -> None:
    """Doubling a run's measured TPOT leaves its leave-one-out prediction unchanged (and moves the
    in-sample fit): its own row never informs its prediction."""
    rid = "mlenergy-v3-llama31-70b-h100x4-b64"
    run = cat.inference_runs[rid]
    assert run.tpot_s is not None and run.output_tokens_per_s is not None
    changed_run = run.model_copy(
        update={
            "tpot_s": run.tpot_s.model_copy(update={"value": run.tpot_s.central * 2}),
            "output_tokens_per_s": run.output_tokens_per_s.model_copy(
                update={"value": run.output_tokens_per_s.central / 2}
            ),
        }
    )
    changed = cat.model_copy(update={"inference_runs": {**cat.inference_runs, rid: changed_run}})
    kw = {"samples": 500, "seed": 0, "per_engine": True}
    before = {(r.run, r.metric): r.p50 for r in engine_fit.loo_backtest(cat, **kw)[0]}  # type: ignore[arg-type]
    after = {(r.run, r.metric): r.p50 for r in engine_fit.loo_backtest(changed, **kw)[0]}  # type: ignore[arg-type]
    assert after[(rid, "latency")] == pytest.approx(before[(rid, "latency")], rel=1e-12)
    other = ("mlenergy-v3-llama31-8b-h100-b64", "latency")
    assert after[other] != pytest.approx(before[other], rel=1e-3)  # the other vLLM runs now see it


def test_backtest_throughput_meets_the_goal_leave_one_out(cat: Catalog) -> None:
    """Per-engine priors, leave-one-out: throughput per GPU median |log10 error| <= 0.10 (0.067 now)."""
    rows, _ = engine_fit.loo_backtest(cat, samples=2000, seed=0, per_engine=True)
    errors = [abs(r.log10_error) for r in rows if r.metric == "throughput"]
    assert len(errors) == 29  # 27 + the two ML.ENERGY batch sizes of issue 11
    assert float(np.median(errors)) <= 0.10


def test_overhead_adds_to_every_decode_step(runs: list[engine_fit.FitRun]) -> None:
    d = runs[0].draws
    base = step_times(d)
    slower = step_times(dataclasses.replace(d, step_overhead_s=np.full(d.bandwidth_efficiency.shape, 2e-3)))
    assert slower.decode_step_s - base.decode_step_s == pytest.approx(np.full(base.decode_step_s.shape, 2e-3))


def test_engine_request_field_and_bad_engine() -> None:
    assert ServeRequest(model="llama-3.1-8b").engine == "generic"
    assert ServeRequest(model="llama-3.1-8b", engine=" VLLM ").engine == "vllm"  # type: ignore[arg-type]
    with pytest.raises(InputError) as err:
        api.make_serve_request(model="llama-3.1-8b", engine="deepspeed-mii")
    assert err.value.key == "bad_engine"
    assert str(err.value) == (
        "engine: 'deepspeed-mii' is not a calibrated engine; "
        "choose one of vllm, sglang, trt-llm, tgi, generic"
    )


def test_engine_draws_its_efficiencies(cat: Catalog) -> None:
    results = {
        e: api.estimate_serving(api.make_serve_request(model="llama-3.1-8b", batch=8, engine=e, samples=4000))
        for e in ("vllm", "trt-llm", "generic")
    }
    for e, r in results.items():
        assert r.engine == e
        record = next(i for i in r.inputs if i.name == "bandwidth_efficiency")
        assert record.point == pytest.approx(cat.serving_engines[e].decode_bandwidth_efficiency.central)
        assert record.source == "costlm-serving-fit"
    assert (results["vllm"].engine_runs, results["trt-llm"].engine_runs) == (16, 14)
    generic_width = results["generic"].tpot_s.p95 / results["generic"].tpot_s.p05
    assert generic_width > 1.5  # spans the stacks


def test_cli_shows_the_engine(cli: CliRun) -> None:
    code, out, _ = cli(["serve", "llama-3.1-8b", "--engine", "tgi", "--samples", "2000"])
    assert code == 0
    assert "Engine tgi: no measured run in the catalog" in " ".join(out.split())
    code, out, _ = cli(["serve", "llama-3.1-8b", "--engine", "trt-llm", "--samples", "2000", "--json"])
    assert code == 0
    assert (json.loads(out)["engine"], json.loads(out)["engine_runs"]) == ("trt-llm", 14)
    code, _, err = cli(["serve", "llama-3.1-8b", "--engine", "foo"])
    assert code == 2 and "not a calibrated engine" in err
