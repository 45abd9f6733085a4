"""Back-test of the training estimator on every reported run of the catalog.

For each run with parameters, tokens and hardware, predict GPU-hours from those inputs
alone (never the run's reported hours or MFU) and compare with the reported GPU-hours.
Two predictions are printed:

* catalog: MFU from the catalog prior of the run's (generation, dtype). The priors were
  set with these runs among others, so this is an in-sample check.
* leave-one-out (LOO): the prior's centre re-fitted as the geometric mean of the implied
  MFU of the *other* runs of the same (generation, dtype) and a different model, keeping
  the catalog prior's width; groups with fewer than two other runs keep the catalog prior.

Then the median |log10(predicted/reported)| and the share of runs whose reported value
lies in the predicted 90% interval, for each.

    python benchmarks/backtest_training.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse
import math
import statistics

from costlm import api
from costlm.analyses.backtest import BacktestRow, predict_training, training_cases
from costlm.catalog.schema import Catalog, Run
from costlm.uncertainty import LogNormal

Z95 = 1.6448536269514722


def _loo_mfu(
    run: Run, mfu_by_run: dict[str, tuple[tuple[str, str], float]], cat: Catalog
) -> tuple[float, float] | None:
    group = mfu_by_run[run.id][0]
    others = [m for rid, (g, m) in mfu_by_run.items() if g == group and cat.runs[rid].model != run.model]
    if len(others) < 2:
        return None
    prior = next(p.mfu for p in cat.mfu_priors if (p.generation, p.dtype) == group)
    sigma = LogNormal.from_interval(*prior.bounds).sigma
    centre = math.exp(statistics.fmean(math.log(m) for m in others))
    return centre * math.exp(-Z95 * sigma), min(centre * math.exp(Z95 * sigma), 1.0)


def _score(name: str, rows: list[BacktestRow]) -> None:
    errors = [abs(r.log10_error) for r in rows]
    hits = sum(r.inside for r in rows)
    print(
        f"{name:15} median |log10(pred/reported)| = {statistics.median(errors):.3f} (goal <= 0.10); "
        f"90% interval coverage = {hits}/{len(rows)} = {hits / len(rows):.0%} (goal >= 80%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    cases = training_cases(cat)
    mfu_by_run = {
        run.id: ((cat.accelerators[run.hardware or ""].generation, run.dtype), mfu) for run, _, mfu in cases
    }
    cols = f"{'reported':>9} {'p05':>9} {'p50':>9} {'p95':>9} {'err':>6} {'in':>3}"
    print(f"{'run':30} {'hardware':10} {cols} | {'LOO p50':>9} {'err':>6} {'in':>3}")
    prior_rows: list[BacktestRow] = []
    loo_rows: list[BacktestRow] = []
    for run, flop, _ in cases:
        loo = _loo_mfu(run, mfu_by_run, cat)
        a = predict_training(cat, run, flop, None, args.samples, args.seed)
        b = predict_training(cat, run, flop, loo, args.samples, args.seed)
        prior_rows.append(a)
        loo_rows.append(b)
        left = f"{a.reported:9.3g} {a.p05:9.3g} {a.p50:9.3g} {a.p95:9.3g} {a.log10_error:+6.2f}"
        left += f" {'yes' if a.inside else 'NO':>3}"
        right = f"{b.p50:9.3g} {b.log10_error:+6.2f} {'yes' if b.inside else 'NO':>3}" + (
            "" if loo else " (prior)"
        )
        print(f"{run.id[:30]:30} {run.hardware or '':10} {left} | {right}")
    print(
        f"\nruns back-tested: {len(cases)} "
        "(GPU-hours predicted from params x tokens, hardware and dtype only)"
    )
    _score("catalog prior", prior_rows)
    _score("leave-one-out", loo_rows)


if __name__ == "__main__":
    main()
