"""``costlm plan train``: a synthetic catalog whose answer is computed by hand, frontier properties,
binding-constraint errors, bad input (one line, exit 2), --json round trip, 80 columns, Spanish."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from conftest import CliRun
from costlm import api
from costlm.analyses.plan_frontier import best_index, binding_limit, pareto_mask, power_of_two_counts
from costlm.analyses.training_memory import check_memory, fit_layout
from costlm.catalog.schema import Catalog
from costlm.errors import ConfigError, InputError
from costlm.resolve.plan_train import PlanTrainFields
from costlm.resolve.training import training_spec

SYNTH = str(Path(__file__).parent / "data" / "synthetic_accelerators.toml")
FLOP = 6 * 1e9 * 1e11
"""6 N D of the synthetic work: 1B parameters on 100B tokens."""
MFU = 0.5
"""The synthetic generation's MFU prior (point value: --samples 0)."""
SECONDS_PER_HOUR = 3600.0
FAST_HOURS = FLOP / (1000e12 * MFU) / SECONDS_PER_HOUR  # 333.3 GPU-h at $4/h
CHEAP_HOURS = FLOP / (250e12 * MFU) / SECONDS_PER_HOUR  # 1,333.3 GPU-h at $0.5/h
REL = 1e-9


def plan(catalog: list[str] | None = None, **fields: Any) -> api.PlanTrainResult:
    return api.plan_training(api.make_plan_train_request(**fields), catalog_files=catalog or [])


def synthetic(gpus: str = "synth-fast,synth-cheap", **fields: Any) -> api.PlanTrainResult:
    base = dict(params="1B", tokens="100B", gpus=gpus, samples=0, price_tier="on-demand", max_gpus=64)
    return plan([SYNTH], **{**base, **fields})


def test_hand_computed_answer_on_a_synthetic_catalog(cat: Catalog) -> None:
    result = synthetic(deadline_days=1)
    chosen = result.chosen
    # cheap needs 1,333 / 24 = 55.6 GPU-days: 64 GPUs is the only count within one day; fast costs 2x
    assert (chosen.accelerator, chosen.n_gpus, chosen.acquisition) == ("synth-cheap", 64, "rent")
    assert chosen.gpu_hours.p50 == pytest.approx(CHEAP_HOURS, rel=REL)
    assert chosen.cost_usd.p90 == pytest.approx(CHEAP_HOURS * 0.5, rel=REL)
    assert chosen.wall_clock_days.p90 == pytest.approx(CHEAP_HOURS / 24 / 64, rel=REL)
    d = cat.defaults
    watts = 300 * d.power_fraction_training_gpu.central * d.server_overhead.central * d.pue.central
    assert chosen.energy_mwh.p50 == pytest.approx(watts * CHEAP_HOURS / 1e6, rel=REL)
    # fast x 64 is faster (0.217 days) and greener (lower TDP-hours) but dearer: the other frontier point
    frontier = {(r.accelerator, r.n_gpus) for r in result.frontier}
    assert frontier == {("synth-cheap", 64), ("synth-fast", 64)}
    assert result.excluded["deadline"] == 6 + 4  # cheap 1-32 GPUs, fast 1-8 GPUs
    assert result.n_evaluated == 2 * 7 and result.n_feasible == 4


def test_a_tighter_deadline_moves_to_the_fast_accelerator() -> None:
    result = synthetic(deadline_days=0.5)
    chosen = result.chosen
    # fast x 32 (333 / 24 / 32 = 0.434 days) and x 64 cost the same: the tie goes to fewer GPUs
    assert (chosen.accelerator, chosen.n_gpus) == ("synth-fast", 32)
    assert {(r.accelerator, r.n_gpus) for r in result.frontier} == {("synth-fast", 64)}
    assert "plan_smallest_cluster" in {c.code for c in result.caveats}
    assert chosen.cost_usd.p50 == pytest.approx(FAST_HOURS * 4, rel=REL)
    assert result.n_feasible == 2 and result.excluded["deadline"] == 7 + 5


def test_objective_time_picks_the_fastest_and_co2_the_greenest() -> None:
    assert (synthetic(objective="time").chosen.accelerator, synthetic(objective="time").chosen.n_gpus) == (
        "synth-fast",
        64,
    )
    greenest = synthetic(objective="co2").chosen  # 1,000 W x 333 h < 300 W x 1,333 h, at any count
    assert (greenest.accelerator, greenest.n_gpus) == ("synth-fast", 1)


def test_deadline_too_short_for_every_accelerator_names_the_fastest_plan() -> None:
    with pytest.raises(ConfigError) as info:
        synthetic(deadline_days=0.1)
    fastest = FAST_HOURS / 24 / 64
    assert info.value.key == "plan_deadline_binds"
    assert str(info.value).startswith(
        "--deadline-days 0.1 days is not met: the fastest plan takes 0.217 days"
    )
    assert "(synth-fast x 64, rent)" in str(info.value) and f"{fastest:.3g}" == "0.217"


