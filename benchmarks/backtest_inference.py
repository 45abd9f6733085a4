"""Back-test of the serving estimator on every measured inference run of the catalog.

Each run is predicted from its inputs only (model, hardware, GPUs per replica, precision,
batch, prompt and output lengths), never from its measured values, and compared with what
was measured: throughput (output tokens/s of the whole system), latency (time per output
token, time to first token, end-to-end latency) and energy (GPU-only J per output token, as
ML.ENERGY measures it). Prints each comparison, then per metric the median
|log10(predicted/measured)| and the share of measurements inside the 90% interval.

    python benchmarks/backtest_inference.py [--samples N] [--seed S]
"""

from __future__ import annotations

import argparse

from costlm import api
from costlm.analyses.backtest import inference_backtest, scores_by_family


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows, skipped = inference_backtest(api.load_catalog(), samples=args.samples, seed=args.seed)
    print(f"{'run':44} {'metric':22} {'measured':>9} {'p05':>9} {'p50':>9} {'p95':>9} {'err':>6} in")
    for r in rows:
        cells = f"{r.reported:9.4g} {r.p05:9.4g} {r.p50:9.4g} {r.p95:9.4g} {r.log10_error:+6.2f}"
        print(f"{r.run[:44]:44} {r.metric:22} {cells} {'yes' if r.inside else 'NO'}")
    for line in skipped:
        print(f"skipped {line}")
    print()
    for s in scores_by_family(rows):
        hits = round(s.coverage * s.n)
        print(
            f"{s.metric:11} n={s.n:2d}  "
            f"median |log10 error| = {s.median_abs_log10_error:.3f} (goal <= 0.15)  "
            f"90% coverage = {hits}/{s.n} = {s.coverage:.0%} (goal >= 70%)"
        )


if __name__ == "__main__":
    main()
