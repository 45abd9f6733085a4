"""Calibration of the serving efficiencies per engine (``costlm.analyses.engine_fit``).

Prints every measured run the fit uses with its engine and implied efficiency scale (the factor
on the reference decode-bandwidth, decode-compute and prefill efficiencies that reproduces its
measurements), the per-step overheads compared by leave-one-out, the fitted centre and spread
per engine, the ``[[serving_engine]]`` entries for priors.toml, and whether the stored entries
match this refit.

    python benchmarks/calibrate_engines.py [--date YYYY-MM-DD] [--write]

``--write`` replaces the ``[[serving_engine]]`` entries of priors.toml with this refit.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

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


PRIORS = Path(__file__).parents[1] / "src" / "costlm" / "catalog" / "data" / "priors.toml"
FIRST, END = "[[serving_engine]]", "# ====="


def _engine_toml(e: ServingEngine) -> str:
    lines = [FIRST, f'id = "{e.id}"', f"n_runs = {e.n_runs}", f'note = "{e.note}"']
    for name in (*engine_fit.EFFICIENCIES.values(), "step_overhead_s"):
        record = getattr(e, name)
        if record is not None:
            lines.append(f"{name} = {_toml_record(record)}")
    return "\n".join(lines) + "\n"


def _write(entries: str) -> None:
    """Replace priors.toml's block of [[serving_engine]] entries (up to the next section rule)."""
    text = PRIORS.read_text(encoding="utf-8")
    start = text.index(FIRST)
    end = text.index(END, start)
    PRIORS.write_text(text[:start] + entries + "\n" + text[end:], encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--date", default=dt.date.today().isoformat(), help="date in the locator")
    parser.add_argument("--write", action="store_true", help="replace the entries in priors.toml")
    args = parser.parse_args()
    cat = api.load_catalog()
    runs, skipped = engine_fit.fit_runs(cat)
    overhead, centre = engine_fit.choose(runs)
    print(
        f"fit data: {len(runs)} runs (implied scale of the reference efficiencies at overhead {overhead:g} s)"
    )
    print(f"{'run':44} {'engine':8} {'measured':32} {'scale':>6}")
    for r in runs:
        measured = ", ".join(m for m, _ in r.targets)
        scale = 10 ** engine_fit.implied_log10_scale(r, overhead)
        print(f"{r.id[:44]:44} {r.engine:8} {measured[:32]:32} {scale:6.3f}")
    for line in skipped:
        print(f"left out {line}")
    print("\nper-step overhead x centre: RMS leave-one-out log10 error of the predicted measurements")
    for c in engine_fit.CENTRES:
        for o in engine_fit.OVERHEAD_GRID_S:
            per_engine = engine_fit.loo_score(runs, o, c)
            generic = rms(np.array(engine_fit.loo_log10_errors(runs, o, per_engine=False, centre=c)))
            mark = "  <- chosen" if (o, c) == (overhead, centre) else ""
            print(f"  {c:6} {o * 1e3:5.2f} ms   per-engine {per_engine:.4f}   generic {generic:.4f}{mark}")
    fit = engine_fit.fit(runs, overhead, centre)
    print("\nfit per engine: scale = 10**centre, 90% interval x/÷ 10**half-width")
    for engine in ENGINE_CHOICES:
        centre, half = fit.range_of(engine)
        n = fit.n_runs.get(engine, 0)
        own = "" if n else "  (no runs: generic)"
        print(f"  {engine:8} n={n:2d}  scale {10**centre:5.3f}  x/÷ {10**half:5.3f}{own}")
    fitted = engine_fit.as_engines(fit, cat, args.date)
    entries = "\n".join(_engine_toml(e) for e in fitted.values())
    print("\nfitted [[serving_engine]] entries (priors.toml; --write puts them there):\n")
    print(entries)
    if args.write:
        _write(entries)
        print(f"written to {PRIORS}")
        return
    same = engine_fit.same_fit(cat.serving_engines, fitted)
    print(
        f"stored [[serving_engine]] entries match this refit: {'yes' if same else 'NO - update priors.toml'}"
    )


if __name__ == "__main__":
    main()