def test_budget_below_the_cheapest_plan_names_the_nearest_budget() -> None:
    with pytest.raises(ConfigError) as info:
        synthetic(budget_usd=500)
    assert info.value.key == "plan_budget_binds"
    assert info.value.values["nearest"] == "667"  # 1,333.3 GPU-h x $0.5
    assert info.value.values["gpu"] == "synth-cheap"


def test_constraints_binding_together_name_each() -> None:
    with pytest.raises(ConfigError) as info:
        synthetic(deadline_days=0.1, budget_usd=500)  # no plan meets either, so neither binds alone
    assert info.value.key == "plan_joint_binds"
    assert str(info.value).endswith("--deadline-days 0.217; --budget-usd 667")


def test_the_deadline_binds_among_the_plans_within_budget() -> None:
    with pytest.raises(ConfigError) as info:
        synthetic(deadline_days=0.3, budget_usd=700)  # fast meets the deadline, only cheap the budget
    assert info.value.key == "plan_deadline_binds"
    assert info.value.values["nearest"] == f"{CHEAP_HOURS / 24 / 64:.3g}"  # cheap x 64: 0.868 days
    assert info.value.values["gpu"] == "synth-cheap"


def test_max_gpus_below_the_memory_minimum_names_the_smallest_count(cat: Catalog) -> None:
    request = api.make_training_request(params="1B", tokens="100B", gpu="h100-sxm", n_gpus=1)
    overlay = api.load_catalog([SYNTH])
    spec = training_spec(request.model_copy(update={"gpu": "synth-tiny"}), overlay)
    assert spec.memory is not None
    smallest = check_memory(spec.memory, 1).min_n_gpus
    assert smallest is not None and smallest > 1
    with pytest.raises(ConfigError) as info:
        synthetic(gpus="synth-tiny", max_gpus=1)
    assert info.value.key == "plan_max_gpus_memory"
    assert str(info.value).endswith(f"the smallest count that fits is {smallest} (synth-tiny)")


def _feasible(row: api.PlanRow, deadline: float) -> bool:
    return row.wall_clock_days.p90 <= deadline


REAL = dict(params="7B", tokens="1T", gpus="h100-sxm,a100-80gb,tpu-v5e,mi300x", samples=200, max_gpus=4096)


def test_frontier_is_feasible_and_non_dominated() -> None:
    result = plan(**REAL, deadline_days=20, acquisition="both")
    rows = result.frontier
    chosen = result.chosen
    assert len(rows) >= 2 and _feasible(chosen, 20)
    assert min(r.cost_usd.p50 for r in rows) == chosen.cost_usd.p50  # the cheapest, or its smaller twin
    assert all(_feasible(r, 20) for r in rows)
    points = np.array([[r.cost_usd.p50, r.wall_clock_days.p50, r.co2_t.p50] for r in rows])
    for i, p in enumerate(points):
        others = np.delete(points, i, axis=0)
        assert not np.any(np.all(others <= p, axis=1) & np.any(others < p, axis=1))


def test_tightening_the_deadline_never_lowers_the_cheapest_cost() -> None:
    costs = []
    for deadline in (60, 30, 10, 5, 2, 1):
        try:
            costs.append(plan(**REAL, deadline_days=deadline).chosen.cost_usd.p50)
        except ConfigError:
            costs.append(np.inf)
    assert costs == sorted(costs) and np.isfinite(costs[0]) and costs[0] < costs[-1]


def test_raising_max_gpus_never_raises_the_fastest_time() -> None:
    days = [
        plan(**{**REAL, "max_gpus": n}, objective="time").chosen.wall_clock_days.p50 for n in (8, 64, 512)
    ]
    assert days[0] > days[1] > days[2]


def test_parallelism_rule_bounds_replicas_times_stages() -> None:
    overlay = api.load_catalog([SYNTH])
    request = api.make_training_request(params="1B", tokens="100B", gpu="synth-fast", n_gpus=1)
    spec = training_spec(request, overlay)
    assert spec.memory is not None
    fit = fit_layout(spec.memory, 64, sequences_per_step=16)
    assert fit is not None and fit[0]
    layout = fit[1]
    assert layout.n_data_parallel * layout.n_pipeline_parallel <= 16
    assert layout.n_data_parallel * layout.n_tensor_parallel * layout.n_pipeline_parallel == 64
    assert fit_layout(spec.memory, 1024, sequences_per_step=16) is None  # 16 x 8 tensor < 1024
    result = synthetic(global_batch=16)
    assert max(r.n_gpus for r in result.frontier) == 64 and result.work.global_batch_sequences == 16
    assert synthetic(global_batch=1, max_gpus=16).excluded["parallelism"] == 2 * 1  # 16 > 1 x 8 tensor


