"""Calibration table of the MFU priors: implied MFU of every reported run, by hardware generation.

Implied MFU = 6 N D / (GPU-hours x 3600 x dense peak) (N = active parameters). It folds
goodput in (reported GPU-hours include restarts), so it sits a little below in-step MFU.
Prints each run and, per (generation, dtype), the runs' min/median/max beside the
catalog's prior (priors.toml), so a reader can see how the priors were set.

    python benchmarks/calibrate_mfu.py
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from costlm import api
from costlm.formulas.flops import implied_mfu, training_flop
from costlm.resolve.rules import peak_flop_per_s


def main() -> None:
    cat = api.load_catalog()
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


if __name__ == "__main__":
    main()
