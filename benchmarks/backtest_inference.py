"""Back-test of the serving estimator on every measured inference run of the catalog.

Each run is predicted from its inputs only (model, hardware, GPUs per replica, precision,
batch, prompt and output lengths, engine), never from its measured values, and compared with
what was measured: throughput (output tokens/s per GPU), latency (time per output token = TPOT,
time to first token, end-to-end latency) and energy (GPU-only J per output token, as ML.ENERGY
measures it). Four predictions per measurement: with the generic engine prior ("before") and
with the run's own engine prior ("after"; runs of other stacks keep generic), each in-sample
(priors.toml as fitted on all runs) and leave-one-out (the engine priors refitted without the
run, so its own measurement never informs its prediction). Prints the per-engine leave-one-out
rows with the other three errors beside them, then per metric the median |log10(predicted /
measured)| and the share of measurements inside the 90% interval, misses included.

    python benchmarks/backtest_inference.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse
import statistics

from costlm import api
from costlm.analyses.backtest import BacktestRow, inference_backtest
from costlm.analyses.engine_fit import loo_backtest

GOAL = "goal: median <= 0.10, coverage 80-95%"
FAMILIES = {
    "throughput": ("throughput",),
    "TPOT": ("latency",),
    "latency all": ("latency", "latency (TTFT)", "latency (end-to-end)"),
    "J/token": ("J/token",),
}


def _key(r: BacktestRow) -> tuple[str, str]:
    return r.run, r.metric


def _summary(label: str, rows: list[BacktestRow]) -> None:
    for family, metrics in FAMILIES.items():
        group = [r for r in rows if r.metric in metrics]
        if not group:
            continue
        median = statistics.median(abs(r.log10_error) for r in group)
        hits = sum(r.inside for r in group)
        print(
            f"{label:34} {family:11} n={len(group):2d}  median |log10 error| {median:.3f}  "
            f"90% coverage {hits:2d}/{len(group):2d} = {hits / len(group):4.0%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    kw = {"samples": args.samples, "seed": args.seed}
    after_loo, skipped = loo_backtest(cat, per_engine=True, **kw)
    before_loo, _ = loo_backtest(cat, per_engine=False, **kw)
    after_in, _ = inference_backtest(cat, per_engine=True, **kw)
    before_in, _ = inference_backtest(cat, per_engine=False, **kw)
    others = {name: {_key(r): r for r in rows} for name, rows in (("in", after_in), ("gen", before_loo))}
    print("per-engine prior, leave-one-out (throughput in output tokens/s per GPU, latencies in s)")
    print(
        f"{'run':40} {'engine':8} {'metric':20} {'measured':>9} {'p05':>9} {'p50':>9} {'p95':>9} "
        f"{'err':>6} in   {'in-sample':>9}   {'generic':>9}"
    )
    for r in after_loo:
        shown = f"{'>=' if r.bound == 'at_least' else ''}{r.reported:.4g}"
        cells = f"{shown:>9} {r.p05:9.4g} {r.p50:9.4g} {r.p95:9.4g} {r.log10_error:+6.2f}"
        extra = ""
        for name in ("in", "gen"):
            o = others[name].get(_key(r))
            extra += f"   {o.log10_error:+6.2f} {'in ' if o.inside else 'OUT'}" if o else f"   {'-':>10}"
        print(
            f"{r.run[:40]:40} {r.engine:8} {r.metric[:20]:20} {cells} {'in ' if r.inside else 'OUT'}{extra}"
        )
    for line in skipped:
        print(f"skipped {line}")
    print(f"\nsummary ({GOAL}; before = generic prior, after = the run's engine prior)")
    _summary("before (generic), in-sample", before_in)
    _summary("before (generic), leave-one-out", before_loo)
    _summary("after (per-engine), in-sample", after_in)
    _summary("after (per-engine), leave-one-out", after_loo)


if __name__ == "__main__":
    main()