def test_finetune_uses_the_sourced_default_batch(cat: Catalog) -> None:
    result = plan(
        base="qwen2.5-7b", examples="1k", tokens_per_example="4k", epochs=3, gpus="h100-sxm", samples=200
    )
    assert result.work.kind == "finetune" and result.work.seq_len == 4000
    assert result.work.global_batch_sequences == cat.defaults.global_batch_sequences_finetune.central == 16
    layout = result.chosen.layout
    assert layout is not None and layout.n_data_parallel * layout.n_pipeline_parallel <= 16
    assert result.chosen.gpu_hours.p50 == pytest.approx(
        api.estimate_training(
            api.make_training_request(
                model="qwen2.5-7b",
                kind="finetune",
                examples="1k",
                tokens_per_example="4k",
                epochs=3,
                gpu="h100-sxm",
                n_gpus=result.chosen.n_gpus,
                samples=200,
            )
        ).gpu_hours.p50,
        rel=1e-6,
    )


def test_pretrain_batch_is_4m_tokens_over_the_sequence(cat: Catalog) -> None:
    result = synthetic(seq_len=2048)
    assert result.work.global_batch_sequences == 4_000_000 // 2048


@pytest.mark.parametrize(
    ("fields", "start"),
    [
        (dict(), "give a catalog MODEL, --params and --tokens, or a fine-tune"),
        (dict(model="llama-2-7b", base="qwen2.5-7b"), "give a catalog MODEL or --base MODEL"),
        (
            dict(base="qwen2.5-7b", examples=10),
            "a fine-tune takes --examples, --tokens-per-example and --epochs",
        ),
        (dict(params="7B"), "--params needs --tokens"),
        (dict(params="7B", tokens="2T", dtypes="fp7"), "dtypes: 'fp7' is not a training precision"),
        (dict(params="7B", tokens="2T", deadline_days=-1), "deadline_days: "),
        (dict(params="7B", tokens="2T", budget_usd="nan"), "budget_usd: "),
        (dict(params="7B", tokens="2T", max_gpus=0), "max_gpus: must be at least 1"),
        (
            dict(params="7B", tokens="2T", objective="speed"),
            "objective: 'speed' is not one of cost, time, co2",
        ),
        (dict(params="7B", tokens="2T", method="full", lora_rank=8), "--lora-rank needs --method lora"),
    ],
)
def test_bad_requests_raise_one_line(fields: dict[str, Any], start: str) -> None:
    with pytest.raises(InputError) as info:
        api.make_plan_train_request(**fields)
    assert str(info.value).startswith(start) and "\n" not in str(info.value)


def test_unknown_accelerator_suggests_close_ids() -> None:
    with pytest.raises(InputError, match=r"unknown accelerator 'h10'; did you mean"):
        plan(params="7B", tokens="2T", gpus="h10")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--params", "7B", "--tokens", "2T", "--rent", "--buy"], "give one of --rent, --buy, --both"),
        (["--params", "7B", "--tokens", "2T", "--gpus", "h10"], "did you mean"),
        (["--params", "7B", "--tokens", "2T", "--deadline-days", "-3"], "--deadline-days"),
        (
            [
                "--params",
                "1B",
                "--tokens",
                "100B",
                "--gpus",
                "synth-fast",
                "--catalog",
                SYNTH,
                "--samples",
                "0",
                "--deadline-days",
                "0.01",
                "--max-gpus",
                "64",
            ],
            "--deadline-days 0.01 days is not met",
        ),
        (
            [
                "--params",
                "1B",
                "--tokens",
                "100B",
                "--gpus",
                "synth-tiny",
                "--catalog",
                SYNTH,
                "--max-gpus",
                "2",
            ],
            "--max-gpus 2: the model does not fit",
        ),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(cli: CliRun, argv: list[str], needle: str) -> None:
    code, out, err = cli(["plan", "train", *argv])
    assert code == 2 and out == "" and needle in err and len(err.strip().splitlines()) == 1, err


def test_cli_spanish_error(cli: CliRun) -> None:
    code, _, err = cli(
        [
            "plan",
            "train",
            "--params",
            "1B",
            "--tokens",
            "100B",
            "--gpus",
            "synth-fast",
            "--catalog",
            SYNTH,
            "--samples",
            "0",
            "--deadline-days",
            "0.01",
            "--max-gpus",
            "64",
            "--lang",
            "es",
        ]
    )
    assert code == 2 and "no se cumple: el plan más rápido tarda" in err


