"""Back-test of the training estimator on every reported run of the catalog.

For each run with parameters, tokens and hardware, predict GPU-hours from those inputs
alone (never the run's reported hours or MFU) and compare with the reported GPU-hours.
The table shows the MFU model that knows scale (priors.toml ``[mfu_model]``), evaluated at
each run's active parameters, GPU count, MoE and dtype:

* in-sample: the stored fit (fitted on these runs, so optimistic).
* leave-one-out (LOO): the same model refitted, spread included, without any run of the
  run's own model (``costlm.analyses.mfu_fit``), so the run never informs its own prior.

Misses are printed like hits. The summary lines score it against the old per-(generation,
dtype) ``[[mfu_prior]]``: in-sample, and LOO with the prior's centre re-fitted as the
geometric mean of the implied MFU of the other models' runs of the same (generation, dtype)
(groups with fewer than two other runs keep the catalog prior). Each line gives the median
|log10(predicted/reported)| and the share of runs whose reported value lies in the 90% interval.

    python benchmarks/backtest_training.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse
import math
import statistics

from costlm import api
from costlm.analyses import mfu_fit
from costlm.analyses.backtest import BacktestRow, predict_training, training_cases
from costlm.catalog.schema import Catalog, Run
from costlm.resolve.mfu import model_terms
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


def _old_prior(run: Run, cat: Catalog) -> tuple[float, float]:
    acc = cat.accelerators[run.hardware or ""]
    return next(
        p.mfu.bounds for p in cat.mfu_priors if (p.generation, p.dtype) == (acc.generation, run.dtype)
    )


def _score(name: str, rows: list[BacktestRow]) -> None:
    errors = [abs(r.log10_error) for r in rows]
    hits = sum(r.inside for r in rows)
    print(
        f"{name:30} median |log10(pred/reported)| = {statistics.median(errors):.3f} (goal <= 0.07); "
        f"90% interval coverage = {hits}/{len(rows)} = {hits / len(rows):.0%} (goal 85-95%)"
    )


def _cells(row: BacktestRow) -> str:
    inside = "yes" if row.inside else "NO"
    return f"{row.p05:9.3g} {row.p50:9.3g} {row.p95:9.3g} {row.log10_error:+6.2f} {inside:>3}"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    if cat.mfu_model is None:
        raise SystemExit("the catalog has no [mfu_model]")
    cases = training_cases(cat)
    mfu_by_run = {
        run.id: ((cat.accelerators[run.hardware or ""].generation, run.dtype), mfu) for run, _, mfu in cases
    }
    fit_runs = {r.run: r for r in mfu_fit.fit_runs(cat)}
    terms = model_terms(cat.mfu_model)
    loo_models = {
        rid: mfu_fit.as_model(f, list(fit_runs.values()), "LOO")
        for rid, f in mfu_fit.loo_fits(list(fit_runs.values()), terms).items()
    }
    cols = f"{'p05':>9} {'p50':>9} {'p95':>9} {'err':>6} {'in':>3}"
    print(f"{'':28} {'':10} {'':9}   {'MFU model, in-sample':^40} | {'MFU model, leave-one-out':^40}")
    print(f"{'run':28} {'hardware':10} {'reported':>9}   {cols} | {cols}")
    rows: dict[str, list[BacktestRow]] = {"old_in": [], "old_loo": [], "new_in": [], "new_loo": []}
    for run, flop, _ in cases:
        fr = fit_runs[run.id]
        mfus = {
            "old_in": _old_prior(run, cat),
            "old_loo": _loo_mfu(run, mfu_by_run, cat) or _old_prior(run, cat),
            "new_in": mfu_fit.mfu_range(cat.mfu_model, cat, fr),
            "new_loo": mfu_fit.mfu_range(loo_models[run.id], cat, fr),
        }
        for key, mfu in mfus.items():
            rows[key].append(predict_training(cat, run, flop, mfu, args.samples, args.seed))
        a, b = rows["new_in"][-1], rows["new_loo"][-1]
        print(f"{run.id[:28]:28} {run.hardware or '':10} {a.reported:9.3g}   {_cells(a)} | {_cells(b)}")
    print(
        f"\nruns back-tested: {len(cases)} "
        "(GPU-hours predicted from params x tokens, hardware, dtype, GPU count and MoE only)"
    )
    _score("per-generation prior, in-sample", rows["old_in"])
    _score("per-generation prior, LOO", rows["old_loo"])
    _score("MFU model, in-sample", rows["new_in"])
    _score("MFU model, LOO", rows["new_loo"])


if __name__ == "__main__":
    main()
