"""Calibration table of the MFU priors: implied MFU of every reported run, by hardware generation.

Implied MFU = 6 N D / (GPU-hours x 3600 x dense peak) (N = active parameters). It folds
goodput in (reported GPU-hours include restarts), so it sits a little below in-step MFU.
Prints each run and, per (generation, dtype), the runs' min/median/max beside the
catalog's prior (priors.toml), so a reader can see how the priors were set.

Then the MFU model that knows scale (``costlm.analyses.mfu_fit``): the fit data, the candidate
models compared in-sample and leave-one-model-out (LOO), the one LOO chooses, its coefficients
as the ``[mfu_model]`` table of priors.toml, and whether the stored table matches this refit.

    python benchmarks/calibrate_mfu.py [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
from collections import defaultdict

from costlm import api
from costlm.analyses import mfu_fit
from costlm.catalog.schema import Catalog, MfuModel, Sourced
from costlm.formulas.flops import implied_mfu, training_flop
from costlm.resolve.rules import peak_flop_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="date in the locator")
    args = parser.parse_args()
    cat = api.load_catalog()
    per_generation(cat)
    print()
    scale_model(cat, args.date)


def per_generation(cat: Catalog) -> None:
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    print(f"{'run':40} {'hardware':10} {'dtype':5} {'implied MFU':>11}")
    for run in cat.runs.values():
        params = run.n_active_params or run.n_params
        if run.hardware is None or run.gpu_hours is None or params is None or run.n_tokens is None:
            continue
        acc = cat.accelerators[run.hardware]
        flop = float(training_flop(n_active_params=params.central, n_tokens=run.n_tokens.central))
        peak = peak_flop_per_s(acc, run.dtype)
        mfu = float(implied_mfu(train_flop=flop, gpu_hours=run.gpu_hours.central, peak_flop_per_s=peak))
        groups[(acc.generation, run.dtype)].append(mfu)
        print(f"{run.id[:40]:40} {acc.id:10} {run.dtype:5} {mfu:11.3f}")
    print()
    print(f"{'generation/dtype':18} {'n':>3} {'min':>6} {'median':>6} {'max':>6}   prior p05..p95 (median)")
    priors = {(p.generation, p.dtype): p.mfu for p in cat.mfu_priors}
    for key in sorted(set(groups) | set(priors)):
        values = groups.get(key, [])
        prior = priors.get(key)
        stats = (
            f"{len(values):3d} {min(values):6.3f} {statistics.median(values):6.3f} {max(values):6.3f}"
            if values
            else f"{0:3d} {'':>6} {'':>6} {'':>6}"
        )
        shown = f"{prior.bounds[0]:.2f}..{prior.bounds[1]:.2f} ({prior.central:.2f})" if prior else "none"
        print(f"{key[0] + '/' + key[1]:18} {stats}   {shown}")


def _covariate(value: float | None) -> str:
    return f"{value:9.3g}" if value is not None else f"{'(none)':>9}"


def _toml_record(record: Sourced) -> str:
    numbers = ", ".join(
        f"{k} = {getattr(record, k):.4g}" for k in ("value", "low", "high") if getattr(record, k)
    )
    return (
        f'{{ {numbers}, source = "{record.source}", locator = "{record.locator}", basis = "{record.basis}" }}'
    )


def _print_model(model: MfuModel) -> None:
    print("[mfu_model]")
    print(f"generations = {model.generations}".replace("'", '"'))
    print(f"dtypes = {model.dtypes}".replace("'", '"'))
    print(f"n_runs = {model.n_runs}")
    for name in MfuModel.model_fields:
        record = getattr(model, name)
        if isinstance(record, Sourced):
            print(f"{name} = {_toml_record(record)}")
    for generation, record in model.factor_generation.items():
        print(f"factor_generation.{generation} = {_toml_record(record)}")


def scale_model(cat: Catalog, date: str) -> None:
    runs = mfu_fit.fit_runs(cat)
    print("MFU model fit data (MFU against the dense bf16 peak; fp8 runs converted by the peak ratio)")
    print(f"{'run':28} {'generation':10} {'dtype':5} {'active':>9} {'GPUs':>9} {'MoE':>3} {'MFU bf16':>8}")
    for r in runs:
        moe = "yes" if r.cov.moe else "no"
        print(
            f"{r.run[:28]:28} {r.generation:10} {r.dtype:5} {_covariate(r.cov.active_params)} "
            f"{_covariate(r.cov.n_gpus)} {moe:>3} {10**r.log10_mfu_bf16:8.3f}"
        )
    scores = mfu_fit.score_candidates(runs)
    chosen = mfu_fit.choose(scores)
    print(f"\ncandidate models ({len(runs)} runs; median |log10 error| of GPU-hours, 90% interval coverage)")
    print(f"{'model':42} {'in-sample':>16} {'leave-one-model-out':>22}")
    for s in scores:
        mark = "  <- chosen" if s is chosen else ""
        print(
            f"{s.name:42} {s.in_sample[0]:7.3f} {s.in_sample[1]:7.0%}  {s.loo[0]:12.3f} {s.loo[1]:8.0%}{mark}"
        )
    low, high = mfu_fit.COVERAGE_GOAL
    print(
        f"rule: lowest LOO median among candidates with LOO coverage in {low:.0%}-{high:.0%};"
        " ties: fewer terms"
    )
    fitted = mfu_fit.as_model(mfu_fit.fit(runs, chosen.terms), runs, date)
    print("\nfitted [mfu_model] (paste into src/costlm/catalog/data/priors.toml):")
    _print_model(fitted)
    stored = cat.mfu_model
    same = stored is not None and mfu_fit.same_fit(stored, fitted)
    print(f"\nstored [mfu_model] matches this refit: {'yes' if same else 'NO - update priors.toml'}")


if __name__ == "__main__":
    main()