def test_json_round_trip(cli: CliRun) -> None:
    argv = ["--params", "1B", "--tokens", "100B", "--gpus", "synth-fast,synth-cheap", "--catalog", SYNTH]
    code, out, err = cli(["plan", "train", *argv, "--samples", "300", "--deadline-days", "1", "--json"])
    assert code == 0, err
    data = json.loads(out)
    direct = synthetic(deadline_days=1, samples=300, price_tier="auto", max_gpus=16_384)
    assert data == direct.model_dump(mode="json")
    assert api.PlanTrainResult.model_validate(data) == direct


@pytest.mark.parametrize("lang", ["en", "es"])
def test_terminal_output_fits_80_columns(cli: CliRun, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = cli(
        [
            "plan",
            "train",
            *[part for k, v in REAL.items() for part in (f"--{k.replace('_', '-')}", str(v))],
            "--deadline-days",
            "20",
            "--both",
            "--lang",
            lang,
        ]
    )
    assert code == 0, err
    assert max(len(line) for line in out.splitlines()) <= 80
    title = {"en": "Training plan: custom run", "es": "Plan de entrenamiento: custom run"}[lang]
    assert out.startswith(title) and ("Frontier" if lang == "en" else "Frontera") in out


def test_pareto_mask_by_hand() -> None:
    points = np.array([[1.0, 5.0], [2.0, 2.0], [3.0, 3.0], [5.0, 1.0], [2.0, 2.0], [1.0, 6.0]])
    assert pareto_mask(points).tolist() == [True, True, False, True, True, False]
    assert best_index(points, np.array([False, True, True, True, False, False])) == 1
    assert best_index(points, np.zeros(6, dtype=bool)) is None


def test_binding_limit_by_hand() -> None:
    values = {"a": np.array([1.0, 3.0]), "b": np.array([5.0, 1.0])}
    found = binding_limit(values, {"a": 2.0, "b": 2.0})  # row 1 meets b, not a: a binds, nearest 3
    assert found is not None and (found.name, found.nearest, found.index) == ("a", 3.0, 1)
    assert binding_limit(values, {"a": 0.5, "b": 0.5}) is None  # no row meets either: together
    found = binding_limit(values, {"a": 0.5, "b": 2.0})
    assert found is not None and (found.name, found.nearest, found.index) == ("a", 3.0, 1)


def test_counts_are_powers_of_two() -> None:
    assert power_of_two_counts(1).tolist() == [1]
    assert power_of_two_counts(100).tolist() == [1, 2, 4, 8, 16, 32, 64]
    assert power_of_two_counts(16_384)[-1] == 16_384


def test_typed_keywords_and_cli_defaults_match_the_request() -> None:
    from costlm.cli import plan_train as cli_plan
    from costlm.resolve import plan_train as resolve_plan

    assert set(PlanTrainFields.__annotations__) == set(api.PlanTrainRequest.model_fields)
    assert cli_plan.DEFAULT_MAX_GPUS == resolve_plan.DEFAULT_MAX_GPUS
    assert cli_plan.PLAN_SAMPLES == resolve_plan.DEFAULT_PLAN_SAMPLES


@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(1, 3)),
        elements=st.floats(0, 10, allow_nan=False).map(lambda x: round(x, 1)),  # ties happen
    )
)
def test_pareto_mask_keeps_exactly_the_non_dominated_rows(points: np.ndarray) -> None:
    keep = pareto_mask(points)

    def dominates(a: np.ndarray, b: np.ndarray) -> bool:
        return bool(np.all(a <= b) and np.any(a < b))

    for i, row in enumerate(points):
        dominated = any(dominates(other, row) for other in points)
        assert keep[i] == (not dominated)
        if not keep[i]:
            assert any(dominates(points[j], row) for j in np.flatnonzero(keep))


def test_gpu_hours_follow_the_fitted_mfu_count_factor(cat: Catalog) -> None:
    """The fitted MFU prior falls by its per-decade factor with the GPU count (resolve.mfu), so a
    plan's GPU-hours at 1,024 GPUs are factor^-log10(1024/16) times those at 16 (both inside the
    fit's range of counts, so neither is clamped); the spread does not change with the count."""
    assert cat.mfu_model is not None and cat.mfu_model.factor_per_decade_n_gpus is not None
    factor = cat.mfu_model.factor_per_decade_n_gpus.central
    result = api.plan_training(
        api.make_plan_train_request(
            params="7B", tokens="2T", gpus="h100-sxm", price_tier="on-demand", samples=500
        )
    )
    hours = {p.n_gpus: p.wall_clock_days * 24 * p.n_gpus for p in result.points if p.acquisition == "rent"}
    assert hours[1024] / hours[16] == pytest.approx(factor ** -math.log10(1024 / 16), rel=1e-6)
