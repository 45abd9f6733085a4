"""Each output is declared once (costlm.outputs): the declaration, the breakdowns, the result models
and the labels agree."""

from __future__ import annotations

from dataclasses import fields

import pytest

from costlm import api
from costlm.i18n import messages
from costlm.outputs import (
    FLEET_OUTPUTS,
    SERVING_BREAKDOWN,
    SERVING_OUTPUTS,
    TRAINING_BREAKDOWN,
    TRAINING_OUTPUTS,
    Output,
)
from costlm.pipelines.serving import FleetBreakdown, ReplicaBreakdown
from costlm.pipelines.training import TrainingBreakdown

DECLARED = [
    (TRAINING_OUTPUTS, TrainingBreakdown, api.TrainingResult),
    (TRAINING_BREAKDOWN, TrainingBreakdown, api.TrainingBreakdownSummary),
    (SERVING_OUTPUTS, ReplicaBreakdown, api.ServeResult),
    (SERVING_BREAKDOWN, ReplicaBreakdown, api.ServingBreakdownSummary),
    (FLEET_OUTPUTS, FleetBreakdown, api.FleetSummary),
]


@pytest.mark.parametrize(("declared", "breakdown", "result"), DECLARED)
def test_every_declared_output_is_a_breakdown_field_and_a_result_field(
    declared: tuple[Output, ...], breakdown: type, result: type[api.Summary]
) -> None:
    names = [out.name for out in declared]
    assert len(set(names)) == len(names)
    assert set(names) <= {f.name for f in fields(breakdown)}
    assert set(names) <= set(result.model_fields)


def test_summary_result_models_hold_exactly_the_declared_outputs() -> None:
    for declared, _, result in DECLARED[1:]:
        if result is not api.ServeResult:
            assert {out.name for out in declared} == set(result.model_fields)


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_declared_output_has_a_label(lang: str) -> None:
    labels = messages(lang)
    missing = [out.label for declared, _, _ in DECLARED for out in declared if out.label not in labels]
    assert not missing


def test_summaries_carry_the_declared_units() -> None:
    r = api.estimate_training(api.make_training_request(model="llama-2-7b", samples=200))
    for out in TRAINING_OUTPUTS:
        summary = getattr(r, out.name)
        assert summary is None or summary.unit == out.unit
    s = api.estimate_serving(api.make_serve_request(model="llama-3-8b", tokens_per_day="1B", samples=200))
    assert s.fleet is not None
    for out in FLEET_OUTPUTS:
        summary = getattr(s.fleet, out.name)
        assert summary is None or summary.unit == out.unit
