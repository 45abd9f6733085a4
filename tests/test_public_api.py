from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

import costlm
from costlm import api
from costlm.errors import InputError


def test_all_equals_the_api_and_every_name_resolves() -> None:
    assert costlm.__all__ == api.__all__
    for name in costlm.__all__:
        assert getattr(costlm, name) is getattr(api, name)
    assert costlm.__version__


def test_request_constructors_accept_what_the_cli_accepts() -> None:
    typed = api.make_training_request(
        params="7B", tokens="2T", gpu="h100", n_gpus=512, mfu=0.4, pue="1.1..1.3"
    )
    assert (typed.params, typed.tokens, typed.mfu, typed.pue) == (7e9, 2e12, (0.4, 0.4), (1.1, 1.3))
    same = api.make_training_request(
        params=7e9, tokens=2e12, gpu="h100", n_gpus=512, mfu=(0.4, 0.4), pue=(1.1, 1.3)
    )
    assert same == typed
    serve = api.make_serve_request(model="llama-3-8b", prompt_tokens="2k", utilization=0.5)
    assert (serve.prompt_tokens, serve.utilization) == (2000.0, (0.5, 0.5))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(params="7,5B"), "params: '7,5B' has a comma"),
        (dict(params="7B", tokens="2T", gpu="h100", n_gpus=8, mfu=1.5), "mfu: must be a fraction in (0, 1]"),
        (dict(params="7B", tokens=2.5, gpu="h100", n_gpus=8), "tokens: a count must be a whole number >= 1"),
        (dict(params="7B", tokens="2T", gpu="h100", n_gpus=0), "n_gpus: must be at least 1"),
        (dict(params="7B", tokens="2T", gpu="h100", n_gpus=10**9), "n_gpus: 1,000,000,000 is absurdly large"),
        (dict(params="7B", tokens="2T", gpu="h100", n_gpus=8, days=3), "give --n-gpus or --days, not both"),
        (dict(gpu="h100"), "give a catalog MODEL, or --params"),
        (dict(params="7B", tokens="2T", gpu="h100", n_gpus=8, seed=-1), "seed: must be at least 0"),
    ],
)
def test_request_constructors_raise_the_clis_one_line_error(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as info:
        api.make_training_request(**fields)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_results_are_attribute_trees() -> None:
    request = api.make_serve_request(model="llama-3-8b", tokens_per_day="1B", samples=200)
    result = api.estimate_serving(request)
    assert result.fleet is not None and result.fleet.replicas.p50 >= 1
    assert result.breakdown.decode_step_s.p50 > 0
    training = api.estimate_training(api.make_training_request(model="llama-2-7b", samples=0))
    assert training.breakdown.mfu.p50 == training.breakdown.mfu.p95


def test_importing_cli_does_not_load_heavy_modules() -> None:
    heavy = "('numpy', 'pydantic', 'matplotlib', 'costlm.api')"
    code = f"import sys, costlm.cli; print(sorted(m for m in {heavy} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_typed_request_keywords_are_the_request_fields() -> None:
    from costlm.resolve.requests import ServeFields, TrainingFields

    assert set(TrainingFields.__annotations__) == set(api.TrainingRequest.model_fields)
    assert set(ServeFields.__annotations__) == set(api.ServeRequest.model_fields)


@pytest.mark.parametrize(("samples", "seed"), [(-1, 0), (10**7, 0), (100, -1), (True, 0)])
def test_analyses_taking_samples_share_the_request_rule(samples: int, seed: int) -> None:
    with pytest.raises(InputError, match=r"^(samples|seed): "):
        api.check_claims(["s001-deepseek-v3-cost"], samples=samples, seed=seed)
