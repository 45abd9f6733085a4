"""costlm plan compare: hand-checked goldens on an overlay price, the paths built from the existing
estimates, cumulative curves, break-even months, skipped paths, bad input, --json and the report."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from conftest import CliRun
from costlm import api
from costlm.analyses.plan_compare import cumulative
from costlm.errors import InputError, UnknownIdError
from costlm.report.page import render
from costlm.report.plan_compare import print_plan_compare

FAST = 300
DAYS_PER_MONTH = 365.25 / 12
PRICE = (
    '{{ value = {}, source = "test-price-list", locator = "p. 1",'
    ' as_of = "2026-01-01", basis = "third-party" }}'
)
OVERLAY = f"""
[[source]]
id = "test-price-list"
title = "A test price list"
publisher = "Tests"
kind = "docs"
date = "2026-01-01"
url = "https://example.org/prices"

[[api_price]]
id = "test-host-llama-3-8b"
name = "Llama 3 8B (test host)"
model = "llama-3-8b"
provider = "Test Host"
input_usd_per_mtok = {PRICE.format(1.0)}
output_usd_per_mtok = {PRICE.format(2.0)}

[[api_price]]
id = "test-teacher"
name = "Teacher (test host)"
provider = "Test Host"
output_usd_per_mtok = {PRICE.format(10.0)}
"""


@pytest.fixture(scope="module")
def overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "prices.toml"
    path.write_text(OVERLAY)
    return path


def _compare(overlay: Path | None = None, **fields: object) -> api.PlanCompareResult:
    request = api.make_plan_compare_request(**{"samples": FAST, **fields})  # type: ignore[arg-type]
    return api.plan_compare(request, catalog_files=[overlay] if overlay else ())


def _path(result: api.PlanCompareResult, name: str) -> api.PlanPath:
    return next(p for p in result.paths if p.path == name)


def test_api_path_is_traffic_times_the_list_price(overlay: Path) -> None:
    # per output token: ($2 + $1 x 1000 / 500) / 1e6 = $4e-6; 1e6 tokens/day -> $4/day
    result = _compare(
        overlay, api="test-host-llama-3-8b", tokens_per_day=1e6, prompt_tokens=1000, output_tokens=500
    )
    path = _path(result, "api")
    assert path.upfront_usd.p50 == 0.0
    assert path.monthly_usd.p50 == pytest.approx(4.0 * DAYS_PER_MONTH, rel=1e-12)  # $121.75
    assert path.cumulative_usd[12].p95 == pytest.approx(4.0 * 365.25, rel=1e-12)
    assert [s.path for s in result.skipped] == ["finetune", "pretrain"]
    assert [s.reason for s in result.skipped] == ["no_base", "no_pretrain"]


def test_default_api_is_the_cheapest_listed_price_and_says_so(overlay: Path) -> None:
    # the overlay's $4/1M-output-equivalent host is not the cheapest for llama-3-8b at 1000:500
    result = _compare(overlay, base="llama-3-8b", tokens_per_day=1e7, prompt_tokens=1000, output_tokens=500)
    chosen = _path(result, "api")
    cat = api.load_catalog([overlay])
    listed = [p for p in cat.api_prices.values() if p.model == "llama-3-8b" and p.output_usd_per_mtok]
    cost = {
        p.id: p.output_usd_per_mtok.central
        + (p.input_usd_per_mtok.central if p.input_usd_per_mtok else 0) * 2
        for p in listed
        if p.output_usd_per_mtok
    }
    assert chosen.api_price == min(cost, key=lambda k: (cost[k], k))
    assert chosen.monthly_usd.p50 == pytest.approx(cost[chosen.api_price] * 10 * DAYS_PER_MONTH, rel=1e-12)
    caveat = next(w for w in result.warnings if w.code == "plan_api_default")
    assert caveat.values["api"] == chosen.api_price


def test_finetune_path_is_the_training_and_serving_estimates_plus_teacher_data(overlay: Path) -> None:
    fields = {"examples": 100, "tokens_per_example": 1000, "epochs": 2, "gpu": "h100-sxm", "seed": 3}
    result = _compare(
        overlay, base="llama-3-8b", teacher="test-teacher", tokens_per_day=1e7, prompt_tokens=500, **fields
    )
    path = _path(result, "finetune")
    # teacher: 100 examples x 1000 tokens x $10/1M (no input price listed) = $1
    assert path.teacher_data_usd == pytest.approx(1.0, rel=1e-12)
    trained = api.estimate_training(
        api.make_training_request(
            model="llama-3-8b",
            kind="distill",
            n_gpus=16,
            samples=FAST,
            **fields,  # type: ignore[arg-type]
        ),
        catalog_files=[overlay],
    )
    served = api.estimate_serving(
        api.make_serve_request(
            model="llama-3-8b", gpu="h100-sxm", tokens_per_day=1e7, prompt_tokens=500, samples=FAST, seed=3
        ),
        catalog_files=[overlay],
    )
    assert trained.rental_cost_usd is not None and served.fleet is not None
    assert served.fleet.fleet_rental_usd_per_year is not None
    assert path.training_usd == trained.rental_cost_usd
    assert path.upfront_usd.p50 == pytest.approx(trained.rental_cost_usd.p50 + 1.0, rel=1e-12)
    assert path.monthly_usd.p95 == pytest.approx(served.fleet.fleet_rental_usd_per_year.p95 / 12, rel=1e-12)
    assert path.training_n_gpus == 16


def test_a_finetune_that_does_not_fit_16_gpus_runs_on_the_fewest_that_hold_it() -> None:
    result = _compare(base="llama-3-70b", tokens_per_day=1e8)
    assert _path(result, "finetune").training_n_gpus == 32  # full fine-tune of 70B at 10k tokens
    explicit = _compare(base="llama-3-70b", tokens_per_day=1e8, n_gpus=2)
    skip = next(s for s in explicit.skipped if s.path == "finetune")
    assert skip.reason == "estimate_failed" and skip.values["error"].startswith("train_does_not_fit")


def test_seed_case_orders_the_paths_and_break_evens_follow_the_curves() -> None:
    result = _compare(base="llama-3-70b", tokens_per_day=1e8, months=12)
    assert [p.path for p in result.paths] == ["api", "finetune", "pretrain"]
    pre = _path(result, "pretrain")
    assert pre.upfront_usd.p50 > 1e6  # Llama 3 70B's 6.4M reported H100-hours
    assert result.cheapest == "api"
    assert {(b.first, b.other, b.month) for b in result.break_even} == {
        ("api", "finetune", None),
        ("api", "pretrain", None),
        ("finetune", "pretrain", None),
    }


def _check_break_even(result: api.PlanCompareResult) -> None:
    for pair in result.break_even:
        first = _path(result, pair.first).cumulative_usd
        other = _path(result, pair.other).cumulative_usd
        assert first[0].p50 <= other[0].p50
        cheaper = [m for m in range(result.months + 1) if other[m].p50 < first[m].p50]
        assert pair.month == (cheaper[0] if cheaper else None)


def test_an_expensive_api_loses_to_a_fine_tune_after_one_month() -> None:
    # gpt-4o: ($10 + $2.5 x 1000/300) / 1e6 per output token x 1e8 tokens/day ~ $55.8k a month
    result = _compare(base="qwen2.5-7b", api="openai-gpt-4o", tokens_per_day=1e8, months=24)
    assert _path(result, "api").monthly_usd.p50 == pytest.approx(
        (10 + 2.5 * 1000 / 300) * 100 * DAYS_PER_MONTH, rel=1e-12
    )
    pair = next(b for b in result.break_even if {b.first, b.other} == {"api", "finetune"})
    assert (pair.first, pair.other, pair.month) == ("api", "finetune", 1)
    assert result.cheapest == "finetune"
    _check_break_even(result)
    assert [(s.path, s.reason) for s in result.skipped] == [("pretrain", "no_pretrain_record")]


def test_pretraining_from_params_breaks_even_within_the_horizon_against_an_expensive_api() -> None:
    result = _compare(
        base="qwen2.5-7b", api="openai-gpt-4o", params="1B", tokens="20B", tokens_per_day=1e8, months=24
    )
    pair = next(b for b in result.break_even if {b.first, b.other} == {"api", "pretrain"})
    assert pair.month is not None and 1 <= pair.month <= 24
    _check_break_even(result)
    codes = {w.code for w in result.warnings}
    assert {"plan_comonotonic", "plan_pretrain_served_as_base"} <= codes
    assert "price_tier_auto" in codes  # the training and serving estimates' caveats travel along


def test_paths_without_inputs_are_skipped_with_their_reason() -> None:
    result = _compare(base="qwen2.5-7b", tokens_per_day=1e8)
    assert [(s.path, s.reason, s.values) for s in result.skipped] == [
        ("api", "no_api_price", {"model": "qwen2.5-7b"}),
        ("pretrain", "no_pretrain_record", {"model": "qwen2.5-7b"}),
    ]
    assert [p.path for p in result.paths] == ["finetune"]
    alone = _compare(api="openai-gpt-4o", params="1B", tokens="20B", tokens_per_day=1e8)
    assert [(s.path, s.reason) for s in alone.skipped] == [
        ("finetune", "no_base"),
        ("pretrain", "no_serving_model"),
    ]


@given(
    upfront=st.floats(0, 1e9),
    spread=st.floats(1, 10),
    monthly=st.floats(0, 1e7),
    months=st.integers(1, 240),
)
def test_cumulative_is_monotone_in_months_and_ordered(
    upfront: float, spread: float, monthly: float, months: int
) -> None:
    def summary(p50: float) -> api.Summary:
        return api.Summary(p05=p50 / spread, p50=p50, p95=p50 * spread, mean=p50, unit="USD")

    curve = cumulative(summary(upfront), summary(monthly), months)
    assert len(curve) == months + 1 and curve[0].p50 == upfront
    for before, after in itertools.pairwise(curve):
        assert after.p05 >= before.p05 and after.p50 >= before.p50 and after.p95 >= before.p95
    assert all(c.p05 <= c.p50 <= c.p95 for c in curve)


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (
            dict(base="llama-3-8b", tokens_per_day=1e8, months=-1),
            InputError,
            "months: must be a whole number",
        ),
        (dict(base="llama-3-8b", tokens_per_day=1e8, months=0), InputError, "months: must be a whole number"),
        (dict(base="llama-3-8b", tokens_per_day=-5), InputError, "tokens_per_day: "),
        (dict(tokens_per_day=1e8), InputError, "give at least one path"),
        (
            dict(base="llama-3-8b", params="7B", tokens_per_day=1e8),
            InputError,
            "give both --params and --tokens",
        ),
        (
            dict(api="openai-gpt4o", tokens_per_day=1e8),
            UnknownIdError,
            "unknown API price 'openai-gpt4o'; did you mean",
        ),
        (dict(base="lama-3-8b", tokens_per_day=1e8), UnknownIdError, "unknown model 'lama-3-8b'"),
    ],
)
def test_bad_input_raises_one_line(fields: dict[str, object], error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        _compare(**fields)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--base", "llama-3-8b", "--tokens-per-day", "1e8", "--months", "-3"], "--months: must be a whole"),
        (["--api", "openai-gpt4o", "--tokens-per-day", "1e8"], "did you mean openai-gpt-4o"),
        (["--base", "llama-3-8b"], "Missing option '--tokens-per-day'"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(cli: CliRun, argv: list[str], expected: str) -> None:
    code, out, err = cli(["plan", "compare", *argv])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and expected in err, err


def test_cli_spanish_error(cli: CliRun) -> None:
    code, _, err = cli(
        [
            "plan",
            "compare",
            "--base",
            "llama-3-8b",
            "--tokens-per-day",
            "1e8",
            "--months",
            "0",
            "--lang",
            "es",
        ]
    )
    assert code == 2 and "--months: debe ser un número entero de meses de 1 a 240" in err


def test_json_round_trip(cli: CliRun) -> None:
    argv = [
        "--base",
        "qwen2.5-7b",
        "--api",
        "openai-gpt-4o-mini",
        "--tokens-per-day",
        "1e8",
        "--samples",
        "300",
    ]
    code, out, _ = cli(["plan", "compare", *argv, "--json"])
    assert code == 0
    parsed = api.PlanCompareResult.model_validate(json.loads(out))
    direct = _compare(base="qwen2.5-7b", api="openai-gpt-4o-mini", tokens_per_day=1e8)
    assert parsed == direct
    assert len(parsed.paths[0].cumulative_usd) == 13


def test_terminal_table_fits_80_columns_in_both_languages() -> None:
    result = _compare(base="llama-3-70b", tokens_per_day=1e8)
    for lang, header in (("en", "Per month"), ("es", "Por mes")):
        console = Console(width=80, record=True, highlight=False)
        print_plan_compare(console, result, lang)
        text = console.export_text()
        assert max(len(line) for line in text.splitlines()) <= 80
        assert header in text and "$18.1M" in text.replace(",", ".")


@pytest.fixture(scope="module")
def report() -> api.ReportData:
    return api.report_data(["gpt-2"], samples=200, seed=0)


@pytest.mark.parametrize(
    ("lang", "heading"),
    [("en", "Plan: API, fine-tune or pre-train?"), ("es", "Plan: ¿API, ajuste fino o preentrenamiento?")],
)
def test_report_has_the_plan_section(report: api.ReportData, lang: str, heading: str) -> None:
    assert report.plan is not None and report.plan.model == "llama-3-70b"
    assert [p.path for p in report.plan.compare.paths] == ["api", "finetune", "pretrain"]
    page = render(report, lang)
    section = page[page.index('<section id="plan">') : page.index('<section id="training-vs-inference">')]
    assert heading in section and 'id="plot-plan_cumulative"' in section and "<svg" in section
    compare = section[: section.index('<div id="plan-train">')]
    assert compare.count("<tr>") == 1 + 3  # header + one row per path


@pytest.mark.parametrize(("lang", "title"), [("en", "Training plan: s1-32B"), ("es", "s1-32B")])
def test_report_plan_section_has_the_s1_frontier(report: api.ReportData, lang: str, title: str) -> None:
    """The s1 fine-tune across the catalog: the best plan is feasible, its frontier rows are in the
    table, every frontier plan is among the plotted feasible points, and the plot is there."""
    assert report.plan is not None and report.plan.train is not None
    train = report.plan.train
    assert train.work.label == "s1-32B" and train.frontier and len(train.points) >= len(train.frontier)
    plotted = {(p.accelerator, p.n_gpus, p.acquisition) for p in train.points}
    assert all((r.accelerator, r.n_gpus, r.acquisition) in plotted for r in train.frontier)
    page = render(report, lang)
    section = page[page.index('<div id="plan-train">') : page.index('<div id="plan-serve">')]
    assert title in section and 'id="plot-plan_frontier"' in section and "<svg" in section
    assert section.count("<tr>") == 1 + len(train.frontier)


def test_report_plan_section_serves_deepseek_v3(report: api.ReportData) -> None:
    """The seed serving question: DeepSeek-V3 at 1B tokens/day as released (fp8), the cheapest fleet
    first, then each accelerator's cheapest, none cheaper than the first."""
    assert report.plan is not None and report.plan.serve is not None
    serve = report.plan.serve
    assert serve.model == "deepseek-v3" and serve.chosen.dtype == "fp8"
    assert all(r.usd_per_month.p50 >= serve.chosen.usd_per_month.p50 for r in serve.runners_up)
    page = render(report, "en")
    section = page[page.index('<div id="plan-serve">') : page.index('<section id="training-vs-inference">')]
    assert "DeepSeek-V3" in section and section.count("<tr>") == 1 + 1 + len(serve.runners_up)
