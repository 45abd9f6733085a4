"""Back-test of the training estimator on every reported run of the catalog.

For each run with parameters, tokens and hardware, predict GPU-hours from those inputs
alone (never the reported hours or MFU: MFU comes from the calibrated prior) and compare
with the reported GPU-hours. Prints each run, then the median |log10(predicted/reported)|
and the share of runs whose reported value lies in the predicted 90% interval.

    python benchmarks/backtest_training.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse
import math
import statistics

from costlm import api
from costlm.catalog.schema import Run


def _request(run: Run, samples: int, seed: int) -> api.TrainingRequest | None:
    params = run.n_active_params or run.n_params
    if params is None or run.n_tokens is None or run.hardware is None or run.gpu_hours is None:
        return None
    return api.make_training_request(
        params=params.central,
        tokens=run.n_tokens.central,
        gpu=run.hardware,
        n_gpus=int(run.n_gpus.central) if run.n_gpus else 1,
        dtype=run.dtype,
        kind="pretrain",
        samples=samples,
        seed=seed,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    cols = f"{'p05':>10} {'p50':>10} {'p95':>10} {'reported':>10} {'log10 err':>9}"
    header = f"{'run':38} {'hardware':10} {cols}  in 90%"
    print(header)
    print("-" * len(header))
    errors: list[float] = []
    hits = 0
    for run in cat.runs.values():
        request = _request(run, args.samples, args.seed)
        if request is None:
            continue
        result = api.estimate_training(request)
        reported = run.gpu_hours.central if run.gpu_hours else math.nan
        s = result.gpu_hours
        err = math.log10(s.p50 / reported)
        inside = s.p05 <= reported <= s.p95
        errors.append(abs(err))
        hits += inside
        print(
            f"{run.id[:38]:38} {run.hardware or '':10} {s.p05:10.3g} {s.p50:10.3g} {s.p95:10.3g} "
            f"{reported:10.3g} {err:+9.3f}  {'yes' if inside else 'NO'}"
        )
    n = len(errors)
    print("-" * len(header))
    print(f"runs back-tested: {n}")
    print(f"median |log10(predicted/reported)| GPU-hours: {statistics.median(errors):.3f}  (goal <= 0.10)")
    print(f"90% interval coverage: {hits}/{n} = {hits / n:.0%}  (goal >= 80%)")


if __name__ == "__main__":
    main()
