"""Calibration of the serving efficiencies per engine (``costlm.analyses.engine_fit``).

Prints every measured run the fit uses with its engine and implied efficiency scale (the factor
on the reference decode-bandwidth, decode-compute and prefill efficiencies that reproduces its
measurements), the per-step overheads compared by leave-one-out, the fitted centre and spread
per engine, the ``[[serving_engine]]`` entries for priors.toml, and whether the stored entries
match this refit.

    python benchmarks/calibrate_engines.py [--date YYYY-MM-DD]
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np

from costlm import api
from costlm.analyses import engine_fit
from costlm.catalog.schema import ENGINE_CHOICES, ServingEngine, Sourced
from costlm.uncertainty.regression import rms


def _toml_record(record: Sourced) -> str:
    numbers = ", ".join(
        f"{k} = {getattr(record, k):.4g}" for k in ("value", "low", "high") if getattr(record, k) is not None
    )
    return (
        f'{{ {numbers}, source = "{record.source}", locator = "{record.locator}", '
        f'basis = "{record.basis}", note = "{record.note}" }}'
    )


def _print_engine(e: ServingEngine) -> None:
    print("[[serving_engine]]")
    print(f'id = "{e.id}"')
    print(f"n_runs = {e.n_runs}")
    print(f'note = "{e.note}"')
    for name in (*engine_fit.EFFICIENCIES.values(), "step_overhead_s"):
        record = getattr(e, name)
        if record is not None:
            print(f"{name} = {_toml_record(record)}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="date in the locator")
    args = parser.parse_args()
    cat = api.load_catalog()
    runs, skipped = engine_fit.fit_runs(cat)
    overhead = engine_fit.choose_overhead(runs)
    print(f"fit data: {len(runs)} runs (implied scale of the reference efficiencies at overhead {overhead:g} s)")
    print(f"{'run':44} {'engine':8} {'measured':32} {'scale':>6}")
    for r in runs:
        measured = ", ".join(m for m, _ in r.targets)
        print(f"{r.id[:44]:44} {r.engine:8} {measured[:32]:32} {10 ** engine_fit.implied_log10_scale(r, overhead):6.3f}")
    for line in skipped:
        print(f"left out {line}")
    print("\nper-step overhead: RMS leave-one-out log10 error of the predicted measurements")
    for o in engine_fit.OVERHEAD_GRID_S:
        per_engine = rms(np.array(engine_fit.loo_log10_errors(runs, o, per_engine=True)))
        generic = rms(np.array(engine_fit.loo_log10_errors(runs, o, per_engine=False)))
        mark = "  <- chosen" if o == overhead else ""
        print(f"  {o * 1e3:5.2f} ms   per-engine {per_engine:.4f}   generic {generic:.4f}{mark}")
    fit = engine_fit.fit(runs, overhead)
    print("\nfit per engine: scale = 10**centre, 90% interval x/÷ 10**half-width")
    for engine in ENGINE_CHOICES:
        centre, half = fit.range_of(engine)
        n = fit.n_runs.get(engine, 0)
        own = "" if n else "  (no runs: generic)"
        print(f"  {engine:8} n={n:2d}  scale {10**centre:5.3f}  x/÷ {10**half:5.3f}{own}")
    fitted = engine_fit.as_engines(fit, cat, args.date)
    print("\nfitted [[serving_engine]] entries (paste into src/costlm/catalog/data/priors.toml):\n")
    for e in fitted.values():
        _print_engine(e)
    same = engine_fit.same_fit(cat.serving_engines, fitted)
    print(f"stored [[serving_engine]] entries match this refit: {'yes' if same else 'NO - update priors.toml'}")


if __name__ == "__main__":
    main()
