"""The MFU prior that knows scale: the fit on the bundled runs, the stored [mfu_model], the runtime rule."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from costlm import api
from costlm.analyses import mfu_fit
from costlm.catalog.schema import Catalog
from costlm.errors import CatalogError
from costlm.resolve.inputs import InputRecord
from costlm.resolve.requests import TrainingRequest
from costlm.resolve.training import TrainingSpec, training_spec
from costlm.uncertainty.regression import t_quantile_95

ROOT = Path(__file__).parents[1]
FULL = "+ log10 params + log10 GPUs + MoE + fp8"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return api.load_catalog()


@pytest.fixture(scope="module")
def runs(cat: Catalog) -> list[mfu_fit.FitRun]:
    return mfu_fit.fit_runs(cat)


def _with_model(cat: Catalog, runs: list[mfu_fit.FitRun], name: str) -> Catalog:
    """The bundled catalog with ``[mfu_model]`` replaced by candidate ``name`` fitted on the runs."""
    fitted = mfu_fit.as_model(mfu_fit.fit(runs, mfu_fit.CANDIDATES[name]), runs, "test")
    return cat.model_copy(update={"mfu_model": fitted})


def _spec(cat: Catalog, **kw: object) -> TrainingSpec:
    return training_spec(TrainingRequest(**kw), cat)  # type: ignore[arg-type]


def _prior(spec: TrainingSpec) -> InputRecord:
    return next(r for r in spec.inputs.records if r.name == "mfu")


def _bounds(record: InputRecord) -> tuple[float, float]:
    return record.low, record.high


def _codes(spec: TrainingSpec) -> dict[str, dict[str, str]]:
    return {code: params for code, _, params in spec.warnings}


@pytest.mark.parametrize(("dof", "exact"), [(3, 2.353363), (10, 1.812461), (17, 1.739607), (30, 1.697261)])
def test_t_quantile_matches_the_table(dof: int, exact: float) -> None:
    """Student's t 0.95 quantiles (any statistics table, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2)."""
    assert t_quantile_95(dof) == pytest.approx(exact, rel=5e-4)


def test_fit_data_are_the_23_back_tested_runs_with_the_moe_and_fp8_flags(runs: list[mfu_fit.FitRun]) -> None:
    assert len(runs) == 23
    assert {"llama-3.2-1b-card", "llama-3.2-3b-card"}.isdisjoint(r.run for r in runs)  # no token count
    assert {r.run for r in runs if r.cov.moe} == {
        "gpt-4-semianalysis",
        "deepseek-v3-full",
        "deepseek-v3-pretrain",
    }
    assert {r.run for r in runs if r.cov.fp8} == {"deepseek-v3-full", "deepseek-v3-pretrain"}
    deepseek = next(r for r in runs if r.run == "deepseek-v3-pretrain")
    # bf16-equivalent: 34.6% of the H800 bf16 peak (training_runs_notes.md, implied MFU table)
    assert 10**deepseek.log10_mfu_bf16 == pytest.approx(0.346, abs=0.001)


def test_fit_is_deterministic(runs: list[mfu_fit.FitRun]) -> None:
    assert mfu_fit.score_candidates(runs) == mfu_fit.score_candidates(runs)
    assert mfu_fit.fit(runs, ("n_gpus",)) == mfu_fit.fit(runs, ("n_gpus",))


def test_leave_one_model_out_chooses_the_gpu_count_term(runs: list[mfu_fit.FitRun]) -> None:
    """Golden LOO scores (benchmarks/calibrate_mfu.py, 23 runs): only log10 GPUs improves out of sample."""
    scores = {s.name: s for s in mfu_fit.score_candidates(runs)}
    assert mfu_fit.choose(list(scores.values())).name == "+ log10 GPUs"
    assert scores["+ log10 GPUs"].loo[0] == pytest.approx(0.0774, abs=5e-4)
    assert scores["+ log10 GPUs"].loo[1] == pytest.approx(21 / 23)
    assert scores["centre only"].loo[0] == pytest.approx(0.0881, abs=5e-4)
    assert all(s.loo[0] > scores["+ log10 GPUs"].loo[0] for n, s in scores.items() if n != "+ log10 GPUs")


