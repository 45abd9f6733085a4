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
from dataclasses import dataclass

from costlm import api
from costlm.catalog.schema import Catalog, Run
from costlm.estimate.resolve import peak_flop_per_s
from costlm.formulas.flops import implied_mfu, training_flop
from costlm.uncertainty import LogNormal

Z95 = 1.6448536269514722


@dataclass
class Case:
    run: Run
    group: tuple[str, str]
    flop: float
    mfu: float


def _cases(cat: Catalog) -> list[Case]:
    cases = []
    for run in cat.runs.values():
        params = run.n_active_params or run.n_params
        if params is None or run.n_tokens is None or run.hardware is None or run.gpu_hours is None:
            continue
        acc = cat.accelerators[run.hardware]
        flop = float(training_flop(n_active_params=params.central, n_tokens=run.n_tokens.central))
        peak = peak_flop_per_s(acc, run.dtype)
        mfu = float(implied_mfu(train_flop=flop, gpu_hours=run.gpu_hours.central, peak_flop_per_s=peak))
        cases.append(Case(run, (acc.generation, run.dtype), flop, mfu))
    return cases


def _loo_mfu(case: Case, cases: list[Case], cat: Catalog) -> tuple[float, float] | None:
    others = [c.mfu for c in cases if c.group == case.group and c.run.model != case.run.model]
    if len(others) < 2:
        return None
    prior = next(p.mfu for p in cat.mfu_priors if (p.generation, p.dtype) == case.group)
    sigma = LogNormal.from_interval(*prior.bounds).sigma
    centre = math.exp(statistics.fmean(math.log(m) for m in others))
    return centre * math.exp(-Z95 * sigma), min(centre * math.exp(Z95 * sigma), 1.0)


def _predict(case: Case, mfu: tuple[float, float] | None, samples: int, seed: int) -> api.TrainingResult:
    run = case.run
    fields: dict[str, object] = {"mfu": mfu, "goodput": (1.0, 1.0)} if mfu else {}
    request = api.make_training_request(
        train_flop=case.flop,
        gpu=run.hardware,
        n_gpus=int(run.n_gpus.central) if run.n_gpus else 1,
        dtype=run.dtype,
        samples=samples,
        seed=seed,
        **fields,
    )
    return api.estimate_training(request)


def _score(name: str, errors: list[float], hits: int) -> None:
    n = len(errors)
    print(
        f"{name:15} median |log10(pred/reported)| = {statistics.median(errors):.3f} (goal <= 0.10); "
        f"90% interval coverage = {hits}/{n} = {hits / n:.0%} (goal >= 80%)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cat = api.load_catalog()
    cases = _cases(cat)
    cols = f"{'reported':>9} {'p05':>9} {'p50':>9} {'p95':>9} {'err':>6} {'in':>3}"
    cols += f" | {'LOO p50':>9} {'err':>6} {'in':>3}"
    print(f"{'run':30} {'hardware':10} {cols}")
    scores: dict[str, tuple[list[float], int]] = {"catalog prior": ([], 0), "leave-one-out": ([], 0)}
    for case in cases:
        reported = case.run.gpu_hours.central if case.run.gpu_hours else math.nan
        cells = []
        for key, mfu in (("catalog prior", None), ("leave-one-out", _loo_mfu(case, cases, cat))):
            s = _predict(case, mfu, args.samples, args.seed).gpu_hours
            err, inside = math.log10(s.p50 / reported), s.p05 <= reported <= s.p95
            errors, hits = scores[key]
            errors.append(abs(err))
            scores[key] = (errors, hits + inside)
            flag = "yes" if inside else "NO"
            if key == "catalog prior":
                cells.append(f"{s.p05:9.3g} {s.p50:9.3g} {s.p95:9.3g} {err:+6.2f} {flag:>3}")
            else:
                cells.append(f"{s.p50:9.3g} {err:+6.2f} {flag:>3}" + ("" if mfu else " (prior)"))
        print(f"{case.run.id[:30]:30} {case.run.hardware or '':10} {reported:9.3g} {cells[0]} | {cells[1]}")
    print(
        f"\nruns back-tested: {len(cases)} "
        "(GPU-hours predicted from params x tokens, hardware and dtype only)"
    )
    for key, (errors, hits) in scores.items():
        _score(key, errors, hits)


if __name__ == "__main__":
    main()
