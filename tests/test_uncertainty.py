import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlm.errors import InputError
from costlm.uncertainty import (
    Distribution,
    Fixed,
    LogNormal,
    Triangular,
    Uniform,
    draw,
    rank_sensitivity,
    summarize,
)


def test_lognormal_from_interval_hits_percentiles() -> None:
    dist = LogNormal.from_interval(0.3, 0.5)
    x = dist.sample(np.random.default_rng(1), 200_000)
    p05, p95 = np.percentile(x, [5, 95])
    assert p05 == pytest.approx(0.3, rel=0.01)
    assert p95 == pytest.approx(0.5, rel=0.01)
    assert dist.point == pytest.approx(np.sqrt(0.15))


def test_same_seed_same_samples_and_none_is_unseeded() -> None:
    inputs: dict[str, Distribution] = {"a": Uniform(1, 2), "b": LogNormal.from_interval(1, 10)}
    one, two = draw(inputs, 100, seed=7), draw(inputs, 100, seed=7)
    assert all(np.array_equal(one[k], two[k]) for k in inputs)
    other = draw(inputs, 100, seed=8)
    assert not np.array_equal(one["a"], other["a"])
    assert not np.array_equal(draw(inputs, 50, None)["a"], draw(inputs, 50, None)["a"])


def test_seed_0_is_a_seed_not_unseeded() -> None:
    """``seed=0`` must reproduce (a truthiness test would treat it as None and draw fresh samples)."""
    inputs: dict[str, Distribution] = {
        "a": Uniform(1, 2),
        "b": LogNormal.from_interval(1, 10),
        "c": Triangular(0, 1, 5),
    }
    zero, again, one = draw(inputs, 100, seed=0), draw(inputs, 100, seed=0), draw(inputs, 100, seed=1)
    for name in inputs:
        assert zero[name].shape == (100,)
        assert np.array_equal(zero[name], again[name]), name
        assert not np.array_equal(zero[name], one[name]), name
    # and it is numpy's seed 0, not some other stream
    rng = np.random.default_rng(0)
    assert np.array_equal(zero["a"], Uniform(1, 2).sample(rng, 100))


@given(st.lists(st.floats(min_value=-1e9, max_value=1e9), min_size=1, max_size=200))
def test_summary_is_ordered(values: list[float]) -> None:
    s = summarize(np.array(values), "x")
    assert s.p05 <= s.p50 <= s.p95


def test_fixed_summary_is_exact() -> None:
    s = summarize(Fixed(3.7).sample(np.random.default_rng(0), 1000), "x")
    assert (s.p05, s.p50, s.p95) == (3.7, 3.7, 3.7)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Uniform(2, 1), "low 2 > high 1"),
        (lambda: Triangular(1, 3, 2), "low <= mode <= high"),
        (lambda: LogNormal.from_interval(0, 1), "0 < p05 <= p95"),
        (lambda: LogNormal.from_interval(5, 1), "0 < p05 <= p95"),
        (lambda: Fixed(float("nan")), "not a finite number"),
    ],
)
def test_bad_distributions_raise(make: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make()  # type: ignore[operator]


def test_sensitivity_ranks_the_driver_first() -> None:
    rng = np.random.default_rng(0)
    big, small, const = rng.uniform(1, 10, 5000), rng.uniform(1, 1.1, 5000), np.full(5000, 3.0)
    ranking = rank_sensitivity({"small": small, "big": big, "const": const}, {"y": big * small, "z": -big})[
        "y"
    ]
    assert [name for name, _ in ranking] == ["big", "small"]
    assert ranking[0][1] > 0.9
    x = rng.uniform(0, 1, 1000)
    assert rank_sensitivity({"x": x}, {"y": x**3})["y"][0][1] == pytest.approx(1.0)  # monotone -> 1
    assert rank_sensitivity({"x": x}, {"y": -x})["y"][0][1] == pytest.approx(-1.0)