def test_stored_mfu_model_is_the_refit(cat: Catalog, runs: list[mfu_fit.FitRun]) -> None:
    chosen = mfu_fit.choose(mfu_fit.score_candidates(runs))
    refit = mfu_fit.as_model(mfu_fit.fit(runs, chosen.terms), runs, "test")
    assert cat.mfu_model is not None
    assert mfu_fit.same_fit(cat.mfu_model, refit)
    assert cat.mfu_model.centre_mfu.value == pytest.approx(0.3267, rel=1e-3)
    assert cat.mfu_model.factor_per_decade_n_gpus is not None
    assert cat.mfu_model.factor_per_decade_n_gpus.value == pytest.approx(0.8904, rel=1e-3)


def test_same_fit_notices_a_drift(cat: Catalog, runs: list[mfu_fit.FitRun]) -> None:
    assert cat.mfu_model is not None
    refit = mfu_fit.as_model(mfu_fit.fit(runs, ("n_gpus",)), runs, "test")
    drifted = refit.model_copy(update={"centre_mfu": refit.centre_mfu.model_copy(update={"value": 0.32})})
    assert mfu_fit.same_fit(cat.mfu_model, refit)
    assert not mfu_fit.same_fit(cat.mfu_model, drifted)
    assert not mfu_fit.same_fit(cat.mfu_model, mfu_fit.as_model(mfu_fit.fit(runs, ()), runs, "t"))


def test_mfu_falls_with_cluster_size_in_the_data(runs: list[mfu_fit.FitRun]) -> None:
    """The sign the data give: x0.89 MFU per 10x GPUs (the term LOO keeps)."""
    model = mfu_fit.as_model(mfu_fit.fit(runs, ("n_gpus",)), runs, "test")
    assert model.factor_per_decade_n_gpus is not None
    assert model.factor_per_decade_n_gpus.central == pytest.approx(0.890, abs=0.005)


def test_bundled_prior_is_the_centre_and_fp8_is_halved_by_the_peak_ratio(cat: Catalog) -> None:
    bf16 = _prior(_spec(cat, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=512))
    fp8 = _prior(_spec(cat, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=512, dtype="fp8"))
    assert bf16.source == "costlm-mfu-fit" and bf16.basis == "estimate"
    assert bf16.point == pytest.approx(math.sqrt(bf16.low * bf16.high), rel=1e-9)
    # the centre at the 2048-GPU reference, x0.8904 per 10x GPUs: 512 GPUs is 0.602 decades below
    assert bf16.point == pytest.approx(0.3267 * 0.8904 ** math.log10(512 / 2048), rel=1e-6)
    assert bf16.high / bf16.low == pytest.approx(1.797**2, rel=1e-6)
    h100 = cat.accelerators["h100-sxm"]
    ratio = h100.dense_peak_flop_per_s("bf16") / h100.dense_peak_flop_per_s("fp8")  # type: ignore[operator]
    assert fp8.low == pytest.approx(bf16.low * ratio, rel=1e-9)
    assert ratio == pytest.approx(0.5, abs=0.01)


def test_generation_without_fit_runs_keeps_its_per_generation_prior(cat: Catalog) -> None:
    prior = _prior(_spec(cat, params=7e9, tokens=2e12, gpu="b200", n_gpus=512))
    assert prior.source == "costlm-assumption" and _bounds(prior) == (0.2, 0.5)


def test_scale_aware_model_gives_7b_on_512_and_405b_on_16k_different_priors(
    cat: Catalog, runs: list[mfu_fit.FitRun]
) -> None:
    scaled = _with_model(cat, runs, FULL)
    small = _prior(_spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=512))
    large = _prior(_spec(scaled, params=405e9, tokens=15.6e12, gpu="h100-sxm", n_gpus=16384))
    assert _bounds(small) != _bounds(large)
    model = scaled.mfu_model
    assert model is not None
    assert model.factor_per_decade_n_gpus is not None and model.factor_per_decade_active_params is not None
    # fitted: x1.06 per 10x active params, x0.84 per 10x GPUs (both requests inside the fit range)
    per_params, per_gpus = (
        model.factor_per_decade_active_params.central,
        model.factor_per_decade_n_gpus.central,
    )
    assert (per_params, per_gpus) == (pytest.approx(1.0555, abs=1e-3), pytest.approx(0.8375, abs=1e-3))
    expected = per_params ** math.log10(405 / 7) * per_gpus ** math.log10(16384 / 512)
    assert large.point / small.point == pytest.approx(expected, rel=1e-9)


def test_outside_the_fit_range_is_clamped_with_a_caveat(cat: Catalog, runs: list[mfu_fit.FitRun]) -> None:
    scaled = _with_model(cat, runs, "+ log10 GPUs")
    one = _spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=1)
    edge = _spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=8)
    huge = _spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=100_000)
    assert _codes(one)["mfu_extrapolated"] == {"names": "n_gpus"}
    assert _codes(huge)["mfu_extrapolated"] == {"names": "n_gpus"}
    assert "mfu_extrapolated" not in _codes(edge)
    assert _bounds(_prior(one)) == _bounds(_prior(edge))
    assert _prior(huge).point < _prior(edge).point


def test_solving_for_gpus_evaluates_at_the_median_cluster(cat: Catalog, runs: list[mfu_fit.FitRun]) -> None:
    scaled = _with_model(cat, runs, "+ log10 GPUs")
    solved = _spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", days=30)
    median = _spec(scaled, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=2048)
    assert _codes(solved)["mfu_covariate_assumed"] == {"names": "n_gpus"}
    assert _bounds(_prior(solved)) == pytest.approx(_bounds(_prior(median)))
    assert "mfu_assumed" in _codes(solved)


def test_catalog_moe_model_is_recognised(cat: Catalog, runs: list[mfu_fit.FitRun]) -> None:
    scaled = _with_model(cat, runs, "+ log10 GPUs + MoE")
    moe = _prior(_spec(scaled, model="deepseek-v3", gpu="h800", dtype="bf16", n_gpus=2048))
    dense = _prior(_spec(scaled, params=37e9, tokens=14.8e12, gpu="h800", dtype="bf16", n_gpus=2048))
    assert scaled.mfu_model is not None and scaled.mfu_model.factor_moe is not None
    assert moe.point / dense.point == pytest.approx(scaled.mfu_model.factor_moe.central, rel=1e-9)


def test_readme_shows_the_back_test_summary_as_the_benchmark_prints_it() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "backtest_training.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    summary = [line for line in out.splitlines() if "median |log10(pred/reported)|" in line]
    assert len(summary) == 4
    for line in summary:
        assert line in readme


def test_an_overlay_replaces_the_mfu_model_and_a_bad_one_names_the_table(tmp_path: Path) -> None:
    loc = 'source = "costlm-mfu-fit", locator = "my fit"'
    overlay = tmp_path / "mine.toml"
    overlay.write_text(
        "[mfu_model]\n"
        'generations = ["hopper"]\ndtypes = ["bf16"]\nn_runs = 5\n'
        f"centre_mfu = {{ value = 0.4, {loc} }}\ninterval_factor = {{ value = 1.5, {loc} }}\n"
        f"active_params = {{ value = 1e10, low = 1e9, high = 1e11, {loc} }}\n"
        f"n_gpus = {{ value = 1000, low = 8, high = 10000, {loc} }}\n"
        f"factor_per_decade_n_gpus = {{ value = 0.8, {loc} }}\n",
        encoding="utf-8",
    )
    mine = api.load_catalog((str(overlay),))
    prior = _prior(_spec(mine, params=7e9, tokens=2e12, gpu="h100-sxm", n_gpus=10_000))
    assert prior.point == pytest.approx(0.4 * 0.8, rel=1e-9)
    assert (prior.low, prior.high) == (pytest.approx(0.32 / 1.5), pytest.approx(0.32 * 1.5))
    ampere = _prior(_spec(mine, params=7e9, tokens=2e12, gpu="a100-80gb", n_gpus=512))
    assert ampere.source == "epoch-ml-systems"  # not in this fit: the per-generation prior
    bad = tmp_path / "bad.toml"
    bad.write_text(
        overlay.read_text(encoding="utf-8").replace("value = 1.5", "value = 0.5"), encoding="utf-8"
    )
    with pytest.raises(CatalogError, match=r"bad.toml: \[mfu_model\]: .*interval_factor 0.5 is below 1"):
        api.load_catalog((str(bad),))
